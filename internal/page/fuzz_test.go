package page

import "testing"

func FuzzDecode(f *testing.F) {
	f.Add(Cursor{Seq: 42}.Encode())
	f.Add(Cursor{Seq: 7}.Encode()[:2])
	f.Add("MjAxNC0wNy0xNy80Mg")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Decode(s)
		if err != nil {
			return
		}
		back, err := Decode(c.Encode())
		if err != nil || back != c {
			t.Fatalf("%q decoded to %+v, which re-encodes to %+v (%v)", s, c, back, err)
		}
	})
}
