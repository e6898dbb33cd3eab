package server_test

import (
	"context"
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
