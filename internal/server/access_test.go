package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sinergi-id/sinergi/graph"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/request"
)

const samudra = "PT Samudra Dewata Energi" // a demo CSR company
const sinarJaya = "Swalayan Sinar Jaya"    // a demo retail chain hosting boxes

// curious is what a curious partner asks for, page by page: every list,
// aggregate and nested path it can reach.
var curious = []string{
	`{ partners(first: 100) { totalCount edges { node { id name } } } viewer { role partner { name } } }`,
	`{ donations(first: 100) { totalCount sum edges { node { amount partner { name } organization { code }
		reverses { partner { name } } reversedBy { partner { name } } items { description } } } } }`,
	`{ donations(first: 50, filter: {sources: [DONATION_BOX]}) { edges { node {
		boxCollection { number box { code host { name } } donation { partner { name } } } } } } }`,
	`{ donationBoxes(first: 40) { totalCount edges { node { code host { name } collections(first: 3) { totalCount sum } } } } }`,
	`{ boxCollections(first: 100) { totalCount sum edges { node { amount box { host { name } } donation { partner { name } } } } } }`,
	`{ aidOutputs(first: 100) { totalCount totalQuantity totalCost byAidType { quantity } edges { node { quantity } } }
		programmeTargets(first: 100) { totalCount edges { node { targetQuantity realisedQuantity } } }
		workMeetings(first: 100) { edges { node { totalAttendees } } } }`,
}

func TestPartnerSeesOnlyItsOwn(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	for _, name := range []string{samudra, sinarJaya} {
		p := admin.as(auth.Partner, name)
		var body string
		merged := map[string]json.RawMessage{}
		for _, q := range curious {
			r := p.post(q, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %+v", name, r.Errors)
			}
			body += string(r.Data)
			var part map[string]json.RawMessage
			if err := json.Unmarshal(r.Data, &part); err != nil {
				t.Fatal(err)
			}
			for k, v := range part {
				if _, seen := merged[k]; !seen {
					merged[k] = v
				}
			}
		}
		// No other partner's name may appear anywhere in the answer.
		var others []string
		if err := admin.db.Select(&others, `SELECT name FROM partners WHERE name <> $1`, name); err != nil {
			t.Fatal(err)
		}
		for _, other := range others {
			if strings.Contains(body, other) {
				t.Errorf("%s sees %q", name, other)
			}
		}
		var got struct {
			Partners struct {
				TotalCount int
				Edges      []struct{ Node struct{ Name string } }
			}
			Donations struct {
				TotalCount int64
				Sum        int64
			}
			DonationBoxes  struct{ TotalCount int64 }
			BoxCollections struct {
				TotalCount int64
				Sum        int64
			}
			AidOutputs struct {
				TotalCount, TotalQuantity int
				ByAidType                 []struct{ Quantity int }
			}
			ProgrammeTargets struct{ TotalCount int }
			WorkMeetings     struct{ Edges []struct{} }
			Viewer           struct {
				Role    string
				Partner struct{ Name string }
			}
		}
		all, _ := json.Marshal(merged)
		if err := json.Unmarshal(all, &got); err != nil {
			t.Fatal(err)
		}
		own := admin.id(`SELECT id FROM partners WHERE name = $1`, name)
		if got.Partners.TotalCount != 1 || len(got.Partners.Edges) != 1 || got.Partners.Edges[0].Node.Name != name {
			t.Errorf("%s: partners %+v, want only itself", name, got.Partners)
		}
		wantCount := admin.count(`SELECT count(*) FROM donations WHERE partner_id = $1`, own)
		wantSum := admin.count(`SELECT COALESCE(SUM(amount), 0) FROM donations WHERE partner_id = $1`, own)
		if got.Donations.TotalCount != wantCount || got.Donations.Sum != wantSum || wantCount == 0 {
			t.Errorf("%s: %d donations summing %d; its own are %d summing %d", name, got.Donations.TotalCount, got.Donations.Sum, wantCount, wantSum)
		}
		wantBoxes := admin.count(`SELECT count(*) FROM donation_boxes WHERE host_partner_id = $1`, own)
		wantCollected := admin.count(`SELECT COALESCE(SUM(c.amount), 0) FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id WHERE b.host_partner_id = $1`, own)
		if got.DonationBoxes.TotalCount != wantBoxes || got.BoxCollections.Sum != wantCollected {
			t.Errorf("%s: %d boxes, collections summing %d; it hosts %d summing %d", name, got.DonationBoxes.TotalCount, got.BoxCollections.Sum, wantBoxes, wantCollected)
		}
		// Of the councils' outputs, a partner sees exactly those its gifts
		// paid for; never their programmes or meetings.
		funded := admin.count(`SELECT count(*) FROM aid_outputs a WHERE (SELECT SUM(x.amount) FROM allocations x
			JOIN donations d ON d.id = x.donation_id WHERE x.aid_output_id = a.id AND d.partner_id = $1) > 0`, own)
		if int64(got.AidOutputs.TotalCount) != funded || funded == 0 || got.ProgrammeTargets.TotalCount != 0 || len(got.WorkMeetings.Edges) != 0 {
			t.Errorf("%s sees %d outputs (its gifts funded %d), %d targets, %d meetings", name, got.AidOutputs.TotalCount, funded,
				got.ProgrammeTargets.TotalCount, len(got.WorkMeetings.Edges))
		}
		if got.Viewer.Role != "PARTNER" || got.Viewer.Partner.Name != name {
			t.Errorf("%s: viewer %+v", name, got.Viewer)
		}
		// Another partner's records by id are as absent as records that do not exist.
		otherDonation := admin.id(`SELECT id FROM donations WHERE partner_id <> $1 ORDER BY seq LIMIT 1`, own)
		otherPartner := admin.id(`SELECT id FROM partners WHERE id <> $1 ORDER BY seq LIMIT 1`, own)
		otherBox := admin.id(`SELECT id FROM donation_boxes WHERE host_partner_id <> $1 ORDER BY seq LIMIT 1`, own)
		var byID struct {
			Donation, Partner, DonationBox *struct{ ID string }
		}
		p.query(`query($d: ID!, $p: ID!, $b: ID!) { donation(id: $d) { id } partner(id: $p) { id } donationBox(id: $b) { id } }`,
			map[string]any{"d": otherDonation, "p": otherPartner, "b": otherBox}, &byID)
		if byID.Donation != nil || byID.Partner != nil || byID.DonationBox != nil {
			t.Errorf("%s reads another's record by id: %+v", name, byID)
		}
	}
}

func TestOperatorStaysInItsSubtree(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	op := admin.as(auth.Operator, "BALI-BADUNG")
	gianyar := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-GIANYAR'`)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)

	var got struct {
		Organizations struct{ TotalCount int }
		Donations     struct {
			TotalCount int64
			Edges      []struct {
				Node struct{ Organization struct{ Code string } }
			}
		}
		Gianyar *struct{ ID string }
		Badung  struct{ Ancestors []struct{ Code string } }
	}
	op.query(`query($g: ID!, $b: ID!) { organizations { totalCount } donations(first: 100) { totalCount edges { node { organization { code } } } }
		gianyar: organization(id: $g) { id } badung: organization(id: $b) { ancestors { code } } }`,
		map[string]any{"g": gianyar, "b": badung}, &got)
	// The council tree is visible to every signed-in role; the records
	// kept at its nodes are not.
	allOrgs := admin.count(`SELECT count(*) FROM organizations`)
	if int64(got.Organizations.TotalCount) != allOrgs || got.Gianyar == nil || len(got.Badung.Ancestors) != 1 || got.Badung.Ancestors[0].Code != "BALI" {
		t.Errorf("operator of Badung sees %d organizations of %d, Gianyar %v, ancestors %v", got.Organizations.TotalCount, allOrgs, got.Gianyar, got.Badung.Ancestors)
	}
	want := admin.count(`SELECT count(*) FROM donations d JOIN organizations o ON o.id = d.organization_id
		WHERE o.path <@ (SELECT path FROM organizations WHERE code = 'BALI-BADUNG')`)
	if got.Donations.TotalCount != want {
		t.Errorf("operator sees %d donations, its subtree has %d", got.Donations.TotalCount, want)
	}
	for _, e := range got.Donations.Edges {
		if !strings.HasPrefix(e.Node.Organization.Code, "BALI-BADUNG") {
			t.Errorf("operator of Badung sees a donation of %s", e.Node.Organization.Code)
		}
	}

	// Writing into another regency is refused at the field (the tree is
	// visible, its records are not), and nothing is written.
	before := admin.written()
	gianyarDonation := admin.id(`SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id WHERE o.code = 'BALI-GIANYAR' LIMIT 1`)
	provinceBox := admin.id(`SELECT b.id FROM donation_boxes b JOIN organizations o ON o.id = b.organization_id WHERE o.code = 'BALI' LIMIT 1`)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"record a donation for Gianyar", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-01", amount: 1000}) { id } }`,
			map[string]any{"o": gianyar}, "BAD_USER_INPUT", "input.organizationId"},
		{"reverse a Gianyar donation", `mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "x"}) { id } }`,
			map[string]any{"d": gianyarDonation}, "BAD_USER_INPUT", "input.donationId"},
		{"open the province's box", `mutation($b: ID!) { recordBoxCollection(input: {boxId: $b, collectedOn: "2015-01-25", amount: 1000, countedBy: ["A", "B"], sealRemoved: "X"}) { id } }`,
			map[string]any{"b": provinceBox}, "BAD_USER_INPUT", "input.boxId"},
		{"add an institution under Gianyar", `mutation($o: ID!) { createOrganization(input: {parentId: $o, kind: INSTITUTION, code: "X-9", name: "X"}) { id } }`,
			map[string]any{"o": gianyar}, "BAD_USER_INPUT", "input.parentId"},
		{"add a province", `mutation { createOrganization(input: {kind: PROVINCE_COUNCIL, code: "X-8", name: "X"}) { id } }`, nil, "FORBIDDEN", ""},
		{"extend the aid catalogue", `mutation { createAidType(input: {code: "X", name: "X", nameEn: "X", unit: "x"}) { id } }`, nil, "FORBIDDEN", ""},
		{"read the audit trail", `{ auditLog { totalCount } }`, nil, "FORBIDDEN", ""},
	} {
		r := op.post(tc.query, tc.vars)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tc.code || (tc.field != "" && r.Errors[0].Extensions["field"] != tc.field) {
			t.Errorf("%s: got %+v, want %s %s", tc.name, r.Errors, tc.code, tc.field)
		}
	}
	if after := admin.written(); !equal(before, after) {
		t.Errorf("refused writes changed the database: %v -> %v", before, after)
	}

	// Within its subtree the operator writes, and the trail names it.
	var ok struct{ RecordDonation struct{ ID string } }
	op.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-01", amount: 1000}) { id } }`,
		map[string]any{"o": badung}, &ok)
	if actor := admin.id(`SELECT actor FROM audit_log WHERE entity_id = $1`, ok.RecordDonation.ID); actor != "OPERATOR BALI-BADUNG/tests" {
		t.Errorf("audit actor %q", actor)
	}
}

func TestAuditorReadsEverythingAndWritesNothing(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	aud := admin.as(auth.Auditor, "")
	var got struct {
		Donations struct{ TotalCount int64 }
		AuditLog  struct {
			TotalCount int
			Edges      []struct {
				Node struct{ Actor, Action, Entity string }
			}
		}
	}
	aud.query(`{ donations { totalCount } auditLog(first: 5) { totalCount edges { node { actor action entity } } } }`, nil, &got)
	if got.Donations.TotalCount != admin.count(`SELECT count(*) FROM donations`) {
		t.Errorf("auditor sees %d donations", got.Donations.TotalCount)
	}
	if int64(got.AuditLog.TotalCount) != admin.count(`SELECT count(*) FROM audit_log`) || len(got.AuditLog.Edges) != 5 {
		t.Errorf("auditor's audit log: %+v", got.AuditLog)
	}
	before := admin.written()
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	for _, tc := range []struct{ field, q string }{
		{"createPartner", `mutation { createPartner(input: {kind: BUSINESS, name: "x"}) { id } }`},
		{"recordDonation", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-01", amount: 1000}) { id } }`},
		{"createOrganization", `mutation($o: ID!) { createOrganization(input: {parentId: $o, kind: REGENCY_COUNCIL, code: "X-1", name: "X"}) { id } }`},
		// Refused before its input is read: no word about the bad amount and date.
		{"recordDonation", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2099-05-01", amount: -5}) { id } }`},
	} {
		r := aud.post(tc.q, map[string]any{"o": bali})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" ||
			len(r.Errors[0].Path) != 1 || r.Errors[0].Path[0] != tc.field || len(r.Errors[0].Locations) != 1 {
			t.Errorf("auditor: %s answered %+v", tc.q, r.Errors)
		}
	}
	if after := admin.written(); !equal(before, after) {
		t.Errorf("an auditor's mutation wrote: %v -> %v", before, after)
	}
}

// TestRoleMatrix runs each role against each kind of operation.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	envs := map[auth.Role]*env{
		auth.Admin:    admin,
		auth.Operator: admin.as(auth.Operator, "BALI"),
		auth.Auditor:  admin.as(auth.Auditor, ""),
		auth.Partner:  admin.as(auth.Partner, samudra),
	}
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	const allow, forbid = "", "FORBIDDEN"
	for _, tc := range []struct {
		name  string
		query string
		want  map[auth.Role]string
	}{
		{"list organizations", `{ organizations { totalCount } }`, map[auth.Role]string{auth.Admin: allow, auth.Operator: allow, auth.Auditor: allow, auth.Partner: allow}},
		{"list donations", `{ donations { totalCount } }`, map[auth.Role]string{auth.Admin: allow, auth.Operator: allow, auth.Auditor: allow, auth.Partner: allow}},
		{"aid types", `{ aidTypes { code } }`, map[auth.Role]string{auth.Admin: allow, auth.Operator: allow, auth.Auditor: allow, auth.Partner: allow}},
		{"audit log", `{ auditLog { totalCount } }`, map[auth.Role]string{auth.Admin: allow, auth.Operator: forbid, auth.Auditor: allow, auth.Partner: forbid}},
		{"create partner", `mutation { createPartner(input: {kind: BUSINESS, name: "Matrix"}) { id } }`,
			map[auth.Role]string{auth.Admin: allow, auth.Operator: allow, auth.Auditor: forbid, auth.Partner: forbid}},
		{"record donation", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-02", amount: 1000}) { id } }`,
			map[auth.Role]string{auth.Admin: allow, auth.Operator: allow, auth.Auditor: forbid, auth.Partner: forbid}},
		{"create aid type", `mutation { createAidType(input: {code: "MATRIX", name: "M", nameEn: "M", unit: "m"}) { id } }`,
			map[auth.Role]string{auth.Admin: allow, auth.Operator: forbid, auth.Auditor: forbid, auth.Partner: forbid}},
	} {
		for role, want := range tc.want {
			r := envs[role].post(tc.query, map[string]any{"o": bali})
			got := ""
			if len(r.Errors) > 0 {
				got, _ = r.Errors[0].Extensions["code"].(string)
			}
			if got != want {
				t.Errorf("%s as %s: got %q (%+v), want %q", tc.name, role, got, r.Errors, want)
			}
		}
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ask := func(token string) (int, string) {
		req, _ := http.NewRequest("POST", e.url+"/graphql", jsonBody(`{ viewer { role } }`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return res.StatusCode, res.Header.Get("WWW-Authenticate")
	}
	if status, _ := ask(e.token); status != http.StatusOK {
		t.Fatalf("a valid token: %d", status)
	}
	if used := e.count(`SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL`); used != 1 {
		t.Errorf("%d tokens marked used, want 1", used)
	}
	revoked := e.as(auth.Auditor, "").token
	if _, err := e.db.Exec(`UPDATE api_tokens SET revoked_at = now() WHERE account_id = (SELECT id FROM accounts WHERE name = 'AUDITOR ')`); err != nil {
		t.Fatal(err)
	}
	expired := e.as(auth.Partner, samudra).token
	if _, err := e.db.Exec(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE account_id = (SELECT id FROM accounts WHERE role = 'PARTNER')`); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"none": "", "made up": "sng_madeup", "not ours": "abc", "revoked": revoked, "expired": expired} {
		status, challenge := ask(token)
		if status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer") {
			t.Errorf("%s token: %d %q, want 401 with a Bearer challenge", name, status, challenge)
		}
	}
	// The health checks and GraphiQL need no token; metrics need an admin's or auditor's.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/": 200, "/metrics": 401} {
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s without a token: %d, want %d", path, res.StatusCode, want)
		}
	}
	op := e.as(auth.Operator, "BALI")
	req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+op.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("metrics for an operator: %d, want 403", res.StatusCode)
	}
	// No token is kept in clear anywhere in the database.
	var columns []struct{ Table, Column string }
	if err := e.db.Select(&columns, `SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'bytea', 'character varying')`); err != nil {
		t.Fatal(err)
	}
	for _, c := range columns {
		for _, secret := range []string{e.token, op.token, revoked} {
			n := e.count(`SELECT count(*) FROM "`+c.Table+`" WHERE position(convert_to($1, 'UTF8') IN convert_to("`+c.Column+`"::text, 'UTF8')) > 0`, secret)
			if n != 0 {
				t.Errorf("a token is stored in clear in %s.%s", c.Table, c.Column)
			}
		}
	}
}

func equal(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestEveryMutationByRole runs every mutation of the schema as each role:
// the admin writes anywhere, an operator (of the province here) within its
// subtree but not the aid catalogue nor a reopening, auditors and partner
// accounts never. A mutation added to the schema and not to this table
// fails the test.
func TestEveryMutationByRole(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	roles := []auth.Role{auth.Admin, auth.Operator, auth.Auditor, auth.Partner}
	envs := map[auth.Role]*env{
		auth.Admin:    admin,
		auth.Operator: admin.as(auth.Operator, "BALI"),
		auth.Auditor:  admin.as(auth.Auditor, ""),
		auth.Partner:  admin.as(auth.Partner, samudra),
	}
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	pmt := admin.id(`SELECT id FROM aid_types ORDER BY seq LIMIT 1`)
	host := admin.id(`SELECT id FROM partners WHERE kind = 'RETAIL' LIMIT 1`)
	// One record of each kind per role, so that each role's write is its own.
	nth := func(query string) func(i int) string {
		return func(i int) string { return admin.id(query+` OFFSET $1 LIMIT 1`, i) }
	}
	donation := nth(`SELECT d.id FROM donations d WHERE source <> 'DONATION_BOX' AND reverses_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM allocations x WHERE x.donation_id = d.id) ORDER BY seq`)
	output := nth(`SELECT a.id FROM aid_outputs a WHERE NOT EXISTS (SELECT 1 FROM allocations x WHERE x.aid_output_id = a.id) ORDER BY seq`)
	collection := nth(`SELECT c.id FROM box_collections c WHERE NOT EXISTS (SELECT 1 FROM allocations x WHERE x.donation_id = c.donation_id) ORDER BY seq`)
	// Boxes under no permit: their openings in 2015 need none.
	box := nth(`SELECT id FROM donation_boxes b WHERE NOT EXISTS (SELECT 1 FROM box_permits p WHERE p.box_id = b.id) ORDER BY seq`)
	permitOf := func(i int) string { return fmt.Sprintf("MATRIX-PUB-%d", i) }
	badungBox := nth(`SELECT b.id FROM donation_boxes b JOIN organizations o ON o.id = b.organization_id
		WHERE o.code = 'BALI-BADUNG' ORDER BY b.seq DESC`)
	provinceGift := nth(`SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id
		WHERE o.code = 'BALI' AND d.kind = 'MONEY' AND d.source <> 'DONATION_BOX' AND d.reverses_id IS NULL
		  AND d.earmark_aid_type_id IS NULL AND d.earmark_programme IS NULL ORDER BY d.seq DESC`)
	lateOutput := nth(`SELECT id FROM aid_outputs WHERE reverses_id IS NULL AND cost >= 10000 ORDER BY seq DESC`)
	admin.unallocate(lateOutput(0))
	admin.unallocate(lateOutput(1))
	allocation := nth(`SELECT id FROM allocations WHERE releases_id IS NULL ORDER BY seq DESC`)
	pledgeOf := nth(`SELECT id FROM pledges ORDER BY purpose = 'Matriks' DESC, seq`)
	target := nth(`SELECT id FROM programme_targets ORDER BY seq`)
	meetingOf := nth(`SELECT id FROM work_meetings ORDER BY seq`)
	receiptOf := nth(`SELECT r.id FROM receipts r JOIN organizations o ON o.id = r.organization_id WHERE o.code = 'BALI' ORDER BY r.seq`)
	donationOf := func(i int) string { return admin.id(`SELECT donation_id FROM receipts WHERE id = $1`, receiptOf(i)) }
	seal := func(i int) string {
		return admin.id(`SELECT seal_applied FROM box_collections WHERE box_id = $1 ORDER BY number DESC LIMIT 1`, box(i))
	}
	requests := newRequestMaker(admin, "BALI-BADUNG")
	inState := func(st request.State) func(int) map[string]any {
		return func(int) map[string]any { return map[string]any{"r": requests.make(st)} }
	}
	const allow, forbid = "", "FORBIDDEN"
	writers := map[auth.Role]string{auth.Admin: allow, auth.Operator: allow, auth.Auditor: forbid, auth.Partner: forbid}
	adminOnly := map[auth.Role]string{auth.Admin: allow, auth.Operator: forbid, auth.Auditor: forbid, auth.Partner: forbid}
	cases := []struct {
		mutation, query string
		vars            func(i int) map[string]any
		want            map[auth.Role]string
	}{
		{"createOrganization", `mutation($o: ID!, $c: String!) { createOrganization(input: {parentId: $o, kind: INSTITUTION, code: $c, name: "Panti"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"o": badung, "c": fmt.Sprintf("MATRIX-%d", i)} }, writers},
		{"createPartner", `mutation { createPartner(input: {kind: BUSINESS, name: "Matrix"}) { id } }`, nil, writers},
		{"recordDonation", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-05-02", amount: 1000}) { id } }`,
			func(int) map[string]any { return map[string]any{"o": badung} }, writers},
		{"reverseDonation", `mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "matrix"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"d": donation(i)} }, writers},
		{"createDonationBox", `mutation($o: ID!, $h: ID!, $c: String!) { createDonationBox(input: {code: $c, hostPartnerId: $h, organizationId: $o,
			regencyId: $o, address: "Jl. M", placedOn: "2015-01-05"}) { id } }`,
			func(i int) map[string]any {
				return map[string]any{"o": badung, "h": host, "c": fmt.Sprintf("K-MATRIX-%d", i)}
			}, writers},
		{"recordBoxCollection", `mutation($b: ID!, $s: String!) { recordBoxCollection(input: {boxId: $b, collectedOn: "2015-01-25", amount: 1000,
			countedBy: ["Made", "Ketut"], sealRemoved: $s, sealApplied: "NEW"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"b": box(i), "s": seal(i)} }, writers},
		{"retireDonationBox", `mutation($b: ID!) { retireDonationBox(input: {boxId: $b, retiredOn: "2015-02-01"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"b": box(i)} }, writers},
		{"reverseBoxCollection", `mutation($c: ID!) { reverseBoxCollection(input: {collectionId: $c, reason: "matrix"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"c": collection(i)} }, writers},
		{"createPermit", `mutation($n: String!, $o: ID!) { createPermit(input: {number: $n, authority: "Dinas Sosial", organizationId: $o,
			purpose: "Matriks", methods: [DONATION_BOX, APPEAL], regencyIds: [$o], validFrom: "2015-01-01", validTo: "2015-03-31"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"n": permitOf(i), "o": badung} }, writers},
		{"extendPermit", `mutation($p: ID!, $n: String!) { extendPermit(input: {permitId: $p, number: $n, validTo: "2015-04-15", grantedOn: "2015-03-01"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"p": permitOf(i), "n": permitOf(i) + "-EXT"} }, writers},
		{"placeBoxUnderPermit", `mutation($b: ID!, $p: ID!) { placeBoxUnderPermit(input: {boxId: $b, permitId: $p, placedOn: "2015-03-01"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"b": badungBox(i), "p": permitOf(i)} }, writers},
		{"createAidType", `mutation { createAidType(input: {code: "MATRIX", name: "M", nameEn: "M", unit: "m"}) { id } }`, nil, adminOnly},
		{"recordAidOutput", `mutation($o: ID!, $t: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 1, cost: 1,
			deliveredOn: "2015-01-02", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $o}) { id } }`,
			func(int) map[string]any { return map[string]any{"o": badung, "t": pmt} }, writers},
		{"reverseAidOutput", `mutation($a: ID!) { reverseAidOutput(input: {outputId: $a, reason: "matrix"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"a": output(i)} }, writers},
		{"createProgrammeTarget", `mutation($o: ID!, $t: ID!, $y: Int!) { createProgrammeTarget(input: {organizationId: $o, year: $y, aidTypeId: $t,
			targetQuantity: 1, budget: 1}) { id } }`, func(i int) map[string]any { return map[string]any{"o": badung, "t": pmt, "y": 2020 + i} }, writers},
		{"createWorkMeeting", `mutation($o: ID!) { createWorkMeeting(input: {organizationId: $o, title: "M", heldOn: "2015-02-02", place: "P",
			periodFrom: "2015-01-01", periodTo: "2015-01-31", attendance: []}) { id } }`, func(int) map[string]any { return map[string]any{"o": badung} }, writers},
		{"allocateDonation", `mutation($d: ID!, $a: ID!) { allocateDonation(input: {donationId: $d, aidOutputId: $a, amount: 1000}) { id } }`,
			func(i int) map[string]any { return map[string]any{"d": provinceGift(i), "a": lateOutput(i)} }, writers},
		{"releaseAllocation", `mutation($x: ID!) { releaseAllocation(input: {allocationId: $x, reason: "matrix"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"x": allocation(i)} }, writers},
		{"allocateFunds", `mutation($o: ID!) { allocateFunds(organizationId: $o, from: "2014-01-01", to: "2014-12-31", dryRun: false) { funded } }`,
			func(int) map[string]any { return map[string]any{"o": bali} }, writers},
		{"voidReceipt", `mutation($r: ID!) { voidReceipt(input: {receiptId: $r, reason: "matrix"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"r": receiptOf(i)} }, writers},
		{"reissueReceipt", `mutation($d: ID!) { reissueReceipt(input: {donationId: $d}) { id } }`,
			func(i int) map[string]any { return map[string]any{"d": donationOf(i)} }, writers},
		{"recordPledge", `mutation($p: ID!, $o: ID!) { recordPledge(input: {partnerId: $p, organizationId: $o, amount: 5000000, pledgedOn: "2015-01-02",
			from: "2015-01-01", to: "2015-12-31", purpose: "Matriks"}) { id } }`, func(int) map[string]any { return map[string]any{"p": host, "o": bali} }, writers},
		{"writeOffPledge", `mutation($g: ID!) { writeOffPledge(input: {pledgeId: $g, reason: "matrix"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"g": pledgeOf(i)} }, writers},
		{"closePeriod", `mutation($o: ID!, $d: Date!) { closePeriod(input: {organizationId: $o, through: $d}) { id } }`,
			func(i int) map[string]any { return map[string]any{"o": bali, "d": fmt.Sprintf("2012-%02d-28", 1+i)} }, writers},
		{"reopenPeriod", `mutation($o: ID!) { reopenPeriod(input: {organizationId: $o, reason: "matrix"}) { id } }`,
			func(int) map[string]any { return map[string]any{"o": bali} }, adminOnly},
		{"recordOfficers", `mutation($o: ID!, $d: Date!) { recordOfficers(input: {organizationId: $o, effectiveFrom: $d, chairName: "Ketua M",
			secretaryName: "Sekretaris M", seat: "Mangupura"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"o": badung, "d": fmt.Sprintf("2015-%02d-01", 1+i)} }, writers},
		{"writeProgrammeNarrative", `mutation($t: ID!) { writeProgrammeNarrative(input: {targetId: $t, text: "Catatan matriks"}) { id } }`,
			func(i int) map[string]any { return map[string]any{"t": target(i)} }, writers},
		{"recordMeetingDecisions", `mutation($m: ID!) { recordMeetingDecisions(input: {meetingId: $m, decisions: [{kind: DECISION, text: "Matriks"}]}) { id } }`,
			func(i int) map[string]any { return map[string]any{"m": meetingOf(i % 2)} }, writers},
		{"submitAidRequest", `mutation($o: ID!, $t: ID!, $n: String!) { submitAidRequest(input: {receivedById: $o, receivedOn: "2015-02-02",
			applicantKind: PERSON, applicantName: "Matriks", nik: $n, address: "Desa M", regencyId: $o, aidTypeId: $t, quantity: 1,
			pmksCategory: NEGLECT, beneficiaryGroup: ELDERLY, estimatedBudget: 1000}) { id } }`,
			func(int) map[string]any { return map[string]any{"o": badung, "t": pmt, "n": requests.nextNIK()} }, writers},
		{"verifyAidRequest", `mutation($r: ID!) { verifyAidRequest(input: {requestId: $r, on: "2015-03-20"}) { id } }`,
			inState(request.Submitted), writers},
		{"forwardAidRequest", `mutation($r: ID!) { forwardAidRequest(input: {requestId: $r, on: "2015-03-20"}) { id } }`,
			inState(request.Verified), writers},
		{"approveAidRequest", `mutation($r: ID!) { approveAidRequest(input: {requestId: $r, on: "2015-03-20"}) { id } }`,
			inState(request.Forwarded), writers},
		{"rejectAidRequest", `mutation($r: ID!) { rejectAidRequest(input: {requestId: $r, on: "2015-03-20", note: "matrix"}) { id } }`,
			inState(request.Forwarded), writers},
		{"fulfilAidRequest", `mutation($r: ID!, $a: ID!) { fulfilAidRequest(input: {requestId: $r, outputIds: [$a], on: "2015-03-20"}) { id } }`,
			func(int) map[string]any {
				return map[string]any{"r": requests.make(request.Approved), "a": requests.output()}
			}, writers},
		{"cancelAidRequest", `mutation($r: ID!) { cancelAidRequest(input: {requestId: $r, note: "matrix", on: "2015-03-20"}) { id } }`,
			inState(request.Approved), writers},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.mutation] = true
		for i, role := range roles {
			var vars map[string]any
			if tc.vars != nil {
				vars = tc.vars(i)
			}
			r := envs[role].post(tc.query, vars)
			got := ""
			if len(r.Errors) > 0 {
				got, _ = r.Errors[0].Extensions["code"].(string)
			}
			if got != tc.want[role] {
				t.Errorf("%s as %s: got %q (%+v), want %q", tc.mutation, role, got, r.Errors, tc.want[role])
			}
		}
	}
	for _, f := range graph.NewExecutableSchema(graph.Config{}).Schema().Mutation.Fields {
		if !covered[f.Name] {
			t.Errorf("mutation %s is not in the role matrix", f.Name)
		}
	}
}

// TestTreeAgreesAcrossGraphQLAndWorkbooks: an operator's own output
// delivered to a regency outside its subtree names that regency in GraphQL
// as in its outputs workbook, since the tree is visible to every role.
func TestTreeAgreesAcrossGraphQLAndWorkbooks(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	op := admin.as(auth.Operator, "BALI-BADUNG")
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	gianyar := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-GIANYAR'`)
	pmt := admin.id(`SELECT id FROM aid_types ORDER BY seq LIMIT 1`)
	var got struct {
		RecordAidOutput struct {
			Regency struct{ Code, Name string }
		}
	}
	op.query(`mutation($o: ID!, $r: ID!, $t: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 3, cost: 30,
		deliveredOn: "2015-03-03", beneficiaryGroup: DISABLED, pmksCategory: DISABILITY, regencyId: $r}) { regency { code name } } }`,
		map[string]any{"o": badung, "r": gianyar, "t": pmt}, &got)
	if got.RecordAidOutput.Regency.Code != "BALI-GIANYAR" {
		t.Fatalf("the output's regency in GraphQL: %+v", got.RecordAidOutput.Regency)
	}
	rows := sheet(t, op, "/exports/aid-outputs.xlsx?from=2015-03-03&to=2015-03-03", "Penyaluran Bantuan")
	if len(rows) != 3 || rows[1][9] != got.RecordAidOutput.Regency.Name {
		t.Errorf("the workbook names %v, GraphQL %q", rows, got.RecordAidOutput.Regency.Name)
	}
	// Badung's report keeps the neighbour's row after its own, named.
	var report struct {
		Report struct {
			OutputsByAidTypeAndRegency []struct {
				AidType  struct{ ID string }
				Regency  struct{ Code, Name string }
				Quantity int
			}
		}
	}
	op.query(`query($o: ID!) { report(organizationId: $o, from: "2015-03-01", to: "2015-03-31") {
		outputsByAidTypeAndRegency { aidType { id } regency { code name } quantity } } }`, map[string]any{"o": badung}, &report)
	if rows := report.Report.OutputsByAidTypeAndRegency; len(rows) != 2 || rows[0].Regency.Code != "BALI-BADUNG" || rows[0].Quantity != 0 ||
		rows[1].Regency != got.RecordAidOutput.Regency || rows[1].AidType.ID != pmt || rows[1].Quantity != 3 {
		t.Errorf("Badung's March 2015 outputs by type and regency: %+v", rows)
	}
	// A code taken elsewhere in the tree is a duplicate, which tells the
	// operator nothing it could not read.
	r := op.post(`mutation($o: ID!) { createOrganization(input: {parentId: $o, kind: INSTITUTION, code: "BALI-GIANYAR", name: "X"}) { id } }`,
		map[string]any{"o": badung})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "DUPLICATE" {
		t.Errorf("a code used in Gianyar: %+v", r.Errors)
	}
}
