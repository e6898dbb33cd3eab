package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
	"github.com/sinergi-id/sinergi/internal/server"
)

// TestReadReplica starts a real streaming replica of a primary holding the
// demo data and shows reports and workbooks read from it while writes go to
// the primary; a replica that lags past the limit, or is down, is left for
// the primary, and the log and metrics say so.
func TestReadReplica(t *testing.T) {
	ctx := context.Background()
	dir := pgtest.TempDir(t)
	primary, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir + "/primary", Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Stop() })
	if err := postgres.EnsureDatabase(ctx, primary.DSN("postgres"), "sinergi"); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, primary.DSN("sinergi"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, db, testKey); err != nil {
		t.Fatal(err)
	}

	replica, err := postgres.StartReplica(ctx, primary, postgres.ClusterOptions{DataDir: dir + "/replica", Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			replica.Stop()
		}
	})
	readDB, err := postgres.Pool(replica.DSN("sinergi"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { readDB.Close() })

	// Two servers over the same databases: one that tolerates any lag, one
	// that gives up on the replica after 300 ms behind.
	patient := postgres.WatchReplica(db, readDB, time.Hour, 50*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(patient.Close)
	var logs lockedBuffer
	strict := postgres.WatchReplica(db, readDB, 300*time.Millisecond, 50*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(strict.Close)
	cfg := testConfig()
	cfg.Replica = patient
	onReplica := newEnvWith(t, db, cfg)
	cfg.Replica = strict
	strictServer := httptest.NewServer(server.Handler(db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg))
	t.Cleanup(strictServer.Close)
	strictEnv := *onReplica // the same token, another server
	strictEnv.url = strictServer.URL

	waitFor(t, "the replica to catch up", func() bool { return patient.Fit() && strict.Fit() })

	bali := onReplica.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	today := time.Now().UTC().Format(time.DateOnly)
	year := today[:4]
	total := func(e *env) int64 {
		t.Helper()
		var out struct {
			Report struct{ DonationsTotal int64 } `json:"report"`
		}
		e.query(`query($o: ID!, $y: Int!) { report(organizationId: $o, year: $y) { donationsTotal } }`,
			map[string]any{"o": bali, "y": mustAtoi(t, year)}, &out)
		return out.Report.DonationsTotal
	}
	ledgerRows := func(e *env) int {
		t.Helper()
		return len(sheet(t, e, "/exports/donations.xlsx?org=BALI&year="+year, "Buku Donasi"))
	}
	before, rowsBefore := total(onReplica), ledgerRows(onReplica)

	// The replica stops replaying; a donation is written (to the primary).
	if _, err := readDB.ExecContext(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	const amount = 1_234_567
	onReplica.query(`mutation($o: ID!, $d: Date!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY,
		receivedOn: $d, amount: 1234567}) { id } }`, map[string]any{"o": bali, "d": today}, &struct{}{})
	if n := onReplica.count(`SELECT count(*) FROM donations WHERE amount = $1 AND received_on = $2`, amount, today); n != 1 {
		t.Fatalf("the primary holds %d such donations, want 1", n)
	}
	// Lists read the primary and show it at once.
	var list struct {
		Donations struct{ TotalCount int } `json:"donations"`
	}
	onReplica.query(`query($d: Date!) { donations(filter: {from: $d, to: $d}) { totalCount } }`, map[string]any{"d": today}, &list)
	if want := onReplica.count(`SELECT count(*) FROM donations WHERE received_on = $1`, today); int64(list.Donations.TotalCount) != want {
		t.Errorf("donations list counts %d, the primary %d", list.Donations.TotalCount, want)
	}
	// Reports and workbooks read the paused replica: not there yet.
	if got := total(onReplica); got != before {
		t.Errorf("report from the paused replica: %d, want %d (without the new donation)", got, before)
	}
	if got := ledgerRows(onReplica); got != rowsBefore {
		t.Errorf("ledger from the paused replica: %d rows, want %d", got, rowsBefore)
	}

	// The strict server stops using the lagging replica: the primary answers.
	waitFor(t, "the strict server to leave the lagging replica", func() bool { return !strict.Fit() })
	if got := total(&strictEnv); got != before+amount {
		t.Errorf("report after falling back: %d, want %d", got, before+amount)
	}
	if got := ledgerRows(&strictEnv); got != rowsBefore+1 {
		t.Errorf("ledger after falling back: %d rows, want %d", got, rowsBefore+1)
	}
	if !strings.Contains(logs.String(), "read replica not used") || !strings.Contains(logs.String(), "behind the primary") {
		t.Errorf("log does not say why the replica is left:\n%s", logs.String())
	}
	metrics := scrape(t, &strictEnv)
	for _, want := range []string{"sinergi_read_replica_fit 0", `sinergi_report_reads_total{database="primary"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// Replaying again, the replica catches up and serves again.
	if _, err := readDB.ExecContext(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replica to serve again", strict.Fit)
	if got := total(onReplica); got != before+amount {
		t.Errorf("report from the caught-up replica: %d, want %d", got, before+amount)
	}
	if !strings.Contains(logs.String(), "read replica serves reports and exports again") {
		t.Errorf("log does not say the replica is back:\n%s", logs.String())
	}
	if m := scrape(t, &strictEnv); !strings.Contains(m, "sinergi_read_replica_fit 1") {
		t.Error("metrics do not show the replica fit again")
	}

	// The replica goes down: reports fall back to the primary.
	stopped = true
	if err := replica.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the strict server to notice the replica is down", func() bool { return !strict.Fit() })
	if got := total(&strictEnv); got != before+amount {
		t.Errorf("report with the replica down: %d, want %d", got, before+amount)
	}
	if !strings.Contains(logs.String(), "replica unreachable") {
		t.Errorf("log does not say the replica is unreachable:\n%s", logs.String())
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// scrape returns the server's metrics page.
func scrape(t *testing.T, e *env) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}
