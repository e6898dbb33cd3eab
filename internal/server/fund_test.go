package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// TestConcurrentAllocationsNeverOverAllocate sends 40 allocations at once
// against one donation and one output, more than either can bear: the sum
// given never passes the donation's value nor the output's cost, and every
// refusal says why.
func TestConcurrentAllocationsNeverOverAllocate(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	pmt := admin.id(`SELECT id FROM aid_types WHERE code = 'PMT'`)
	var gift struct{ RecordDonation struct{ ID string } }
	admin.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2015-02-01", amount: 100000}) { id } }`,
		map[string]any{"o": bali}, &gift)
	var out struct{ RecordAidOutput struct{ ID string } }
	admin.query(`mutation($o: ID!, $t: ID!, $r: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 10, cost: 70000,
		deliveredOn: "2015-02-02", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $r}) { id } }`,
		map[string]any{"o": bali, "t": pmt, "r": admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)}, &out)
	var other struct{ RecordDonation struct{ ID string } }
	admin.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2015-02-01", amount: 100000}) { id } }`,
		map[string]any{"o": bali}, &other)

	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half fund the output from the donation, half give the donation to costs
			// or fund the output from another gift.
			q := `mutation($d: ID!, $a: ID!) { allocateDonation(input: {donationId: $d, aidOutputId: $a, amount: 7000}) { id } }`
			vars := map[string]any{"d": gift.RecordDonation.ID, "a": out.RecordAidOutput.ID}
			switch i % 4 {
			case 1:
				q = `mutation($d: ID!) { allocateDonation(input: {donationId: $d, operational: "Transport", amount: 7000}) { id } }`
				delete(vars, "a")
			case 2:
				vars["d"] = other.RecordDonation.ID
			}
			r := admin.post(q, vars)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case len(r.Errors) == 0:
				ok++
			case r.Errors[0].Extensions["field"] == "input.amount":
				refused++
			default:
				t.Errorf("allocation %d: %+v", i, r.Errors)
			}
		}()
	}
	wg.Wait()
	given := admin.count(`SELECT SUM(amount) FROM allocations WHERE donation_id = $1`, gift.RecordDonation.ID)
	funded := admin.count(`SELECT SUM(amount) FROM allocations WHERE aid_output_id = $1`, out.RecordAidOutput.ID)
	if given > 100000 || funded > 70000 || ok+refused != 40 || refused == 0 {
		t.Errorf("given %d of 100000, funded %d of 70000; %d made, %d refused", given, funded, ok, refused)
	}
	// The output is always filled (the other gift alone could fill it); the
	// gift gives at least its ten operational allocations; every
	// allocation made is counted once.
	otherGiven := admin.count(`SELECT COALESCE(SUM(amount), 0) FROM allocations WHERE donation_id = $1`, other.RecordDonation.ID)
	if funded != 70000 || given < 70000 || int64(ok)*7000 != given+otherGiven {
		t.Errorf("given %d and %d by the other gift, funded %d; %d allocations made", given, otherGiven, funded, ok)
	}
}

func TestAllocationsAndReversals(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	gianyar := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-GIANYAR'`)
	pmt := admin.id(`SELECT id FROM aid_types WHERE code = 'PMT'`)
	chair := admin.id(`SELECT id FROM aid_types WHERE code <> 'PMT' ORDER BY seq LIMIT 1`)
	record := func(query string, vars map[string]any) string {
		r := admin.post(query, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", query, r.Errors)
		}
		var data map[string]struct{ ID string }
		json.Unmarshal(r.Data, &data)
		for _, v := range data {
			return v.ID
		}
		return ""
	}
	// A gift earmarked for PMT in Badung, and two outputs.
	earmarked := record(`mutation($o: ID!, $t: ID!, $r: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY,
		receivedOn: "2015-03-01", amount: 50000, earmarkAidTypeId: $t, earmarkRegencyId: $r}) { id } }`, map[string]any{"o": bali, "t": pmt, "r": badung})
	pmtBadung := record(`mutation($o: ID!, $t: ID!, $r: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 4, cost: 40000,
		deliveredOn: "2015-03-02", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $r}) { id } }`, map[string]any{"o": badung, "t": pmt, "r": badung})
	chairGianyar := record(`mutation($o: ID!, $t: ID!, $r: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 1, cost: 30000,
		deliveredOn: "2015-03-02", beneficiaryGroup: DISABLED, pmksCategory: DISABILITY, regencyId: $r}) { id } }`, map[string]any{"o": gianyar, "t": chair, "r": gianyar})
	const allocate = `mutation($d: ID!, $a: ID, $c: String, $n: Rupiah!) { allocateDonation(input: {donationId: $d, aidOutputId: $a, operational: $c, amount: $n}) {
		id amount allocatedOn organization { code } aidOutput { funded } donation { allocated available } } }`
	written := admin.written()
	for _, tc := range []struct {
		name, field string
		vars        map[string]any
	}{
		{"another aid type", "input.aidOutputId", map[string]any{"d": earmarked, "a": chairGianyar, "n": 1000}},
		{"operational costs from restricted money", "input.donationId", map[string]any{"d": earmarked, "c": "Transport", "n": 1000}},
		{"more than the output costs", "input.amount", map[string]any{"d": earmarked, "a": pmtBadung, "n": 45000}},
		{"neither an output nor costs", "input.aidOutputId", map[string]any{"d": earmarked, "n": 1000}},
	} {
		r := admin.post(allocate, tc.vars)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %+v, want a refusal at %s", tc.name, r.Errors, tc.field)
		}
	}
	if after := admin.written(); !equal(written, after) {
		t.Errorf("refused allocations wrote: %v -> %v", written, after)
	}
	var got struct {
		AllocateDonation struct {
			ID, AllocatedOn string
			Amount          int64
			Organization    struct{ Code string }
			AidOutput       struct{ Funded int64 }
			Donation        struct{ Allocated, Available int64 }
		}
	}
	admin.query(allocate, map[string]any{"d": earmarked, "a": pmtBadung, "n": 40000}, &got)
	a := got.AllocateDonation
	if a.AllocatedOn != "2015-03-02" || a.Organization.Code != "BALI-BADUNG" || a.AidOutput.Funded != 40000 || a.Donation.Allocated != 40000 || a.Donation.Available != 10000 {
		t.Errorf("allocation %+v", a)
	}

	// Neither the gift nor the output can be reversed while allocated; the
	// message names the allocation to release.
	for _, q := range []string{
		`mutation($x: ID!) { reverseDonation(input: {donationId: $x, reason: "salah"}) { id } }`,
		`mutation($x: ID!) { reverseAidOutput(input: {outputId: $x, reason: "salah"}) { id } }`,
	} {
		id := earmarked
		if strings.Contains(q, "reverseAidOutput") {
			id = pmtBadung
		}
		r := admin.post(q, map[string]any{"x": id})
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, a.ID) || !strings.Contains(r.Errors[0].Message, "releaseAllocation") {
			t.Errorf("reversing an allocated record: %+v", r.Errors)
		}
	}
	// Released (itself a recorded reversal), the gift can be reversed.
	var rel struct {
		ReleaseAllocation struct {
			Amount   int64
			Releases struct{ ID string }
		}
	}
	admin.query(`mutation($x: ID!) { releaseAllocation(input: {allocationId: $x, reason: "salah catat"}) { amount releases { id } } }`, map[string]any{"x": a.ID}, &rel)
	if rel.ReleaseAllocation.Amount != -40000 || rel.ReleaseAllocation.Releases.ID != a.ID {
		t.Errorf("release %+v", rel.ReleaseAllocation)
	}
	if r := admin.post(`mutation($x: ID!) { releaseAllocation(input: {allocationId: $x, reason: "lagi"}) { id } }`, map[string]any{"x": a.ID}); len(r.Errors) != 1 ||
		r.Errors[0].Extensions["reason"] != "DUPLICATE" {
		t.Errorf("releasing twice: %+v", r.Errors)
	}
	admin.query(`mutation($x: ID!) { reverseDonation(input: {donationId: $x, reason: "salah"}) { id } }`, map[string]any{"x": earmarked}, &struct{}{})
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE entity = 'allocation' AND action IN ('allocate', 'release')
		AND (entity_id = $1::uuid OR before->>'id' = $1::text)`, a.ID); n != 2 {
		t.Errorf("%d audit rows for the allocation and its release, want 2", n)
	}
	// A reversed gift funds nothing.
	if r := admin.post(allocate, map[string]any{"d": earmarked, "a": pmtBadung, "n": 1000}); len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.donationId" {
		t.Errorf("allocating a reversed gift: %+v", r.Errors)
	}
}

// TestAllocateFundsIsDeterministic runs the same funding as a dry run and
// for real: the same plan, the dry run writing nothing, the real run
// writing exactly it; a second run finds nothing left to do.
func TestAllocateFundsIsDeterministic(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	// Outputs of 2015 that nothing funds yet, and the demo's leftover money.
	pmt := admin.id(`SELECT id FROM aid_types WHERE code = 'PMT'`)
	for i, org := range []string{"BALI-BADUNG", "BALI-BANGLI", "BALI-BULELENG"} {
		id := admin.id(`SELECT id FROM organizations WHERE code = $1`, org)
		admin.query(`mutation($o: ID!, $t: ID!, $d: Date!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 10, cost: 9000000,
			deliveredOn: $d, beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $o}) { id } }`,
			map[string]any{"o": id, "t": pmt, "d": fmt.Sprintf("2015-01-%02d", 10+i)}, &struct{}{})
	}
	const q = `mutation($o: ID!, $dry: Boolean!) { allocateFunds(organizationId: $o, from: "2015-01-01", to: "2015-12-31", dryRun: $dry) {
		dryRun funded outputs unfunded allocations { allocation { id } donation { id } aidOutput { id } amount allocatedOn restricted } } }`
	type plan struct {
		AllocateFunds struct {
			DryRun           bool
			Funded, Unfunded int64
			Outputs          int
			Allocations      []struct {
				Allocation  *struct{ ID string }
				Donation    struct{ ID string }
				AidOutput   struct{ ID string }
				Amount      int64
				AllocatedOn string
				Restricted  bool
			}
		}
	}
	before := admin.written()
	var dry, real, again plan
	admin.query(q, map[string]any{"o": bali, "dry": true}, &dry)
	if after := admin.written(); !equal(before, after) {
		t.Errorf("the dry run wrote: %v -> %v", before, after)
	}
	admin.query(q, map[string]any{"o": bali, "dry": false}, &real)
	d, r := dry.AllocateFunds, real.AllocateFunds
	if !d.DryRun || r.DryRun || d.Funded != 27000000 || r.Funded != d.Funded || d.Outputs != 3 || d.Unfunded != 0 || len(d.Allocations) != len(r.Allocations) {
		t.Fatalf("dry run %+v, real run %+v", d, r)
	}
	for i := range d.Allocations {
		x, y := d.Allocations[i], r.Allocations[i]
		if x.Donation != y.Donation || x.AidOutput != y.AidOutput || x.Amount != y.Amount || x.AllocatedOn != y.AllocatedOn || x.Allocation != nil || y.Allocation == nil {
			t.Errorf("allocation %d: dry %+v, real %+v", i, x, y)
		}
	}
	if n := admin.count(`SELECT count(*) FROM allocations`) - before["allocations"]; n != int64(len(r.Allocations)) {
		t.Errorf("the real run wrote %d allocations for a plan of %d", n, len(r.Allocations))
	}
	admin.query(q, map[string]any{"o": bali, "dry": false}, &again)
	if again.AllocateFunds.Outputs != 0 || len(again.AllocateFunds.Allocations) != 0 {
		t.Errorf("a second run found work: %+v", again.AllocateFunds)
	}
}

// TestFundFiguresTieOut: per demo partner, the statement's gifts are its
// donations and, per gift, allocated + available = received to the rupiah,
// what it funded equals the allocations; the fund balance closes.
func TestFundFiguresTieOut(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	var partners []struct{ ID, Name string }
	if err := admin.db.Select(&partners, `SELECT id, name FROM partners WHERE id IN (SELECT partner_id FROM donations) ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(partners) < 10 {
		t.Fatalf("%d demo partners with gifts", len(partners))
	}
	const q = `query($p: ID!) { partnerStatement(partnerId: $p, from: "2013-01-01", to: "2014-12-31") { received allocated available
		gifts { donation { id amount } received allocated available uses { amount aidType { code } outputQuantity regency { code } deliveredOn } } } }`
	envs := map[string]*env{}
	for _, p := range partners {
		envs[p.Name] = admin.as(auth.Partner, p.Name)
		var got struct {
			PartnerStatement struct {
				Received, Allocated, Available int64
				Gifts                          []struct {
					Donation struct {
						ID     string
						Amount int64
					}
					Received, Allocated, Available int64
					Uses                           []struct{ Amount int64 }
				}
			}
		}
		// The partner reads its own statement.
		envs[p.Name].query(q, map[string]any{"p": p.ID}, &got)
		st := got.PartnerStatement
		const within = ` AND received_on BETWEEN '2013-01-01' AND '2014-12-31'` // the statement's period
		gifts := admin.count(`SELECT count(*) FROM donations WHERE partner_id = $1 AND reverses_id IS NULL`+within, p.ID)
		net := admin.count(`SELECT COALESCE(SUM(amount), 0) FROM donations WHERE partner_id = $1`+within, p.ID)
		given := admin.count(`SELECT COALESCE(SUM(x.amount), 0) FROM allocations x JOIN donations d ON d.id = x.donation_id WHERE d.partner_id = $1`+within, p.ID)
		if int64(len(st.Gifts)) != gifts || st.Received != net || st.Allocated != given || st.Allocated+st.Available != st.Received {
			t.Errorf("%s: %d gifts (%d), received %d (%d), allocated %d (%d), available %d", p.Name, len(st.Gifts), gifts, st.Received, net,
				st.Allocated, given, st.Available)
		}
		for _, g := range st.Gifts {
			var used int64
			for _, u := range g.Uses {
				used += u.Amount
			}
			if g.Allocated+g.Available != g.Received || used != g.Allocated {
				t.Errorf("%s gift %s: received %d, allocated %d, available %d, uses %d", p.Name, g.Donation.ID, g.Received, g.Allocated, g.Available, used)
			}
		}
	}
	// Another partner's statement is as absent as an unknown partner.
	r := envs[partners[0].Name].post(q, map[string]any{"p": partners[1].ID})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "UNKNOWN" {
		t.Errorf("a partner reading another's statement: %+v", r.Errors)
	}

	// The balance of the province over 2014 closes, and its money in is
	// the report's.
	var b struct {
		Report struct {
			DonationsTotal int64
			FundBalance    struct{ Opening, Received, ToOutputs, ToOperational, Closing int64 }
		}
	}
	admin.query(`query($o: ID!) { report(organizationId: $o, year: 2014) { donationsTotal fundBalance { opening received toOutputs toOperational closing } } }`,
		map[string]any{"o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &b)
	f := b.Report.FundBalance
	toOutputs := admin.count(`SELECT SUM(amount) FROM allocations WHERE aid_output_id IS NOT NULL AND allocated_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	toOps := admin.count(`SELECT SUM(amount) FROM allocations WHERE aid_output_id IS NULL AND allocated_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if f.Received != b.Report.DonationsTotal || f.Opening+f.Received-f.ToOutputs-f.ToOperational != f.Closing || f.ToOutputs != toOutputs ||
		f.ToOperational != toOps || toOps != 1250000+1350000 { // the Raker book's printing, the box permit's costs
		t.Errorf("fund balance %+v, money in %d, allocated to outputs %d and to costs %d", f, b.Report.DonationsTotal, toOutputs, toOps)
	}
	// The demo funded every 2014 output from 2014 money.
	unfunded := admin.count(`SELECT count(*) FROM aid_outputs a WHERE delivered_on BETWEEN '2014-01-01' AND '2014-12-31'
		AND a.cost > COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.aid_output_id = a.id), 0)`)
	old := admin.count(`SELECT count(*) FROM allocations x JOIN aid_outputs a ON a.id = x.aid_output_id JOIN donations d ON d.id = x.donation_id
		WHERE a.delivered_on >= '2014-01-01' AND d.received_on < '2014-01-01'`)
	if unfunded != 0 || old != 0 {
		t.Errorf("%d 2014 outputs unfunded, %d funded from earlier money", unfunded, old)
	}
}

// TestPartnerStatementWorkbook: the workbook a partner downloads holds the
// same figures as its statement in GraphQL, each gift's row adding up, and
// another partner's statement is not to be had.
func TestPartnerStatementWorkbook(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	own := admin.as(auth.Partner, samudra)
	var got struct {
		PartnerStatement struct{ Received, Allocated, Available int64 }
	}
	own.query(`query($p: ID!) { partnerStatement(partnerId: $p, year: 2014) { received allocated available } }`,
		map[string]any{"p": admin.id(`SELECT id FROM partners WHERE name = $1`, samudra)}, &got)
	st := got.PartnerStatement
	if st.Allocated == 0 || st.Received != st.Allocated+st.Available {
		t.Fatalf("statement %+v", st)
	}
	gifts := sheet(t, own, "/exports/partner-statement.xlsx?year=2014", "Sumbangan")
	total := gifts[len(gifts)-1]
	if total[5] != fmt.Sprint(st.Received) || total[6] != fmt.Sprint(st.Allocated) || total[7] != fmt.Sprint(st.Available) {
		t.Errorf("gifts total row %v, statement %+v", total, st)
	}
	for _, r := range gifts[1 : len(gifts)-1] {
		var rec, alloc, avail int64
		fmt.Sscan(r[5], &rec)
		fmt.Sscan(r[6], &alloc)
		fmt.Sscan(r[7], &avail)
		if rec != alloc+avail || !strings.HasPrefix(r[1], "BALI/") {
			t.Errorf("gift row %v does not add up", r)
		}
	}
	uses := sheet(t, own, "/exports/partner-statement.xlsx?year=2014", "Penggunaan")
	if last := uses[len(uses)-1]; last[8] != fmt.Sprint(st.Allocated) || len(uses) < 3 {
		t.Errorf("uses total %v, allocated %d", last, st.Allocated)
	}
	other := admin.id(`SELECT id FROM partners WHERE kind = 'CSR_COMPANY' AND name <> $1 LIMIT 1`, samudra)
	if status, _, body := own.download("/exports/partner-statement.xlsx?year=2014&partner=" + other); status != 400 || !strings.Contains(string(body), "UNKNOWN") {
		t.Errorf("another partner's statement: %d %s", status, body)
	}
	if status, _, _ := admin.download("/exports/partner-statement.xlsx?year=2014&partner=" + other); status != 200 {
		t.Errorf("the admin downloading a partner's statement: %d", status)
	}
}

// TestPledges: the demo's kept pledge is partly fulfilled by the gift that
// names it, the other written off; a gift cannot fulfil another partner's
// pledge or one written off; pledges never count as money in a balance.
func TestPledges(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	type pledge struct {
		ID, Purpose                                string
		Amount, Fulfilled, WrittenOff, Outstanding int64
	}
	var partners []struct{ ID, Name string }
	if err := admin.db.Select(&partners, `SELECT p.id, p.name FROM partners p WHERE p.id IN (SELECT partner_id FROM pledges) ORDER BY p.seq`); err != nil {
		t.Fatal(err)
	}
	if len(partners) != 2 {
		t.Fatalf("%d demo partners with pledges, want 2", len(partners))
	}
	var pledges []pledge
	for _, p := range partners {
		var got struct {
			PartnerStatement struct{ Pledges []pledge }
		}
		admin.as(auth.Partner, p.Name).query(`query($p: ID!) { partnerStatement(partnerId: $p, year: 2014) {
			pledges { id purpose amount fulfilled writtenOff outstanding } } }`, map[string]any{"p": p.ID}, &got)
		pledges = append(pledges, got.PartnerStatement.Pledges...)
	}
	if len(pledges) != 2 || pledges[0].Fulfilled != 40000000 || pledges[0].Outstanding != 60000000 ||
		pledges[1].WrittenOff != 25000000 || pledges[1].Outstanding != 0 || pledges[1].Fulfilled != 0 {
		t.Fatalf("pledges %+v", pledges)
	}
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	const gift = `mutation($o: ID!, $p: ID!, $g: ID!) { recordDonation(input: {organizationId: $o, source: CSR, partnerId: $p, kind: MONEY,
		receivedOn: "2015-01-05", amount: 1000, pledgeId: $g}) { id pledge { fulfilled outstanding } } }`
	written := admin.written()
	for name, vars := range map[string]map[string]any{
		"another partner's pledge": {"o": bali, "p": partners[1].ID, "g": pledges[0].ID},
		"a written-off pledge":     {"o": bali, "p": partners[1].ID, "g": pledges[1].ID},
	} {
		if r := admin.post(gift, vars); len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.pledgeId" {
			t.Errorf("a gift fulfilling %s: %+v", name, r.Errors)
		}
	}
	if r := admin.post(`mutation($g: ID!) { writeOffPledge(input: {pledgeId: $g, reason: "lagi"}) { id } }`, map[string]any{"g": pledges[1].ID}); len(r.Errors) != 1 ||
		r.Errors[0].Extensions["reason"] != "DUPLICATE" {
		t.Errorf("writing off twice: %+v", r.Errors)
	}
	if after := admin.written(); !equal(written, after) {
		t.Errorf("refused writes changed the database: %v -> %v", written, after)
	}
	var ok struct {
		RecordDonation struct {
			Pledge struct{ Fulfilled, Outstanding int64 }
		}
	}
	admin.query(gift, map[string]any{"o": bali, "p": partners[0].ID, "g": pledges[0].ID}, &ok)
	if ok.RecordDonation.Pledge.Fulfilled != 40001000 || ok.RecordDonation.Pledge.Outstanding != 59999000 {
		t.Errorf("after another gift: %+v", ok.RecordDonation.Pledge)
	}
	// A pledge is no money: the balance counts the gifts only.
	var b struct {
		Report struct{ FundBalance struct{ Received int64 } }
	}
	admin.query(`query($o: ID!) { report(organizationId: $o, year: 2014) { fundBalance { received } } }`, map[string]any{"o": bali}, &b)
	if want := admin.count(`SELECT SUM(amount) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`); b.Report.FundBalance.Received != want {
		t.Errorf("received %d, the ledger %d", b.Report.FundBalance.Received, want)
	}
}

// TestPartnerSeesOnlyItsOwnMoneyTrail: through the allocations list, its
// totals and an output's nested funding, a partner reads its own gifts'
// allocations only.
func TestPartnerSeesOnlyItsOwnMoneyTrail(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	own := admin.id(`SELECT id FROM partners WHERE name = $1`, samudra)
	// An output paid for by this partner's gift and another's.
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	var out struct{ RecordAidOutput struct{ ID string } }
	admin.query(`mutation($o: ID!, $t: ID!, $r: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 2, cost: 2000000,
		deliveredOn: "2015-05-05", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $r}) { id } }`,
		map[string]any{"o": bali, "t": admin.id(`SELECT id FROM aid_types WHERE code = 'PMT'`),
			"r": admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)}, &out)
	available := `SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id WHERE o.code = 'BALI' AND d.kind = 'MONEY'
		AND d.reverses_id IS NULL AND d.earmark_aid_type_id IS NULL AND d.earmark_programme IS NULL AND d.partner_id `
	left := ` AND d.amount - COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0) >= 1000000 LIMIT 1`
	for _, gift := range []string{admin.id(available+`= $1`+left, own), admin.id(available+`<> $1`+left, own)} {
		admin.query(`mutation($d: ID!, $a: ID!) { allocateDonation(input: {donationId: $d, aidOutputId: $a, amount: 1000000}) { id } }`,
			map[string]any{"d": gift, "a": out.RecordAidOutput.ID}, &struct{}{})
	}
	var got struct {
		Allocations struct {
			TotalCount int64
			Sum        int64
			Edges      []struct {
				Node struct {
					Donation  struct{ Partner struct{ ID string } }
					AidOutput *struct {
						Funding []struct {
							Donation struct{ Partner struct{ ID string } }
						}
					}
				}
			}
		}
	}
	admin.as(auth.Partner, samudra).query(`{ allocations(first: 100, filter: {from: "2015-01-01"}) { totalCount sum edges { node {
		donation { partner { id } } aidOutput { funding { donation { partner { id } } } } } } } }`, nil, &got)
	wantCount := admin.count(`SELECT count(*) FROM allocations x JOIN donations d ON d.id = x.donation_id WHERE d.partner_id = $1
		AND x.allocated_on >= '2015-01-01'`, own)
	wantSum := admin.count(`SELECT COALESCE(SUM(x.amount), 0) FROM allocations x JOIN donations d ON d.id = x.donation_id WHERE d.partner_id = $1
		AND x.allocated_on >= '2015-01-01'`, own)
	if got.Allocations.TotalCount != wantCount || got.Allocations.Sum != wantSum || wantCount == 0 {
		t.Errorf("the partner sees %d allocations summing %d; its own are %d summing %d", got.Allocations.TotalCount, got.Allocations.Sum, wantCount, wantSum)
	}
	shared := admin.count(`SELECT count(*) FROM aid_outputs a WHERE (SELECT count(DISTINCT d.partner_id) FROM allocations x
		JOIN donations d ON d.id = x.donation_id WHERE x.aid_output_id = a.id) > 1 AND a.id IN (SELECT x.aid_output_id FROM allocations x
		JOIN donations d ON d.id = x.donation_id WHERE d.partner_id = $1)`, own)
	for _, e := range got.Allocations.Edges {
		if e.Node.Donation.Partner.ID != own {
			t.Errorf("an allocation of partner %s", e.Node.Donation.Partner.ID)
		}
		if e.Node.AidOutput != nil {
			for _, f := range e.Node.AidOutput.Funding {
				if f.Donation.Partner.ID != own {
					t.Errorf("an output's funding shows partner %s", f.Donation.Partner.ID)
				}
			}
		}
	}
	if shared == 0 {
		t.Error("no output of this partner is shared with another's gifts: the nested check proves nothing")
	}
}

// TestGoodsFundTheOutputTheyBecame: a gift of 40 food packages funds the
// output of those 40 packages by quantity and value; the units an output
// has are never covered twice.
func TestGoodsFundTheOutputTheyBecame(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	var goods struct{ RecordDonation struct{ ID string } }
	admin.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: BUSINESS, kind: GOODS, receivedOn: "2015-06-01",
		items: [{description: "Paket PMT", quantity: 40, unit: "paket", estimatedValue: 4000000}]}) { id } }`, map[string]any{"o": bali}, &goods)
	var out struct{ RecordAidOutput struct{ ID string } }
	admin.query(`mutation($o: ID!, $t: ID!, $r: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 40, cost: 5000000,
		deliveredOn: "2015-06-03", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $r}) { id } }`,
		map[string]any{"o": bali, "t": admin.id(`SELECT id FROM aid_types WHERE code = 'PMT'`), "r": badung}, &out)
	const allocate = `mutation($d: ID!, $a: ID!, $n: Rupiah!, $q: Int) { allocateDonation(input: {donationId: $d, aidOutputId: $a, amount: $n, quantity: $q}) {
		quantity aidOutput { funded } } }`
	var got struct {
		AllocateDonation struct {
			Quantity  int
			AidOutput struct{ Funded int64 }
		}
	}
	admin.query(allocate, map[string]any{"d": goods.RecordDonation.ID, "a": out.RecordAidOutput.ID, "n": 4000000, "q": 40}, &got)
	if got.AllocateDonation.Quantity != 40 || got.AllocateDonation.AidOutput.Funded != 4000000 {
		t.Errorf("goods allocation %+v", got.AllocateDonation)
	}
	money := admin.id(`SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id WHERE o.code = 'BALI' AND d.kind = 'MONEY'
		AND d.earmark_aid_type_id IS NULL AND d.earmark_programme IS NULL AND d.reverses_id IS NULL
		AND d.amount - COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0) >= 1000000 LIMIT 1`)
	r := admin.post(allocate, map[string]any{"d": money, "a": out.RecordAidOutput.ID, "n": 1000000, "q": 1})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.quantity" {
		t.Errorf("covering a 41st unit of 40: %+v", r.Errors)
	}
	// The rest of the cost, without units, is still to be paid.
	admin.query(allocate, map[string]any{"d": money, "a": out.RecordAidOutput.ID, "n": 1000000, "q": nil}, &got)
	if got.AllocateDonation.AidOutput.Funded != 5000000 {
		t.Errorf("funded %d, want the whole cost", got.AllocateDonation.AidOutput.Funded)
	}
}

// TestPartnerReadsNoBeneficiaryNotes: an output a partner's gift paid for
// is shown to it without the notes, by id as in a list.
func TestPartnerReadsNoBeneficiaryNotes(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	own := admin.id(`SELECT id FROM partners WHERE name = $1`, samudra)
	funded := admin.id(`SELECT x.aid_output_id FROM allocations x JOIN donations d ON d.id = x.donation_id
		WHERE d.partner_id = $1 AND x.aid_output_id IS NOT NULL LIMIT 1`, own)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	// An output whose notes name a person, paid for by this partner's gift.
	var out struct{ RecordAidOutput struct{ ID string } }
	admin.query(`mutation($o: ID!, $t: ID!, $r: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 1, cost: 1000,
		deliveredOn: "2015-07-07", beneficiaryGroup: DISABLED, pmksCategory: DISABILITY, regencyId: $r, notes: "Ibu Made, Banjar Tegal"}) { id } }`,
		map[string]any{"o": bali, "t": admin.id(`SELECT aid_type_id FROM aid_outputs WHERE id = $1`, funded),
			"r": admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)}, &out)
	gift := admin.id(`SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id WHERE o.code = 'BALI' AND d.partner_id = $1
		AND d.earmark_aid_type_id IS NULL AND d.earmark_programme IS NULL AND d.reverses_id IS NULL
		AND d.amount - COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0) >= 1000 LIMIT 1`, own)
	admin.query(`mutation($d: ID!, $a: ID!) { allocateDonation(input: {donationId: $d, aidOutputId: $a, amount: 1000}) { id } }`,
		map[string]any{"d": gift, "a": out.RecordAidOutput.ID}, &struct{}{})
	var got struct {
		AidOutput  *struct{ Notes string }
		AidOutputs struct {
			Edges []struct{ Node struct{ ID, Notes string } }
		}
	}
	admin.as(auth.Partner, samudra).query(`query($a: ID!) { aidOutput(id: $a) { notes } aidOutputs(first: 100, filter: {from: "2015-07-07"}) { edges { node { id notes } } } }`,
		map[string]any{"a": out.RecordAidOutput.ID}, &got)
	if got.AidOutput == nil || got.AidOutput.Notes != "" || len(got.AidOutputs.Edges) != 1 || got.AidOutputs.Edges[0].Node.Notes != "" {
		t.Errorf("the partner reads %+v", got)
	}
}
