package server_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// TestMonthlySumsEqualTheLedger: the report's sums by source × month and
// by kind, which read the monthly sums for whole months and the ledger for
// the days at either end, equal a plain aggregate over the ledger — for
// periods with and without whole months, for an operator's subtree as for
// the province, after reversals, one of them booked after a closed period.
func TestMonthlySumsEqualTheLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	badung := e.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	operator := e.as(auth.Operator, "BALI-BADUNG")
	check := func(stage string) {
		t.Helper()
		for _, who := range []struct {
			e   *env
			org string
		}{{e, bali}, {operator, badung}} {
			for _, p := range [][2]string{{"2014-01-01", "2014-12-31"}, {"2014-01-15", "2014-07-17"}, {"2014-03-02", "2014-03-30"},
				{"2013-12-31", "2014-01-31"}, {"2013-01-01", "2014-12-31"}, {"2014-02-01", "2014-02-28"}} {
				var got struct {
					Report struct {
						DonationsBySourceAndMonth []struct {
							Source, Month string
							Amount        int64
							Donations     int
						}
						DonationsByKind []struct {
							Kind      string
							Amount    int64
							Donations int
						}
					}
				}
				who.e.query(`query($o: ID!, $f: Date, $t: Date) { report(organizationId: $o, from: $f, to: $t) {
					donationsBySourceAndMonth { source month amount donations } donationsByKind { kind amount donations } } }`,
					map[string]any{"o": who.org, "f": p[0], "t": p[1]}, &got)
				// The report lists every source for every month; the ledger's
				// aggregate has the ones with entries.
				var bySource []string
				for _, g := range got.Report.DonationsBySourceAndMonth {
					if g.Donations > 0 {
						bySource = append(bySource, fmt.Sprintf("%s %s %d %d", g.Source, g.Month, g.Donations, g.Amount))
					}
				}
				slices.Sort(bySource)
				var byKind []string
				for _, g := range got.Report.DonationsByKind {
					byKind = append(byKind, fmt.Sprintf("%s %d %d", g.Kind, g.Donations, g.Amount))
				}
				var wantSource, wantKind []string
				if err := e.db.Select(&wantSource, `
					SELECT d.source || ' ' || to_char(date_trunc('month', d.received_on), 'YYYY-MM') || ' ' || count(*) || ' ' || SUM(d.amount)
					FROM donations d JOIN organizations o ON o.id = d.organization_id, organizations r
					WHERE r.id = $1 AND o.path <@ r.path AND d.received_on BETWEEN $2 AND $3
					GROUP BY d.source, date_trunc('month', d.received_on) ORDER BY d.source, date_trunc('month', d.received_on)`, who.org, p[0], p[1]); err != nil {
					t.Fatal(err)
				}
				if err := e.db.Select(&wantKind, `
					SELECT d.kind || ' ' || count(*) || ' ' || SUM(d.amount)
					FROM donations d JOIN organizations o ON o.id = d.organization_id, organizations r
					WHERE r.id = $1 AND o.path <@ r.path AND d.received_on BETWEEN $2 AND $3
					GROUP BY d.kind ORDER BY d.kind`, who.org, p[0], p[1]); err != nil {
					t.Fatal(err)
				}
				// GraphQL writes the month as a date.
				for i, s := range wantSource {
					var src, month string
					var n, amount int64
					fmt.Sscanf(s, "%s %s %d %d", &src, &month, &n, &amount)
					wantSource[i] = fmt.Sprintf("%s %s-01 %d %d", src, month, n, amount)
				}
				slices.Sort(wantSource)
				if !slices.Equal(bySource, wantSource) || !slices.Equal(byKind, wantKind) || len(wantSource) == 0 {
					t.Errorf("%s, %s to %s:\n by source %v\n ledger    %v\n by kind %v\n ledger  %v", stage, p[0], p[1], bySource, wantSource, byKind, wantKind)
				}
			}
		}
	}
	check("as loaded")
	// A reversal booked inside the periods, and one booked on the first
	// open day after a close.
	r := e.post(`mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "uji", reversedOn: "2014-06-30"}) { id } }`,
		map[string]any{"d": e.id(`SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id
			WHERE o.code = 'BALI-BADUNG' AND d.source <> 'DONATION_BOX' AND d.received_on < '2014-06-30' AND d.reverses_id IS NULL
			AND NOT EXISTS (SELECT 1 FROM allocations x WHERE x.donation_id = d.id) ORDER BY d.seq LIMIT 1`)})
	if len(r.Errors) > 0 {
		t.Fatalf("reverse: %+v", r.Errors)
	}
	if r := e.post(`mutation($o: ID!) { closePeriod(input: {organizationId: $o, through: "2014-03-31"}) { id } }`, map[string]any{"o": bali}); len(r.Errors) > 0 {
		t.Fatalf("close: %+v", r.Errors)
	}
	r = e.post(`mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "uji"}) { receivedOn } }`,
		map[string]any{"d": e.id(`SELECT d.id FROM donations d JOIN organizations o ON o.id = d.organization_id
			WHERE d.source <> 'DONATION_BOX' AND d.received_on BETWEEN '2014-01-02' AND '2014-03-30' AND d.reverses_id IS NULL
			AND NOT EXISTS (SELECT 1 FROM donations x WHERE x.reverses_id = d.id)
			AND NOT EXISTS (SELECT 1 FROM allocations x WHERE x.donation_id = d.id) ORDER BY d.seq LIMIT 1`)})
	if len(r.Errors) > 0 || !slices.Contains([]string{`{"reverseDonation":{"receivedOn":"2014-04-01"}}`}, string(r.Data)) {
		t.Fatalf("reverse after the close: %s %+v", r.Data, r.Errors)
	}
	check("after reversals")
	if n := e.count(`SELECT count(*) FROM donation_months WHERE amount <> 0 OR entries <> 0`); n == 0 {
		t.Error("the monthly sums are empty: the report did not read them")
	}
}
