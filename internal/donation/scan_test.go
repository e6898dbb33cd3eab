package donation_test

import (
	"context"
	"fmt"
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
// answer for the same donation, council, parent and partner. The same page
// read with SummaryColumns must hold the same values in the fields it
// fills, and nothing in the others.
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
		p, err := store.ListWithNames(ctx, sc, donation.Filter{OrganizationID: &root}, page.Request{First: &first, After: after}, donation.AllColumns)
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.ListWithNames(ctx, sc, donation.Filter{OrganizationID: &root}, page.Request{First: &first, After: after}, donation.SummaryColumns)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Items) != len(p.Items) || s.HasNext != p.HasNext {
			t.Fatalf("summary page: %d donations (more: %v), full page %d (more: %v)", len(s.Items), s.HasNext, len(p.Items), p.HasNext)
		}
		for i, x := range p.Items {
			if got, want := s.Items[i], summary(x); !reflect.DeepEqual(got, want) {
				t.Fatalf("summary of %s read\n%s\nwant\n%s", x.ID, show(got), show(want))
			}
			want, err := donation.Get(ctx, db, sc, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The parent rides on the council and the partners are
			// compared apart: sqlx leaves an empty one for none.
			parent, pt := x.Organization.Parent, x.Partner
			council := *x.Organization
			council.Parent = nil
			got := x
			got.Organization, got.Partner = &council, nil
			sqlxGiver, err := want.Giver()
			if err != nil {
				t.Fatal(err)
			}
			want.Partner = nil
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
				if sqlxGiver == nil || !reflect.DeepEqual(*sqlxGiver, sqlxPartner) {
					t.Fatalf("partner of %s read with it by sqlx %+v, by itself %+v", x.ID, sqlxGiver, sqlxPartner)
				}
				set["partner"] = true
			} else if pt != nil || sqlxGiver != nil {
				t.Fatalf("donation %s without a partner has partner %+v (sqlx: %+v)", x.ID, pt, sqlxGiver)
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

// summary is what a donation read in full holds in the fields that
// SummaryColumns fills.
func summary(d donation.Donation) donation.Donation {
	names := func(o *organization.Organization) *organization.Organization {
		if o == nil {
			return nil
		}
		return &organization.Organization{ID: o.ID, ParentID: o.ParentID, Kind: o.Kind, Code: o.Code, Name: o.Name, Parent: o.Parent}
	}
	council := names(d.Organization)
	council.Parent = names(d.Organization.Parent)
	if council.Parent != nil {
		council.Parent.Parent = nil
	}
	s := donation.Donation{ID: d.ID, Seq: d.Seq, OrganizationID: d.OrganizationID, Source: d.Source, PartnerID: d.PartnerID,
		Kind: d.Kind, ReceivedOn: d.ReceivedOn, Amount: d.Amount, Reference: d.Reference, Organization: council}
	if d.Partner != nil {
		s.Partner = &partner.Partner{ID: d.Partner.ID, Kind: d.Partner.Kind, Name: d.Partner.Name}
	}
	return s
}

// show prints a listed donation with the records it points to.
func show(d donation.Donation) string {
	out := fmt.Sprintf("%+v\ncouncil %+v", d, *d.Organization)
	if d.Organization.Parent != nil {
		out += fmt.Sprintf("\nparent %+v", *d.Organization.Parent)
	}
	if d.Partner != nil {
		out += fmt.Sprintf("\npartner %+v", *d.Partner)
	}
	return out
}

// TestGiver: a donation answers the partner read with it, nothing for a
// gift without one, and an error, not a missing partner, when the read
// did not join it.
func TestGiver(t *testing.T) {
	id := "01a21ebd-f9c3-70c0-b20e-2a6402c4a805"
	other := "01a21ebd-f96e-7142-9fb3-ec7006f034ca"
	read := &partner.Partner{ID: id, Name: "PT Maju"}
	for _, c := range []struct {
		name    string
		d       donation.Donation
		want    *partner.Partner
		wantErr bool
	}{
		{"no partner", donation.Donation{}, nil, false},
		{"no partner, an empty one joined", donation.Donation{Partner: &partner.Partner{}}, nil, false},
		{"partner read with it", donation.Donation{PartnerID: &id, Partner: read}, read, false},
		{"partner not read", donation.Donation{PartnerID: &id}, nil, true},
		{"another partner", donation.Donation{PartnerID: &other, Partner: read}, nil, true},
	} {
		got, err := c.d.Giver()
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("%s: Giver() = %v, %v; want %v (error: %v)", c.name, got, err, c.want, c.wantErr)
		}
	}
}
