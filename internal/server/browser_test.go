package server_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// browser starts headless Chromium for a test, with every request to a
// host other than this machine sent to a proxy that is not there: the
// pages under test load as they would in an office with no connection.
// outside lists the requests that tried to leave anyway.
func browser(t *testing.T) (ctx context.Context, outside func() []string) {
	t.Helper()
	var chrome string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		t.Fatal("Chromium is needed to test the pages in a browser: apt-get install chromium (.ci/run installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.ProxyServer("http://127.0.0.1:9"), chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	var mu sync.Mutex
	var tried []string
	listen := func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u, err := url.Parse(e.Request.URL)
			if err == nil && (u.Scheme == "data" || u.Hostname() == "127.0.0.1") {
				return
			}
			mu.Lock()
			tried = append(tried, e.Request.URL)
			mu.Unlock()
		}
	}
	// Listening starts the browser and its first tab, whose network events
	// chromedp turns on.
	if err := chromedp.Listen(ctx, listen); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), tried...)
	}
}

// screenshot keeps a picture of the page for a person to look at, when
// SINERGI_ARTIFACTS names a folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SINERGI_ARTIFACTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGraphiQLInABrowser: GraphiQL loads from the server alone, with the
// network to the outside cut; a token pasted into the page signs a query in
// and its answer shows; the token is written to no browser storage.
func TestGraphiQLInABrowser(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Development = true // introspection, which GraphiQL's schema view asks for
	admin := newEnvWith(t, pgtest.DB(t), cfg)
	ctx, outside := browser(t)
	page := admin.url + "/?query=" + url.QueryEscape("{ viewer { role account } }")
	err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		chromedp.SendKeys(chromedp.ID("token"), admin.token),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
	)
	if err != nil {
		t.Fatalf("GraphiQL: %v", err)
	}
	answer, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const r = document.querySelector('.result-window'); return r && r.innerText.includes('ADMIN') ? r.innerText : false })()`))
	if err != nil {
		t.Fatalf("GraphiQL showed no answer: %v", err)
	}
	stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`JSON.stringify(Object.assign({}, localStorage)) + JSON.stringify(Object.assign({}, sessionStorage))`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, `"account": "test-admin"`) {
		t.Errorf("GraphiQL shows %q", answer)
	}
	if strings.Contains(stored, admin.token) {
		t.Error("the token was written to the browser's storage")
	}
	if tried := outside(); len(tried) > 0 {
		t.Errorf("the page asked other servers: %v", tried)
	}
	screenshot(t, ctx, "graphiql.png")
}

// TestDashboardInABrowser: the council dashboard signs in as an admin, an
// operator and a partner, with the network to the outside cut, and shows
// each the 2014 Bali figures that the report query answers that account —
// read from the page as it is drawn; the partner's are labelled its own.
// On a phone's screen nothing runs off the side.
func TestDashboardInABrowser(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	ctx, outside := browser(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	// More councils than one page holds: the picker must list them all.
	var province struct{ CreateOrganization struct{ ID string } }
	admin.query(`mutation { createOrganization(input: {kind: PROVINCE_COUNCIL, code: "NUSA", name: "BKKKS Provinsi Nusa"}) { id } }`, nil, &province)
	for i := range 120 {
		admin.query(`mutation($p: ID!, $c: String!) { createOrganization(input: {parentId: $p, kind: REGENCY_COUNCIL, code: $c, name: $c}) { id } }`,
			map[string]any{"p": province.CreateOrganization.ID, "c": fmt.Sprintf("NUSA-%03d", i)}, &struct{}{})
	}
	councils := admin.count(`SELECT count(*) FROM organizations WHERE kind <> 'INSTITUTION'`)
	type shown struct {
		Ready, Scope, Heading      string
		Councils                   int64
		MoneyIn, AidCost, BoxTotal int64
		Months                     map[string]int64
		Outputs                    map[string]int64
		Overflow                   int
	}
	const read = `(() => {
		const v = id => Number(document.querySelector('[data-testid=' + id + ']').dataset.value);
		return {
			ready: document.body.dataset.ready, scope: document.getElementById('scope').dataset.scope,
			heading: document.getElementById('heading').textContent,
			councils: document.getElementById('council').options.length,
			moneyIn: v('kpi-money-in'), aidCost: v('kpi-aid-cost'), boxTotal: v('kpi-box-total'),
			months: Object.fromEntries([...document.querySelectorAll('#months tr[data-month]')].map(tr => [tr.dataset.month, Number(tr.lastChild.dataset.value)])),
			outputs: Object.fromEntries([...document.querySelectorAll('#outputs tr[data-aid-type]')].map(tr => [tr.dataset.aidType, Number(tr.children[tr.children.length - 2].dataset.value)])),
			overflow: document.documentElement.scrollWidth - window.innerWidth,
		};
	})()`
	for _, tc := range []struct {
		role  string
		who   *env
		scope string
		width int64
	}{
		{"admin", admin, "COUNCIL", 1280},
		{"operator", admin.as(auth.Operator, "BALI"), "COUNCIL", 1280},
		{"partner", admin.as(auth.Partner, samudra), "PARTNER_OWN", 390},
	} {
		var want struct {
			Report struct {
				Scope            string
				DonationsTotal   int64
				DonationsByMonth []struct {
					Month  string
					Amount int64
				}
				OutputsByAidType []struct {
					AidType        struct{ Code string }
					Quantity, Cost int64
				}
				Boxes struct{ Total int64 }
			}
		}
		tc.who.query(`query($o: ID!) { report(organizationId: $o, year: 2014) { scope donationsTotal donationsByMonth { month amount }
			outputsByAidType { aidType { code } quantity cost } boxes { total } } }`, map[string]any{"o": bali}, &want)
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(tc.width, 900),
			chromedp.Navigate(admin.url+"/dashboard?org=BALI&year=2014"),
			chromedp.WaitVisible(chromedp.ID("token")),
			chromedp.SendKeys(chromedp.ID("token"), tc.who.token),
			chromedp.Click(chromedp.CSS("#signin button[type=submit]")),
		)
		if err == nil {
			wait, cancel := context.WithTimeout(ctx, 20*time.Second)
			err = chromedp.Do(wait, chromedp.WaitVisible(chromedp.CSS("body[data-ready]")))
			cancel()
		}
		if err != nil {
			page, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.getElementById('error').textContent + ' | ' + document.body.innerText.slice(0, 300)`))
			t.Fatalf("%s: dashboard: %v; the page says %q", tc.role, err, page)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[shown](read))
		if err != nil {
			t.Fatalf("%s: read the page: %v", tc.role, err)
		}
		r := want.Report
		var cost int64
		outputs := map[string]int64{}
		for _, x := range r.OutputsByAidType {
			cost += x.Cost
			outputs[x.AidType.Code] = x.Quantity
		}
		months := map[string]int64{}
		for _, m := range r.DonationsByMonth {
			months[m.Month] = m.Amount
		}
		if got.Councils != councils || councils < 130 {
			t.Errorf("%s: the picker lists %d councils of %d", tc.role, got.Councils, councils)
		}
		if !strings.HasSuffix(got.Heading, "Periode 1 Januari 2014 – 31 Desember 2014") {
			t.Errorf("%s: heading %q, want the period written out", tc.role, got.Heading)
		}
		if got.Ready != "BALI 2014-01-01 2014-12-31" || got.Scope != tc.scope || r.Scope != tc.scope {
			t.Errorf("%s: page for %q, scope %s (report %s), want %s", tc.role, got.Ready, got.Scope, r.Scope, tc.scope)
		}
		if got.MoneyIn != r.DonationsTotal || got.AidCost != cost || got.BoxTotal != r.Boxes.Total {
			t.Errorf("%s: the page shows money %d, aid cost %d, boxes %d; the report %d, %d, %d", tc.role,
				got.MoneyIn, got.AidCost, got.BoxTotal, r.DonationsTotal, cost, r.Boxes.Total)
		}
		if fmt.Sprint(got.Months) != fmt.Sprint(months) || len(got.Months) != 12 {
			t.Errorf("%s: months on the page %v, the report %v", tc.role, got.Months, months)
		}
		if fmt.Sprint(got.Outputs) != fmt.Sprint(outputs) {
			t.Errorf("%s: outputs on the page %v, the report %v", tc.role, got.Outputs, outputs)
		}
		if got.Overflow > 0 {
			t.Errorf("%s: the page runs %d px off the side of a %d px screen", tc.role, got.Overflow, tc.width)
		}
		screenshot(t, ctx, "dashboard-"+tc.role+".png")
	}
	// The partner's own figures are not the council's.
	var council struct {
		Report struct{ DonationsTotal int64 }
	}
	admin.query(`query($o: ID!) { report(organizationId: $o, year: 2014) { donationsTotal } }`, map[string]any{"o": bali}, &council)
	own := admin.count(`SELECT SUM(d.amount) FROM donations d JOIN partners p ON p.id = d.partner_id
		WHERE p.name = $1 AND d.received_on BETWEEN '2014-01-01' AND '2014-12-31'`, samudra)
	if own == council.Report.DonationsTotal || own == 0 {
		t.Errorf("the partner's gifts %d and the council's %d cannot be told apart", own, council.Report.DonationsTotal)
	}
	if tried := outside(); len(tried) > 0 {
		t.Errorf("the dashboard asked other servers: %v", tried)
	}
}
