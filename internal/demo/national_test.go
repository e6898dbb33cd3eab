package demo_test

import (
	"context"
	"testing"

	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// small is the national dataset's shape at a size a test loads in seconds.
var small = demo.NationalSize{Regencies: 40, Institutions: 100, Partners: 60, Boxes: 30, Donations: 20_000, Outputs: 2_000, FirstYear: 2010, Years: 2}

// TestNationalDataset loads the synthetic national data twice: it has the
// shape asked for, holds together (tree, boxes, collections, partners),
// carries the skew it promises, and is the same both times.
func TestNationalDataset(t *testing.T) {
	ctx := context.Background()
	type figures struct {
		Provinces, Regencies, Institutions, Partners, Boxes, Collections, Donations, Outputs int64
		Donated, Cost                                                                        int64
		Orphans, BrokenSeals, UnmatchedCollections, WrongPartners, OutOfPeriod               int64
		CityShare                                                                            float64
	}
	const query = `SELECT
		(SELECT count(*) FROM organizations WHERE kind = 'PROVINCE_COUNCIL' AND parent_id = (SELECT id FROM organizations WHERE code = 'NAS')) AS provinces,
		(SELECT count(*) FROM organizations r JOIN organizations p ON p.id = r.parent_id WHERE r.kind = 'REGENCY_COUNCIL' AND p.kind = 'PROVINCE_COUNCIL') AS regencies,
		(SELECT count(*) FROM organizations i JOIN organizations r ON r.id = i.parent_id WHERE i.kind = 'INSTITUTION' AND r.kind = 'REGENCY_COUNCIL') AS institutions,
		(SELECT count(*) FROM partners) AS partners,
		(SELECT count(*) FROM donation_boxes) AS boxes,
		(SELECT count(*) FROM box_collections) AS collections,
		(SELECT count(*) FROM donations) AS donations,
		(SELECT count(*) FROM aid_outputs) AS outputs,
		(SELECT SUM(amount) FROM donations) AS donated,
		(SELECT SUM(cost) FROM aid_outputs) AS cost,
		(SELECT count(*) FROM organizations o WHERE o.kind <> 'NATIONAL' AND NOT EXISTS (SELECT 1 FROM organizations p WHERE p.id = o.parent_id)) AS orphans,
		(SELECT count(*) FROM box_collections c JOIN box_collections prev ON prev.box_id = c.box_id AND prev.number = c.number - 1
			WHERE prev.seal_applied <> c.seal_removed OR prev.collected_on >= c.collected_on) AS brokenseals,
		(SELECT count(*) FROM box_collections c JOIN donations d ON d.id = c.donation_id
			WHERE d.amount <> c.amount OR d.source <> 'DONATION_BOX' OR d.received_on <> c.collected_on) AS unmatchedcollections,
		(SELECT count(*) FROM donations d JOIN partners p ON p.id = d.partner_id WHERE
			(d.source, p.kind) NOT IN (('CSR', 'CSR_COMPANY'), ('DONATION_BOX', 'RETAIL'), ('GOVERNMENT', 'GOVERNMENT_UNIT'),
				('INDIVIDUAL', 'INDIVIDUAL'), ('BUSINESS', 'BUSINESS'), ('COMMUNITY', 'COMMUNITY'))) AS wrongpartners,
		(SELECT count(*) FROM donations WHERE received_on NOT BETWEEN '2010-01-01' AND '2011-12-31') +
			(SELECT count(*) FROM aid_outputs WHERE delivered_on NOT BETWEEN '2010-01-01' AND '2011-12-31') AS outofperiod,
		(SELECT (SUM(d.amount) FILTER (WHERE o.name LIKE 'KKKS Kota %') / count(DISTINCT o.id) FILTER (WHERE o.name LIKE 'KKKS Kota %'))::float8
			/ (SUM(d.amount) FILTER (WHERE o.name NOT LIKE 'KKKS Kota %') / count(DISTINCT o.id) FILTER (WHERE o.name NOT LIKE 'KKKS Kota %'))
			FROM donations d JOIN organizations o ON o.id = d.organization_id WHERE d.source <> 'DONATION_BOX') AS cityshare`
	var got [2]figures
	for i := range got {
		db := pgtest.DB(t)
		sum, err := demo.LoadNational(ctx, db, small, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Donations != small.Donations || sum.Collections != small.Boxes*24 {
			t.Errorf("summary %+v", sum)
		}
		if err := db.GetContext(ctx, &got[i], query); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.LoadNational(ctx, db, small, nil); err != demo.ErrNotEmpty {
			t.Errorf("a second load into the same database: %v", err)
		}
	}
	f := got[0]
	if f.Provinces != 38 || f.Regencies != 40 || f.Institutions != 100 || f.Partners != 60 || f.Boxes != 30 ||
		f.Collections != 30*24 || f.Donations != 20_000 || f.Outputs != 2_000 {
		t.Errorf("shape: %+v", f)
	}
	if f.Orphans != 0 || f.BrokenSeals != 0 || f.UnmatchedCollections != 0 || f.WrongPartners != 0 || f.OutOfPeriod != 0 {
		t.Errorf("the dataset does not hold together: %+v", f)
	}
	if f.CityShare < 2 || f.CityShare > 4.5 {
		t.Errorf("a city receives %.2f times what a regency does, want about 3", f.CityShare)
	}
	if got[0] != got[1] {
		t.Errorf("two loads differ:\n%+v\n%+v", got[0], got[1])
	}
}
