package demo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestLoadIsDeterministic loads the demo twice into separate databases and
// compares what both hold, figure by figure.
func TestLoadIsDeterministic(t *testing.T) {
	ctx := context.Background()
	key, err := nik.ParseKey(nik.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	const figures = `SELECT
		(SELECT count(*) FROM organizations) AS organizations,
		(SELECT count(*) FROM organizations WHERE kind = 'INSTITUTION') AS institutions,
		(SELECT count(*) FROM partners WHERE kind = 'CSR_COMPANY') AS csr,
		(SELECT count(*) FROM donation_boxes) AS boxes,
		(SELECT count(DISTINCT host_partner_id) FROM donation_boxes) AS hosts,
		(SELECT count(*) FROM box_collections) AS collections,
		(SELECT SUM(amount)::bigint FROM donations) AS donated,
		(SELECT string_agg(DISTINCT source, ',' ORDER BY source) FROM donations) AS sources,
		(SELECT SUM(cost)::bigint FROM aid_outputs) AS cost,
		(SELECT SUM(attendees)::bigint FROM meeting_attendance) AS attendees,
		(SELECT string_agg(state, ',' ORDER BY state) FROM aid_requests) AS states`
	type snapshot struct {
		Organizations, Institutions, CSR, Boxes, Hosts, Collections, Donated, Cost, Attendees int64
		Sources, States                                                                       string
	}
	var snaps [2]snapshot
	for i := range snaps {
		db := pgtest.DB(t)
		sum, err := demo.Load(ctx, db, key)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Collections != 32*24 {
			t.Errorf("%d collections, want one per box per month of 2013 and 2014", sum.Collections)
		}
		if err := db.GetContext(ctx, &snaps[i], figures); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Load(ctx, db, key); !errors.Is(err, demo.ErrNotEmpty) {
			t.Errorf("second load into the same database: %v, want ErrNotEmpty", err)
		}
	}
	if snaps[0] != snaps[1] {
		t.Errorf("two loads differ:\n%+v\n%+v", snaps[0], snaps[1])
	}
	s := snaps[0]
	if s.Institutions < 20 || s.CSR < 5 || s.Boxes < 30 || s.Hosts < 2 || s.Attendees != 115 {
		t.Errorf("demo falls short of the brief: %+v", s)
	}
	if s.Sources != "BUSINESS,COMMUNITY,CSR,DONATION_BOX,GOVERNMENT,INDIVIDUAL,OTHER" {
		t.Errorf("sources %q: want every source", s.Sources)
	}
}
