package aid_test

import (
	"context"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// BenchmarkOutputSums is a province's year of aid outputs by type ×
// regency and by type, as the report's dashboard reads them, on the
// national dataset's outputs (500,000 here): read from the covering index
// (migration 00017), and — the baseline, in the same run — from the heap
// through the index on (organization_id, delivered_on) alone.
func BenchmarkOutputSums(b *testing.B) {
	ctx := context.Background()
	db := pgtest.DB(b)
	size := demo.National
	size.Donations, size.Boxes = 20_000, 200
	if _, err := demo.LoadNational(ctx, db, size, nil); err != nil {
		b.Fatal(err)
	}
	var province string
	if err := db.Get(&province, `SELECT id FROM organizations WHERE code = 'JATIM'`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`VACUUM (ANALYZE) aid_outputs`); err != nil {
		b.Fatal(err)
	}
	// Index-only scans need the visibility map, which autovacuum keeps on
	// a live database; here it is set at once.
	if _, err := db.Exec(`VACUUM aid_outputs`); err != nil {
		b.Fatal(err)
	}
	store := aid.NewStore(db)
	sc := auth.System("bench")
	from, to := calendar.New(2014, time.January, 1), calendar.New(2014, time.December, 31)
	f := aid.OutputFilter{From: &from, To: &to, OrganizationID: &province}
	sums := func(b *testing.B) {
		for b.Loop() {
			if _, err := store.ByTypeAndRegency(ctx, sc, f); err != nil {
				b.Fatal(err)
			}
			if _, err := store.TotalsByType(ctx, sc, f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("covering-index", sums)
	for _, stmt := range []string{
		`DROP INDEX aid_outputs_organization_idx`,
		`CREATE INDEX aid_outputs_organization_idx ON aid_outputs (organization_id, delivered_on)`,
		`ANALYZE aid_outputs`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("heap", sums)
}
