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
	sums, err := files.ReadFile("graphiql/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 4 {
		t.Fatalf("SHA256SUMS lists %d files, want 4", len(lines))
	}
	for _, line := range lines {
		want, name, _ := strings.Cut(line, "  ")
		b, err := files.ReadFile("graphiql/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("%s does not match its SHA-256 sum: run refresh-graphiql.sh", name)
		}
	}
	script, err := os.ReadFile("refresh-graphiql.sh")
	if err != nil {
		t.Fatal(err)
	}
	versions, _ := files.ReadFile("graphiql/VERSIONS")
	for _, pin := range regexp.MustCompile(`(?m)^(GRAPHIQL|REACT)=(\S+)`).FindAllStringSubmatch(string(script), -1) {
		if !strings.Contains(string(versions), strings.ToLower(pin[1])+" "+pin[2]+"\n") {
			t.Errorf("the script pins %s %s; the vendored files are %q", pin[1], pin[2], versions)
		}
	}
}

// TestPageAsksOnlyThisServer: the page and its script name only this
// server's paths, and the answer forbids the browser anything else.
func TestPageAsksOnlyThisServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			GraphiQL().ServeHTTP(w, r)
			return
		}
		Assets().ServeHTTP(w, r)
	}))
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
	res, page := get("/")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "connect-src 'self'") {
		t.Fatalf("page: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 6 {
		t.Errorf("the page names %d files, want 6: %v", len(refs), refs)
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref[1], "/graphiql/") {
			t.Errorf("the page loads %s from elsewhere", ref[1])
			continue
		}
		if res, body := get(ref[1]); res.StatusCode != 200 || len(body) == 0 || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d, %d bytes", ref[1], res.StatusCode, len(body))
		}
	}
	if !strings.Contains(page, "Kept in this page only") {
		t.Error("the page does not say where the token is kept")
	}
	_, script := get("/graphiql/sinergi.js")
	if strings.Contains(script, "localStorage") || strings.Contains(script, "sessionStorage") || strings.Contains(script, "http") {
		t.Error("sinergi.js stores something in the browser or names another server")
	}
	for _, path := range []string{"/graphiql/", "/graphiql/index.html", "/graphiql/missing.js"} {
		if res, _ := get(path); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
}
