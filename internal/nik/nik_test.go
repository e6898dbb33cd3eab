package nik_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sinergi-id/sinergi/internal/nik"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		nik, wrong string // wrong: a word of the expected message; "" for a valid NIK
	}{
		{"5103014501900001", ""},     // Badung, a woman born 5 Jan 1990
		{"5171010512850123", ""},     // Denpasar, a man born 5 Dec 1985
		{"5108022902000007", ""},     // born 29 Feb 2000
		{"5108022902010007", "date"}, // 29 Feb 2001 does not exist
		{"510301450190000", "16 digits"},
		{"51030145019000011", "16 digits"},
		{"5103O14501900001", "16 digits"},
		{"５１03014501900001", "16 digits"}, // full-width digits
		{"9903014501900001", "province"},
		{"5100014501900001", "regency"},
		{"5103004501900001", "district"},
		{"5103013201900001", "date"}, // day 32
		{"5103017201900001", "date"}, // day 72 (32 + 40)
		{"5103010513900001", "date"}, // month 13
		{"5103014501900000", "serial"},
	} {
		err := nik.Check(tc.nik)
		switch {
		case tc.wrong == "" && err != nil:
			t.Errorf("%s: %v, want valid", tc.nik, err)
		case tc.wrong != "" && (err == nil || !strings.Contains(err.Error(), tc.wrong)):
			t.Errorf("%s: %v, want an error about %q", tc.nik, err, tc.wrong)
		}
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	if got := nik.Mask("5103014501900001"); got != "5103********0001" {
		t.Errorf("Mask = %q", got)
	}
	if got := nik.Mask("12345"); got != "*****" {
		t.Errorf("Mask of a short value = %q", got)
	}
}

func TestSealOpenHash(t *testing.T) {
	t.Parallel()
	k1, err := nik.ParseKey(nik.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := nik.ParseKey(nik.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	const n = "5103014501900001"
	a, b := k1.Seal(n), k1.Seal(n)
	if bytes.Equal(a, b) {
		t.Error("two seals of one NIK are equal: the nonce is not fresh")
	}
	if bytes.Contains(a, []byte(n)) {
		t.Error("the sealed value holds the NIK in clear")
	}
	if got, err := k1.Open(a); err != nil || got != n {
		t.Errorf("Open = %q, %v", got, err)
	}
	if _, err := k2.Open(a); err == nil {
		t.Error("another key opened the seal")
	}
	a[len(a)-1] ^= 1
	if _, err := k1.Open(a); err == nil {
		t.Error("a damaged seal opened")
	}
	if !bytes.Equal(k1.Hash(n), k1.Hash(n)) || bytes.Equal(k1.Hash(n), k2.Hash(n)) || bytes.Equal(k1.Hash(n), k1.Hash("5103014501900002")) {
		t.Error("the look-up hash is not a keyed function of the NIK")
	}
	if k1.ID() == k2.ID() || len(k1.ID()) != 16 {
		t.Errorf("key ids %q and %q", k1.ID(), k2.ID())
	}
}

func TestParseKeyRefusesBadSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "not base64!", "c2hvcnQ=", strings.Repeat("A", 64)} {
		if _, err := nik.ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
}

// FuzzCheck: Check never panics and never repeats what it was given.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"5103014501900001", "5108022902010007", "", "99999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := nik.Check(s)
		if err != nil && len(s) >= 4 && strings.Contains(err.Error(), s) {
			t.Errorf("the error %q repeats the input", err)
		}
		if err == nil && nik.Mask(s)[4:12] != "********" {
			t.Errorf("a valid NIK masked as %q", nik.Mask(s))
		}
	})
}
