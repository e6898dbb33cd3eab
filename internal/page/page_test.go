package page

import (
	"testing"

	"github.com/sinergi-id/sinergi/internal/calendar"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []Cursor{{Seq: 1}, {Seq: 9_000_000_000}, {Date: calendar.MustParse("2014-07-17"), Seq: 42}} {
		got, err := Decode(c.Encode())
		if err != nil || got != c {
			t.Errorf("Decode(Encode(%+v)) = %+v, %v", c, got, err)
		}
	}
}

func TestDecodeRefusesForeignCursors(t *testing.T) {
	for _, s := range []string{"", "!!!", "MjAxNC0xMy0wMS8x" /* 2014-13-01/1 */, "LTE" /* -1 */, "YWJj" /* abc */} {
		if _, err := Decode(s); err == nil {
			t.Errorf("Decode(%q) accepted", s)
		}
	}
}

func TestKeysetBounds(t *testing.T) {
	n := func(i int) *int { return &i }
	for _, tc := range []struct {
		first *int
		want  int
		ok    bool
	}{{nil, Default, true}, {n(0), 0, true}, {n(Max), Max, true}, {n(Max + 1), 0, false}, {n(-1), 0, false}} {
		k, err := Request{First: tc.first}.Keyset()
		if (err == nil) != tc.ok || (tc.ok && k.Limit != tc.want) {
			t.Errorf("first=%v: limit %d, err %v; want %d, ok=%v", tc.first, k.Limit, err, tc.want, tc.ok)
		}
	}
}
