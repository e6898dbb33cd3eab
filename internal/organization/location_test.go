package organization_test

import (
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/organization"
)

func TestLocation(t *testing.T) {
	for _, tc := range []struct {
		zone   string
		name   string
		offset int
	}{
		{"Asia/Jakarta", "Asia/Jakarta", 7 * 3600},
		{"Asia/Makassar", "Asia/Makassar", 8 * 3600},
		{"Asia/Jayapura", "Asia/Jayapura", 9 * 3600},
		{"Nowhere/Zone", "UTC", 0},
	} {
		o := organization.Organization{TimeZone: tc.zone}
		for range 2 { // loaded, then remembered
			loc := o.Location()
			_, offset := time.Date(2026, time.January, 1, 0, 0, 0, 0, loc).Zone()
			if loc.String() != tc.name || offset != tc.offset {
				t.Errorf("%s: %s %+ds, want %s %+ds", tc.zone, loc, offset, tc.name, tc.offset)
			}
		}
	}
}

// BenchmarkLocation is what every write pays to learn its council's today
// (the baseline: time.LoadLocation, which reads the zone's file each time).
func BenchmarkLocation(b *testing.B) {
	o := organization.Organization{TimeZone: "Asia/Makassar"}
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			o.Location()
		}
	})
	b.Run("LoadLocation", func(b *testing.B) {
		for b.Loop() {
			if _, err := time.LoadLocation(o.TimeZone); err != nil {
				b.Fatal(err)
			}
		}
	})
}
