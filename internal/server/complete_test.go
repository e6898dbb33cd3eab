package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// TestReportListsAreComplete: a report's lists hold every month of the
// period and every regency of the subtree in code order, zeros included,
// and each adds up to the same total as the ledger.
func TestReportListsAreComplete(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	const q = `query($o: ID!) { report(organizationId: $o, year: 2014) {
		donationsTotal
		donationsByMonth { month donations amount }
		donationsBySourceAndMonth { source month amount }
		donationsByRegency { regency { code } month donations amount }
		donationsByRegencyAndMonth { regency { code } month amount }
		outputsByMonth { month outputs cost }
		outputsByAidType { aidType { code } }
		outputsByAidTypeAndRegency { aidType { code } regency { code } quantity }
	} }`
	type row struct {
		Regency   *struct{ Code string }
		AidType   struct{ Code string }
		Month     *string
		Source    string
		Donations int
		Outputs   int
		Quantity  int
		Amount    int64
		Cost      int64
	}
	var got struct {
		Report struct {
			DonationsTotal             int64
			DonationsByMonth           []row
			DonationsBySourceAndMonth  []row
			DonationsByRegency         []row
			DonationsByRegencyAndMonth []row
			OutputsByMonth             []row
			OutputsByAidType           []row
			OutputsByAidTypeAndRegency []row
		}
	}
	admin.query(q, map[string]any{"o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &got)
	r := got.Report
	code := func(x row) string {
		if x.Regency == nil {
			return "-"
		}
		return x.Regency.Code
	}
	sum := func(rows []row, f func(row) int64) (n int64) {
		for _, x := range rows {
			n += f(x)
		}
		return n
	}
	amount := func(x row) int64 { return x.Amount }
	var regencies []string
	admin.db.Select(&regencies, `SELECT code FROM organizations WHERE kind = 'REGENCY_COUNCIL' AND code LIKE 'BALI-%' ORDER BY code`)
	if len(regencies) != 9 {
		t.Fatalf("the demo has %d regencies", len(regencies))
	}

	// Every month, in order, each the ledger's.
	if len(r.DonationsByMonth) != 12 || sum(r.DonationsByMonth, amount) != r.DonationsTotal {
		t.Errorf("donationsByMonth: %d months adding up to %d, total %d", len(r.DonationsByMonth), sum(r.DonationsByMonth, amount), r.DonationsTotal)
	}
	for i, m := range r.DonationsByMonth {
		want := fmt.Sprintf("2014-%02d-01", i+1)
		ledger := admin.count(`SELECT COALESCE(SUM(amount), 0) FROM donations WHERE date_trunc('month', received_on) = $1::date`, want)
		if m.Month == nil || *m.Month != want || m.Amount != ledger {
			t.Errorf("month %d: %+v, want %s with %d", i+1, m, want, ledger)
		}
	}
	if len(r.DonationsBySourceAndMonth) != 7*12 || sum(r.DonationsBySourceAndMonth, amount) != r.DonationsTotal {
		t.Errorf("donationsBySourceAndMonth: %d rows, want every source for every month (84)", len(r.DonationsBySourceAndMonth))
	}

	// Every regency in code order, then the province's own; each the
	// ledger's sum over its part of the tree.
	var order []string
	for _, x := range r.DonationsByRegency {
		order = append(order, code(x))
		if x.Month != nil {
			t.Errorf("%s: month %s on a whole-period row", code(x), *x.Month)
		}
		var ledger int64
		if x.Regency == nil {
			ledger = admin.count(`SELECT COALESCE(SUM(d.amount), 0) FROM donations d JOIN organizations o ON o.id = d.organization_id
				WHERE o.kind = 'PROVINCE_COUNCIL' AND d.received_on BETWEEN '2014-01-01' AND '2014-12-31'`)
		} else {
			ledger = admin.count(`SELECT COALESCE(SUM(d.amount), 0) FROM donations d JOIN organizations o ON o.id = d.organization_id
				JOIN organizations r ON r.code = $1 AND o.path <@ r.path WHERE d.received_on BETWEEN '2014-01-01' AND '2014-12-31'`, x.Regency.Code)
		}
		if x.Amount != ledger {
			t.Errorf("%s: %d, the ledger says %d", code(x), x.Amount, ledger)
		}
	}
	if want := strings.Join(append(regencies, "-"), ","); strings.Join(order, ",") != want {
		t.Errorf("donationsByRegency in order %v, want %s", order, want)
	}
	if sum(r.DonationsByRegency, amount) != r.DonationsTotal {
		t.Errorf("donationsByRegency adds up to %d, total %d", sum(r.DonationsByRegency, amount), r.DonationsTotal)
	}
	if len(r.DonationsByRegencyAndMonth) != 10*12 {
		t.Errorf("donationsByRegencyAndMonth: %d rows, want 120", len(r.DonationsByRegencyAndMonth))
	}
	byRegency := map[string]int64{}
	for _, x := range r.DonationsByRegencyAndMonth {
		byRegency[code(x)] += x.Amount
	}
	for _, x := range r.DonationsByRegency {
		if byRegency[code(x)] != x.Amount {
			t.Errorf("%s: months add up to %d, the period %d", code(x), byRegency[code(x)], x.Amount)
		}
	}

	// Outputs: every month; every regency for each type delivered.
	cost := admin.count(`SELECT SUM(cost) FROM aid_outputs WHERE delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if len(r.OutputsByMonth) != 12 || sum(r.OutputsByMonth, func(x row) int64 { return x.Cost }) != cost {
		t.Errorf("outputsByMonth: %d months costing %d, the ledger %d", len(r.OutputsByMonth), sum(r.OutputsByMonth, func(x row) int64 { return x.Cost }), cost)
	}
	if len(r.OutputsByAidTypeAndRegency) != len(r.OutputsByAidType)*9 {
		t.Errorf("outputsByAidTypeAndRegency: %d rows for %d types × 9 regencies", len(r.OutputsByAidTypeAndRegency), len(r.OutputsByAidType))
	}
	for i, x := range r.OutputsByAidTypeAndRegency {
		if code(x) != regencies[i%9] || x.AidType.Code != r.OutputsByAidType[i/9].AidType.Code {
			t.Errorf("row %d: %s × %s, want %s × %s", i, x.AidType.Code, code(x), r.OutputsByAidType[i/9].AidType.Code, regencies[i%9])
			break
		}
	}

	// A regency's report has its own row only; a partner's adds up to its
	// own gifts.
	admin.query(q, map[string]any{"o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)}, &got)
	if rows := got.Report.DonationsByRegency; len(rows) != 1 || code(rows[0]) != "BALI-BADUNG" || rows[0].Amount != got.Report.DonationsTotal {
		t.Errorf("Badung's donationsByRegency: %+v, total %d", rows, got.Report.DonationsTotal)
	}
	partner := admin.as(auth.Partner, samudra)
	partner.query(q, map[string]any{"o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &got)
	own := admin.count(`SELECT SUM(d.amount) FROM donations d JOIN partners p ON p.id = d.partner_id
		WHERE p.name = $1 AND d.received_on BETWEEN '2014-01-01' AND '2014-12-31'`, samudra)
	if sum(got.Report.DonationsByRegency, amount) != own || got.Report.DonationsTotal != own || sum(got.Report.DonationsByMonth, amount) != own {
		t.Errorf("the partner's report adds up to %d by regency, %d by month, total %d; its gifts %d",
			sum(got.Report.DonationsByRegency, amount), sum(got.Report.DonationsByMonth, amount), got.Report.DonationsTotal, own)
	}
}
