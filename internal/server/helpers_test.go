package server_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
	"github.com/sinergi-id/sinergi/internal/server"
	"github.com/sinergi-id/sinergi/internal/token"
)

// Every test database starts with the Bali demo data.
func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, db *sqlx.DB) error {
		_, err := demo.Load(ctx, db, testKey)
		return err
	})
}

type env struct {
	t     testing.TB
	db    *sqlx.DB
	url   string
	token string // sent as the bearer token; an admin's unless as() says otherwise
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, pgtest.DB(t))
}

// testKey seals the demo NIKs of every test database.
var testKey = func() *nik.Key {
	k, err := nik.ParseKey("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=")
	if err != nil {
		panic(err)
	}
	return k
}()

// testConfig is the production configuration without the rate limit, which
// the tests' bursts from one address would trip.
func testConfig() server.Config {
	cfg := server.DefaultConfig()
	cfg.RateLimit = 0
	cfg.NIKKey = testKey
	return cfg
}

func newEnvOn(t testing.TB, db *sqlx.DB) *env {
	t.Helper()
	return newEnvWith(t, db, testConfig())
}

func newEnvWith(t testing.TB, db *sqlx.DB, cfg server.Config) *env {
	t.Helper()
	return newEnvLogging(t, db, cfg, io.Discard)
}

// newEnvLogging is newEnvWith with the server's log written to logs.
func newEnvLogging(t testing.TB, db *sqlx.DB, cfg server.Config, logs io.Writer) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(server.Handler(db, log, cfg))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, url: srv.URL}
	e.token = e.newToken(token.NewToken{Account: "test-admin", Role: auth.Admin, Name: "tests"})
	return e
}

// newToken makes an API token as the command line would.
func (e *env) newToken(req token.NewToken) string {
	e.t.Helper()
	secret, _, err := token.NewStore(e.db).CreateToken(context.Background(), auth.System("test"), req)
	if err != nil {
		e.t.Fatalf("create token: %v", err)
	}
	return secret
}

// as returns the same server called with a token of role; scope is the
// operator's organization code or the partner's name.
func (e *env) as(role auth.Role, scope string) *env {
	e.t.Helper()
	req := token.NewToken{Account: fmt.Sprintf("%s %s", role, scope), Role: role, Name: "tests"}
	switch role {
	case auth.Operator:
		id := e.id(`SELECT id FROM organizations WHERE code = $1`, scope)
		req.OrganizationID = &id
	case auth.Partner:
		id := e.id(`SELECT id FROM partners WHERE name = $1`, scope)
		req.PartnerID = &id
	}
	other := *e
	other.token = e.newToken(req)
	return &other
}

type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Locations  []struct{ Line, Column int }
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// post sends a GraphQL request and returns the decoded answer.
func (e *env) post(query string, vars map[string]any) response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest("POST", e.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		e.t.Fatalf("decode answer (status %d): %v", res.StatusCode, err)
	}
	return out
}

// query sends a request that must succeed and decodes its data into out.
func (e *env) query(query string, vars map[string]any, out any) {
	e.t.Helper()
	r := e.post(query, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		e.t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// id returns the single id that sql selects.
func (e *env) id(sql string, args ...any) string {
	e.t.Helper()
	var id string
	if err := e.db.Get(&id, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

// count returns the single number that sql selects.
func (e *env) count(sql string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Get(&n, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// written counts the rows of every table a write can touch.
func (e *env) written() map[string]int64 {
	e.t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"organizations", "partners", "donations", "donation_items", "donation_boxes",
		"box_collections", "permits", "permit_regencies", "permit_extensions", "box_permits", "aid_types", "aid_outputs", "programme_targets", "work_meetings", "meeting_attendance",
		"idempotency_keys", "audit_log", "allocations", "period_closes", "receipts", "receipt_voids", "pledges", "pledge_writeoffs",
		"aid_requests", "aid_request_events", "aid_request_outputs", "organization_officers",
		"programme_narratives", "meeting_decisions"} {
		out[table] = e.count(`SELECT count(*) FROM ` + table)
	}
	var retired int64
	retired = e.count(`SELECT count(*) FROM donation_boxes WHERE retired_on IS NOT NULL`)
	out["retired boxes"] = retired
	// A request moves by updating its row (its events are the history).
	out["request states"] = e.count(`SELECT COALESCE(SUM(hashtext(id::text || state || handler_id::text)), 0) FROM aid_requests`)
	return out
}

// countingConnector counts the statements sent to PostgreSQL.
type countingConnector struct {
	driver.Connector
	n *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countingConn{conn.(pqConn), c.n}, nil
}

type pqConn interface {
	driver.Conn
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnBeginTx
}

type countingConn struct {
	pqConn
	n *atomic.Int64
}

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.pqConn.QueryContext(ctx, q, args)
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.pqConn.ExecContext(ctx, q, args)
}

// Prepare is not counted: a statement prepared once per connection is
// counted each time it runs.
func (c countingConn) Prepare(q string) (driver.Stmt, error) {
	st, err := c.pqConn.Prepare(q)
	if err != nil {
		return nil, err
	}
	return countingStmt{st, c.n}, nil
}

type countingStmt struct {
	driver.Stmt
	n *atomic.Int64
}

func (s countingStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.n.Add(1)
	return s.Stmt.Query(args)
}

func (s countingStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.n.Add(1)
	return s.Stmt.Exec(args)
}

// countingDB opens a fresh test database whose statements are counted.
func countingDB(t *testing.T) (*sqlx.DB, *atomic.Int64) {
	t.Helper()
	connector, err := pq.NewConnector(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	n := new(atomic.Int64)
	db, err := postgres.OpenConnector(context.Background(), countingConnector{connector, n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, n
}

// unallocate releases, through the API, every live allocation of the
// donation or aid output id, so that it can be reversed.
func (e *env) unallocate(id string) {
	e.t.Helper()
	var live []string
	if err := e.db.Select(&live, `SELECT a.id FROM allocations a WHERE (a.donation_id = $1 OR a.aid_output_id = $1
		OR a.donation_id = (SELECT donation_id FROM box_collections WHERE id = $1))
		AND a.releases_id IS NULL AND NOT EXISTS (SELECT 1 FROM allocations r WHERE r.releases_id = a.id)`, id); err != nil {
		e.t.Fatal(err)
	}
	for _, a := range live {
		e.query(`mutation($a: ID!) { releaseAllocation(input: {allocationId: $a, reason: "to correct the entry"}) { id } }`,
			map[string]any{"a": a}, &struct{}{})
	}
}

// lockedBuffer is a log destination that the test may read while the
// server writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
