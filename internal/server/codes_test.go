package server_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
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

// TestCodesOfTypesBoxesAndPartners: aidType, donationBox and partner are
// found by code (or a partner by name) in any case as by id, answer the
// same record, null when none; filters take those codes and names too,
// and answer what the ids answer; an unknown one is refused with the
// nearest.
func TestCodesOfTypesBoxesAndPartners(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	ids := map[string]string{
		"type":    admin.id(`SELECT id FROM aid_types WHERE code = 'KURSI_RODA'`),
		"box":     admin.id(`SELECT id FROM donation_boxes WHERE code = 'KTK-007'`),
		"partner": admin.id(`SELECT id FROM partners WHERE name = 'Swalayan Sinar Jaya'`),
		"regency": admin.id(`SELECT id FROM organizations WHERE code = 'BALI-GIANYAR'`),
	}
	type found struct {
		AidType     *struct{ ID string }
		DonationBox *struct{ ID string }
		Partner     *struct{ ID string }
	}
	var byRef found
	admin.query(`{ aidType(code: "kursi_roda") { id } donationBox(code: "ktk-007") { id } partner(name: "swalayan sinar jaya") { id } }`, nil, &byRef)
	if byRef.AidType == nil || byRef.AidType.ID != ids["type"] || byRef.DonationBox == nil || byRef.DonationBox.ID != ids["box"] ||
		byRef.Partner == nil || byRef.Partner.ID != ids["partner"] {
		t.Fatalf("by code or name: %+v", byRef)
	}
	var none found
	admin.query(`{ aidType(code: "ZAKAT") { id } donationBox(code: "\u0000") { id } partner(name: "nobody") { id } }`, nil, &none)
	if none.AidType != nil || none.DonationBox != nil || none.Partner != nil {
		t.Errorf("unknown codes found %+v", none)
	}
	if r := admin.post(`{ aidType(id: "`+ids["type"]+`", code: "PMT") { id } }`, nil); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "one of the two") {
		t.Errorf("both id and code: %+v", r.Errors)
	}

	// Filters: the same figures by code or name as by id.
	count := func(q string, vars map[string]any) int {
		t.Helper()
		var out struct {
			AidOutputs, BoxCollections, DonationBoxes struct{ TotalCount int }
		}
		admin.query(q, vars, &out)
		return out.AidOutputs.TotalCount + out.BoxCollections.TotalCount + out.DonationBoxes.TotalCount
	}
	for _, c := range []struct{ query, byID, byRef string }{
		{`query($r: ID!) { aidOutputs(filter: {aidTypeId: $r}) { totalCount } }`, ids["type"], "Kursi_Roda"},
		{`query($r: ID!) { aidOutputs(filter: {regencyId: $r}) { totalCount } }`, ids["regency"], "bali-gianyar"},
		{`query($r: ID!) { boxCollections(filter: {boxId: $r}) { totalCount } }`, ids["box"], "ktk-007"},
		{`query($r: ID!) { boxCollections(filter: {hostPartnerId: $r}) { totalCount } }`, ids["partner"], "Swalayan Sinar Jaya"},
		{`query($r: ID!) { donationBoxes(filter: {regencyId: $r}) { totalCount } }`, ids["regency"], "BALI-GIANYAR"},
	} {
		want := count(c.query, map[string]any{"r": c.byID})
		if got := count(c.query, map[string]any{"r": c.byRef}); want == 0 || got != want {
			t.Errorf("%s with %q: %d, with its id %d", c.query, c.byRef, got, want)
		}
	}
	r := admin.post(`{ boxCollections(filter: {boxId: "KTK-07"}) { totalCount } }`, nil)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "did you mean KTK-007") {
		t.Errorf("unknown box code: %+v", r.Errors)
	}
}

// TestCodesInWrites: the writes a council types most — a donation, a box
// opening, an aid output, a target — take codes (and a partner's name)
// where they take ids, and record the same as with the ids; an unknown
// code is refused with the nearest and nothing is written.
func TestCodesInWrites(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	var out struct {
		RecordDonation struct {
			Organization struct{ Code string }
			Partner      struct{ Name string }
		}
		RecordAidOutput       struct{ AidType struct{ Code string } }
		CreateProgrammeTarget struct{ AidType struct{ Code string } }
	}
	admin.query(`mutation {
		recordDonation(input: {organizationId: "bali-badung", source: CSR, partnerId: "pt samudra dewata energi", kind: MONEY,
			receivedOn: "2015-02-02", amount: 1000000, earmarkAidTypeId: "pmt", earmarkRegencyId: "BALI-BADUNG"}) {
			organization { code } partner { name } }
		recordAidOutput(input: {organizationId: "BALI", aidTypeId: "kursi_roda", quantity: 1, cost: 1500000, deliveredOn: "2015-02-03",
			beneficiaryGroup: DISABLED, pmksCategory: DISABILITY, regencyId: "bali-gianyar"}) { aidType { code } }
		createProgrammeTarget(input: {organizationId: "BALI-BADUNG", year: 2016, aidTypeId: "TRIPOD", targetQuantity: 5, budget: 4000000}) {
			aidType { code } }
	}`, nil, &out)
	if out.RecordDonation.Organization.Code != "BALI-BADUNG" || out.RecordDonation.Partner.Name != "PT Samudra Dewata Energi" ||
		out.RecordAidOutput.AidType.Code != "KURSI_RODA" || out.CreateProgrammeTarget.AidType.Code != "TRIPOD" {
		t.Fatalf("%+v", out)
	}
	var opened struct {
		RecordBoxCollection struct{ Box struct{ Code string } }
	}
	seal := admin.id(`SELECT seal_applied FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id
		WHERE b.code = 'KTK-003' ORDER BY c.number DESC LIMIT 1`)
	admin.query(`mutation($seal: String!) { recordBoxCollection(input: {boxId: "ktk-003", collectedOn: "2015-01-25", amount: 500000,
		countedBy: ["Made", "Ketut"], sealRemoved: $seal, sealApplied: "S-NEW"}) { box { code } } }`, map[string]any{"seal": seal}, &opened)
	if opened.RecordBoxCollection.Box.Code != "KTK-003" {
		t.Errorf("box opening by code: %+v", opened)
	}
	before := admin.written()
	r := admin.post(`mutation { recordAidOutput(input: {organizationId: "BALI", aidTypeId: "KURSI_RODAA", quantity: 1, cost: 1,
		deliveredOn: "2015-02-03", beneficiaryGroup: DISABLED, pmksCategory: DISABILITY, regencyId: "BALI-GIANYA"}) { id } }`, nil)
	msgs := fmt.Sprint(r.Errors)
	if len(r.Errors) != 2 || !strings.Contains(msgs, "did you mean KURSI_RODA") || !strings.Contains(msgs, "did you mean BALI-GIANYAR") {
		t.Errorf("unknown codes: %v", r.Errors)
	}
	if !maps.Equal(admin.written(), before) {
		t.Error("a refused write wrote")
	}
}

// TestCodesInOtherWrites: the other writes that name councils, boxes,
// partners and aid types take codes and names too.
func TestCodesInOtherWrites(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	var out struct {
		CreateDonationBox struct {
			Code    string
			Host    struct{ Name string }
			Regency struct{ Code string }
		}
		CreateWorkMeeting struct{ Organization struct{ Code string } }
		RecordPledge      struct{ Partner struct{ Name string } }
	}
	admin.query(`mutation {
		createDonationBox(input: {code: "KTK-900", hostPartnerId: "swalayan sinar jaya", organizationId: "bali-tabanan",
			regencyId: "BALI-TABANAN", address: "Jl. Contoh 1", placedOn: "2015-01-05"}) { code host { name } regency { code } }
		createWorkMeeting(input: {organizationId: "bali-bangli", title: "Raker 2015", heldOn: "2015-03-01", place: "Bangli",
			periodFrom: "2014-01-01", periodTo: "2014-12-31", attendance: []}) {
			organization { code } }
		recordPledge(input: {partnerId: "PT Cahaya Nusa Lestari", organizationId: "BALI", amount: 10000000, pledgedOn: "2015-01-10",
			from: "2015-01-10", to: "2015-06-30", purpose: "PMT lansia"}) { partner { name } }
	}`, nil, &out)
	if out.CreateDonationBox.Host.Name != "Swalayan Sinar Jaya" || out.CreateDonationBox.Regency.Code != "BALI-TABANAN" ||
		out.CreateWorkMeeting.Organization.Code != "BALI-BANGLI" || out.RecordPledge.Partner.Name != "PT Cahaya Nusa Lestari" {
		t.Fatalf("%+v", out)
	}
	var retired struct{ RetireDonationBox struct{ RetiredOn string } }
	admin.query(`mutation { retireDonationBox(input: {boxId: "ktk-900", retiredOn: "2015-02-01"}) { retiredOn } }`, nil, &retired)
	if retired.RetireDonationBox.RetiredOn != "2015-02-01" {
		t.Errorf("%+v", retired)
	}
	// Who may not write is told so, whatever the codes.
	r := admin.as(auth.Auditor, "").post(`mutation { closePeriod(input: {organizationId: "NOWHERE", through: "2014-12-31"}) { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Errorf("an auditor writing: %+v", r.Errors)
	}
}
