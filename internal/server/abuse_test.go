package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
	"github.com/sinergi-id/sinergi/internal/server"
)

// raw sends body to /graphql as it is and returns the status, the answer's
// first error code and the time it took.
func (e *env) raw(method, contentType, accept string, body io.Reader, query string) (int, string, time.Duration) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+"/graphql"+query, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var answer response
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &answer)
	code := ""
	if len(answer.Errors) > 0 {
		code, _ = answer.Errors[0].Extensions["code"].(string)
		if code == "" {
			code = answer.Errors[0].Message
		}
	}
	return res.StatusCode, code, time.Since(start)
}

func jsonBody(query string) io.Reader {
	b, _ := json.Marshal(map[string]any{"query": query})
	return bytes.NewReader(b)
}

// TestAbuseIsRefused sends what an attacker would and checks each is
// refused with the status the GraphQL-over-HTTP specification gives and a
// code saying why, quickly, and that the server goes on answering.
func TestAbuseIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	deep := "{ organizations { edges { node { id " + strings.Repeat("children { ", 9) + "id" + strings.Repeat(" }", 9) + " } } } }"
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 40 {
		aliases.WriteString(" a" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + ": aidTypes { code }")
	}
	aliases.WriteString(" }")
	flood := "{ aidTypes { " + strings.Repeat("code ", 20_000) + "} }"
	wide := `{ donations(first: 100) { edges { node { organization { children { children { name } } } } } } }`
	huge := `{ donations(first: 1000000) { totalCount } }`

	graphqlJSON := "application/graphql-response+json"
	for _, tc := range []struct {
		name                        string
		method, contentType, accept string
		body                        io.Reader
		query                       string
		status                      int
		code                        string
	}{
		{"oversized body", "POST", "application/json", "", bytes.NewReader(bytes.Repeat([]byte(" "), 2<<20)), "", 413, "BODY_TOO_LARGE"},
		{"oversized body without a length", "POST", "application/json", "", io.MultiReader(strings.NewReader(`{"query":"`), bytes.NewReader(bytes.Repeat([]byte("a"), 2<<20))), "", 413, "BODY_TOO_LARGE"},
		{"token flood", "POST", "application/json", "", jsonBody(flood), "", 200, "GRAPHQL_PARSE_FAILED"},
		{"token flood, graphql-response+json", "POST", "application/json", graphqlJSON, jsonBody(flood), "", 400, "GRAPHQL_PARSE_FAILED"},
		{"ten levels of children", "POST", "application/json", "", jsonBody(deep), "", 200, "QUERY_TOO_DEEP"},
		{"ten levels of children, graphql-response+json", "POST", "application/json", graphqlJSON, jsonBody(deep), "", 400, "QUERY_TOO_DEEP"},
		{"alias batch", "POST", "application/json", "", jsonBody(aliases.String()), "", 200, "TOO_MANY_ALIASES"},
		{"wide nested lists", "POST", "application/json", "", jsonBody(wide), "", 200, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"huge first", "POST", "application/json", "", jsonBody(huge), "", 200, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"form-encoded mutation", "POST", "application/x-www-form-urlencoded", "", strings.NewReader(`query=mutation{createPartner(input:{kind:BUSINESS,name:"x"}){id}}`), "", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"text/plain mutation", "POST", "text/plain", "", jsonBody(`mutation { createPartner(input: {kind: BUSINESS, name: "x"}) { id } }`), "", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"mutation over GET", "GET", "", "", nil, "?query=" + urlQuery(`mutation { createPartner(input: {kind: BUSINESS, name: "x"}) { id } }`), 405, "GET requests only allow query operations"},
		{"introspection in production", "POST", "application/json", "", jsonBody(`{ __schema { types { name } } }`), "", 200, "INTROSPECTION_DISABLED"},
		{"type introspection in production", "POST", "application/json", "", jsonBody(`{ __type(name: "Donation") { fields { name } } }`), "", 200, "INTROSPECTION_DISABLED"},
	} {
		status, code, took := e.raw(tc.method, tc.contentType, tc.accept, tc.body, tc.query)
		if status != tc.status || code != tc.code {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, code, tc.status, tc.code)
		}
		if took > 2*time.Second {
			t.Errorf("%s: took %v to refuse", tc.name, took)
		}
	}
	if n := e.count(`SELECT count(*) FROM partners WHERE name = 'x'`); n != 0 {
		t.Errorf("a refused mutation wrote %d partners", n)
	}
	var ok struct{ AidTypes []struct{ Code string } }
	e.query(`{ aidTypes { code } }`, nil, &ok)
	if len(ok.AidTypes) == 0 {
		t.Error("the server stopped answering after the probes")
	}
}

func urlQuery(q string) string {
	r := strings.NewReplacer(" ", "%20", "{", "%7B", "}", "%7D", `"`, "%22", ":", "%3A", "(", "%28", ")", "%29", ",", "%2C")
	return r.Replace(q)
}

func TestIntrospectionInDevelopmentMode(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Development = true
	e := newEnvWith(t, pgtest.DB(t), cfg)
	var got struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	e.query(`{ __schema { queryType { name } } }`, nil, &got)
	if got.Schema.QueryType.Name != "Query" {
		t.Errorf("introspection answered %+v", got)
	}
}

// The request waits on a lock held by another transaction, so it cannot
// finish before its deadline however fast the machine is (a bare 1 ms
// deadline raced the timer on a loaded machine and sometimes lost).
func TestRequestDeadlineStopsWork(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.RequestTimeout = 200 * time.Millisecond
	e := newEnvWith(t, pgtest.DB(t), cfg)
	tx, err := e.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE donations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := e.post(`{ donations(first: 100) { totalCount sum edges { node { organization { name } partner { name } items { description } } } } }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "REQUEST_TIMEOUT" {
		t.Errorf("got %+v, want REQUEST_TIMEOUT", r.Errors)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a 200 ms deadline took %v to answer", took)
	}
	// The cancel reaches PostgreSQL on its own connection; give it a moment.
	var waiting int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := e.db.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 || time.Now().After(deadline) {
			break
		}
	}
	if waiting != 0 {
		t.Errorf("%d statements still wait for the lock after the request answered", waiting)
	}
}

func TestRateLimitAnswers429(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 1, 3
	e := newEnvWith(t, pgtest.DB(t), cfg)
	statuses := map[int]int{}
	var retryAfter string
	for range 6 {
		req, _ := http.NewRequest("POST", e.url+"/graphql", jsonBody(`{ aidTypes { code } }`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		statuses[res.StatusCode]++
		if res.StatusCode == http.StatusTooManyRequests {
			retryAfter = res.Header.Get("Retry-After")
		}
	}
	if statuses[200] != 3 || statuses[429] != 3 || retryAfter != "1" {
		t.Errorf("statuses %v, Retry-After %q; want 3 answered, 3 refused with Retry-After: 1", statuses, retryAfter)
	}
	// Another client has its own bucket.
	req, _ := http.NewRequest("POST", e.url+"/graphql", jsonBody(`{ aidTypes { code } }`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.as(auth.Auditor, "").token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("another client got %d", res.StatusCode)
	}
}

type admitAll struct{}

func (admitAll) Authenticate(context.Context, string) (auth.Principal, error) {
	return auth.Principal{AccountName: "test", TokenName: "panic", Role: auth.Admin}, nil
}

// TestPanicIsAnsweredAndServingGoesOn runs the real handler with no
// database, so every resolver that reaches for one panics.
func TestPanicIsAnsweredAndServingGoesOn(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv := httptest.NewServer(server.NewHandlerWithAuthenticator(nil, admitAll{}, slog.New(slog.NewTextHandler(&logs, nil)), testConfig()))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, token: "any"}
	for range 2 {
		r := e.post(`{ partners { edges { node { name } } } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INTERNAL_SERVER_ERROR" || r.Errors[0].Extensions["requestId"] == "" {
			t.Fatalf("got %+v, want one INTERNAL_SERVER_ERROR with a request id", r.Errors)
		}
		for _, leak := range []string{"nil pointer", "panic", "goroutine", "sqlx"} {
			if strings.Contains(r.Errors[0].Message, leak) {
				t.Errorf("message %q leaks %q", r.Errors[0].Message, leak)
			}
		}
	}
	if !strings.Contains(logs.String(), "resolver panic") || !strings.Contains(logs.String(), "request_id=") {
		t.Errorf("the panic was not logged with its request id:\n%s", logs.String())
	}
}

func TestMetricsCountOperationsAndErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.post(`{ aidTypes { code } }`, nil)
	e.post(`mutation { createPartner(input: {kind: BUSINESS, name: ""}) { id } }`, nil)
	req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, res)
	for _, want := range []string{
		`sinergi_graphql_operations_total{operation="query aidTypes"} 1`,
		`sinergi_graphql_errors_total{code="BAD_USER_INPUT"} 1`,
		`sinergi_http_requests_total{code="200",route="/graphql"} 2`,
		`sinergi_graphql_operation_duration_seconds_count{operation="mutation createPartner"} 1`,
		`go_sql_open_connections{db_name="sinergi"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestEveryErrorCarriesTheRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, q := range []string{`{`, `{ nope }`, `{ donations(first: 500) { totalCount } }`,
		`mutation { createPartner(input: {kind: BUSINESS, name: ""}) { id } }`} {
		req, _ := http.NewRequest("POST", e.url+"/graphql", jsonBody(q))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var r response
		json.NewDecoder(res.Body).Decode(&r)
		res.Body.Close()
		id := res.Header.Get("X-Request-ID")
		if len(r.Errors) == 0 || id == "" {
			t.Fatalf("%s: no error or no X-Request-ID", q)
		}
		for _, got := range r.Errors {
			if got.Extensions["requestId"] != id {
				t.Errorf("%s: error %+v does not carry request id %s", q, got, id)
			}
		}
	}
}

// TestRateLimitKeysOnTheTokenAsAuthenticated sends 400 requests with one
// token written with ever more spaces (and the scheme in other cases), which
// authentication reads as the same token: after the burst they get 429.
// Guessed tokens, each unknown, are limited per address too.
func TestRateLimitKeysOnTheTokenAsAuthenticated(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	// A token every 1,000 s: however slow the machine, the burst is all
	// that is answered (at 1/s a loaded CI machine refilled a few).
	cfg.RateLimit, cfg.RateBurst = 0.001, 100
	e := newEnvWith(t, pgtest.DB(t), cfg)
	send := func(authorization string) int {
		req, _ := http.NewRequest("POST", e.url+"/graphql", jsonBody(`{ __typename }`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authorization)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	statuses := map[int]int{}
	for i := range 400 {
		scheme := []string{"Bearer", "bearer", "BEARER"}[i%3]
		statuses[send(scheme+strings.Repeat(" ", 1+i)+e.token+strings.Repeat(" ", i%5))]++
	}
	if statuses[200] != 100 || statuses[429] != 300 {
		t.Errorf("whitespace variants of one token: %v, want the burst of 100 answered and the rest 429", statuses)
	}
	guessed := map[int]int{}
	for i := range 60 {
		guessed[send(fmt.Sprintf("Bearer sng_guess%d", i))]++
	}
	if guessed[401] < 20 || guessed[401] > 22 || guessed[429] < 38 {
		t.Errorf("guessed tokens from one address: %v, want 20 refused as unknown, then 429", guessed)
	}
}

// TestReportCostGrowsWithItsPeriod: thirty aliased reports over ten years
// each (an auditor's request that once held every database connection for
// seconds) are refused before they run; the same reports over a month, or
// one report over ten years, are answered.
func TestReportCostGrowsWithItsPeriod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	reports := func(n int, from, to string) string {
		var b strings.Builder
		b.WriteString("query($o: ID!) {")
		for i := range n {
			fmt.Fprintf(&b, ` r%d: report(organizationId: $o, from: "%s", to: "%s") { donationsTotal outputsByAidType { quantity } donationsBySourceAndMonth { amount } }`, i, from, to)
		}
		b.WriteString(" }")
		return b.String()
	}
	vars := map[string]any{"o": bali}
	r := e.post(reports(30, "2005-01-01", "2014-12-31"), vars)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("30 ten-year reports: %+v", r.Errors)
	}
	for _, q := range []string{reports(30, "2014-01-01", "2014-01-31"), reports(1, "2005-01-01", "2014-12-31")} {
		if r := e.post(q, vars); len(r.Errors) > 0 {
			t.Errorf("refused: %+v", r.Errors)
		}
	}
}

// TestExportsAreBoundedInNumberAndTime: with one export slot, a second
// workbook asked for while the first is being built is told to come back
// (429, Retry-After) before any byte; the first, stuck behind a lock, is
// stopped at the export deadline and answered 503 with REQUEST_TIMEOUT,
// after which the slot is free again.
func TestExportsAreBoundedInNumberAndTime(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxExports, cfg.ExportTimeout = 1, 500*time.Millisecond
	e := newEnvWith(t, pgtest.DB(t), cfg)
	tx, err := e.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE donations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	first := make(chan int, 1)
	go func() {
		status, _, _ := e.download("/exports/donations.xlsx")
		first <- status
	}()
	// Wait until the first export waits on the lock, holding the slot.
	for deadline := time.Now().Add(5 * time.Second); e.count(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first export never reached the database")
		}
	}
	req, _ := http.NewRequest("GET", e.url+"/exports/aid-outputs.xlsx", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("a second export while the slot is taken: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if status := <-first; status != http.StatusServiceUnavailable {
		t.Errorf("the export stuck past its deadline answered %d", status)
	}
	tx.Rollback()
	if status, _, _ := e.download("/exports/aid-outputs.xlsx"); status != http.StatusOK {
		t.Errorf("after the deadline freed the slot: %d", status)
	}
}

// TestTokenCacheForgetsRevokedTokens: with the token cache, a verified
// token is not looked up again (a revocation written behind the server's
// back goes unseen for the cache's lifetime), but a revocation made the
// proper way, from another connection pool as the command line would,
// reaches the cache at once.
func TestTokenCacheForgetsRevokedTokens(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cache, err := token.NewCache(token.NewStore(db), dsn, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	cfg := testConfig()
	cfg.TokenCache = cache
	e := newEnvWith(t, db, cfg)
	viewer := func(e *env) string {
		r := e.post(`{ viewer { role } }`, nil)
		if len(r.Errors) > 0 {
			return fmt.Sprint(r.Errors[0].Extensions["code"])
		}
		return "ok"
	}
	behind, proper := e.as(auth.Auditor, ""), e.as(auth.Operator, "BALI")
	for _, who := range []*env{behind, proper} {
		if got := viewer(who); got != "ok" {
			t.Fatalf("a fresh token: %s", got)
		}
	}
	tokenOf := func(secret string) string {
		sum := sha256.Sum256([]byte(secret))
		return e.id(`SELECT id FROM api_tokens WHERE token_hash = $1`, sum[:])
	}
	if _, err := db.Exec(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, tokenOf(behind.token)); err != nil {
		t.Fatal(err)
	}
	if got := viewer(behind); got != "ok" {
		t.Errorf("a cached token was looked up again: %s", got)
	}
	other, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := token.NewStore(other).Revoke(ctx, auth.System("test"), tokenOf(proper.token)); err != nil {
		t.Fatal(err)
	}
	got := ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = viewer(proper); got == "UNAUTHENTICATED" {
			break
		}
	}
	if got != "UNAUTHENTICATED" {
		t.Errorf("a revoked token still answers: %s", got)
	}
}

// TestProfilesAreForAdminsOnly: the running server's profiles tell how it
// works inside; only an admin token opens them.
func TestProfilesAreForAdminsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		who  *env
		want int
	}{{e, http.StatusOK}, {e.as(auth.Auditor, ""), http.StatusForbidden}, {e.as(auth.Operator, "BALI"), http.StatusForbidden}} {
		if status, _, _ := tc.who.download("/debug/pprof/"); status != tc.want {
			t.Errorf("pprof index: %d, want %d", status, tc.want)
		}
	}
	anonymous := *e
	anonymous.token = ""
	if status, _, _ := anonymous.download("/debug/pprof/heap"); status != http.StatusUnauthorized {
		t.Errorf("pprof without a token: %d", status)
	}
}
