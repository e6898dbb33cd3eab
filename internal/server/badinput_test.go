package server_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBadInputIsTheClientsError sends what used to answer 500: numbers
// beyond PostgreSQL's integer, dates before the year 1, text PostgreSQL
// cannot hold, a malformed body. Each is the client's error, with the field
// to blame, and nothing is written.
func TestBadInputIsTheClientsError(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	pmt := admin.id(`SELECT id FROM aid_types ORDER BY seq LIMIT 1`)
	written := admin.written()
	yearZero := base64.RawURLEncoding.EncodeToString([]byte("0000-06-01/5"))
	for _, tc := range []struct {
		name, query, field string
		vars               map[string]any
	}{
		{"an output of 3,000,000,000", `mutation($o: ID!, $t: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 3000000000,
			cost: 1, deliveredOn: "2015-01-02", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $o}) { id } }`,
			"input.quantity", map[string]any{"o": badung, "t": pmt}},
		{"a target of 3,000,000,000", `mutation($o: ID!, $t: ID!) { createProgrammeTarget(input: {organizationId: $o, year: 2016, aidTypeId: $t,
			targetQuantity: 3000000000, budget: 1}) { id } }`, "input.targetQuantity", map[string]any{"o": badung, "t": pmt}},
		{"3,000,000,000 goods", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: GOODS, receivedOn: "2015-01-02",
			items: [{description: "beras", quantity: 3000000000, unit: "kg", estimatedValue: 1000}]}) { id } }`,
			"input.items.0.quantity", map[string]any{"o": badung}},
		{"a filter in the year 0", `{ donations(filter: {from: "0000-01-01"}) { totalCount } }`, "filter.from", nil},
		{"a cursor in the year 0", `query($c: String!) { donations(after: $c) { totalCount } }`, "after", map[string]any{"c": yearZero}},
		{"a report from the year 0", `query($o: ID!) { report(organizationId: $o, from: "0000-01-01", to: "2014-12-31") { donationsTotal } }`,
			"from", map[string]any{"o": badung}},
		{"a report from the year 1", `query($o: ID!) { report(organizationId: $o, from: "0001-01-01", to: "0001-12-31") { previous { donationsTotal } } }`,
			"from", map[string]any{"o": badung}},
		{"an audit filter in the year 0", `{ auditLog(filter: {from: "0000-01-01T00:00:00Z"}) { totalCount } }`, "filter.from", nil},
	} {
		r := admin.post(tc.query, tc.vars)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %+v, want BAD_USER_INPUT at %s", tc.name, r.Errors, tc.field)
		}
	}

	// Every refused field of one input comes back at once.
	r := admin.post(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2999-01-01",
		amount: -5, partnerId: "00000000-0000-4000-8000-000000000000"}) { id } }`, map[string]any{"o": badung})
	fields := map[string]string{}
	for _, e := range r.Errors {
		fields[fmt.Sprint(e.Extensions["field"])] = fmt.Sprint(e.Extensions["reason"])
		if len(e.Path) != 1 || e.Path[0] != "recordDonation" || len(e.Locations) != 1 || e.Extensions["requestId"] == nil {
			t.Errorf("a refused field's error does not say where it is: %+v", e)
		}
	}
	if len(r.Errors) != 3 || fields["input.amount"] != "INVALID" || fields["input.receivedOn"] != "FUTURE_DATE" || fields["input.partnerId"] != "UNKNOWN" {
		t.Errorf("three refused fields answered as %v", fields)
	}
	// At most 100 errors, the last saying how many more.
	var items []string
	for range 150 {
		items = append(items, `{description: "", quantity: 1, unit: "kg", estimatedValue: 1}`)
	}
	r = admin.post(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: GOODS, receivedOn: "2015-01-02",
		items: [`+strings.Join(items, ",")+`]}) { id } }`, map[string]any{"o": badung})
	if len(r.Errors) != 100 || !strings.Contains(r.Errors[99].Message, "and 52 more") {
		t.Errorf("%d errors, the last %q; want 100, the last saying 52 more", len(r.Errors), r.Errors[len(r.Errors)-1].Message)
	}
	// A 25,000-group attendance list is one error.
	var groups []map[string]any
	for range 25000 {
		groups = append(groups, map[string]any{"group": "OTHER", "attendees": 1})
	}
	r = admin.post(`mutation($o: ID!, $a: [AttendanceInput!]!) { createWorkMeeting(input: {organizationId: $o, title: "R", heldOn: "2015-01-02", place: "P",
		periodFrom: "2015-01-01", periodTo: "2015-01-02", attendance: $a}) { id } }`, map[string]any{"o": badung, "a": groups})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "TOO_LONG" {
		t.Errorf("a 25,000-group attendance: %d errors, first %+v", len(r.Errors), r.Errors[0])
	}

	// Workbook parameters.
	for _, path := range []string{"/exports/donations.xlsx?from=0000-01-01", "/exports/donations.xlsx?org=%00",
		"/exports/donations.xlsx?org=%ff", "/exports/aid-outputs.xlsx?type=%00", "/exports/box-collections.xlsx?to=0000-12-31",
		"/exports/raker.xlsx?org=BALI&from=0000-01-01&to=2014-12-31", "/exports/raker.xlsx?org=%ff&year=2014",
		"/exports/audit-log.xlsx?from=0000-01-01T00:00:00Z", "/exports/audit-log.xlsx?actor=%00"} {
		if status, ctype, body := admin.download(path); status != 400 || !strings.HasPrefix(ctype, "application/json") || !strings.Contains(string(body), "BAD_USER_INPUT") {
			t.Errorf("%s: %d %s %.200s, want 400 BAD_USER_INPUT", path, status, ctype, body)
		}
	}

	// A malformed body is refused without being quoted back.
	secret := "do-not-echo-" + strings.Repeat("x", 20)
	req, _ := http.NewRequest("POST", admin.url+"/graphql", bytes.NewReader([]byte(`{"query": "{ __typename }", "`+secret)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || strings.Contains(string(body), secret) {
		t.Errorf("malformed body: %d %s", res.StatusCode, body)
	}
	if after := admin.written(); !equal(written, after) {
		t.Errorf("refused input changed the database: %v -> %v", written, after)
	}
}
