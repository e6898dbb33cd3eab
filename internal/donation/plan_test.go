package donation_test

import (
	"context"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// TestListPageRunsFromAGenericPlan: the dashboard's page of a subtree's
// donations is a prepared statement, and PostgreSQL should plan it once per
// connection, not on every run (planning was 1.1 ms of each 2.9 ms page at
// national scale). It keeps re-planning when the generic plan looks worse
// than the custom ones, as it did while the limit and the empty cursor were
// parameters; this counts the plans PostgreSQL reports for the statement.
// It needs a ledger of some size: with 50,000 donations even the old
// text's generic plan looked cheap enough to PostgreSQL.
func TestListPageRunsFromAGenericPlan(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	size := demo.National
	size.Donations, size.Outputs, size.Boxes = 100_000, 100, 100
	if _, err := demo.LoadNational(ctx, db, size, nil); err != nil {
		t.Fatal(err)
	}
	var province string
	if err := db.Get(&province, `SELECT id FROM organizations WHERE code = 'JATIM'`); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // pg_prepared_statements is per connection
	store := donation.NewStore(db)
	sc := auth.System("test")
	first := 50
	for i := range 8 {
		p, err := store.ListWithNames(ctx, sc, donation.Filter{OrganizationID: &province}, page.Request{First: &first}, donation.AllColumns)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != first || !p.HasNext {
			t.Fatalf("run %d: %d donations, next page %v; want a full page and more", i, len(p.Items), p.HasNext)
		}
	}
	var plans []struct {
		Generic int `db:"generic_plans"`
		Custom  int `db:"custom_plans"`
	}
	if err := db.SelectContext(ctx, &plans, `SELECT generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE '%LEFT JOIN partners pp%'`); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL plans the first five runs for their arguments, then
	// settles on the generic plan if it costs no more than theirs.
	if len(plans) != 1 || plans[0].Generic != 3 || plans[0].Custom != 5 {
		t.Errorf("plans of the prepared page %+v, want one statement with 3 generic and 5 custom", plans)
	}
}
