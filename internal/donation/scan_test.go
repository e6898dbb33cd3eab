package donation_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// TestHandScansMatchSqlx: ListWithNames scans its rows into the fields
// directly (Donation.fields, Organization.Fields, Partner.Fields), in the
// order of the column lists, and hangs the parent and partner on the
// donation. Every donation of the demo ledger, paged
// through, must equal what the reads through sqlx's mapping by name
// answer for the same donation, council, parent and partner.
func TestHandScansMatchSqlx(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	key, err := nik.ParseKey(nik.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, db, key); err != nil {
		t.Fatal(err)
	}
	// What the demo leaves empty: a gift earmarked for a regency and a
	// group, and its reversal.
	if res, err := db.Exec(`WITH g AS (
			INSERT INTO donations (organization_id, source, kind, received_on, amount, notes, earmark_regency_id, earmark_beneficiary_group)
			SELECT o.id, 'INDIVIDUAL', 'MONEY', '2015-03-02', 750000, 'untuk lansia Badung', o.id, 'ELDERLY'
			FROM organizations o WHERE o.code = 'BALI-BADUNG' RETURNING *)
		INSERT INTO donations (organization_id, source, kind, received_on, amount, notes, earmark_regency_id, earmark_beneficiary_group, reverses_id, reversal_reason)
		SELECT organization_id, source, kind, '2015-03-09', -amount, notes, earmark_regency_id, earmark_beneficiary_group, id, 'salah catat' FROM g`); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d reversals recorded, want 1", n)
	}
	store := donation.NewStore(db)
	sc := auth.System("test")
	var root string
	if err := db.Get(&root, `SELECT id FROM organizations WHERE parent_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{} // the optional columns seen filled, so that none is compared only empty
	compared := 0
	first := page.Max
	var after *string
	for {
		p, err := store.ListWithNames(ctx, sc, donation.Filter{OrganizationID: &root}, page.Request{First: &first, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range p.Items {
			want, err := donation.Get(ctx, db, sc, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The names ride on the donation; compared apart.
			parent, pt := x.Organization.Parent, x.Partner
			council := *x.Organization
			council.Parent = nil
			got := x
			got.Organization, got.Partner = &council, nil
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("donation %s scanned\n%+v\nsqlx reads\n%+v", x.ID, got, want)
			}
			if id := want.Organization.ParentID; id != nil {
				sqlxParent, err := organization.Get(ctx, db, sc, *id)
				if err != nil {
					t.Fatal(err)
				}
				if parent == nil || !reflect.DeepEqual(*parent, sqlxParent) {
					t.Fatalf("parent of %s scanned %+v, sqlx reads %+v", x.ID, parent, sqlxParent)
				}
				set["parent"] = true
			} else if parent != nil {
				t.Fatalf("donation %s of a root council has parent %+v", x.ID, parent)
			}
			if want.PartnerID != nil {
				sqlxPartner, err := partner.Get(ctx, db, sc, *want.PartnerID)
				if err != nil {
					t.Fatal(err)
				}
				if pt == nil || !reflect.DeepEqual(*pt, sqlxPartner) {
					t.Fatalf("partner of %s scanned %+v, sqlx reads %+v", x.ID, pt, sqlxPartner)
				}
				set["partner"] = true
			} else if pt != nil {
				t.Fatalf("donation %s without a partner has partner %+v", x.ID, pt)
			}
			for name, v := range map[string]*string{"reference": want.Reference, "earmarkProgramme": want.EarmarkProgramme,
				"earmarkAidType": want.EarmarkAidTypeID, "earmarkRegency": want.EarmarkRegencyID, "earmarkGroup": want.EarmarkBeneficiaryGroup,
				"pledge": want.PledgeID, "permit": want.PermitID, "reverses": want.ReversesID, "reversalReason": want.ReversalReason,
				"reversedBy": want.ReversedByID} {
				if v != nil {
					set[name] = true
				}
			}
			compared++
		}
		if !p.HasNext {
			break
		}
		last := p.Items[len(p.Items)-1]
		c := page.Cursor{Date: last.ReceivedOn, Seq: last.Seq}.Encode()
		after = &c
	}
	var ledger int
	if err := db.Get(&ledger, `SELECT count(*) FROM donations`); err != nil {
		t.Fatal(err)
	}
	if compared != ledger {
		t.Errorf("compared %d donations, the ledger holds %d", compared, ledger)
	}
	if len(set) != 12 {
		t.Errorf("optional columns seen filled: %v, want all 12", set)
	}
}
