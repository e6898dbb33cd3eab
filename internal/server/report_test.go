package server_test

import (
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
)

const reportQuery = `query($org: ID!, $from: Date, $to: Date, $year: Int) { report(organizationId: $org, from: $from, to: $to, year: $year) {
	from to coverage { councils institutions }
	outputsByAidType { aidType { code } quantity cost }
	outputsByAidTypeAndRegency { aidType { code } regency { code } quantity }
	outputsByBeneficiaryGroup { group quantity }
	outputsByPmksCategory { category quantity }
	donationsTotal
	donationsBySourceAndMonth { source month donations amount }
	donationsByPartner { partner { name } amount }
	donationsByKind { kind amount }
	boxes { activeBoxes openings total averagePerOpening byHost { host { name } openings total } byRegency { regency { code } total } }
	targets { year aidType { code } targetQuantity realisedQuantity }
	previous { from to outputsByAidType { aidType { code } quantity } donationsTotal }
} }`

type reportAnswer struct {
	Report struct {
		From, To         string
		Coverage         struct{ Councils, Institutions int }
		OutputsByAidType []struct {
			AidType  struct{ Code string }
			Quantity int
			Cost     int64
		}
		OutputsByAidTypeAndRegency []struct {
			AidType  struct{ Code string }
			Regency  struct{ Code string }
			Quantity int
		}
		OutputsByBeneficiaryGroup []struct {
			Group    string
			Quantity int
		}
		OutputsByPmksCategory []struct {
			Category string
			Quantity int
		}
		DonationsTotal            int64
		DonationsBySourceAndMonth []struct {
			Source, Month string
			Donations     int
			Amount        int64
		}
		DonationsByPartner []struct {
			Partner *struct{ Name string }
			Amount  int64
		}
		DonationsByKind []struct {
			Kind   string
			Amount int64
		}
		Boxes struct {
			ActiveBoxes, Openings    int
			Total, AveragePerOpening int64
			ByHost                   []struct {
				Host     struct{ Name string }
				Openings int
				Total    int64
			}
			ByRegency []struct {
				Regency struct{ Code string }
				Total   int64
			}
		}
		Targets []struct {
			Year                             int
			AidType                          struct{ Code string }
			TargetQuantity, RealisedQuantity int
		}
		Previous struct {
			From, To         string
			OutputsByAidType []struct {
				AidType  struct{ Code string }
				Quantity int
			}
			DonationsTotal int64
		}
	}
}

func TestReport2014MatchesTheLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got reportAnswer
	e.query(reportQuery, map[string]any{"org": e.id(`SELECT id FROM organizations WHERE code = 'BALI'`), "year": 2014}, &got)
	r := got.Report
	if r.From != "2014-01-01" || r.To != "2014-12-31" || r.Coverage.Councils != 10 || r.Coverage.Institutions != 27 {
		t.Errorf("period %s–%s, coverage %+v", r.From, r.To, r.Coverage)
	}
	want := map[string]int{"PMT": 190, "TRIPOD": 1, "KURSI_RODA": 1, "PAKAIAN_OLAHRAGA": 106, "BEDAH_RUMAH": 4}
	for _, row := range r.OutputsByAidType {
		if row.Quantity != want[row.AidType.Code] {
			t.Errorf("%s: %d, want %d", row.AidType.Code, row.Quantity, want[row.AidType.Code])
		}
	}
	cells, pmtBadung := 0, 0
	for _, c := range r.OutputsByAidTypeAndRegency {
		cells += c.Quantity
		if c.AidType.Code == "PMT" && c.Regency.Code == "BALI-BADUNG" {
			pmtBadung = c.Quantity
		}
	}
	wantBadung := e.count(`SELECT SUM(quantity) FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id JOIN organizations r ON r.id = a.regency_id
		WHERE t.code = 'PMT' AND r.code = 'BALI-BADUNG' AND delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if cells != 302 || int64(pmtBadung) != wantBadung {
		t.Errorf("type × regency: %d in all (want 302), PMT in Badung %d (want %d)", cells, pmtBadung, wantBadung)
	}
	groups := map[string]int{}
	for _, g := range r.OutputsByBeneficiaryGroup {
		groups[g.Group] = g.Quantity
	}
	if groups["ELDERLY"] != 100+106 || groups["DISABLED"] != 50+1+1 || groups["INSTITUTION"] != 40 || groups["POOR_HOUSEHOLD"] != 4 {
		t.Errorf("by beneficiary group: %v", groups)
	}
	// Money in: every breakdown adds up to the ledger's own net sum.
	net := e.count(`SELECT SUM(amount) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	var bySourceMonth, byPartner, byKind int64
	for _, m := range r.DonationsBySourceAndMonth {
		bySourceMonth += m.Amount
	}
	for _, p := range r.DonationsByPartner {
		byPartner += p.Amount
	}
	for _, k := range r.DonationsByKind {
		byKind += k.Amount
	}
	if r.DonationsTotal != net || bySourceMonth != net || byPartner != net || byKind != net {
		t.Errorf("total %d, by source×month %d, by partner %d, by kind %d; ledger says %d", r.DonationsTotal, bySourceMonth, byPartner, byKind, net)
	}
	july := e.count(`SELECT SUM(amount) FROM donations WHERE source = 'CSR' AND received_on BETWEEN '2014-07-01' AND '2014-07-31'`)
	for _, m := range r.DonationsBySourceAndMonth {
		if m.Source == "CSR" && m.Month == "2014-07-01" && m.Amount != july {
			t.Errorf("CSR in July 2014: %d, ledger says %d", m.Amount, july)
		}
	}
	if b := r.Boxes; b.ActiveBoxes != 32 || int64(b.Openings) != e.count(`SELECT count(*) FROM box_collections WHERE collected_on BETWEEN '2014-01-01' AND '2014-12-31'`) || b.AveragePerOpening != b.Total/int64(b.Openings) || len(b.ByHost) != 2 {
		t.Errorf("boxes %+v", b)
	}
	for _, tg := range r.Targets {
		if tg.Year != 2014 {
			t.Errorf("a %d target in the 2014 report", tg.Year)
		}
		if tg.AidType.Code == "PMT" && (tg.TargetQuantity != 200 || tg.RealisedQuantity != 190) {
			t.Errorf("PMT target %d realised %d, want 200 and 190", tg.TargetQuantity, tg.RealisedQuantity)
		}
	}
	prevPMT := 0
	for _, row := range r.Previous.OutputsByAidType {
		if row.AidType.Code == "PMT" {
			prevPMT = row.Quantity
		}
	}
	if r.Previous.From != "2013-01-01" || r.Previous.To != "2013-12-31" || prevPMT != 150 ||
		r.Previous.DonationsTotal != e.count(`SELECT SUM(amount) FROM donations WHERE received_on BETWEEN '2013-01-01' AND '2013-12-31'`) {
		t.Errorf("previous: %+v", r.Previous)
	}
}

func TestReportForTheRaker(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The 2014 Raker evaluated January to July: the targets are the year's,
	// the realisation what was delivered by the end of July.
	var got reportAnswer
	e.query(reportQuery, map[string]any{"org": e.id(`SELECT id FROM organizations WHERE code = 'BALI'`), "from": "2014-01-01", "to": "2014-07-31"}, &got)
	for _, tg := range got.Report.Targets {
		want := e.count(`SELECT COALESCE(SUM(quantity), 0) FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
			WHERE t.code = $1 AND delivered_on BETWEEN '2014-01-01' AND '2014-07-31'`, tg.AidType.Code)
		if int64(tg.RealisedQuantity) != want {
			t.Errorf("%s realised by July: %d, want %d", tg.AidType.Code, tg.RealisedQuantity, want)
		}
	}
	// 212 days, so the previous period is the 212 days before: 3 June to 31 December 2013.
	if got.Report.Previous.From != "2013-06-03" || got.Report.Previous.To != "2013-12-31" {
		t.Errorf("previous period of Jan–Jul 2014: %s–%s", got.Report.Previous.From, got.Report.Previous.To)
	}
	for _, bad := range []map[string]any{
		{"org": e.id(`SELECT id FROM organizations WHERE code = 'BALI'`), "from": "2014-08-01", "to": "2014-07-31"},
		{"org": e.id(`SELECT id FROM organizations WHERE code = 'BALI'`), "from": "2000-01-01", "to": "2014-07-31"},
		{"org": "7d0f5f6e-0000-4000-8000-000000000000", "year": 2014},
	} {
		if r := e.post(reportQuery, bad); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%v: %+v, want BAD_USER_INPUT", bad, r.Errors)
		}
	}
}

func TestReportStaysInScope(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	// A partner's report over the whole province holds its own gifts only.
	var got reportAnswer
	admin.as(auth.Partner, samudra).query(reportQuery, map[string]any{"org": bali, "year": 2014}, &got)
	own := admin.count(`SELECT SUM(d.amount) FROM donations d JOIN partners p ON p.id = d.partner_id
		WHERE p.name = $1 AND received_on BETWEEN '2014-01-01' AND '2014-12-31'`, samudra)
	r := got.Report
	if r.DonationsTotal != own || len(r.DonationsByPartner) != 1 || r.DonationsByPartner[0].Partner.Name != samudra {
		t.Errorf("partner's report: total %d (own %d), partners %+v", r.DonationsTotal, own, r.DonationsByPartner)
	}
	// Its outputs are those its gifts paid for, and nothing of the councils' targets or boxes.
	fundedQty := admin.count(`SELECT COALESCE(SUM(a.quantity), 0) FROM aid_outputs a WHERE a.delivered_on BETWEEN '2014-01-01' AND '2014-12-31'
		AND (SELECT SUM(x.amount) FROM allocations x JOIN donations d ON d.id = x.donation_id JOIN partners p ON p.id = d.partner_id
			WHERE x.aid_output_id = a.id AND p.name = $1) > 0`, samudra)
	var qty int64
	for _, o := range r.OutputsByAidType {
		qty += int64(o.Quantity)
	}
	if qty != fundedQty || len(r.Targets) != 0 || r.Boxes.Openings != 0 {
		t.Errorf("partner's report: %d units of outputs (its gifts funded %d), targets or boxes: %+v", qty, fundedQty, r)
	}
	// An operator's report covers its subtree only; the province, which it
	// sees in the tree, is refused rather than answered with a part.
	op := admin.as(auth.Operator, "BALI-BADUNG")
	op.query(reportQuery, map[string]any{"org": admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`), "year": 2014}, &got)
	sub := admin.count(`SELECT SUM(d.amount) FROM donations d JOIN organizations o ON o.id = d.organization_id
		WHERE o.code LIKE 'BALI-BADUNG%' AND received_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if got.Report.DonationsTotal != sub || got.Report.Coverage.Councils != 1 || got.Report.Coverage.Institutions != 3 {
		t.Errorf("operator's report: total %d (subtree %d), coverage %+v", got.Report.DonationsTotal, sub, got.Report.Coverage)
	}
	if res := op.post(reportQuery, map[string]any{"org": bali, "year": 2014}); len(res.Errors) == 0 || res.Errors[0].Extensions["reason"] != "INVALID" || res.Errors[0].Extensions["field"] != "organizationId" {
		t.Errorf("operator of Badung asking for the province: %+v", res.Errors)
	}
}
