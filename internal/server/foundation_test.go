package server_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
)

func TestBali2014OutputsByAidType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got struct {
		AidOutputs struct {
			TotalQuantity  int
			QuantityByUnit []struct {
				Unit     string
				Quantity int
			}
			ByAidType []struct {
				AidType  struct{ Code, Unit string }
				Quantity int
				Cost     int64
			}
		}
	}
	e.query(`query($org: ID) { aidOutputs(filter: {organizationId: $org, from: "2014-01-01", to: "2014-12-31"}) {
		totalQuantity quantityByUnit { unit quantity } byAidType { aidType { code unit } quantity cost } } }`,
		map[string]any{"org": e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &got)

	want := map[string]int{"PMT": 190, "TRIPOD": 1, "KURSI_RODA": 1, "PAKAIAN_OLAHRAGA": 106, "BEDAH_RUMAH": 4}
	if len(got.AidOutputs.ByAidType) != len(want) {
		t.Fatalf("got %d aid types, want %d: %+v", len(got.AidOutputs.ByAidType), len(want), got.AidOutputs.ByAidType)
	}
	for _, row := range got.AidOutputs.ByAidType {
		if row.Quantity != want[row.AidType.Code] {
			t.Errorf("%s: quantity %d, want %d", row.AidType.Code, row.Quantity, want[row.AidType.Code])
		}
		// The API's figures must equal an independent aggregate over the same rows.
		cost := e.count(`SELECT SUM(cost) FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
			WHERE t.code = $1 AND delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`, row.AidType.Code)
		if row.Cost != cost {
			t.Errorf("%s: cost %d, SQL says %d", row.AidType.Code, row.Cost, cost)
		}
	}
	if got.AidOutputs.TotalQuantity != 190+1+1+106+4 {
		t.Errorf("total quantity %d, want 302", got.AidOutputs.TotalQuantity)
	}

	// Per unit: what the ledger holds, what the aid types add up to, never
	// paket added to orang.
	var units []struct {
		Unit     string
		Quantity int
	}
	if err := e.db.Select(&units, `SELECT t.unit, SUM(a.quantity) AS quantity FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
		JOIN organizations o ON o.id = a.organization_id
		WHERE o.path <@ (SELECT path FROM organizations WHERE code = 'BALI') AND delivered_on BETWEEN '2014-01-01' AND '2014-12-31'
		GROUP BY t.unit ORDER BY t.unit`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.AidOutputs.QuantityByUnit) != fmt.Sprint(units) || len(units) < 2 {
		t.Errorf("quantity by unit %v, the ledger says %v (want several units)", got.AidOutputs.QuantityByUnit, units)
	}
	byType := map[string]int{}
	for _, row := range got.AidOutputs.ByAidType {
		byType[row.AidType.Unit] += row.Quantity
	}
	for _, u := range got.AidOutputs.QuantityByUnit {
		if byType[u.Unit] != u.Quantity {
			t.Errorf("%s: %d by unit, %d from the aid types", u.Unit, u.Quantity, byType[u.Unit])
		}
	}

	// The same figure by filtering on one aid type, in one regency's subtree.
	var pmt struct {
		AidOutputs struct{ TotalQuantity, TotalCount int }
	}
	e.query(`query($type: ID, $org: ID) { aidOutputs(filter: {aidTypeId: $type, organizationId: $org, from: "2014-01-01", to: "2014-12-31"}) { totalQuantity totalCount } }`,
		map[string]any{"type": e.id(`SELECT id FROM aid_types WHERE code = 'PMT'`), "org": e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &pmt)
	if pmt.AidOutputs.TotalQuantity != 190 {
		t.Errorf("PMT filtered: %d, want 190", pmt.AidOutputs.TotalQuantity)
	}
}

func TestCouncilTree(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got struct {
		Bali   struct{ TotalCount int }
		Badung struct {
			TotalCount int
		}
		Inst struct {
			Ancestors []struct{ Code string }
			Regency   struct{ Code string }
			Parent    struct{ Code string }
		}
	}
	e.query(`query($bali: ID, $badung: ID, $inst: ID!) {
		bali: organizations(filter: {under: $bali}) { totalCount }
		badung: organizations(filter: {under: $badung}) { totalCount }
		inst: organization(id: $inst) { ancestors { code } regency { code } parent { code } } }`,
		map[string]any{
			"bali":   e.id(`SELECT id FROM organizations WHERE code = 'BALI'`),
			"badung": e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`),
			"inst":   e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG-I2'`),
		}, &got)
	if got.Bali.TotalCount != 1+9+27 {
		t.Errorf("Bali subtree: %d organizations, want 37", got.Bali.TotalCount)
	}
	if got.Badung.TotalCount != 4 {
		t.Errorf("Badung subtree: %d organizations, want 4", got.Badung.TotalCount)
	}
	if len(got.Inst.Ancestors) != 2 || got.Inst.Ancestors[0].Code != "BALI" || got.Inst.Ancestors[1].Code != "BALI-BADUNG" {
		t.Errorf("ancestors: %+v, want BALI then BALI-BADUNG", got.Inst.Ancestors)
	}
	if got.Inst.Regency.Code != "BALI-BADUNG" || got.Inst.Parent.Code != "BALI-BADUNG" {
		t.Errorf("regency %q parent %q, want BALI-BADUNG", got.Inst.Regency.Code, got.Inst.Parent.Code)
	}
}

func TestDonationTotalsMatchSQL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got struct {
		Donations struct {
			TotalCount int64
			Sum        int64
		}
	}
	e.query(`{ donations(filter: {from: "2014-01-01", to: "2014-12-31", sources: [CSR, GOVERNMENT]}) { totalCount sum } }`, nil, &got)
	n := e.count(`SELECT count(*) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31' AND source IN ('CSR', 'GOVERNMENT')`)
	sum := e.count(`SELECT SUM(amount) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31' AND source IN ('CSR', 'GOVERNMENT')`)
	if got.Donations.TotalCount != n || got.Donations.Sum != sum {
		t.Errorf("got %d entries summing %d; SQL says %d summing %d", got.Donations.TotalCount, got.Donations.Sum, n, sum)
	}
	if n == 0 {
		t.Fatal("demo data has no 2014 CSR or government donations")
	}
}

func TestPagingWalksEveryEntryOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seen := map[string]bool{}
	var after *string
	last := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("paging does not end")
		}
		var got struct {
			Donations struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
				Edges []struct {
					Node struct{ ID, ReceivedOn string }
				}
			}
		}
		e.query(`query($after: String) { donations(first: 100, after: $after, filter: {from: "2013-01-01", to: "2013-12-31"}) {
			totalCount pageInfo { hasNextPage endCursor } edges { node { id receivedOn } } } }`, map[string]any{"after": after}, &got)
		for _, edge := range got.Donations.Edges {
			if seen[edge.Node.ID] {
				t.Fatalf("donation %s listed twice", edge.Node.ID)
			}
			if edge.Node.ReceivedOn < last {
				t.Fatalf("out of date order: %s after %s", edge.Node.ReceivedOn, last)
			}
			seen[edge.Node.ID], last = true, edge.Node.ReceivedOn
		}
		if !got.Donations.PageInfo.HasNextPage {
			if len(seen) != got.Donations.TotalCount {
				t.Fatalf("walked %d entries, totalCount says %d", len(seen), got.Donations.TotalCount)
			}
			return
		}
		after = got.Donations.PageInfo.EndCursor
	}
}

func TestPageSizeAndCursorAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		query, field string
	}{
		{`{ donations(first: 101) { totalCount } }`, "first"},
		{`{ donations(first: -1) { totalCount } }`, "first"},
		{`{ donations(after: "not-a-cursor") { totalCount } }`, "after"},
		{`{ donations(filter: {organizationId: "7d0f5f6e-0000-4000-8000-000000000000"}) { totalCount } }`, "filter.organizationId"},
		{`{ auditLog(filter: {from: "yesterday"}) { totalCount } }`, "filter.from"},
		{`{ donations(filter: {from: "2014-13-01"}) { totalCount } }`, "filter.from"},
	} {
		r := e.post(tc.query, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: got %+v, want one BAD_USER_INPUT on %s", tc.query, r.Errors, tc.field)
		}
	}
}

// TestDonationPageQueryCount checks that nested fields are batched: a page
// of 50 donations with organization, its parent and partner costs what a
// page of 5 does — the token and the page itself, whose statement brings
// the names along — and goods lines one statement more.
func TestDonationPageQueryCount(t *testing.T) {
	db, n := countingDB(t)
	e := newEnvOn(t, db)
	statements := func(first int, items bool) int64 {
		var got struct {
			Donations struct {
				Edges []struct {
					Node struct {
						Organization struct {
							Name   string
							Parent *struct{ Name string }
						}
						Partner *struct{ Name string }
						Items   []struct{ Description string }
					}
				}
			}
		}
		lines := ""
		if items {
			lines = "items { description }"
		}
		before := n.Load()
		e.query(`query($first: Int) { donations(first: $first) { edges { node {
			organization { name parent { name } } partner { name } `+lines+` } } } }`, map[string]any{"first": first}, &got)
		if len(got.Donations.Edges) != first {
			t.Fatalf("got %d donations, want %d", len(got.Donations.Edges), first)
		}
		partners := 0
		for _, edge := range got.Donations.Edges {
			if edge.Node.Organization.Name == "" {
				t.Fatal("a donation came without its organization")
			}
			if edge.Node.Partner != nil && edge.Node.Partner.Name != "" {
				partners++
			}
		}
		if first == 50 && partners == 0 {
			t.Fatal("no donation of the page came with its partner")
		}
		return n.Load() - before
	}
	statements(1, false) // the token's first use is noted once; later requests only read it
	if small, large := statements(5, false), statements(50, false); small != 2 || large != 2 {
		t.Errorf("a page of 50 with names took %d statements and a page of 5 took %d; want 2: the token and the page", large, small)
	}
	if small, large := statements(5, true), statements(50, true); small != 3 || large != 3 {
		t.Errorf("with goods lines, a page of 50 took %d statements and a page of 5 took %d; want 3", large, small)
	}
	// A page of one council's subtree, named by id, finds the council in
	// its own statement; named by code it is looked up first.
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	for _, tc := range []struct {
		ref  string
		want int64
	}{{bali, 2}, {"BALI", 3}} {
		before := n.Load()
		var page struct {
			Donations struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		e.query(`query($o: ID!) { donations(first: 50, filter: {organizationId: $o}) { edges { node { id organization { name parent { name } } } } } }`,
			map[string]any{"o": tc.ref}, &page)
		if got := n.Load() - before; got != tc.want || len(page.Donations.Edges) != 50 {
			t.Errorf("a page of the subtree of %s: %d donations in %d statements, want 50 in %d", tc.ref, len(page.Donations.Edges), got, tc.want)
		}
	}
	// The parents the page brought are the councils' real parents.
	var got struct {
		Donations struct {
			Edges []struct {
				Node struct {
					Organization struct {
						Code   string
						Parent *struct{ Code string }
					}
				}
			}
		}
	}
	e.query(`{ donations(first: 100) { edges { node { organization { code parent { code } } } } } }`, nil, &got)
	for _, edge := range got.Donations.Edges {
		o := edge.Node.Organization
		want := e.id(`SELECT COALESCE(p.code, '') FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id WHERE o.code = $1`, o.Code)
		if (o.Parent == nil && want != "") || (o.Parent != nil && o.Parent.Code != want) {
			t.Errorf("%s: parent %+v, want %q", o.Code, o.Parent, want)
		}
	}
}

func TestReversalNetsOutAndHistoryStays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	orig := e.id(`SELECT id FROM donations WHERE source = 'CSR' ORDER BY seq LIMIT 1`)
	amount := e.count(`SELECT amount FROM donations WHERE id = $1`, orig)
	var got struct {
		ReverseDonation struct {
			ID       string
			Amount   int64
			Reverses struct {
				ID         string
				ReversedBy struct{ ID string }
			}
			ReversalReason string
		}
	}
	e.unallocate(orig)
	e.query(`mutation($id: ID!) { reverseDonation(input: {donationId: $id, reason: "salah catat nominal", reversedOn: "2014-12-31"}) {
		id amount reversalReason reverses { id reversedBy { id } } } }`, map[string]any{"id": orig}, &got)
	r := got.ReverseDonation
	if r.Amount != -amount || r.Reverses.ID != orig || r.Reverses.ReversedBy.ID != r.ID || r.ReversalReason != "salah catat nominal" {
		t.Errorf("reversal %+v of %s (amount %d): want the opposite amount linked both ways", r, orig, amount)
	}
	if net := e.count(`SELECT SUM(amount) FROM donations WHERE id = $1 OR reverses_id = $1`, orig); net != 0 {
		t.Errorf("donation and reversal sum to %d, want 0", net)
	}
}

// TestLedgerCannotBeRewritten tries UPDATE, DELETE and TRUNCATE on every
// ledger table, each holding demo rows, as the database owner the server
// connects as.
func TestLedgerCannotBeRewritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for table, set := range map[string]string{"donations": "notes = 'x'", "donation_items": "unit = 'x'",
		"box_collections": "amount = 1", "aid_outputs": "cost = 0", "audit_log": "actor = 'x'"} {
		if n := e.count(`SELECT count(*) FROM ` + table); n == 0 {
			t.Fatalf("%s has no rows to protect", table)
		}
		for _, stmt := range []string{`UPDATE ` + table + ` SET ` + set, `DELETE FROM ` + table, `TRUNCATE ` + table + ` CASCADE`} {
			if _, err := e.db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: got %v, want an append-only refusal", stmt, err)
			}
		}
	}
}

// TestBadInputIsRefusedAndNothingWritten sends each kind of bad input and
// checks the field-level error and that no table changed.
func TestBadInputIsRefusedAndNothingWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	badung := e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	inst := e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG-I1'`)
	csr := e.id(`SELECT id FROM partners WHERE kind = 'CSR_COMPANY' ORDER BY seq LIMIT 1`)
	box1 := e.id(`SELECT id FROM donation_boxes WHERE code = 'KTK-001'`)
	box2 := e.id(`SELECT id FROM donation_boxes WHERE code = 'KTK-002'`)
	pmt := e.id(`SELECT id FROM aid_types WHERE code = 'PMT'`)
	tomorrow := calendar.Today(mustLoad(t, "Asia/Makassar")).AddDays(1).String()

	// Set up a retired box, a reversed donation and a used idempotency key;
	// the refusals below must leave everything as it is after this.
	var retired struct{ RetireDonationBox struct{ RetiredOn string } }
	e.query(`mutation($box: ID!) { retireDonationBox(input: {boxId: $box, retiredOn: "2015-01-31"}) { retiredOn } }`,
		map[string]any{"box": box2}, &retired)
	reversedID := e.id(`SELECT id FROM donations WHERE source = 'GOVERNMENT' ORDER BY seq LIMIT 1`)
	var rev struct{ ReverseDonation struct{ ID string } }
	e.unallocate(reversedID)
	e.query(`mutation($id: ID!) { reverseDonation(input: {donationId: $id, reason: "dobel input"}) { id } }`,
		map[string]any{"id": reversedID}, &rev)
	var first struct{ CreatePartner struct{ ID string } }
	e.query(`mutation { createPartner(input: {kind: BUSINESS, name: "Toko Contoh", idempotencyKey: "k-1"}) { id } }`, nil, &first)
	before := e.written()

	money := func(extra string) string {
		return `mutation($org: ID!, $partner: ID) { recordDonation(input: {organizationId: $org, partnerId: $partner, source: CSR, kind: MONEY, ` + extra + `}) { id } }`
	}
	collection := func(boxVar, extra string) string {
		return `mutation($box: ID!) { recordBoxCollection(input: {boxId: $box, ` + extra + `}) { id } }` + boxVar
	}
	orgVars := map[string]any{"org": bali, "partner": csr}
	cases := []struct {
		name          string
		query         string
		vars          map[string]any
		field, reason string
	}{
		{"negative amount", money(`receivedOn: "2014-05-01", amount: -1000`), orgVars, "input.amount", "INVALID"},
		{"zero amount", money(`receivedOn: "2014-05-01", amount: 0`), orgVars, "input.amount", "INVALID"},
		{"amount above the maximum", money(`receivedOn: "2014-05-01", amount: "5000000000001"`), orgVars, "input.amount", "INVALID"},
		{"a day that does not exist", money(`receivedOn: "2014-02-30", amount: 1000`), orgVars, "input.receivedOn", "INVALID"},
		{"a fraction of a rupiah", money(`receivedOn: "2014-05-01", amount: 1000.5`), orgVars, "input.amount", "INVALID"},
		{"future date in the council's time zone", money(`receivedOn: "` + tomorrow + `", amount: 1000`), orgVars, "input.receivedOn", "FUTURE_DATE"},
		{"unknown organization", money(`receivedOn: "2014-05-01", amount: 1000`),
			map[string]any{"org": "6f1d2c3b-0000-4000-8000-000000000001", "partner": csr}, "input.organizationId", "UNKNOWN"},
		{"malformed organization id", money(`receivedOn: "2014-05-01", amount: 1000`),
			map[string]any{"org": "BALI'; DROP TABLE donations; --", "partner": csr}, "input.organizationId", "UNKNOWN"},
		{"unknown partner", money(`receivedOn: "2014-05-01", amount: 1000`),
			map[string]any{"org": bali, "partner": "6f1d2c3b-0000-4000-8000-000000000002"}, "input.partnerId", "UNKNOWN"},
		{"CSR gift without its partner", money(`receivedOn: "2014-05-01", amount: 1000`), map[string]any{"org": bali}, "input.partnerId", "REQUIRED"},
		{"box money recorded directly", `mutation($org: ID!) { recordDonation(input: {organizationId: $org, source: DONATION_BOX, kind: MONEY, receivedOn: "2014-05-01", amount: 1000}) { id } }`,
			map[string]any{"org": bali}, "input.source", "INVALID"},
		{"goods without items", `mutation($org: ID!) { recordDonation(input: {organizationId: $org, source: BUSINESS, kind: GOODS, receivedOn: "2014-05-01"}) { id } }`,
			map[string]any{"org": bali}, "input.items", "REQUIRED"},
		{"goods line without quantity", `mutation($org: ID!) { recordDonation(input: {organizationId: $org, source: BUSINESS, kind: GOODS, receivedOn: "2014-05-01",
			items: [{description: "Beras", quantity: 0, unit: "karung", estimatedValue: 300000}]}) { id } }`,
			map[string]any{"org": bali}, "input.items.0.quantity", "INVALID"},
		{"a NUL character in a name", `mutation { createPartner(input: {kind: BUSINESS, name: "Toko\u0000Contoh"}) { id } }`, nil, "input.name", "INVALID"},
		{"a NUL character in an idempotency key", `mutation { createPartner(input: {kind: BUSINESS, name: "Toko", idempotencyKey: "k\u0000"}) { id } }`, nil, "input.idempotencyKey", "INVALID"},
		{"a 40,000-character note", money(`receivedOn: "2014-05-01", amount: 1000, notes: "` + strings.Repeat("x", 40000) + `"`), orgVars, "input.notes", "TOO_LONG"},
		{"collection on a retired box", collection("", `collectedOn: "2015-02-25", amount: 100000, countedBy: ["A", "B"], sealRemoved: "SEG-002-24"`),
			map[string]any{"box": box2}, "input.boxId", "INVALID"},
		{"collection before the box was placed", collection("", `collectedOn: "2012-11-30", amount: 100000, countedBy: ["A", "B"], sealRemoved: "X-1"`),
			map[string]any{"box": box1}, "input.collectedOn", "INVALID"},
		{"the same person counting twice", collection("", `collectedOn: "2015-01-25", amount: 100000, countedBy: ["I Wayan Sudarma", " i wayan sudarma "], sealRemoved: "SEG-001-24"`),
			map[string]any{"box": box1}, "input.countedBy.1", "INVALID"},
		{"one counter only", collection("", `collectedOn: "2015-01-25", amount: 100000, countedBy: ["I Wayan Sudarma"], sealRemoved: "SEG-001-24"`),
			map[string]any{"box": box1}, "input.countedBy", "INVALID"},
		{"a seal removed twice", collection("", `collectedOn: "2015-01-25", amount: 100000, countedBy: ["A", "B"], sealRemoved: "SEG-001-00"`),
			map[string]any{"box": box1}, "input.sealRemoved", "DUPLICATE"},
		{"denominations that do not add up", collection("", `collectedOn: "2015-01-25", amount: 100000, countedBy: ["A", "B"], sealRemoved: "SEG-001-24",
			denominations: [{value: 50000, count: 1}]`), map[string]any{"box": box1}, "input.denominations", "INVALID"},
		{"reversing a reversal", `mutation($id: ID!) { reverseDonation(input: {donationId: $id, reason: "x"}) { id } }`,
			map[string]any{"id": rev.ReverseDonation.ID}, "input.donationId", "INVALID"},
		{"reversing twice", `mutation($id: ID!) { reverseDonation(input: {donationId: $id, reason: "x"}) { id } }`,
			map[string]any{"id": reversedID}, "input.donationId", "DUPLICATE"},
		{"reversing an unknown donation", `mutation($id: ID!) { reverseDonation(input: {donationId: $id, reason: "x"}) { id } }`,
			map[string]any{"id": "6f1d2c3b-0000-4000-8000-000000000003"}, "input.donationId", "UNKNOWN"},
		{"regency council under an institution", `mutation($p: ID!) { createOrganization(input: {parentId: $p, kind: REGENCY_COUNCIL, code: "X-1", name: "X"}) { id } }`,
			map[string]any{"p": inst}, "input.parentId", "INVALID"},
		{"institution under the national level's place: no parent", `mutation { createOrganization(input: {kind: INSTITUTION, code: "X-2", name: "X"}) { id } }`,
			nil, "input.parentId", "REQUIRED"},
		{"province council under a regency council", `mutation($p: ID!) { createOrganization(input: {parentId: $p, kind: PROVINCE_COUNCIL, code: "X-3", name: "X"}) { id } }`,
			map[string]any{"p": badung}, "input.parentId", "INVALID"},
		{"duplicate organization code", `mutation($p: ID!) { createOrganization(input: {parentId: $p, kind: INSTITUTION, code: "BALI-BADUNG-I1", name: "X"}) { id } }`,
			map[string]any{"p": badung}, "input.code", "DUPLICATE"},
		{"unknown time zone", `mutation { createOrganization(input: {kind: PROVINCE_COUNCIL, code: "X-4", name: "X", timeZone: "Bali/Denpasar"}) { id } }`,
			nil, "input.timeZone", "INVALID"},
		{"output in a place that is not a regency", `mutation($org: ID!, $t: ID!) { recordAidOutput(input: {organizationId: $org, aidTypeId: $t, quantity: 1, cost: 1000,
			deliveredOn: "2014-05-01", beneficiaryGroup: ELDERLY, pmksCategory: NEGLECT, regencyId: $org}) { id } }`,
			map[string]any{"org": bali, "t": pmt}, "input.regencyId", "INVALID"},
		{"output of zero quantity", `mutation($org: ID!, $t: ID!) { recordAidOutput(input: {organizationId: $org, aidTypeId: $t, quantity: 0, cost: 1000,
			deliveredOn: "2014-05-01", beneficiaryGroup: ELDERLY, pmksCategory: NEGLECT, regencyId: $org}) { id } }`,
			map[string]any{"org": bali, "t": pmt}, "input.quantity", "INVALID"},
		{"idempotency key reused for another input", `mutation { createPartner(input: {kind: BUSINESS, name: "Toko Lain", idempotencyKey: "k-1"}) { id } }`,
			nil, "input.idempotencyKey", "DUPLICATE"},
	}
	for _, tc := range cases {
		r := e.post(tc.query, tc.vars)
		if len(r.Errors) == 0 {
			t.Errorf("%s: accepted; want %s %s", tc.name, tc.field, tc.reason)
			continue
		}
		got := r.Errors[0]
		if got.Extensions["code"] != "BAD_USER_INPUT" || got.Extensions["field"] != tc.field || got.Extensions["reason"] != tc.reason {
			t.Errorf("%s: got %+v, want BAD_USER_INPUT on %s (%s)", tc.name, r.Errors, tc.field, tc.reason)
		}
		if strings.Contains(strings.ToLower(got.Message), "sql") || strings.Contains(got.Message, "_key") {
			t.Errorf("%s: message leaks internals: %q", tc.name, got.Message)
		}
	}
	after := e.written()
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows before the refused writes, %d after", table, n, after[table])
		}
	}
}

func TestTodayFollowsTheCouncilTimeZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Bali's today, which in the evening UTC is already tomorrow in UTC terms, is accepted.
	today := calendar.Today(mustLoad(t, "Asia/Makassar")).String()
	var got struct{ RecordDonation struct{ ReceivedOn string } }
	e.query(`mutation($org: ID!, $on: Date!) { recordDonation(input: {organizationId: $org, source: INDIVIDUAL, kind: MONEY, receivedOn: $on, amount: 50000}) { receivedOn } }`,
		map[string]any{"org": e.id(`SELECT id FROM organizations WHERE code = 'BALI'`), "on": today}, &got)
	if got.RecordDonation.ReceivedOn != today {
		t.Errorf("received on %q, want %q", got.RecordDonation.ReceivedOn, today)
	}
}

func TestIdempotentRetriesWriteOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	before := e.count(`SELECT count(*) FROM donations`)
	const tries = 50
	answers := make([]string, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.post(`mutation($org: ID!) { recordDonation(input: {organizationId: $org, source: INDIVIDUAL, kind: MONEY,
				receivedOn: "2014-06-01", amount: 75000, idempotencyKey: "retry-1"}) { id amount receivedOn createdAt } }`, map[string]any{"org": bali})
			if len(r.Errors) > 0 {
				t.Errorf("submission %d: %+v", i, r.Errors)
			}
			answers[i] = string(r.Data)
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a != answers[0] || !strings.Contains(a, `"amount":75000`) {
			t.Fatalf("answer %d differs from the first:\n%s\n%s", i, a, answers[0])
		}
	}
	if n := e.count(`SELECT count(*) FROM donations`); n != before+1 {
		t.Errorf("%d donations written by %d identical requests, want 1", n-before, tries)
	}
}

// TestConcurrentCollectionsNeverSplit records the same box opening many
// times at once, under one idempotency key and under different keys with the
// same seal: exactly one collection and one donation must result.
func TestConcurrentCollectionsNeverSplit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	box := e.id(`SELECT id FROM donation_boxes WHERE code = 'KTK-003'`)
	collections := e.count(`SELECT count(*) FROM box_collections`)
	donations := e.count(`SELECT count(*) FROM donations`)
	const n = 10
	answers := make([]response, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "same-key"
			if i >= n {
				key = fmt.Sprintf("other-key-%d", i) // same seal, different keys
			}
			answers[i] = e.post(`mutation($box: ID!, $key: String) { recordBoxCollection(input: {boxId: $box, collectedOn: "2015-01-25",
				amount: 250000, countedBy: ["I Wayan Sudarma", "Ni Ketut Rasmini"], sealRemoved: "SEG-003-24", idempotencyKey: $key}) { id number } }`,
				map[string]any{"box": box, "key": key})
		}()
	}
	wg.Wait()
	ok, dup := 0, 0
	for _, a := range answers {
		switch {
		case len(a.Errors) == 0:
			ok++
		case a.Errors[0].Extensions["field"] == "input.sealRemoved" && a.Errors[0].Extensions["reason"] == "DUPLICATE":
			dup++
		default:
			t.Errorf("unexpected answer: %+v", a.Errors)
		}
	}
	if ok+dup != 2*n || ok == 0 {
		t.Errorf("%d accepted and %d refused as duplicates, of %d", ok, dup, 2*n)
	}
	if got := e.count(`SELECT count(*) FROM box_collections`); got != collections+1 {
		t.Errorf("%d collections written, want 1", got-collections)
	}
	if got := e.count(`SELECT count(*) FROM donations`); got != donations+1 {
		t.Errorf("%d donations written, want 1", got-donations)
	}
	orphans := e.count(`SELECT count(*) FROM donations d WHERE d.source = 'DONATION_BOX' AND d.reverses_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM box_collections c WHERE c.donation_id = d.id)`)
	if orphans != 0 {
		t.Errorf("%d box donations without their collection", orphans)
	}
	if got := e.count(`SELECT number FROM box_collections WHERE box_id = $1 AND seal_removed = 'SEG-003-24'`, box); got != 25 {
		t.Errorf("the new collection is number %d, want 25", got)
	}

	// Different openings of one box at once are numbered in turn: 26 to 35,
	// each once.
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.post(`mutation($box: ID!, $seal: String!) { recordBoxCollection(input: {boxId: $box, collectedOn: "2015-01-26",
				amount: 10000, countedBy: ["I Made Juliarta", "Ni Nyoman Sukerti"], sealRemoved: $seal}) { number } }`,
				map[string]any{"box": box, "seal": fmt.Sprintf("PARALLEL-%d", i)})
			if len(r.Errors) > 0 {
				t.Errorf("opening %d: %+v", i, r.Errors)
			}
		}()
	}
	wg.Wait()
	if got := e.count(`SELECT count(DISTINCT number) FILTER (WHERE number BETWEEN 26 AND 35) FROM box_collections WHERE box_id = $1`, box); got != 10 {
		t.Errorf("concurrent openings got %d distinct numbers in 26..35, want 10", got)
	}
	if got := e.count(`SELECT max(number) - count(*) FROM box_collections WHERE box_id = $1`, box); got != 0 {
		t.Errorf("collection numbers of the box have %d gaps or repeats", got)
	}
}

func TestRecordEachKindOfRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	gianyar := e.id(`SELECT id FROM organizations WHERE code = 'BALI-GIANYAR'`)
	var got struct {
		CreateOrganization struct {
			ID, TimeZone string
			Parent       struct{ Code string }
		}
		CreatePartner struct{ ID, Name string }
		CreateAidType struct{ ID, Unit string }
	}
	// Unicode names round-trip unchanged: Balinese script, Chinese-Indonesian, emoji.
	name := "Yayasan ᬲᬸᬓᬵᬦ᭄ᬢ 陈氏 Sejahtera 🙏"
	e.query(`mutation($p: ID!, $name: String!) {
		createOrganization(input: {parentId: $p, kind: INSTITUTION, code: "BALI-GIANYAR-I9", name: $name}) { id timeZone parent { code } }
		createPartner(input: {kind: CSR_COMPANY, name: $name}) { id name }
		createAidType(input: {code: "KACAMATA", name: "Kacamata", nameEn: "Glasses", unit: "buah"}) { id unit } }`,
		map[string]any{"p": gianyar, "name": name}, &got)
	if got.CreateOrganization.TimeZone != "Asia/Makassar" || got.CreateOrganization.Parent.Code != "BALI-GIANYAR" {
		t.Errorf("new institution: %+v; want the parent's time zone", got.CreateOrganization)
	}
	if got.CreatePartner.Name != name {
		t.Errorf("partner name %q, want %q", got.CreatePartner.Name, name)
	}

	var gifts struct {
		Big struct {
			Amount  int64
			Partner struct{ Name string }
		}
		Goods struct {
			Amount int64
			Items  []struct {
				Line           int
				Quantity       int
				EstimatedValue int64
			}
		}
	}
	e.query(`mutation($org: ID!, $p: ID!) {
		big: recordDonation(input: {organizationId: $org, source: CSR, partnerId: $p, kind: MONEY, receivedOn: "2014-09-09", amount: 5000000000000, reference: "CSR-BIG"}) { amount partner { name } }
		goods: recordDonation(input: {organizationId: $org, source: COMMUNITY, kind: GOODS, receivedOn: "2014-09-10",
			items: [{description: "Kursi roda bekas", quantity: 2, unit: "unit", estimatedValue: 900000}, {description: "Selimut", quantity: 40, unit: "lembar", estimatedValue: 2000000}]}) {
			amount items { line quantity estimatedValue } } }`,
		map[string]any{"org": bali, "p": got.CreatePartner.ID}, &gifts)
	if gifts.Big.Amount != 5_000_000_000_000 || gifts.Big.Partner.Name != name {
		t.Errorf("big gift: %+v", gifts.Big)
	}
	if gifts.Goods.Amount != 2_900_000 || len(gifts.Goods.Items) != 2 || gifts.Goods.Items[1].Line != 2 {
		t.Errorf("goods gift: %+v; want value 2900000 over two lines", gifts.Goods)
	}

	var boxes struct {
		CreateDonationBox struct {
			ID       string
			Host     struct{ Name string }
			PlacedOn string
		}
	}
	e.query(`mutation($org: ID!, $host: ID!, $reg: ID!) { createDonationBox(input: {code: "KTK-900", hostPartnerId: $host, organizationId: $org,
		regencyId: $reg, address: "Jl. Contoh 9, Ubud", placedOn: "2015-01-05"}) { id host { name } placedOn } }`,
		map[string]any{"org": gianyar, "host": e.id(`SELECT id FROM partners WHERE kind = 'RETAIL' ORDER BY seq LIMIT 1`), "reg": gianyar}, &boxes)
	var col struct {
		RecordBoxCollection struct {
			Number        int
			Amount        int64
			CountedBy     []string
			Denominations []struct {
				Value int64
				Count int
			}
			Donation struct {
				Source, ReceivedOn string
				Amount             int64
				Reference          string
				Organization       struct{ Code string }
				BoxCollection      struct{ Number int }
			}
		}
	}
	e.query(`mutation($box: ID!) { recordBoxCollection(input: {boxId: $box, collectedOn: "2015-02-01", amount: 170000,
		denominations: [{value: 100000, count: 1}, {value: 50000, count: 1}, {value: 20000, count: 1}],
		countedBy: ["Ni Luh Gede Suryani", "I Gede Pramana"], sealRemoved: "S-900-0", sealApplied: "S-900-1"}) {
		number amount countedBy denominations { value count }
		donation { source receivedOn amount reference organization { code } boxCollection { number } } } }`,
		map[string]any{"box": boxes.CreateDonationBox.ID}, &col)
	c := col.RecordBoxCollection
	if c.Number != 1 || c.Donation.Source != "DONATION_BOX" || c.Donation.Amount != 170000 || c.Donation.ReceivedOn != "2015-02-01" ||
		c.Donation.Organization.Code != "BALI-GIANYAR" || c.Donation.Reference != "KOTAK-KTK-900-1" || c.Donation.BoxCollection.Number != 1 ||
		len(c.Denominations) != 3 || c.CountedBy[0] != "Ni Luh Gede Suryani" {
		t.Errorf("collection: %+v", c)
	}

	var out struct {
		RecordAidOutput struct {
			Quantity             int
			Regency              struct{ Code string }
			RecipientInstitution struct{ Code string }
		}
		CreateProgrammeTarget struct {
			TargetQuantity, RealisedQuantity int
		}
		CreateWorkMeeting struct {
			TotalAttendees int
			Attendance     []struct{ Group string }
		}
	}
	e.query(`mutation($org: ID!, $reg: ID!, $inst: ID!, $t: ID!) {
		recordAidOutput(input: {organizationId: $org, aidTypeId: $t, quantity: 3, cost: 4500000, deliveredOn: "2016-03-03",
			beneficiaryGroup: INSTITUTION, pmksCategory: NEGLECT, regencyId: $reg, recipientInstitutionId: $inst}) { quantity regency { code } recipientInstitution { code } }
		createProgrammeTarget(input: {organizationId: $org, year: 2016, aidTypeId: $t, targetQuantity: 10, budget: 1000000}) { targetQuantity realisedQuantity }
		createWorkMeeting(input: {organizationId: $org, title: "Raker 2016", heldOn: "2016-07-20", place: "Gianyar", periodFrom: "2016-01-01", periodTo: "2016-06-30",
			attendance: [{group: REGENCY_COUNCIL, attendees: 20}, {group: INSTITUTION, attendees: 12}]}) { totalAttendees attendance { group } } }`,
		map[string]any{"org": gianyar, "reg": gianyar, "inst": got.CreateOrganization.ID, "t": e.id(`SELECT id FROM aid_types WHERE code = 'KACAMATA'`)}, &out)
	if out.RecordAidOutput.Quantity != 3 || out.RecordAidOutput.RecipientInstitution.Code != "BALI-GIANYAR-I9" {
		t.Errorf("aid output: %+v", out.RecordAidOutput)
	}
	if out.CreateProgrammeTarget.RealisedQuantity != 3 {
		t.Errorf("target realised %d, want the 3 just delivered", out.CreateProgrammeTarget.RealisedQuantity)
	}
	if out.CreateWorkMeeting.TotalAttendees != 32 {
		t.Errorf("meeting attendees %d, want 32", out.CreateWorkMeeting.TotalAttendees)
	}
	// Every write above left an audit row, and so did each receipt its donations were given.
	if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = 'test-admin/tests' AND entity <> 'receipt'`); n != 11 {
		t.Errorf("%d audit rows for 11 writes", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = 'test-admin/tests' AND entity = 'receipt' AND action = 'issue'`); n != 3 {
		t.Errorf("%d audit rows for the receipts of 3 donations", n)
	}
}

func TestProgrammeAndRaker2014(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got struct {
		ProgrammeTargets struct {
			Edges []struct {
				Node struct {
					AidType                          struct{ Code string }
					TargetQuantity, RealisedQuantity int
				}
			}
		}
		WorkMeetings struct {
			Edges []struct {
				Node struct {
					HeldOn, Place, PeriodFrom, PeriodTo string
					TotalAttendees                      int
				}
			}
		}
	}
	e.query(`{ programmeTargets(filter: {year: 2014}) { edges { node { aidType { code } targetQuantity realisedQuantity } } }
		workMeetings(filter: {from: "2014-01-01", to: "2014-12-31"}) { edges { node { heldOn place periodFrom periodTo totalAttendees } } } }`, nil, &got)
	realised := map[string]int{}
	for _, edge := range got.ProgrammeTargets.Edges {
		realised[edge.Node.AidType.Code] = edge.Node.RealisedQuantity
	}
	if realised["PMT"] != 190 || realised["PAKAIAN_OLAHRAGA"] != 106 || realised["BEDAH_RUMAH"] != 4 {
		t.Errorf("2014 realisation: %v", realised)
	}
	if len(got.WorkMeetings.Edges) != 1 {
		t.Fatalf("got %d meetings in 2014, want 1", len(got.WorkMeetings.Edges))
	}
	m := got.WorkMeetings.Edges[0].Node
	if m.HeldOn != "2014-07-17" || m.Place != "Ruang Dekranasda, Denpasar" || m.TotalAttendees != 115 || m.PeriodTo != "2014-07-17" {
		t.Errorf("Raker 2014: %+v", m)
	}
}

func TestHealthAndGraphiQL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/": "graphiql"} {
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(t, res))
		if res.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(b.String()), want) {
			t.Errorf("GET %s: %d, body without %q", path, res.StatusCode, want)
		}
		if res.Header.Get("X-Request-ID") == "" {
			t.Errorf("GET %s: no X-Request-ID", path)
		}
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestAidOutputReversal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	orig := e.id(`SELECT a.id FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id JOIN organizations r ON r.id = a.regency_id
		WHERE t.code = 'PMT' AND r.code = 'BALI-BADUNG' AND a.beneficiary_group = 'ELDERLY' AND delivered_on >= '2014-01-01'`)
	var got struct {
		ReverseAidOutput struct {
			ID       string
			Quantity int
			Cost     int64
			Reverses struct {
				ID         string
				Quantity   int
				ReversedBy struct{ ID string }
			}
		}
	}
	e.unallocate(orig)
	e.query(`mutation($id: ID!) { reverseAidOutput(input: {outputId: $id, reason: "dobel catat", reversedOn: "2014-12-31"}) {
		id quantity cost reverses { id quantity reversedBy { id } } } }`, map[string]any{"id": orig}, &got)
	r := got.ReverseAidOutput
	if r.Quantity != -r.Reverses.Quantity || r.Quantity >= 0 || r.Reverses.ID != orig || r.Reverses.ReversedBy.ID != r.ID {
		t.Errorf("reversal %+v: want the opposite quantity, linked both ways", r)
	}
	var rep struct {
		AidOutputs struct{ TotalQuantity int }
	}
	e.query(`{ aidOutputs(filter: {from: "2014-01-01", to: "2014-12-31", aidTypeId: "`+e.id(`SELECT id FROM aid_types WHERE code = 'PMT'`)+`"}) { totalQuantity } }`, nil, &rep)
	if rep.AidOutputs.TotalQuantity != 190+r.Quantity {
		t.Errorf("2014 PMT after the reversal: %d, want %d", rep.AidOutputs.TotalQuantity, 190+r.Quantity)
	}
	op, aud := e.as(auth.Operator, "BALI-BADUNG"), e.as(auth.Auditor, "")
	other := e.id(`SELECT id FROM aid_outputs WHERE reverses_id IS NULL AND id <> $1 LIMIT 1`, orig) // delivered by the province
	before := e.written()
	for _, tc := range []struct {
		who          *env
		id           string
		code, reason string
	}{
		{e, orig, "BAD_USER_INPUT", "DUPLICATE"},
		{e, r.ID, "BAD_USER_INPUT", "INVALID"},
		{op, other, "BAD_USER_INPUT", "UNKNOWN"},
		{aud, other, "FORBIDDEN", ""},
	} {
		res := tc.who.post(`mutation($id: ID!) { reverseAidOutput(input: {outputId: $id, reason: "x"}) { id } }`, map[string]any{"id": tc.id})
		if len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != tc.code || (tc.reason != "" && res.Errors[0].Extensions["reason"] != tc.reason) {
			t.Errorf("reverse %s: %+v, want %s %s", tc.id, res.Errors, tc.code, tc.reason)
		}
	}
	after := e.written()
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows before the refused reversals, %d after", table, n, after[table])
		}
	}
}

// TestDonationPageRefusesWhatItCannotShow: a page of a council's subtree
// (which finds the council in its own statement) refuses an unknown
// council, and a council the operator does not read — above its own or
// beside it — rather than answering with an empty page or a part of it.
func TestDonationPageRefusesWhatItCannotShow(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	op := admin.as(auth.Operator, "BALI-BADUNG")
	const q = `query($o: ID!) { donations(first: 5, filter: {organizationId: $o}) { edges { node { id } } } }`
	for _, tc := range []struct {
		who    *env
		ref    string
		reason string
	}{
		{admin, "7d0f5f6e-0000-4000-8000-000000000000", "UNKNOWN"},
		{op, admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`), "INVALID"},
		{op, admin.id(`SELECT id FROM organizations WHERE code = 'BALI-GIANYAR'`), "INVALID"},
	} {
		r := tc.who.post(q, map[string]any{"o": tc.ref})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "filter.organizationId" || r.Errors[0].Extensions["reason"] != tc.reason {
			t.Errorf("a page under %s: %s %+v", tc.ref, r.Data, r.Errors)
		}
	}
	// Its own council, and a council with no gifts at all: an empty page.
	var own struct {
		Donations struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	op.query(q, map[string]any{"o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)}, &own)
	if len(own.Donations.Edges) != 5 {
		t.Errorf("the operator's own council: %d donations", len(own.Donations.Edges))
	}
	quiet := admin.id(`SELECT o.id FROM organizations o WHERE o.code LIKE 'BALI-BADUNG-%' AND NOT EXISTS (SELECT 1 FROM donations d WHERE d.organization_id = o.id) LIMIT 1`)
	var none struct {
		Donations struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	op.query(q, map[string]any{"o": quiet}, &none)
	if len(none.Donations.Edges) != 0 {
		t.Errorf("a council without gifts: %d donations", len(none.Donations.Edges))
	}
}

// TestReportQueryCount: a dashboard's year report — outputs by aid type and
// regency, gifts by source and month, outputs by aid type — looks its
// council up once however many of its sums filter by it, and names the
// rows' aid types and regencies in one batch each.
func TestReportQueryCount(t *testing.T) {
	db, n := countingDB(t)
	e := newEnvOn(t, db)
	const q = `query($o: ID!) { report(organizationId: $o, year: 2014) {
		outputsByAidTypeAndRegency { aidType { name } regency { name } quantity cost }
		donationsBySourceAndMonth { source month amount }
		outputsByAidType { aidType { name } quantity cost } } }`
	var got struct {
		Report struct {
			OutputsByAidTypeAndRegency []struct {
				AidType, Regency struct{ Name string }
				Quantity         int
			}
			DonationsBySourceAndMonth []struct{ Amount int64 }
			OutputsByAidType          []struct {
				AidType  struct{ Name string }
				Quantity int
			}
		}
	}
	e.query(`{ viewer { role } }`, nil, &struct{}{}) // the token's first use is noted once
	for _, ref := range []string{e.id(`SELECT id FROM organizations WHERE code = 'BALI'`), "BALI"} {
		before := n.Load()
		e.query(q, map[string]any{"o": ref}, &got)
		// The token, the council, its regencies, the three sums, the aid
		// types' names (the regencies' come with the list).
		if statements := n.Load() - before; statements != 7 {
			t.Errorf("the report of %s took %d statements, want 7", ref, statements)
		}
		r := got.Report
		var byType, byTypeAndRegency int
		for _, x := range r.OutputsByAidType {
			byType += x.Quantity
		}
		for _, x := range r.OutputsByAidTypeAndRegency {
			byTypeAndRegency += x.Quantity
			if x.AidType.Name == "" || x.Regency.Name == "" {
				t.Fatalf("a row without its names: %+v", x)
			}
		}
		if want := int(e.count(`SELECT SUM(quantity) FROM aid_outputs WHERE delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`)); byType != want || byTypeAndRegency != want {
			t.Errorf("the report of %s: %d outputs by type and %d by type and regency, the ledger %d", ref, byType, byTypeAndRegency, want)
		}
		if len(r.DonationsBySourceAndMonth) == 0 {
			t.Errorf("the report of %s has no gifts by source and month", ref)
		}
	}
}

// TestReversalReadsTheCloseOnce: a reversal settles its date and checks it
// against the close in force with one lock of the councils above and one
// read of the close, whether the date is asked for or not.
func TestReversalReadsTheCloseOnce(t *testing.T) {
	db, n := countingDB(t)
	e := newEnvOn(t, db)
	e.query(`{ viewer { role } }`, nil, &struct{}{}) // the token's first use is noted once
	badung := e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	statements := func(reversedOn any) int64 {
		var gift struct{ RecordDonation struct{ ID string } }
		e.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-02", amount: 1000}) { id } }`,
			map[string]any{"o": badung}, &gift)
		var reversal struct{ ReverseDonation struct{ ReceivedOn string } }
		before := n.Load()
		e.query(`mutation($d: ID!, $on: Date) { reverseDonation(input: {donationId: $d, reason: "salah catat", reversedOn: $on}) { receivedOn } }`,
			map[string]any{"d": gift.RecordDonation.ID, "on": reversedOn}, &reversal)
		if reversedOn != nil && reversal.ReverseDonation.ReceivedOn != reversedOn {
			t.Errorf("reversed on %s, asked %s", reversal.ReverseDonation.ReceivedOn, reversedOn)
		}
		return n.Load() - before
	}
	asked, settled := statements("2014-12-30"), statements(nil)
	if asked != settled {
		t.Errorf("a reversal on an asked date took %d statements, one dated by the server %d", asked, settled)
	}
	t.Logf("a reversal: %d statements", asked)
}

// TestRecordDonationStatements counts what one recorded gift sends: the
// caller's token (this test server keeps no token cache), the key's claim,
// the council with the lock on it and the councils above it, the close in
// force (read after the lock), the gift inserted, numbered (its receipt)
// and read back in one statement, and the two audit rows with the key's
// completion in one statement. Each statement is a round trip inside the
// write's transaction.
func TestRecordDonationStatements(t *testing.T) {
	db, n := countingDB(t)
	e := newEnvOn(t, db)
	badung := e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	record := func(key string) (string, int64) {
		var gift struct{ RecordDonation struct{ ID string } }
		before := n.Load()
		e.query(`mutation($o: ID!, $k: String!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY,
			receivedOn: "2014-05-02", amount: 1000, idempotencyKey: $k}) { id } }`, map[string]any{"o": badung, "k": key}, &gift)
		return gift.RecordDonation.ID, n.Load() - before
	}
	record("warm") // the token's first use is noted once
	id, statements := record("counted")
	if statements != 6 {
		t.Errorf("a recorded gift took %d statements, want 6", statements)
	}
	// The key was completed with the audit rows: sent again, it answers
	// the same gift.
	if again, _ := record("counted"); again != id {
		t.Errorf("the key sent again answered donation %q, the first time %q", again, id)
	}
	var trail []string
	if err := e.db.Select(&trail, `SELECT a.action || ' ' || a.entity FROM audit_log a
		WHERE a.entity_id = $1 OR a.entity_id = (SELECT r.id FROM receipts r WHERE r.donation_id = $1) ORDER BY a.id`, id); err != nil {
		t.Fatal(err)
	}
	if strings.Join(trail, ", ") != "issue receipt, create donation" {
		t.Errorf("the gift's audit trail: %v", trail)
	}
	// The receipt audited is the receipt stored, read back in the gift's
	// own statement.
	if n := e.count(`SELECT count(*) FROM audit_log a JOIN receipts r ON r.id = a.entity_id
		WHERE r.donation_id = $1 AND a.action = 'issue' AND a.after->>'donationId' = $1::text
		AND (a.after->>'sequence')::int = r.number AND (a.after->>'year')::int = r.year AND a.after->>'organizationId' = r.organization_id::text
		AND (a.after->>'createdAt')::timestamptz = r.created_at AND a.after->'voidedAt' = 'null' AND a.after->'copyOf' = 'null'`, id); n != 1 {
		t.Errorf("%d audit rows match the receipt stored, want 1", n)
	}
}

// TestEveryDonationCarriesItsCouncil asks for a donation's council on every
// path that answers donations. The council is read in the donation's own
// statement, not by a resolver: a read that forgot it would answer an
// error here, never an empty council.
func TestEveryDonationCarriesItsCouncil(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	badung := e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	var rec struct {
		RecordDonation struct {
			ID           string
			Organization struct{ Code string }
		}
	}
	e.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: GOODS, receivedOn: "2014-05-02",
		items: [{description: "beras", quantity: 5, unit: "kg", estimatedValue: 60000}]}) { id organization { code } } }`, map[string]any{"o": badung}, &rec)
	var rev struct {
		ReverseDonation struct{ Organization struct{ Code string } }
	}
	e.query(`mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "salah catat"}) { organization { code } } }`,
		map[string]any{"d": rec.RecordDonation.ID}, &rev)
	var one struct {
		Donation struct {
			Organization struct{ Code string }
			ReversedBy   struct{ Organization struct{ Code string } }
		}
	}
	e.query(`query($d: ID!) { donation(id: $d) { organization { code } reversedBy { organization { code } } } }`, map[string]any{"d": rec.RecordDonation.ID}, &one)
	for what, got := range map[string]string{"recorded": rec.RecordDonation.Organization.Code, "reversal": rev.ReverseDonation.Organization.Code,
		"by id": one.Donation.Organization.Code, "its reversal": one.Donation.ReversedBy.Organization.Code} {
		if got != "BALI-BADUNG" {
			t.Errorf("%s donation's council %q, want BALI-BADUNG", what, got)
		}
	}
	var lists struct {
		Donations struct {
			Edges []struct {
				Node struct {
					OrganizationID string
					Organization   struct{ ID string }
					Partner        *struct{ ID string }
				}
			}
		}
		BoxCollections struct {
			Edges []struct {
				Node struct {
					Donation struct {
						OrganizationID string
						Organization   struct{ ID string }
						Partner        *struct{ ID string }
					}
				}
			}
		}
		Allocations struct {
			Edges []struct {
				Node struct {
					Donation struct {
						OrganizationID string
						Organization   struct{ ID string }
						Partner        *struct{ ID string }
					}
				}
			}
		}
	}
	e.query(`{ donations(first: 100) { edges { node { organizationId: id organization { id } partner { id } } } }
		boxCollections(first: 100) { edges { node { donation { organizationId: id organization { id } partner { id } } } } }
		allocations(first: 100) { edges { node { donation { organizationId: id organization { id } partner { id } } } } } }`, nil, &lists)
	n, partners := 0, 0
	// The partner, too, is read with the donation (Donation.Giver): a
	// read that forgot it answers an error, never a missing partner.
	check := func(what, donationID, councilID string, giver *struct{ ID string }) {
		n++
		if want := e.id(`SELECT organization_id::text FROM donations WHERE id = $1`, donationID); councilID != want {
			t.Errorf("%s: donation %s's council %q, the ledger says %q", what, donationID, councilID, want)
		}
		got := ""
		if giver != nil {
			got = giver.ID
			partners++
		}
		if want := e.id(`SELECT COALESCE(partner_id::text, '') FROM donations WHERE id = $1`, donationID); got != want {
			t.Errorf("%s: donation %s's partner %q, the ledger says %q", what, donationID, got, want)
		}
	}
	for _, x := range lists.Donations.Edges {
		check("list", x.Node.OrganizationID, x.Node.Organization.ID, x.Node.Partner)
	}
	for _, x := range lists.BoxCollections.Edges {
		check("box collection", x.Node.Donation.OrganizationID, x.Node.Donation.Organization.ID, x.Node.Donation.Partner)
	}
	for _, x := range lists.Allocations.Edges {
		check("allocation", x.Node.Donation.OrganizationID, x.Node.Donation.Organization.ID, x.Node.Donation.Partner)
	}
	if len(lists.Donations.Edges) == 0 || len(lists.BoxCollections.Edges) == 0 || len(lists.Allocations.Edges) == 0 {
		t.Errorf("checked %d donations: %d listed, %d from boxes, %d allocated", n, len(lists.Donations.Edges), len(lists.BoxCollections.Edges), len(lists.Allocations.Edges))
	}

	// A partner's statement reads its gifts in a statement of its own.
	giver := e.id(`SELECT partner_id::text FROM donations WHERE partner_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)
	var st struct {
		PartnerStatement struct {
			Gifts []struct {
				Donation struct {
					OrganizationID string
					Organization   struct{ ID string }
					Partner        *struct{ ID string }
				}
			}
		}
	}
	e.query(`query($p: ID!) { partnerStatement(partnerId: $p, from: "2012-01-01", to: "2021-12-31") {
		gifts { donation { organizationId: id organization { id } partner { id } } } } }`, map[string]any{"p": giver}, &st)
	for _, g := range st.PartnerStatement.Gifts {
		check("partner statement", g.Donation.OrganizationID, g.Donation.Organization.ID, g.Donation.Partner)
	}
	if len(st.PartnerStatement.Gifts) == 0 {
		t.Errorf("partner %s's statement has no gifts", giver)
	}
	// A gift without a partner, read by id.
	var alone struct {
		Donation struct {
			ID           string
			Organization struct{ ID string }
			Partner      *struct{ ID string }
		}
	}
	e.query(`query($d: ID!) { donation(id: $d) { id organization { id } partner { id } } }`, map[string]any{"d": rec.RecordDonation.ID}, &alone)
	check("by id", alone.Donation.ID, alone.Donation.Organization.ID, alone.Donation.Partner)
	if partners == 0 || partners == n {
		t.Errorf("of %d donations checked, %d had a partner: want some of each", n, partners)
	}
}

// TestSummaryPageAnswersAsTheFullOne: a page that asks only for what a list
// shows is read with fewer columns (donation.SummaryColumns). Paged
// through the whole demo ledger, its answers must equal those of the same
// page asking for more (read with all columns), and agree with the ledger.
func TestSummaryPageAnswersAsTheFullOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const summary = `__typename id receivedOn amount source kind reference
		organization { id kind code name parent { id kind code name parent { name } } } partner { id kind name }`
	// More: fields only all columns answer, beside every summary one.
	const more = ` notes createdAt organization { timeZone parent { address } } partner { notes createdAt }`
	type page struct {
		Donations struct {
			Edges    []struct{ Node map[string]any }
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	read := func(nodes string) []map[string]any {
		var out []map[string]any
		var after *string
		for {
			var p page
			e.query(`query($after: String) { donations(first: 100, after: $after) { edges { node { `+nodes+` } }
				pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after}, &p)
			for _, edge := range p.Donations.Edges {
				out = append(out, edge.Node)
			}
			if !p.Donations.PageInfo.HasNextPage {
				return out
			}
			after = p.Donations.PageInfo.EndCursor
		}
	}
	short, full := read(summary), read(summary+more)
	if ledger := e.count(`SELECT count(*) FROM donations`); int64(len(short)) != ledger || len(full) != len(short) {
		t.Fatalf("summary pages hold %d donations, full pages %d, the ledger %d", len(short), len(full), ledger)
	}
	var amount, partners int64
	for i, s := range short {
		f := full[i]
		org := f["organization"].(map[string]any)
		// The extra fields were read: the ledger's own values.
		if want := e.id(`SELECT o.time_zone FROM donations d JOIN organizations o ON o.id = d.organization_id WHERE d.id = $1`, f["id"]); org["timeZone"] != want {
			t.Fatalf("donation %s: council's time zone %q, the ledger says %q", f["id"], org["timeZone"], want)
		}
		if want := e.id(`SELECT notes FROM donations WHERE id = $1`, f["id"]); f["notes"] != want {
			t.Fatalf("donation %s: notes %q, the ledger says %q", f["id"], f["notes"], want)
		}
		delete(f, "notes")
		delete(f, "createdAt")
		delete(org, "timeZone")
		if parent, ok := org["parent"].(map[string]any); ok {
			delete(parent, "address")
		}
		if p, ok := f["partner"].(map[string]any); ok {
			delete(p, "notes")
			delete(p, "createdAt")
			partners++
		}
		if !reflect.DeepEqual(s, f) {
			t.Fatalf("donation %d read for the summary\n%v\nread in full\n%v", i, s, f)
		}
		n, ok := s["amount"].(float64) // Rupiah is a JSON number; the demo's are far below 2^53
		if !ok {
			t.Fatalf("donation %s: amount %v", s["id"], s["amount"])
		}
		amount += int64(n)
	}
	if want := e.count(`SELECT sum(amount) FROM donations`); amount != want {
		t.Errorf("summary pages sum to %d, the ledger to %d", amount, want)
	}
	if want := e.count(`SELECT count(*) FROM donations WHERE partner_id IS NOT NULL`); partners != want {
		t.Errorf("%d donations came with a partner, the ledger has %d", partners, want)
	}
}
