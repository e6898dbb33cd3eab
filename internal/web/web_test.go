package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestVendoredAssets: the embedded GraphiQL and React are the files the
// refresh script fetched, byte for byte, at the versions it pins.
func TestVendoredAssets(t *testing.T) {
	for dir, n := range map[string]int{"graphiql": 4, "dashboard": 1} {
		sums, err := files.ReadFile(dir + "/SHA256SUMS")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
		if len(lines) != n {
			t.Fatalf("%s/SHA256SUMS lists %d files, want %d", dir, len(lines), n)
		}
		for _, line := range lines {
			want, name, _ := strings.Cut(line, "  ")
			b, err := files.ReadFile(dir + "/" + name)
			if err != nil {
				t.Fatal(err)
			}
			got := sha256.Sum256(b)
			if hex.EncodeToString(got[:]) != want {
				t.Errorf("%s/%s does not match its SHA-256 sum: run refresh-vendored.sh", dir, name)
			}
		}
	}
	script, err := os.ReadFile("refresh-vendored.sh")
	if err != nil {
		t.Fatal(err)
	}
	graphiql, _ := files.ReadFile("graphiql/VERSIONS")
	dashboard, _ := files.ReadFile("dashboard/VERSIONS")
	versions := string(graphiql) + string(dashboard)
	pins := regexp.MustCompile(`(?m)^(GRAPHIQL|REACT|CHARTJS)=(\S+)`).FindAllStringSubmatch(string(script), -1)
	if len(pins) != 3 {
		t.Fatalf("the script pins %v", pins)
	}
	for _, pin := range pins {
		name := map[string]string{"GRAPHIQL": "graphiql", "REACT": "react", "CHARTJS": "chart.js"}[pin[1]]
		if !strings.Contains(versions, name+" "+pin[2]+"\n") {
			t.Errorf("the script pins %s %s; the vendored files are %q", pin[1], pin[2], versions)
		}
	}
}

// TestPageAsksOnlyThisServer: the page and its script name only this
// server's paths, and the answer forbids the browser anything else.
func TestPageAsksOnlyThisServer(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", GraphiQL())
	mux.Handle("GET /graphiql/", Assets("graphiql"))
	mux.Handle("GET /dashboard", Dashboard())
	mux.Handle("GET /dashboard/", Assets("dashboard"))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for path, want := range map[string]struct {
		assets, script, note string
		refs                 int
	}{
		"/":          {"/graphiql/", "/graphiql/sinergi.js", "Kept in this page only", 6},
		"/dashboard": {"/dashboard/", "/dashboard/dashboard.js", "Token hanya disimpan di halaman ini", 3},
	} {
		res, page := get(path)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "connect-src 'self'") {
			t.Fatalf("%s: %d, CSP %q", path, res.StatusCode, res.Header.Get("Content-Security-Policy"))
		}
		refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
		if len(refs) != want.refs {
			t.Errorf("%s names %d files, want %d: %v", path, len(refs), want.refs, refs)
		}
		for _, ref := range refs {
			if !strings.HasPrefix(ref[1], want.assets) {
				t.Errorf("%s loads %s from elsewhere", path, ref[1])
				continue
			}
			if res, body := get(ref[1]); res.StatusCode != 200 || len(body) == 0 || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: %d, %d bytes", ref[1], res.StatusCode, len(body))
			}
		}
		if !strings.Contains(page, want.note) {
			t.Errorf("%s does not say where the token is kept", path)
		}
		_, script := get(want.script)
		if strings.Contains(script, "localStorage") || strings.Contains(script, "sessionStorage") || strings.Contains(script, "http") {
			t.Errorf("%s stores something in the browser or names another server", want.script)
		}
	}
	for _, path := range []string{"/graphiql/", "/graphiql/index.html", "/graphiql/missing.js", "/dashboard/", "/dashboard/index.html"} {
		if res, _ := get(path); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
}
