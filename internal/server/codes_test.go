package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCodesWhereIDsAreRead: a report, a list's filter and organization()
// take a council's code, in any case, as well as its id, and answer the
// same; an unknown code is refused with the codes nearest it.
func TestCodesWhereIDsAreRead(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	type answer struct {
		Report       struct{ DonationsTotal int64 }
		Donations    struct{ TotalCount int }
		Organization *struct{ ID, Code string }
	}
	ask := func(ref string, byCode bool) (answer, []gqlError) {
		t.Helper()
		q := `query($r: ID!) { report(organizationId: $r, year: 2014) { donationsTotal }
			donations(filter: {organizationId: $r}) { totalCount } organization(id: $r) { id code } }`
		if byCode {
			q = strings.NewReplacer("($r: ID!)", "($r: ID!, $c: String!)", "organization(id: $r)", "organization(code: $c)").Replace(q)
		}
		r := admin.post(q, map[string]any{"r": ref, "c": ref})
		var a answer
		if len(r.Errors) == 0 {
			if err := json.Unmarshal(r.Data, &a); err != nil {
				t.Fatal(err)
			}
		}
		return a, r.Errors
	}
	byID, errs := ask(badung, false)
	if len(errs) > 0 || byID.Organization == nil || byID.Report.DonationsTotal == 0 {
		t.Fatalf("by id: %+v %+v", byID, errs)
	}
	byCode, errs := ask("bali-badung", true)
	if len(errs) > 0 || byCode.Report != byID.Report || byCode.Donations != byID.Donations || byCode.Organization == nil || byCode.Organization.ID != badung {
		t.Errorf("by code %+v (%+v), by id %+v", byCode, errs, byID)
	}
	want := admin.count(`SELECT SUM(d.amount) FROM donations d JOIN organizations o ON o.id = d.organization_id
		JOIN organizations r ON r.code = 'BALI-BADUNG' AND o.path <@ r.path WHERE d.received_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if byCode.Report.DonationsTotal != want {
		t.Errorf("Badung's 2014 by code: %d, the ledger %d", byCode.Report.DonationsTotal, want)
	}
	// An unknown code: refused with the nearest; organization() answers null.
	r := admin.post(`query { report(organizationId: "BALI-BADUN", year: 2014) { donationsTotal } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "UNKNOWN" || !strings.Contains(r.Errors[0].Message, "did you mean BALI-BADUNG ") {
		t.Errorf("an unknown code: %+v", r.Errors)
	}
	r = admin.post(`query { organization(code: "NOWHERE") { id } }`, nil)
	if len(r.Errors) != 0 || string(r.Data) != `{"organization":null}` {
		t.Errorf("organization(code: NOWHERE): %s %+v", r.Data, r.Errors)
	}
	r = admin.post(`query { organization { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("organization() with neither: %+v", r.Errors)
	}
}
