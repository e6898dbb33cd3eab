package scalar

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sinergi-id/sinergi/internal/money"
)

func TestRupiah(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want money.Rupiah
		ok   bool
	}{
		{json.Number("5000000000000"), 5_000_000_000_000, true},
		{"250000", 250_000, true},
		{int64(-7), -7, true},
		{float64(1500), 1500, true},
		{json.Number("1.5"), 0, false},
		{float64(0.5), 0, false},
		{"Rp 1.000", 0, false},
		{json.Number("99999999999999999999"), 0, false},
		{true, 0, false},
	} {
		got, err := UnmarshalRupiah(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("UnmarshalRupiah(%#v) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	var b bytes.Buffer
	MarshalRupiah(5_000_000_000_000).MarshalGQL(&b)
	if b.String() != "5000000000000" {
		t.Errorf("MarshalRupiah wrote %q", b.String())
	}
}

func TestDate(t *testing.T) {
	d, err := UnmarshalDate("2014-07-17")
	if err != nil || d.String() != "2014-07-17" {
		t.Fatalf("UnmarshalDate: %v, %v", d, err)
	}
	for _, bad := range []any{"2014-02-30", "17-07-2014", "2014-07-17T00:00:00Z", 20140717} {
		if _, err := UnmarshalDate(bad); err == nil {
			t.Errorf("UnmarshalDate(%#v) accepted", bad)
		}
	}
	var b bytes.Buffer
	MarshalDate(d).MarshalGQL(&b)
	if b.String() != `"2014-07-17"` {
		t.Errorf("MarshalDate wrote %s", b.String())
	}
}
