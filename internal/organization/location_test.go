package organization_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

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

// TestCallerLocation: a caller's "this year" is reckoned in its own
// council's zone (an operator in Papua: Asia/Jayapura, UTC+9), and in the
// root council's for callers without one (admins, auditors, partners).
func TestCallerLocation(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	size := demo.National
	size.Regencies, size.Institutions, size.Partners, size.Boxes, size.Donations, size.Outputs = 40, 0, 1, 0, 0, 0
	if _, err := demo.LoadNational(ctx, db, size, nil); err != nil {
		t.Fatal(err)
	}
	var papua, root organization.Organization
	if err := db.Get(&papua, `SELECT id, path::text AS path, time_zone FROM organizations WHERE code = 'PAPUA'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&root, `SELECT time_zone FROM organizations WHERE parent_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	if papua.TimeZone != "Asia/Jayapura" || root.TimeZone == papua.TimeZone {
		t.Fatalf("the national demo's zones: Papua %q, the root %q", papua.TimeZone, root.TimeZone)
	}
	var partnerID string
	if err := db.Get(&partnerID, `SELECT id FROM partners LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	store := organization.NewStore(db)
	for _, c := range []struct {
		who  string
		sc   auth.Scope
		want string
	}{
		{"operator in Papua", auth.ScopeOf(auth.Principal{Role: auth.Operator, OrganizationID: &papua.ID, SubtreePath: papua.Path}), "Asia/Jayapura"},
		{"admin", auth.System("test"), root.TimeZone},
		{"auditor", auth.ScopeOf(auth.Principal{Role: auth.Auditor}), root.TimeZone},
		{"partner", auth.ScopeOf(auth.Principal{Role: auth.Partner, PartnerID: &partnerID}), root.TimeZone},
	} {
		loc, err := store.CallerLocation(ctx, c.sc)
		if err != nil {
			t.Fatalf("%s: %v", c.who, err)
		}
		if loc.String() != c.want {
			t.Errorf("%s: this year reckoned in %s, want %s", c.who, loc, c.want)
		}
	}
	if loc, err := store.CallerLocation(ctx, auth.Scope{}); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("no caller: %v, %v; want %v", loc, err, auth.ErrForbidden)
	}
}
