package server_test

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// demoPermit is the number of the demo's box programme permit.
const demoPermit = "460/1187/PUB/DINSOS/2014"

const permitReportQuery = `query($p: ID!) { permitReport(permit: $p) {
	permit { number validThrough extensions { number validTo } costCapPercent organizer { code } area { code } }
	partial collected fromBoxes fromAppeals openings exceptions costs costCap costShare uses balance
	byBox { code host regency openings total exceptions }
	byHost { host boxes openings total }
	byMonth { month fromBoxes fromAppeals }
	costLines { allocatedOn description amount release }
	useLines { aidType regency beneficiaryGroup outputs amount }
	exceptionLines { date boxCode amount reason } } }`

type permitReport struct {
	Permit struct {
		Number         string
		ValidThrough   string
		Extensions     []struct{ Number, ValidTo string }
		CostCapPercent *float64
		Organizer      struct{ Code string }
		Area           []struct{ Code string }
	}
	Partial                           bool
	Collected, FromBoxes, FromAppeals int64
	Openings, Exceptions              int
	Costs                             int64
	CostCap                           *int64
	CostShare                         *float64
	Uses, Balance                     int64
	ByBox                             []struct {
		Code, Host, Regency string
		Openings            int
		Total               int64
		Exceptions          int
	}
	ByHost []struct {
		Host            string
		Boxes, Openings int
		Total           int64
	}
	ByMonth []struct {
		Month                  string
		FromBoxes, FromAppeals int64
	}
	CostLines []struct {
		AllocatedOn, Description string
		Amount                   int64
		Release                  bool
	}
	UseLines []struct {
		AidType, Regency, BeneficiaryGroup string
		Outputs                            int
		Amount                             int64
	}
	ExceptionLines []struct {
		Date    string
		BoxCode *string
		Amount  int64
		Reason  string
	}
}

func (e *env) permitReport(number string) permitReport {
	e.t.Helper()
	var out struct{ PermitReport permitReport }
	e.query(permitReportQuery, map[string]any{"p": number}, &out)
	return out.PermitReport
}

// underPermitSQL selects the box collections c that fell under permit $1
// by the placement rule itself (the latest placement of the box on or
// before the opening), not by what the write stored on the donation.
const underPermitSQL = `box_collections c JOIN donation_boxes b ON b.id = c.box_id
	WHERE (SELECT bp.permit_id FROM box_permits bp WHERE bp.box_id = c.box_id
		AND bp.placed_on <= COALESCE((SELECT o.collected_on FROM box_collections o WHERE o.id = c.reverses_id), c.collected_on)
		ORDER BY bp.placed_on DESC LIMIT 1) = (SELECT id FROM permits WHERE number = $1)`

// TestPermitReportTiesOut reads the demo permit's accountability report
// and checks every figure against SQL over the collections (found by the
// placement rule), the allocations and the outputs they funded.
func TestPermitReportTiesOut(t *testing.T) {
	admin := newEnv(t)
	// The demo spent none of the permit's money on aid yet: a January 2015
	// delivery is paid from two of its openings.
	var out struct{ RecordAidOutput struct{ ID string } }
	admin.query(`mutation { recordAidOutput(input: {organizationId: "BALI", aidTypeId: "PMT", quantity: 5, cost: 2000000,
		deliveredOn: "2015-01-15", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: "BALI-BADUNG"}) { id } }`, nil, &out)
	var gifts []string
	if err := admin.db.Select(&gifts, `SELECT d.id FROM donations d WHERE d.permit_id = (SELECT id FROM permits WHERE number = $1)
		AND d.amount >= 1000000 AND NOT EXISTS (SELECT 1 FROM allocations x WHERE x.donation_id = d.id) ORDER BY d.seq LIMIT 2`, demoPermit); err != nil || len(gifts) != 2 {
		t.Fatalf("two unspent openings under the permit: %v %v", gifts, err)
	}
	for _, g := range gifts {
		admin.query(`mutation($d: ID!, $a: ID!) { allocateDonation(input: {donationId: $d, aidOutputId: $a, amount: 1000000}) { id } }`,
			map[string]any{"d": g, "a": out.RecordAidOutput.ID}, &struct{}{})
	}
	r := admin.permitReport(demoPermit)
	if r.Permit.Number != demoPermit || r.Permit.ValidThrough != "2014-12-31" || len(r.Permit.Extensions) != 1 ||
		r.Permit.Extensions[0].ValidTo != "2014-12-31" || r.Permit.CostCapPercent == nil || *r.Permit.CostCapPercent != 10 ||
		r.Permit.Organizer.Code != "BALI" || len(r.Permit.Area) != 9 || r.Permit.Area[0].Code != "BALI-BADUNG" || r.Permit.Area[8].Code != "BALI-TABANAN" || r.Partial {
		t.Errorf("the permit: %+v", r.Permit)
	}
	collected := admin.count(`SELECT COALESCE(sum(c.amount), 0) FROM `+underPermitSQL, demoPermit)
	openings := admin.count(`SELECT count(*) FROM `+underPermitSQL+` AND c.reverses_id IS NULL`, demoPermit)
	if collected == 0 || r.Collected != collected || r.FromBoxes != collected || r.FromAppeals != 0 || int64(r.Openings) != openings {
		t.Errorf("collected %d from boxes %d in %d openings; the collections under the permit: %d in %d", r.Collected, r.FromBoxes, r.Openings, collected, openings)
	}
	// Openings within its period and area: September to December 2014, the
	// province's 8 boxes; the late one of 3 January 2015 is the one exception.
	if want := admin.count(`SELECT count(*) FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id
		JOIN organizations o ON o.id = b.organization_id WHERE o.code = 'BALI' AND c.collected_on BETWEEN '2014-09-01' AND '2014-12-31'`); openings != want+1 {
		t.Errorf("%d openings under the permit, want the %d of September-December 2014 and the late one", openings, want)
	}
	if r.Exceptions != 1 || len(r.ExceptionLines) != 1 || r.ExceptionLines[0].Date != "2015-01-03" || r.ExceptionLines[0].BoxCode == nil ||
		*r.ExceptionLines[0].BoxCode != "KTK-029" || !strings.Contains(r.ExceptionLines[0].Reason, "terlambat") {
		t.Errorf("exceptions: %d %+v", r.Exceptions, r.ExceptionLines)
	}
	var boxes, months int64
	for _, b := range r.ByBox {
		want := admin.count(`SELECT COALESCE(sum(c.amount), 0) FROM `+underPermitSQL+` AND b.code = $2`, demoPermit, b.Code)
		if b.Total != want || b.Openings != 4 {
			t.Errorf("box %s: %d in %d openings, the collections say %d", b.Code, b.Total, b.Openings, want)
		}
		boxes += b.Total
	}
	for _, m := range r.ByMonth {
		want := admin.count(`SELECT COALESCE(sum(c.amount), 0) FROM `+underPermitSQL+` AND to_char(c.collected_on, 'YYYY-MM') = $2`, demoPermit, m.Month)
		if m.FromBoxes != want {
			t.Errorf("month %s: %d, the collections say %d", m.Month, m.FromBoxes, want)
		}
		months += m.FromBoxes
	}
	var hosts int64
	for _, h := range r.ByHost {
		want := admin.count(`SELECT COALESCE(sum(c.amount), 0) FROM `+underPermitSQL+` AND b.host_partner_id = (SELECT id FROM partners WHERE name = $2)`, demoPermit, h.Host)
		if h.Total != want || h.Boxes < 1 {
			t.Errorf("host %s: %d, the collections say %d", h.Host, h.Total, want)
		}
		hosts += h.Total
	}
	if len(r.ByHost) != 1 || hosts != collected {
		t.Errorf("by host %+v sums %d; collected %d", r.ByHost, hosts, collected)
	}
	if len(r.ByBox) != 8 || boxes != collected || len(r.ByMonth) != 5 || months != collected {
		t.Errorf("%d boxes summing %d, %d months summing %d; collected %d", len(r.ByBox), boxes, len(r.ByMonth), months, collected)
	}
	// Costs and uses: the allocations of those collections' donations.
	alloc := `SELECT COALESCE(sum(x.amount), 0) FROM allocations x WHERE x.donation_id IN (SELECT c.donation_id FROM ` + underPermitSQL + `)`
	costs := admin.count(alloc+` AND x.aid_output_id IS NULL`, demoPermit)
	uses := admin.count(alloc+` AND x.aid_output_id IS NOT NULL`, demoPermit)
	if costs != 1_350_000 || r.Costs != costs || r.Uses != uses || r.Balance != collected-costs-uses || r.CostCap == nil ||
		*r.CostCap != collected/10 || r.CostShare == nil || fmt.Sprintf("%.4f", *r.CostShare) != fmt.Sprintf("%.4f", float64(costs)*100/float64(collected)) {
		t.Errorf("costs %d (cap %v, %v%%), uses %d, balance %d; the allocations say costs %d, uses %d", r.Costs, r.CostCap, r.CostShare, r.Uses, r.Balance, costs, uses)
	}
	var costLines, useLines int64
	for _, c := range r.CostLines {
		costLines += c.Amount
	}
	for _, u := range r.UseLines {
		want := admin.count(alloc+` AND x.aid_output_id IN (SELECT a.id FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
			JOIN organizations g ON g.id = a.regency_id WHERE t.name = $2 AND g.name = $3 AND a.beneficiary_group = $4)`,
			demoPermit, u.AidType, u.Regency, u.BeneficiaryGroup)
		if u.Amount != want || u.Outputs < 1 {
			t.Errorf("use %+v: the allocations say %d", u, want)
		}
		useLines += u.Amount
	}
	if len(r.CostLines) != 2 || costLines != costs || useLines != uses || uses != 2_000_000 || len(r.UseLines) != 1 || r.UseLines[0].Outputs != 1 {
		t.Errorf("cost lines %+v sum %d, use lines sum %d; costs %d, uses %d", r.CostLines, costLines, useLines, costs, uses)
	}
}

// TestPermitOpenings: a box under a permit opened outside its period is
// refused with the database unchanged, or recorded with a permit exception
// that the collection, its donation and the report show; an exception
// within the permit is refused; a box is not placed under an expired
// permit, a permit that does not allow boxes, or one whose area leaves
// out its regency.
func TestPermitOpenings(t *testing.T) {
	admin := newEnv(t)
	open := `mutation($in: RecordBoxCollectionInput!) { recordBoxCollection(input: $in) {
		id amount permitException permit { number } donation { permitException permit { number } } } }`
	opening := func(box, on, seal string, exception any) map[string]any {
		return map[string]any{"in": map[string]any{"boxId": box, "collectedOn": on, "amount": 250000,
			"countedBy": []string{"I Wayan Sudarma", "Ni Ketut Rasmini"}, "sealRemoved": seal, "sealApplied": seal + "-N", "permitException": exception}}
	}
	before := admin.written()
	r := admin.post(open, opening("KTK-001", "2015-02-25", "SEG-001-24", nil))
	if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != permit.OutsidePermit || r.Errors[0].Extensions["field"] != "input.collectedOn" ||
		!strings.Contains(r.Errors[0].Message, demoPermit) || !strings.Contains(r.Errors[0].Message, "2014-12-31") {
		t.Fatalf("an opening after the permit ended: %+v", r.Errors)
	}
	if after := admin.written(); !maps.Equal(before, after) {
		t.Errorf("a refused opening wrote: %v -> %v", before, after)
	}
	var kept struct {
		RecordBoxCollection struct {
			ID, PermitException string
			Permit              struct{ Number string }
			Donation            struct {
				PermitException string
				Permit          struct{ Number string }
			}
		}
	}
	admin.query(open, opening("KTK-001", "2015-02-25", "SEG-001-24", "Izin baru belum terbit"), &kept)
	if c := kept.RecordBoxCollection; c.PermitException != "Izin baru belum terbit" || c.Permit.Number != demoPermit ||
		c.Donation.PermitException != c.PermitException || c.Donation.Permit.Number != demoPermit {
		t.Errorf("an opening kept under an exception: %+v", c)
	}
	if r := admin.permitReport(demoPermit); r.Exceptions != 2 || len(r.ExceptionLines) != 2 || r.ExceptionLines[1].Date != "2015-02-25" {
		t.Errorf("the report's exceptions after a second: %d %+v", r.Exceptions, r.ExceptionLines)
	}

	// A new permit for Badung only, from February 2015: boxes elsewhere are
	// not placed under it; KTK-001 (Badung) is, and opens within it.
	create := `mutation($in: CreatePermitInput!) { createPermit(input: $in) { id number validThrough costCapPercent methods area { code } } }`
	var p2 struct {
		CreatePermit struct {
			ID, Number, ValidThrough string
			CostCapPercent           *float64
		}
	}
	admin.query(create, map[string]any{"in": map[string]any{"number": "PUB-BADUNG-2015", "authority": "Dinas Sosial Provinsi Bali",
		"organizationId": "BALI", "purpose": "Kotak sumbangan di Badung", "methods": []string{"DONATION_BOX"},
		"regencyIds": []string{"BALI-BADUNG"}, "validFrom": "2015-02-01", "validTo": "2015-04-30"}}, &p2)
	if p2.CreatePermit.ValidThrough != "2015-04-30" || p2.CreatePermit.CostCapPercent == nil || *p2.CreatePermit.CostCapPercent != 10 {
		t.Errorf("the new permit: %+v", p2.CreatePermit)
	}
	place := `mutation($in: PlaceBoxUnderPermitInput!) { placeBoxUnderPermit(input: $in) { code permits { placedOn permit { number } } } }`
	before = admin.written()
	for _, tc := range []struct {
		name, box, permit, on, field, want string
	}{
		{"a box outside the area", "KTK-002", "PUB-BADUNG-2015", "2015-03-01", "input.permitId", "outside the area"},
		{"an expired permit", "KTK-003", demoPermit, "2015-03-01", "input.placedOn", "valid from 2014-09-01 through 2014-12-31"},
		{"before its last opening", "KTK-001", "PUB-BADUNG-2015", "2015-02-20", "input.placedOn", "after the box's last opening"},
	} {
		r := admin.post(place, map[string]any{"in": map[string]any{"boxId": tc.box, "permitId": tc.permit, "placedOn": tc.on}})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != tc.field || !strings.Contains(r.Errors[0].Message, tc.want) {
			t.Errorf("%s: %+v", tc.name, r.Errors)
		}
	}
	if after := admin.written(); !maps.Equal(before, after) {
		t.Errorf("refused placements wrote: %v -> %v", before, after)
	}
	var placed struct {
		PlaceBoxUnderPermit struct {
			Permits []struct {
				PlacedOn string
				Permit   struct{ Number string }
			}
		}
	}
	admin.query(place, map[string]any{"in": map[string]any{"boxId": "ktk-001", "permitId": "pub-badung-2015", "placedOn": "2015-03-01"}}, &placed)
	if ps := placed.PlaceBoxUnderPermit.Permits; len(ps) != 2 || ps[0].Permit.Number != demoPermit || ps[1].Permit.Number != "PUB-BADUNG-2015" || ps[1].PlacedOn != "2015-03-01" {
		t.Errorf("the box's permits: %+v", ps)
	}
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE entity = 'box_permit' AND action = 'create' AND after->>'placedOn' = '2015-03-01'
		AND after->>'permitId' = (SELECT id::text FROM permits WHERE number = 'PUB-BADUNG-2015')`); n != 1 {
		t.Errorf("%d audit entries of the placement", n)
	}
	// Within the new permit: recorded under it, and an exception is refused.
	r = admin.post(open, opening("KTK-001", "2015-03-25", "SEG-001-24-N", "tidak perlu"))
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.permitException" {
		t.Errorf("an exception within the permit: %+v", r.Errors)
	}
	kept.RecordBoxCollection.PermitException = ""
	admin.query(open, opening("KTK-001", "2015-03-25", "SEG-001-24-N", nil), &kept)
	if c := kept.RecordBoxCollection; c.Permit.Number != "PUB-BADUNG-2015" || c.PermitException != "" {
		t.Errorf("an opening within the new permit: %+v", c)
	}
	// A box never placed under a permit collects under none.
	var demoBox struct {
		DonationBox struct{ Permits []struct{ PlacedOn string } }
	}
	admin.query(`{ donationBox(code: "KTK-001") { permits { placedOn } } }`, nil, &demoBox)
	if len(demoBox.DonationBox.Permits) != 2 {
		t.Errorf("KTK-001's placements: %+v", demoBox.DonationBox.Permits)
	}
}

// TestPermitRules: a permit longer than the rule, a cap above it, a second
// extension or one too long are refused; a disaster appeal has no cap; the
// rules are configuration.
func TestPermitRules(t *testing.T) {
	admin := newEnv(t)
	create := `mutation($in: CreatePermitInput!) { createPermit(input: $in) { id costCapPercent validThrough } }`
	in := func(number, from, to string, extra map[string]any) map[string]any {
		m := map[string]any{"number": number, "authority": "Dinas Sosial Provinsi Bali", "organizationId": "BALI", "purpose": "Bantuan",
			"methods": []string{"APPEAL"}, "regencyIds": []string{"BALI-BADUNG", "BALI-GIANYAR"}, "validFrom": from, "validTo": to}
		maps.Copy(m, extra)
		return map[string]any{"in": m}
	}
	before := admin.written()
	for _, tc := range []struct {
		name  string
		vars  map[string]any
		field string
	}{
		{"four months", in("X-1", "2015-01-01", "2015-04-01", nil), "input.validTo"},
		{"a cap above the rule", in("X-2", "2015-01-01", "2015-03-31", map[string]any{"costCapPercent": 15}), "input.costCapPercent"},
		{"a cap with three decimals", in("X-3", "2015-01-01", "2015-03-31", map[string]any{"costCapPercent": 7.125}), "input.costCapPercent"},
		{"no area", in("X-4", "2015-01-01", "2015-03-31", map[string]any{"regencyIds": []string{}}), "input.regencyIds"},
		{"an institution as organiser", in("X-5", "2015-01-01", "2015-03-31", map[string]any{"organizationId": "BALI-BADUNG-I1"}), "input.organizationId"},
		{"the number of another", in(demoPermit, "2015-01-01", "2015-03-31", nil), "input.number"},
	} {
		r := admin.post(create, tc.vars)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %+v", tc.name, r.Errors)
		}
	}
	if after := admin.written(); !maps.Equal(before, after) {
		t.Errorf("refused permits wrote: %v -> %v", before, after)
	}
	var disaster struct {
		CreatePermit struct {
			ID             string
			CostCapPercent *float64
		}
	}
	admin.query(create, in("BENCANA-2015", "2015-01-01", "2015-03-31", map[string]any{"disaster": true}), &disaster)
	if disaster.CreatePermit.CostCapPercent != nil {
		t.Errorf("a disaster appeal has a cap: %v", *disaster.CreatePermit.CostCapPercent)
	}
	extend := `mutation($in: ExtendPermitInput!) { extendPermit(input: $in) { validThrough extensions { number } } }`
	r := admin.post(extend, map[string]any{"in": map[string]any{"permitId": "BENCANA-2015", "number": "E-1", "validTo": "2015-05-01", "grantedOn": "2015-03-20"}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.validTo" || !strings.Contains(r.Errors[0].Message, "2015-04-30") {
		t.Errorf("an extension of more than a month: %+v", r.Errors)
	}
	var ext struct{ ExtendPermit struct{ ValidThrough string } }
	admin.query(extend, map[string]any{"in": map[string]any{"permitId": "BENCANA-2015", "number": "E-1", "validTo": "2015-04-30", "grantedOn": "2015-03-20"}}, &ext)
	if ext.ExtendPermit.ValidThrough != "2015-04-30" {
		t.Errorf("extended through %s", ext.ExtendPermit.ValidThrough)
	}
	r = admin.post(extend, map[string]any{"in": map[string]any{"permitId": "BENCANA-2015", "number": "E-2", "validTo": "2015-05-15", "grantedOn": "2015-04-20"}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.permitId" || !strings.Contains(r.Errors[0].Message, "extended 1 time") {
		t.Errorf("a second extension: %+v", r.Errors)
	}

	// Another rule: six months, two extensions, a 5% cap.
	cfg := testConfig()
	cfg.PermitRules = permit.Rules{ValidityMonths: 6, ExtensionMonths: 2, Extensions: 2, CostCapBP: 500}
	other := newEnvWith(t, pgtest.DB(t), cfg)
	var six struct {
		CreatePermit struct {
			ID             string
			CostCapPercent *float64
		}
	}
	other.query(create, in("ENAM-2015", "2015-01-01", "2015-06-30", nil), &six)
	if six.CreatePermit.CostCapPercent == nil || *six.CreatePermit.CostCapPercent != 5 {
		t.Errorf("the configured cap: %v", six.CreatePermit.CostCapPercent)
	}
	if r := other.post(create, in("TUJUH-2015", "2015-01-01", "2015-07-01", nil)); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "6 months") {
		t.Errorf("seven months under a six-month rule: %+v", r.Errors)
	}
}

// TestPermitAppeals: a gift naming an appeal's permit is recorded under
// it inside its period and area, refused (or kept with an exception)
// outside them, and refused against a permit without appeals.
func TestPermitAppeals(t *testing.T) {
	admin := newEnv(t)
	admin.query(`mutation { createPermit(input: {number: "APPEAL-2015", authority: "Dinas Sosial Provinsi Bali", organizationId: "BALI",
		purpose: "Bantuan lansia", methods: [APPEAL], regencyIds: ["BALI-BADUNG"], validFrom: "2015-01-01", validTo: "2015-03-31"}) { id } }`, nil, &struct{}{})
	record := `mutation($in: RecordDonationInput!) { recordDonation(input: $in) { id permitException permit { number } } }`
	gift := func(org, on, permit string, exception any) map[string]any {
		return map[string]any{"in": map[string]any{"organizationId": org, "source": "INDIVIDUAL", "kind": "MONEY", "receivedOn": on,
			"amount": 100000, "permitId": permit, "permitException": exception}}
	}
	type recorded struct {
		RecordDonation struct {
			PermitException *string
			Permit          *struct{ Number string }
		}
	}
	for _, tc := range []struct {
		name string
		vars map[string]any
	}{
		{"to Badung within the period", gift("BALI-BADUNG", "2015-02-01", "APPEAL-2015", nil)},
		{"to an institution in Badung", gift("BALI-BADUNG-I1", "2015-02-01", "appeal-2015", nil)},
		{"to the province itself", gift("BALI", "2015-02-01", "APPEAL-2015", nil)},
	} {
		var out recorded
		admin.query(record, tc.vars, &out)
		if out.RecordDonation.Permit == nil || out.RecordDonation.Permit.Number != "APPEAL-2015" || out.RecordDonation.PermitException != nil {
			t.Errorf("%s: %+v", tc.name, out.RecordDonation)
		}
	}
	before := admin.written()
	for _, tc := range []struct {
		name, field, reason, want string
		vars                      map[string]any
	}{
		{"to Gianyar, outside the area", "input.organizationId", permit.OutsidePermit, "outside the area", gift("BALI-GIANYAR", "2015-02-01", "APPEAL-2015", nil)},
		{"after the period", "input.receivedOn", permit.OutsidePermit, "ended (2015-03-31)", gift("BALI-BADUNG", "2015-04-02", "APPEAL-2015", nil)},
		{"under the box permit", "input.permitId", "INVALID", "does not cover appeals", gift("BALI-BADUNG", "2014-10-01", demoPermit, nil)},
		{"an unknown permit", "input.permitId", "UNKNOWN", "did you mean APPEAL-2015", gift("BALI-BADUNG", "2015-02-01", "APPEAL-2016", nil)},
		{"an exception without a permit", "input.permitException", "INVALID", "permitId", map[string]any{"in": map[string]any{
			"organizationId": "BALI", "source": "INDIVIDUAL", "kind": "MONEY", "receivedOn": "2015-02-01", "amount": 1000, "permitException": "x"}}},
	} {
		r := admin.post(record, tc.vars)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != tc.field || r.Errors[0].Extensions["reason"] != tc.reason ||
			!strings.Contains(r.Errors[0].Message, tc.want) {
			t.Errorf("%s: %+v", tc.name, r.Errors)
		}
	}
	if after := admin.written(); !maps.Equal(before, after) {
		t.Errorf("refused gifts wrote: %v -> %v", before, after)
	}
	var out recorded
	admin.query(record, gift("BALI-GIANYAR", "2015-02-01", "APPEAL-2015", "Ditransfer oleh warga Gianyar ke rekening seruan"), &out)
	if out.RecordDonation.PermitException == nil || out.RecordDonation.Permit == nil {
		t.Errorf("a gift kept under an exception: %+v", out.RecordDonation)
	}
	r := admin.permitReport("APPEAL-2015")
	if r.Collected != 400000 || r.FromAppeals != 400000 || r.FromBoxes != 0 || r.Exceptions != 1 || len(r.ByBox) != 0 ||
		len(r.ByMonth) != 1 || r.ByMonth[0].FromAppeals != 400000 || r.CostCap == nil || *r.CostCap != 40000 {
		t.Errorf("the appeal's report: %+v", r)
	}
}

// TestPermitCostCap: operating costs paid from a permit's collections stop
// at its cap, in the API and in the database itself.
func TestPermitCostCap(t *testing.T) {
	admin := newEnv(t)
	r0 := admin.permitReport(demoPermit)
	room := *r0.CostCap - r0.Costs
	// Donations under the permit with money left, largest first.
	var left []struct {
		ID   string `db:"id"`
		Left int64  `db:"left"`
	}
	if err := admin.db.Select(&left, `SELECT d.id, d.amount - COALESCE((SELECT sum(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0) AS left
		FROM donations d WHERE d.permit_id = (SELECT id FROM permits WHERE number = $1) AND d.reverses_id IS NULL
		ORDER BY 2 DESC, d.seq`, demoPermit); err != nil {
		t.Fatal(err)
	}
	allocate := `mutation($d: ID!, $a: Rupiah!) { allocateDonation(input: {donationId: $d, operational: "Transport", amount: $a,
		allocatedOn: "2015-01-10"}) { id amount } }`
	// Book costs up to 1,000 short of the cap, donation by donation.
	var booked int64
	for _, d := range left {
		a := min(d.Left, room-1000-booked)
		if a <= 0 {
			break
		}
		admin.query(allocate, map[string]any{"d": d.ID, "a": a}, &struct{}{})
		booked += a
	}
	if booked != room-1000 {
		t.Fatalf("booked %d of the %d the cap allows: not enough money left under the permit", booked, room)
	}
	// Two allocations of the last 1,000 from two donations at once: the
	// permit is locked, so one is booked and the other refused.
	var two []string
	if err := admin.db.Select(&two, `SELECT d.id FROM donations d WHERE d.permit_id = (SELECT id FROM permits WHERE number = $1) AND d.reverses_id IS NULL
		AND d.amount - COALESCE((SELECT sum(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0) >= 1000 ORDER BY d.seq LIMIT 2`, demoPermit); err != nil || len(two) != 2 {
		t.Fatalf("two donations with money left: %v %v", two, err)
	}
	answers := make(chan response, 2)
	for _, d := range two {
		go func() { answers <- admin.post(allocate, map[string]any{"d": d, "a": 1000}) }()
	}
	booked1, refused := 0, 0
	for range 2 {
		a := <-answers
		switch {
		case len(a.Errors) == 0:
			booked1++
		case a.Errors[0].Extensions["field"] == "input.amount":
			refused++
		default:
			t.Errorf("a racing allocation: %+v", a.Errors)
		}
	}
	if booked1 != 1 || refused != 1 {
		t.Errorf("two racing allocations of the last 1,000: %d booked, %d refused", booked1, refused)
	}
	spare := admin.id(`SELECT d.id FROM donations d WHERE d.permit_id = (SELECT id FROM permits WHERE number = $1) AND d.reverses_id IS NULL
		AND d.amount > COALESCE((SELECT sum(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0) ORDER BY d.seq LIMIT 1`, demoPermit)
	before := admin.written()
	r := admin.post(allocate, map[string]any{"d": spare, "a": 1})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.amount" || !strings.Contains(r.Errors[0].Message, "capped at 10%") {
		t.Errorf("a rupiah past the cap: %+v", r.Errors)
	}
	if after := admin.written(); !maps.Equal(before, after) {
		t.Errorf("a refused cost wrote: %v -> %v", before, after)
	}
	// The database holds the cap whatever path writes.
	_, err := admin.db.Exec(`INSERT INTO allocations (donation_id, organization_id, operational, amount, allocated_on)
		SELECT id, organization_id, 'langsung', 1, '2015-01-10' FROM donations WHERE id = $1`, spare)
	if err == nil || !strings.Contains(err.Error(), "allows") {
		t.Errorf("an insert past the cap straight to the database: %v", err)
	}
	// Uses are not costs: the same money may still fund an aid output.
	if r := admin.permitReport(demoPermit); r.Costs != *r.CostCap || r.Balance != r.Collected-r.Costs-r.Uses {
		t.Errorf("after booking to the cap: costs %d, cap %d", r.Costs, *r.CostCap)
	}
}

// TestPermitReversalUnderCostCap: a gift reversed after operating costs
// were booked shrinks the collection the cap is a share of; a reversal
// that would leave the costs above the cap is refused (by the API and by
// the database) until costs are released.
func TestPermitReversalUnderCostCap(t *testing.T) {
	admin := newEnv(t)
	admin.query(`mutation { createPermit(input: {number: "CAP-2015", authority: "Dinas Sosial Provinsi Bali", organizationId: "BALI",
		purpose: "Bantuan lansia", methods: [APPEAL], regencyIds: ["BALI-BADUNG"], validFrom: "2015-01-01", validTo: "2015-03-31"}) { id } }`, nil, &struct{}{})
	var a, b struct{ RecordDonation struct{ ID string } }
	record := `mutation { recordDonation(input: {organizationId: "BALI-BADUNG", source: INDIVIDUAL, kind: MONEY, receivedOn: "2015-02-01",
		amount: 1000000, permitId: "CAP-2015"}) { id } }`
	admin.query(record, nil, &a)
	admin.query(record, nil, &b)
	// 10 % of 2,000,000: the costs at the cap.
	var cost struct{ AllocateDonation struct{ ID string } }
	admin.query(`mutation($d: ID!) { allocateDonation(input: {donationId: $d, operational: "Transport", amount: 200000,
		allocatedOn: "2015-02-10"}) { id } }`, map[string]any{"d": a.RecordDonation.ID}, &cost)

	before := admin.written()
	reverse := `mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "salah catat", reversedOn: "2015-02-12"}) { id } }`
	r := admin.post(reverse, map[string]any{"d": b.RecordDonation.ID})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.donationId" || !strings.Contains(r.Errors[0].Message, "above the cap") ||
		!strings.Contains(r.Errors[0].Message, "allows 100000 of costs; 200000 are booked") {
		t.Errorf("a reversal that leaves the costs above the cap: %+v", r.Errors)
	}
	if after := admin.written(); !maps.Equal(before, after) {
		t.Errorf("a refused reversal wrote: %v -> %v", before, after)
	}
	if _, err := admin.db.Exec(`INSERT INTO donations (organization_id, source, kind, received_on, amount, reverses_id, reversal_reason, permit_id)
		SELECT organization_id, source, kind, '2015-02-12', -amount, id, 'langsung', permit_id FROM donations WHERE id = $1`, b.RecordDonation.ID); err == nil ||
		!strings.Contains(err.Error(), "allows") {
		t.Errorf("the same reversal straight to the database: %v", err)
	}
	// Half the costs released: 100,000 booked, the cap of 1,000,000.
	admin.query(`mutation($a: ID!) { releaseAllocation(input: {allocationId: $a, reason: "dibatalkan"}) { id } }`,
		map[string]any{"a": cost.AllocateDonation.ID}, &struct{}{})
	admin.query(`mutation($d: ID!) { allocateDonation(input: {donationId: $d, operational: "Transport", amount: 100000,
		allocatedOn: "2015-02-10"}) { id } }`, map[string]any{"d": a.RecordDonation.ID}, &struct{}{})
	admin.query(reverse, map[string]any{"d": b.RecordDonation.ID}, &struct{}{})
	if r := admin.permitReport("CAP-2015"); r.Collected != 1_000_000 || r.Costs != 100_000 || r.CostCap == nil || *r.CostCap != 100_000 {
		t.Errorf("after the release and the reversal: collected %d, costs %d, cap %v", r.Collected, r.Costs, r.CostCap)
	}
}

// TestPermitReportScope: a hosting chain's partner token reads its own
// version of a permit's report (only its boxes), another partner none of
// it; an operator below the organiser is refused; an operator of the
// organiser reads it whole.
func TestPermitReportScope(t *testing.T) {
	admin := newEnv(t)
	admin.query(`mutation { createPermit(input: {number: "PUB-2015", authority: "Dinas Sosial Provinsi Bali", organizationId: "BALI",
		purpose: "Kotak sumbangan 2015", methods: [DONATION_BOX], validFrom: "2015-01-01", validTo: "2015-03-31",
		regencyIds: ["BALI-BADUNG", "BALI-BANGLI", "BALI-BULELENG", "BALI-GIANYAR", "BALI-JEMBRANA", "BALI-KARANGASEM", "BALI-KLUNGKUNG",
			"BALI-TABANAN", "BALI-DENPASAR"]}) { id } }`, nil, &struct{}{})
	// KTK-001 is the province's, with Swalayan Sinar Jaya; KTK-002 Bangli's,
	// with Minimarket Karya Dewata; KTK-005 (Swalayan) stays out.
	for _, code := range []string{"KTK-001", "KTK-002", "KTK-003"} {
		admin.query(`mutation($b: ID!) { placeBoxUnderPermit(input: {boxId: $b, permitId: "PUB-2015", placedOn: "2015-01-01"}) { code } }`,
			map[string]any{"b": code}, &struct{}{})
		seal := admin.id(`SELECT c.seal_applied FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id WHERE b.code = $1 ORDER BY c.number DESC LIMIT 1`, code)
		for i, on := range []string{"2015-01-25", "2015-02-25"} {
			next := fmt.Sprintf("%s-%d", seal, i)
			admin.query(`mutation($b: ID!, $on: Date!, $s: String!, $n: String!) { recordBoxCollection(input: {boxId: $b, collectedOn: $on,
				amount: 300000, countedBy: ["I Wayan Sudarma", "Ni Ketut Rasmini"], sealRemoved: $s, sealApplied: $n}) { id } }`,
				map[string]any{"b": code, "on": on, "s": seal, "n": next}, &struct{}{})
			seal = next
		}
	}
	whole := admin.permitReport("PUB-2015")
	if whole.Collected != 1_800_000 || len(whole.ByBox) != 3 || whole.Openings != 6 {
		t.Fatalf("the whole report: %+v", whole)
	}
	partners := map[string]*env{}
	for _, name := range []string{"Swalayan Sinar Jaya", "Minimarket Karya Dewata"} {
		partners[name] = admin.as(auth.Partner, name)
	}
	for host, want := range map[string][]string{"Swalayan Sinar Jaya": {"KTK-001", "KTK-003"}, "Minimarket Karya Dewata": {"KTK-002"}} {
		r := partners[host].permitReport("PUB-2015")
		var got []string
		var sum int64
		for _, b := range r.ByBox {
			got = append(got, b.Code)
			sum += b.Total
			if b.Host != host {
				t.Errorf("%s's version holds a box of %s", host, b.Host)
			}
		}
		collected := admin.count(`SELECT COALESCE(sum(c.amount), 0) FROM `+underPermitSQL+` AND b.host_partner_id = (SELECT id FROM partners WHERE name = $2)`, "PUB-2015", host)
		if !r.Partial || !slices.Equal(got, want) || r.Collected != collected || sum != collected || r.CostCap != nil || r.Openings != 2*len(want) {
			t.Errorf("%s's version: partial %v, boxes %v (want %v), collected %d (want %d)", host, r.Partial, got, want, r.Collected, collected)
		}
	}
	// The demo permit covers only Swalayan's boxes: Minimarket does not see it.
	partners["no boxes"] = admin.as(auth.Partner, admin.id(`SELECT name FROM partners p
		WHERE NOT EXISTS (SELECT 1 FROM donation_boxes b WHERE b.host_partner_id = p.id) ORDER BY name LIMIT 1`))
	for _, tc := range []struct{ who, permit string }{{"Minimarket Karya Dewata", demoPermit}, {"no boxes", "PUB-2015"}} {
		r := partners[tc.who].post(`query($p: ID!, $n: String!) { permitReport(permit: $p) { collected } permit(number: $n) { id } }`, map[string]any{"p": tc.permit, "n": tc.permit})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "permit" || r.Errors[0].Extensions["reason"] != "UNKNOWN" || !strings.Contains(string(r.Data), `"permit":null`) {
			t.Errorf("%s asking for %s: %s %+v", tc.who, tc.permit, r.Data, r.Errors)
		}
	}
	r := admin.as(auth.Operator, "BALI-BANGLI").post(`query($p: ID!) { permitReport(permit: $p) { collected } }`, map[string]any{"p": "PUB-2015"})
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "ask them for its report") {
		t.Errorf("a regency operator asking for the province's permit report: %+v", r.Errors)
	}
	if r := admin.as(auth.Operator, "BALI").permitReport("PUB-2015"); r.Collected != whole.Collected || r.Partial || len(r.ByBox) != 3 {
		t.Errorf("the province's operator reads %d, the admin %d", r.Collected, whole.Collected)
	}
}

// TestPermitsExpiring lists the permits that end within N days, in the
// organiser's time zone; and the demo permit is found active on its days.
func TestPermitsExpiring(t *testing.T) {
	admin := newEnv(t)
	today := admin.id(`SELECT to_char((now() AT TIME ZONE 'Asia/Makassar')::date, 'YYYY-MM-DD')`)
	in20 := admin.id(`SELECT to_char((now() AT TIME ZONE 'Asia/Makassar')::date + 20, 'YYYY-MM-DD')`)
	in60 := admin.id(`SELECT to_char((now() AT TIME ZONE 'Asia/Makassar')::date + 60, 'YYYY-MM-DD')`)
	from := admin.id(`SELECT to_char((now() AT TIME ZONE 'Asia/Makassar')::date - 30, 'YYYY-MM-DD')`)
	for _, p := range [][2]string{{"SOON", in20}, {"LATER", in60}} {
		number, to := p[0], p[1]
		admin.query(`mutation($n: String!, $f: Date!, $t: Date!) { createPermit(input: {number: $n, authority: "Dinas Sosial", organizationId: "BALI",
			purpose: "Seruan", methods: [APPEAL], regencyIds: ["BALI-BADUNG"], validFrom: $f, validTo: $t}) { id } }`,
			map[string]any{"n": number, "f": from, "t": to}, &struct{}{})
	}
	list := func(vars map[string]any) []string {
		var out struct {
			Permits struct {
				TotalCount int
				Edges      []struct{ Node struct{ Number string } }
			}
		}
		admin.query(`query($d: Int, $on: Date) { permits(filter: {expiringWithinDays: $d, activeOn: $on}) { totalCount edges { node { number } } } }`, vars, &out)
		var got []string
		for _, e := range out.Permits.Edges {
			got = append(got, e.Node.Number)
		}
		if out.Permits.TotalCount != len(got) {
			t.Errorf("totalCount %d for %d permits", out.Permits.TotalCount, len(got))
		}
		return got
	}
	if got := list(map[string]any{"d": 30}); !slices.Equal(got, []string{"SOON"}) {
		t.Errorf("expiring within 30 days of %s: %v", today, got)
	}
	if got := list(map[string]any{"d": 90}); !slices.Equal(got, []string{"SOON", "LATER"}) {
		t.Errorf("expiring within 90 days: %v", got)
	}
	if got := list(map[string]any{"on": "2014-12-15"}); !slices.Equal(got, []string{demoPermit}) {
		t.Errorf("active on 2014-12-15: %v", got)
	}
	if r := admin.post(`{ permits(filter: {expiringWithinDays: -1}) { totalCount } }`, nil); len(r.Errors) != 1 {
		t.Errorf("a negative number of days: %+v", r.Errors)
	}
}

// TestPermitReportWorkbook: the accountability workbook carries the same
// figures as the GraphQL report on every sheet, a partner's version only
// its boxes, and it is refused to whom the permit is unknown.
func TestPermitReportWorkbook(t *testing.T) {
	admin := newEnv(t)
	r := admin.permitReport(demoPermit)
	path := "/exports/pub-report.xlsx?permit=" + url.QueryEscape(demoPermit)
	res, _ := admin.get(path)
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "laporan-pub-460-1187-PUB-DINSOS-2014-id.xlsx") {
		t.Errorf("file name: %q", cd)
	}
	summary := sheet(t, admin, path, "Ringkasan")
	value := func(rows [][]string, label string) string {
		for _, row := range rows {
			if len(row) > 0 && strings.TrimSpace(row[0]) == label {
				return strings.Join(row[1:], "")
			}
		}
		t.Errorf("no row %q", label)
		return ""
	}
	for label, want := range map[string]int64{"Terkumpul (bersih)": r.Collected, "dari kotak sumbangan": r.FromBoxes,
		"Biaya operasional": r.Costs, "Batas biaya operasional (Rp)": *r.CostCap, "Disalurkan untuk bantuan": r.Uses,
		"Saldo": r.Balance, "Jumlah pembukaan kotak": int64(r.Openings), "Dicatat dengan pengecualian izin": int64(r.Exceptions)} {
		if got := value(summary, label); got != fmt.Sprint(want) {
			t.Errorf("summary %q: %s, GraphQL says %d", label, got, want)
		}
	}
	if got := value(summary, "Perpanjangan"); !strings.Contains(got, "460/1187/PUB/DINSOS/2014-P1 s.d. 31 Desember 2014") {
		t.Errorf("extension: %q", got)
	}
	if got, _ := strconv.ParseFloat(value(summary, "Batas biaya operasional"), 64); got != 0.1 {
		t.Errorf("cost cap: %v", got)
	}
	last := func(rows [][]string) []string { return rows[len(rows)-1] }
	boxes := sheet(t, admin, path, "Per Kotak")
	if tot := last(boxes); len(boxes) != 1+len(r.ByBox)+1 || tot[4] != fmt.Sprint(r.FromBoxes) || tot[3] != fmt.Sprint(r.Openings) || tot[5] != "1" {
		t.Errorf("boxes sheet: %d rows, total %v", len(boxes), tot)
	}
	if tot := last(sheet(t, admin, path, "Per Mitra")); tot[3] != fmt.Sprint(r.FromBoxes) || tot[1] != fmt.Sprint(len(r.ByBox)) {
		t.Errorf("hosts total %v, from boxes %d", tot, r.FromBoxes)
	}
	if tot := last(sheet(t, admin, path, "Per Bulan")); tot[3] != fmt.Sprint(r.Collected) {
		t.Errorf("months total %v, collected %d", tot, r.Collected)
	}
	if tot := last(sheet(t, admin, path, "Biaya Operasional")); tot[3] != fmt.Sprint(r.Costs) {
		t.Errorf("costs total %v, costs %d", tot, r.Costs)
	}
	if tot := last(sheet(t, admin, path, "Penggunaan")); tot[4] != fmt.Sprint(r.Uses) {
		t.Errorf("uses total %v, uses %d", tot, r.Uses)
	}
	exc := sheet(t, admin, path, "Pengecualian Izin")
	if len(exc) != 3 || exc[1][1] != "KTK-029" || !strings.Contains(exc[1][5], "terlambat") || exc[2][4] != fmt.Sprint(r.ExceptionLines[0].Amount) {
		t.Errorf("exceptions sheet %v", exc)
	}

	// The hosting chain's version: its boxes only, and said so on top.
	own := admin.as(auth.Partner, "Swalayan Sinar Jaya")
	mine := own.permitReport(demoPermit)
	ps := sheet(t, own, path, "Ringkasan")
	if !strings.Contains(fmt.Sprint(ps[:4]), "Versi mitra") || value(ps, "Terkumpul (bersih)") != fmt.Sprint(mine.Collected) || value(ps, "Batas biaya operasional (Rp)") != "" {
		t.Errorf("the partner's summary: %v", ps[:6])
	}
	for _, row := range sheet(t, own, path, "Per Kotak")[1:] {
		if row[0] != "Jumlah" && row[1] != "Swalayan Sinar Jaya" {
			t.Errorf("the partner's version holds %v", row)
		}
	}
	if status, _, body := admin.as(auth.Partner, "Minimarket Karya Dewata").download(path); status != 400 || !strings.Contains(string(body), "UNKNOWN") {
		t.Errorf("a partner whose boxes are under no such permit: %d %s", status, body)
	}
	if status, _, body := admin.download("/exports/pub-report.xlsx"); status != 400 || !strings.Contains(string(body), "permit") {
		t.Errorf("no permit named: %d %s", status, body)
	}
}
