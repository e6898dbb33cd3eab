package server_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// bookCells reads every cell of every sheet of a workbook, by sheet and
// cell name.
func bookCells(t *testing.T, body []byte) map[string]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for j, v := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				out[name+"!"+cell] = v
			}
		}
	}
	return out
}

func TestClosedPeriod(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	const book = "/exports/raker.xlsx?org=BALI&from=2014-01-01&to=2014-07-31"
	status, _, presented := admin.download(book)
	if status != 200 {
		t.Fatalf("book: %d", status)
	}

	// An operator closes only within its subtree, and never reopens.
	op := admin.as(auth.Operator, "BALI-BADUNG")
	const closeQ = `mutation($o: ID!, $d: Date!) { closePeriod(input: {organizationId: $o, through: $d, reason: "Raker 2014"}) { id through closedBy organization { code } } }`
	if r := op.post(closeQ, map[string]any{"o": bali, "d": "2014-07-31"}); len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.organizationId" {
		t.Errorf("operator of Badung closing the province: %+v", r.Errors)
	}
	var closed struct {
		ClosePeriod struct {
			ID, Through, ClosedBy string
			Organization          struct{ Code string }
		}
	}
	admin.query(closeQ, map[string]any{"o": bali, "d": "2014-07-31"}, &closed)
	if c := closed.ClosePeriod; c.Through != "2014-07-31" || c.Organization.Code != "BALI" || c.ClosedBy != "test-admin/tests" {
		t.Errorf("close %+v", c)
	}
	if r := admin.post(closeQ, map[string]any{"o": badung, "d": "2014-06-30"}); len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.through" {
		t.Errorf("closing Badung inside the province's close: %+v", r.Errors)
	}

	// Every write dated inside the close is refused, naming it; nothing is written.
	written := admin.written()
	host := admin.id(`SELECT host_partner_id FROM donation_boxes ORDER BY seq LIMIT 1`)
	pmt := admin.id(`SELECT id FROM aid_types ORDER BY seq LIMIT 1`)
	donation := admin.id(`SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id
		WHERE o.code LIKE 'BALI%' AND d.source <> 'DONATION_BOX' AND d.received_on BETWEEN '2014-02-01' AND '2014-07-31' LIMIT 1`)
	for _, tc := range []struct {
		name, query, field string
		vars               map[string]any
	}{
		{"a donation", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-01", amount: 1000}) { id } }`,
			"input.receivedOn", map[string]any{"o": badung}},
		{"an aid output", `mutation($o: ID!, $t: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 1, cost: 1,
			deliveredOn: "2014-07-31", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $o}) { id } }`,
			"input.deliveredOn", map[string]any{"o": badung, "t": pmt}},
		{"a box placed", `mutation($o: ID!, $h: ID!) { createDonationBox(input: {code: "K-CLOSED", hostPartnerId: $h, organizationId: $o,
			regencyId: $o, address: "Jl. X", placedOn: "2014-03-01"}) { id } }`, "input.placedOn", map[string]any{"o": badung, "h": host}},
		{"a meeting", `mutation($o: ID!) { createWorkMeeting(input: {organizationId: $o, title: "Rapat", heldOn: "2014-07-20", place: "Badung",
			periodFrom: "2014-01-01", periodTo: "2014-06-30", attendance: []}) { id } }`, "input.heldOn", map[string]any{"o": badung}},
		{"a target for a closed year", `mutation($o: ID!, $t: ID!) { createProgrammeTarget(input: {organizationId: $o, year: 2014, aidTypeId: $t,
			targetQuantity: 5, budget: 1}) { id } }`, "input.year", map[string]any{"o": badung, "t": pmt}},
		{"a reversal dated inside", `mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "salah", reversedOn: "2014-07-15"}) { id } }`,
			"input.reversedOn", map[string]any{"d": donation}},
	} {
		r := admin.post(tc.query, tc.vars)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "CLOSED_PERIOD" || r.Errors[0].Extensions["field"] != tc.field ||
			!strings.Contains(r.Errors[0].Message, "BALI") || !strings.Contains(r.Errors[0].Message, "2014-07-31") {
			t.Errorf("%s in the closed period: %+v", tc.name, r.Errors)
		}
	}
	if after := admin.written(); !equal(written, after) {
		t.Errorf("refused writes changed the database: %v -> %v", written, after)
	}

	// A correction of a closed entry is booked on the first open day.
	admin.unallocate(donation)
	var rev struct{ ReverseDonation struct{ ReceivedOn string } }
	admin.query(`mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "salah catat"}) { receivedOn } }`, map[string]any{"d": donation}, &rev)
	if len(rev.ReverseDonation.ReceivedOn) == 0 {
		t.Fatal("no reversal")
	}
	if rev.ReverseDonation.ReceivedOn != "2014-08-01" {
		t.Errorf("reversal of a closed entry dated %s, want 2014-08-01", rev.ReverseDonation.ReceivedOn)
	}
	output := admin.id(`SELECT id FROM aid_outputs WHERE delivered_on BETWEEN '2014-01-01' AND '2014-07-31' LIMIT 1`)
	admin.unallocate(output) // released on the first open day
	var revOut struct{ ReverseAidOutput struct{ DeliveredOn string } }
	admin.query(`mutation($a: ID!) { reverseAidOutput(input: {outputId: $a, reason: "salah catat"}) { deliveredOn } }`, map[string]any{"a": output}, &revOut)
	if revOut.ReverseAidOutput.DeliveredOn != "2014-08-01" {
		t.Errorf("output reversal dated %s, want 2014-08-01", revOut.ReverseAidOutput.DeliveredOn)
	}
	// Writes after the close go on.
	admin.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-08-02", amount: 7000}) { id } }`,
		map[string]any{"o": badung}, &struct{}{})

	// The book of the closed period regenerates cell for cell; only the
	// generated-at stamp differs.
	status, _, again := admin.download(book)
	if status != 200 {
		t.Fatalf("book again: %d", status)
	}
	a, b := bookCells(t, presented), bookCells(t, again)
	if len(a) < 200 || len(a) != len(b) {
		t.Errorf("the book had %d cells, now %d", len(a), len(b))
	}
	differ := 0
	for cell, v := range a {
		if b[cell] != v && cell != "Keterangan!B5" {
			differ++
			if differ < 10 {
				t.Errorf("%s was %q, now %q", cell, v, b[cell])
			}
		}
	}
	if a["Keterangan!A5"] != "Dibuat pada (UTC)" {
		t.Errorf("the generated-at stamp moved: %q", a["Keterangan!A5"])
	}

	// Reopening: admins only, with a reason, audited; then the period takes writes again.
	const reopen = `mutation($o: ID!, $r: String!) { reopenPeriod(input: {organizationId: $o, reason: $r}) { id reopenedBy reopenReason } }`
	if r := op.post(reopen, map[string]any{"o": badung, "r": "koreksi"}); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Errorf("operator reopening: %+v", r.Errors)
	}
	if r := admin.post(reopen, map[string]any{"o": bali, "r": " "}); len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "REQUIRED" {
		t.Errorf("reopening without a reason: %+v", r.Errors)
	}
	var re struct {
		ReopenPeriod struct{ ID, ReopenedBy, ReopenReason string }
	}
	admin.query(reopen, map[string]any{"o": bali, "r": "temuan auditor"}, &re)
	if re.ReopenPeriod.ID != closed.ClosePeriod.ID || re.ReopenPeriod.ReopenReason != "temuan auditor" {
		t.Errorf("reopened %+v", re.ReopenPeriod)
	}
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE entity = 'period_close' AND entity_id = $1 AND action IN ('close', 'reopen')
		AND after->>'through' = '2014-07-31'`, re.ReopenPeriod.ID); n != 2 {
		t.Errorf("%d audit rows for the close and its reopening, want 2", n)
	}
	admin.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-01", amount: 1000}) { id } }`,
		map[string]any{"o": badung}, &struct{}{})
}

// TestWriteWaitsForACloseInFlight holds a close open in another
// transaction (the council's row locked, the close inserted, not yet
// committed) while a write dated inside it starts: the write waits, and
// once the close commits it is refused — it does not slip in on the
// snapshot it started with.
func TestWriteWaitsForACloseInFlight(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	tx, err := admin.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE`, bali); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO period_closes (organization_id, through, closed_by) VALUES ($1, '2014-12-31', 'test')`, bali); err != nil {
		t.Fatal(err)
	}
	done := make(chan response, 1)
	go func() {
		done <- admin.post(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY,
			receivedOn: "2014-11-11", amount: 1000}) { id } }`, map[string]any{"o": badung})
	}()
	select {
	case r := <-done:
		t.Fatalf("the write did not wait for the close in flight: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "CLOSED_PERIOD" {
		t.Errorf("a write that waited for a close: %+v", r)
	}
}
