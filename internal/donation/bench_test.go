package donation_test

import (
	"context"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// BenchmarkSourceByMonth is a province's year of gifts by source × month on
// the national dataset (1,000,000 donations here): from the monthly sums,
// and — the baseline — the same figures summed over the ledger's entries (a
// period that ends a day short of the year, so every day of it but the
// last month comes from the monthly sums; "ledger" takes a period inside
// one month, which the monthly sums cannot serve).
func BenchmarkSourceByMonth(b *testing.B) {
	ctx := context.Background()
	db := pgtest.DB(b)
	size := demo.National
	size.Donations, size.Outputs, size.Boxes = 1_000_000, 1_000, 2_000
	if _, err := demo.LoadNational(ctx, db, size, nil); err != nil {
		b.Fatal(err)
	}
	var province string
	if err := db.Get(&province, `SELECT id FROM organizations WHERE code = 'JATIM'`); err != nil {
		b.Fatal(err)
	}
	store := donation.NewStore(db)
	sc := auth.System("bench")
	for _, p := range []struct {
		name     string
		from, to calendar.Date
	}{
		{"monthly-sums/year", calendar.New(2014, time.January, 1), calendar.New(2014, time.December, 31)},
		{"monthly-sums/year-less-a-day", calendar.New(2014, time.January, 1), calendar.New(2014, time.December, 30)},
		{"ledger/one-month-less-a-day", calendar.New(2014, time.March, 1), calendar.New(2014, time.March, 30)},
		{"ledger/whole-year-scan", calendar.New(2014, time.January, 2), calendar.New(2014, time.December, 30)},
	} {
		b.Run(p.name, func(b *testing.B) {
			f := donation.Filter{From: &p.from, To: &p.to, OrganizationID: &province}
			for b.Loop() {
				if _, err := store.BySourceAndMonth(ctx, sc, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("list/page-of-50-with-names", func(b *testing.B) {
		first := 50
		for b.Loop() {
			if _, err := store.ListWithNames(ctx, sc, donation.Filter{OrganizationID: &province}, page.Request{First: &first}, donation.AllColumns); err != nil {
				b.Fatal(err)
			}
		}
	})
}
