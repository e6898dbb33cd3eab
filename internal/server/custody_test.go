package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// boxFigures is every place a box total of Badung's 2014 appears.
type boxFigures struct {
	reportTotal, reportOpenings int64 // report.boxes
	donationBox                 int64 // report: DONATION_BOX money by source × month
	connectionSum               int64 // boxCollections.sum
	ledgerTotal                 int64 // the box-collections workbook's total row
	rakerTotal, rakerOpenings   int64 // the Raker book's Kotak Amal total row
	rakerSummary                int64 // the Raker book's summary line
}

func readBoxFigures(t *testing.T, e *env, badung string) boxFigures {
	t.Helper()
	var got struct {
		Report struct {
			Boxes struct {
				Total    int64
				Openings int64
			}
			DonationsBySourceAndMonth []struct {
				Source string
				Amount int64
			}
		}
		BoxCollections struct{ Sum int64 }
	}
	e.query(`query($o: ID!) {
		report(organizationId: $o, year: 2014) { boxes { total openings } donationsBySourceAndMonth { source amount } }
		boxCollections(filter: {organizationId: $o, from: "2014-01-01", to: "2014-12-31"}) { sum } }`,
		map[string]any{"o": badung}, &got)
	f := boxFigures{reportTotal: got.Report.Boxes.Total, reportOpenings: got.Report.Boxes.Openings, connectionSum: got.BoxCollections.Sum}
	for _, g := range got.Report.DonationsBySourceAndMonth {
		if g.Source == "DONATION_BOX" {
			f.donationBox += g.Amount
		}
	}
	rows := sheet(t, e, "/exports/box-collections.xlsx?from=2014-01-01&to=2014-12-31&org=BALI-BADUNG", "Kotak Amal")
	fmt.Sscan(rows[len(rows)-1][7], &f.ledgerTotal)
	book := sheet(t, e, "/exports/raker.xlsx?org=BALI-BADUNG&year=2014", "Kotak Amal")
	for _, r := range book {
		if len(r) > 4 && r[0] == "Jumlah" && r[1] == "" {
			fmt.Sscan(r[4], &f.rakerTotal)
			fmt.Sscan(r[3], &f.rakerOpenings)
			break
		}
	}
	for _, r := range sheet(t, e, "/exports/raker.xlsx?org=BALI-BADUNG&year=2014", "Ringkasan") {
		if len(r) > 1 && r[0] == "Hasil kotak amal" {
			fmt.Sscan(r[1], &f.rakerSummary)
		}
	}
	return f
}

// sheet downloads a workbook and returns one sheet's raw cell values.
func sheet(t *testing.T, e *env, path, name string) [][]string {
	t.Helper()
	status, _, body := e.download(path)
	if status != 200 {
		t.Fatalf("%s: %d %s", path, status, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func (f boxFigures) agree(t *testing.T, want, openings int64) {
	t.Helper()
	for name, got := range map[string]int64{"report.boxes.total": f.reportTotal, "DONATION_BOX money": f.donationBox,
		"boxCollections.sum": f.connectionSum, "box ledger": f.ledgerTotal, "Raker Kotak Amal": f.rakerTotal, "Raker summary": f.rakerSummary} {
		if got != want {
			t.Errorf("%s = %d, want %d (net of reversals)", name, got, want)
		}
	}
	if f.reportOpenings != openings || f.rakerOpenings != openings {
		t.Errorf("openings: report %d, Raker %d, want %d", f.reportOpenings, f.rakerOpenings, openings)
	}
}

func TestBoxCustodyTiesOut(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	const inBadung2014 = `FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id JOIN organizations o ON o.id = b.organization_id
		WHERE o.code = 'BALI-BADUNG' AND c.collected_on BETWEEN '2014-01-01' AND '2014-12-31'`
	sum0, n0 := admin.count(`SELECT SUM(c.amount) `+inBadung2014), admin.count(`SELECT count(*) `+inBadung2014)
	readBoxFigures(t, admin, badung).agree(t, sum0, n0)

	// A miscounted opening in June is reversed with its donation.
	coll := admin.id(`SELECT c.id ` + inBadung2014 + ` AND c.collected_on BETWEEN '2014-06-01' AND '2014-06-30' ORDER BY c.seq LIMIT 1`)
	amount := admin.count(`SELECT amount FROM box_collections WHERE id = $1`, coll)
	gift := admin.id(`SELECT donation_id FROM box_collections WHERE id = $1`, coll)

	// Its donation alone may not be reversed: the message names the way.
	r := admin.post(`mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "salah hitung"}) { id } }`, map[string]any{"d": gift})
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "reverseBoxCollection") {
		t.Fatalf("reversing a collection's donation alone: %+v", r.Errors)
	}
	var rev struct {
		ReverseBoxCollection struct {
			ID, CollectedOn string
			Amount          int64
			Number          *int
			Reverses        struct{ ID string }
			Donation        struct {
				Amount   int64
				Reverses struct{ ID string }
			}
		}
	}
	admin.query(`mutation($c: ID!) { reverseBoxCollection(input: {collectionId: $c, reason: "salah hitung", reversedOn: "2014-06-30"}) {
		id collectedOn amount number reverses { id } donation { amount reverses { id } } } }`, map[string]any{"c": coll}, &rev)
	got := rev.ReverseBoxCollection
	if got.Amount != -amount || got.Number != nil || got.Reverses.ID != coll || got.Donation.Amount != -amount || got.Donation.Reverses.ID != gift || got.CollectedOn != "2014-06-30" {
		t.Errorf("reversal %+v, want -%d reversing %s and its donation %s", got, amount, coll, gift)
	}
	readBoxFigures(t, admin, badung).agree(t, sum0-amount, n0-1)

	// The audit trail holds the original as before and the reversal as after, with the API's names.
	var before, after string
	if err := admin.db.QueryRow(`SELECT before::text, after::text FROM audit_log WHERE entity = 'box_collection' AND entity_id = $1`,
		got.ID).Scan(&before, &after); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(before, `"id": "`+coll+`"`) || !strings.Contains(after, `"reversesId": "`+coll+`"`) || !strings.Contains(before, `"countedBy": [`) {
		t.Errorf("audit of the reversal: before %s after %s", before, after)
	}
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE entity = 'donation' AND action = 'reverse' AND before->>'id' = $1`, gift); n != 1 {
		t.Errorf("%d audit rows for the donation's reversal, want 1", n)
	}

	// Twice, or the reversal itself: refused, nothing written.
	written := admin.written()
	for _, c := range []string{coll, got.ID} {
		r := admin.post(`mutation($c: ID!) { reverseBoxCollection(input: {collectionId: $c, reason: "lagi"}) { id } }`, map[string]any{"c": c})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.collectionId" {
			t.Errorf("reversing %s again: %+v", c, r.Errors)
		}
	}
	if after := admin.written(); !equal(written, after) {
		t.Errorf("refused reversals wrote: %v -> %v", written, after)
	}
}

func TestBoxOpeningsAreRefusedWhenCustodyFails(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	box := admin.id(`SELECT b.id FROM donation_boxes b JOIN organizations o ON o.id = b.organization_id WHERE o.code = 'BALI-BADUNG' ORDER BY b.seq LIMIT 1`)
	lastSeal := admin.id(`SELECT seal_applied FROM box_collections WHERE box_id = $1 ORDER BY number DESC LIMIT 1`, box)
	lastDate := admin.id(`SELECT max(collected_on)::text FROM box_collections WHERE box_id = $1`, box)
	const open = `mutation($in: RecordBoxCollectionInput!) { recordBoxCollection(input: $in) { id number sealRemoved sealIncident { found reportedBy } } }`
	opening := func(change map[string]any) map[string]any {
		in := map[string]any{"boxId": box, "collectedOn": "2015-01-25", "amount": 448384, "countedBy": []string{"Made", "Ketut"},
			"sealRemoved": lastSeal, "sealApplied": "SEG-NEW-1"}
		for k, v := range change {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	written := admin.written()
	for _, tc := range []struct {
		name, field string
		in          map[string]any
	}{
		{"denominations overflowing 2^64", "input.denominations", opening(map[string]any{"denominations": []map[string]any{
			{"value": 5000000000000, "count": 1000000}, {"value": 5000000000000, "count": 1000000},
			{"value": 5000000000000, "count": 1000000}, {"value": 3446744073710, "count": 1000000}}})},
		{"a count beyond the bound", "input.denominations.0.count", opening(map[string]any{"denominations": []map[string]any{{"value": 1, "count": 448384000}}})},
		{"a seal no opening applied", "input.sealRemoved", opening(map[string]any{"sealRemoved": "SEG-FORGED"})},
		{"an opening before the last one", "input.collectedOn", opening(map[string]any{"collectedOn": "2014-06-01"})},
		{"one counter with a zero-width space", "input.countedBy.1", opening(map[string]any{"countedBy": []string{"Made", "Made\u200b"}})},
		{"one counter in full-width capitals", "input.countedBy.1", opening(map[string]any{"countedBy": []string{"made  putra", "ＭＡＤＥ Putra"}})},
	} {
		r := admin.post(open, tc.in)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %+v, want BAD_USER_INPUT at %s", tc.name, r.Errors, tc.field)
		}
	}
	if after := admin.written(); !equal(written, after) {
		t.Errorf("refused openings wrote: %v -> %v", written, after)
	}
	if lastDate >= "2015-01-25" {
		t.Fatalf("the demo box was last opened on %s", lastDate)
	}

	// Another seal is accepted when the opening records what was found,
	// and the box ledger and the Raker book show the incident.
	var ok struct {
		RecordBoxCollection struct {
			SealIncident struct{ Found, ReportedBy string }
		}
	}
	admin.query(open, opening(map[string]any{"sealRemoved": "SEG-FORGED", "collectedOn": "2014-12-30",
		"sealIncident": map[string]any{"found": "segel rusak, nomor lain", "reportedBy": "Wayan"}}), &ok)
	if ok.RecordBoxCollection.SealIncident.Found != "segel rusak, nomor lain" {
		t.Errorf("incident %+v", ok.RecordBoxCollection.SealIncident)
	}
	rows := sheet(t, admin, "/exports/box-collections.xlsx?from=2014-12-30&to=2014-12-31&org=BALI-BADUNG", "Kotak Amal")
	if len(rows) < 3 || rows[len(rows)-2][12] != "segel rusak, nomor lain" || rows[len(rows)-2][13] != "Wayan" {
		t.Errorf("box ledger rows %v: no incident shown", rows)
	}
	book := sheet(t, admin, "/exports/raker.xlsx?org=BALI-BADUNG&year=2014", "Kotak Amal")
	incidents := 0
	for _, r := range book {
		if len(r) > 5 && r[5] == "1" && r[0] != "Jumlah" {
			incidents++
		}
	}
	if incidents != 1 {
		t.Errorf("Raker book shows %d boxes with an incident, want 1", incidents)
	}
}
