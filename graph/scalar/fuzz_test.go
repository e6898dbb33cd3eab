package scalar

import (
	"bytes"
	"encoding/json"
	"testing"
)

func FuzzUnmarshalRupiah(f *testing.F) {
	for _, seed := range []string{"0", "250000", "-75000", "5000000000000", "9223372036854775807", "1.5", "1e3", " 12", "Rp 1.000", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, in := range []any{s, json.Number(s)} {
			r, err := UnmarshalRupiah(in)
			if err != nil {
				continue
			}
			var b bytes.Buffer
			MarshalRupiah(r).MarshalGQL(&b)
			back, err := UnmarshalRupiah(json.Number(b.String()))
			if err != nil || back != r {
				t.Fatalf("%q read as %d, written as %s, read back as %d (%v)", s, r, b.String(), back, err)
			}
		}
	})
}

func FuzzUnmarshalDate(f *testing.F) {
	for _, seed := range []string{"2014-07-17", "2014-02-29", "0000-01-01", "9999-12-31", "2014-7-17", "", "2014-07-17T00:00:00Z"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDate(s)
		if err != nil {
			return
		}
		var b bytes.Buffer
		MarshalDate(d).MarshalGQL(&b)
		var text string
		if err := json.Unmarshal(b.Bytes(), &text); err != nil {
			t.Fatalf("%q written as invalid JSON %s", s, b.String())
		}
		back, err := UnmarshalDate(text)
		if err != nil || back != d {
			t.Fatalf("%q read as %v, written as %s, read back as %v (%v)", s, d, text, back, err)
		}
	})
}

func FuzzUnmarshalTime(f *testing.F) {
	for _, seed := range []string{"2014-07-17T09:00:00+08:00", "2014-07-17T01:00:00Z", "2014-07-17", "0", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := UnmarshalTime(s)
		if err != nil {
			return
		}
		var b bytes.Buffer
		MarshalTime(at).MarshalGQL(&b)
		var text string
		if err := json.Unmarshal(b.Bytes(), &text); err != nil {
			t.Fatalf("%q written as invalid JSON %s", s, b.String())
		}
		back, err := UnmarshalTime(text)
		if err != nil || !back.Equal(at) {
			t.Fatalf("%q read as %v, written as %s, read back as %v (%v)", s, at, text, back, err)
		}
	})
}
