package money

import "testing"

func TestString(t *testing.T) {
	for r, want := range map[Rupiah]string{0: "Rp 0", 999: "Rp 999", 1000: "Rp 1.000", 1_250_000: "Rp 1.250.000",
		-75_000: "-Rp 75.000", Max: "Rp 5.000.000.000.000"} {
		if got := r.String(); got != want {
			t.Errorf("%d: %q, want %q", int64(r), got, want)
		}
	}
}
