package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/cli"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
	"github.com/sinergi-id/sinergi/internal/token"
)

// TestCrashLosesNoAcknowledgedWrite sends a burst of writes, each with an
// idempotency key, kills the server with SIGKILL in the middle, restarts it
// and retries every write with its key. Each acknowledged write must be
// there exactly once with the id first answered, no write may be half done
// (a collection without its donation), and the sums must agree.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	if os.Getenv("SINERGI_CRASH_SERVER") != "" {
		crashServer() // the child: serve until killed
		return
	}
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	province, boxID := crashFixtures(t, db)
	secret, _, err := token.NewStore(db).CreateToken(ctx, auth.System("test"), token.NewToken{Account: "crash", Role: auth.Admin, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}

	addr := freeAddr(t)
	// start runs the server; done yields its exit code once it has ended
	// (the only Wait on it).
	start := func() (cmd *exec.Cmd, done chan int) {
		cmd = exec.Command(os.Args[0], "-test.run=^TestCrashLosesNoAcknowledgedWrite$")
		cmd.Env = append(os.Environ(), "SINERGI_CRASH_SERVER="+dsn+" "+addr)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done = make(chan int, 1)
		go func() { cmd.Wait(); done <- cmd.ProcessState.ExitCode() }()
		waitHealthy(t, "http://"+addr+"/readyz", done)
		return cmd, done
	}

	const writes = 400
	request := func(i int) string {
		key := fmt.Sprintf("crash-%d", i)
		if i%2 == 0 {
			return fmt.Sprintf(`{"query":"mutation { recordDonation(input: {organizationId: \"%s\", source: INDIVIDUAL, kind: MONEY, receivedOn: \"2014-03-01\", amount: %d, reference: \"%s\", idempotencyKey: \"%s\"}) { id } }"}`,
				province, 1000+i, key, key)
		}
		return fmt.Sprintf(`{"query":"mutation { recordBoxCollection(input: {boxId: \"%s\", collectedOn: \"2014-03-02\", amount: %d, countedBy: [\"A\", \"B\"], sealRemoved: \"%s\", idempotencyKey: \"%s\"}) { id } }"}`,
			boxID, 1000+i, key, key)
	}
	send := func(i int) (string, bool) {
		body, err := postErr("http://"+addr+"/graphql", request(i), secret)
		if err != nil {
			return "", false
		}
		var r struct {
			Data   map[string]*struct{ ID string }
			Errors []json.RawMessage
		}
		if json.Unmarshal([]byte(body), &r) != nil || len(r.Errors) > 0 {
			return "", false
		}
		for _, v := range r.Data {
			if v != nil && v.ID != "" {
				return v.ID, true
			}
		}
		return "", false
	}

	server, exited := start()
	acked := make([]string, writes)
	var nAcked atomic.Int64
	var killed sync.Once
	kill := func() { killed.Do(func() { server.Process.Signal(syscall.SIGKILL) }) }
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if id, ok := send(i); ok {
					acked[i] = id
					if nAcked.Add(1) == writes/4 {
						kill() // in the middle of the burst, with requests in flight
					}
				}
			}
		}()
	}
	for i := range writes {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	kill()
	<-exited
	if n := nAcked.Load(); n < writes/4 || n == writes {
		t.Fatalf("%d of %d writes acknowledged: the kill did not land mid-burst", n, writes)
	}
	t.Logf("%d of %d writes acknowledged before SIGKILL", nAcked.Load(), writes)

	server, exited = start()
	defer func() { server.Process.Signal(syscall.SIGTERM); <-exited }()
	for i := range writes {
		id, ok := send(i)
		if !ok {
			t.Fatalf("retry of write %d failed", i)
		}
		if acked[i] != "" && acked[i] != id {
			t.Errorf("write %d: acknowledged as %s, retried as %s", i, acked[i], id)
		}
	}

	check := func(what, query string, want int64) {
		t.Helper()
		var got int64
		if err := db.Get(&got, query); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %d, want %d", what, got, want)
		}
	}
	check("donations recorded", `SELECT count(*) FROM donations WHERE reference LIKE 'crash-%'`, writes/2)
	check("collections recorded", `SELECT count(*) FROM box_collections WHERE seal_removed LIKE 'crash-%'`, writes/2)
	check("collections without their donation", `SELECT count(*) FROM box_collections c LEFT JOIN donations d ON d.id = c.donation_id WHERE d.id IS NULL`, 0)
	check("box donations without their collection", `SELECT count(*) FROM donations d WHERE d.source = 'DONATION_BOX'
		AND NOT EXISTS (SELECT 1 FROM box_collections c WHERE c.donation_id = d.id)`, 0)
	check("collections whose donation differs in amount", `SELECT count(*) FROM box_collections c JOIN donations d ON d.id = c.donation_id WHERE d.amount <> c.amount`, 0)
	check("box numbers with gaps or repeats", `SELECT max(number) - count(DISTINCT number) FROM box_collections`, 0)
	var sum int64
	for i := range writes {
		sum += int64(1000 + i)
	}
	check("money recorded", `SELECT SUM(amount) FROM donations`, sum)
	check("idempotency keys left unfinished", `SELECT count(*) FROM idempotency_keys WHERE result_id IS NULL`, 0)
	check("writes without an audit row", `SELECT count(*) FROM donations d WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity_id = d.id)`, 0)
}

// crashServer is the child process: the real serve command on the test's
// database, until the parent kills it.
func crashServer() {
	// The DSN holds spaces; the address is the last word.
	v := os.Getenv("SINERGI_CRASH_SERVER")
	i := strings.LastIndex(v, " ")
	dsn, addr := v[:i], v[i+1:]
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Run(ctx, []string{"serve", "--database-url", dsn, "--addr", addr, "--rate-limit", "0", "--nik-key", testNIKKey}, os.Stdout, os.Stderr))
}

// crashFixtures creates a province with a regency, and a box to write against.
func crashFixtures(t *testing.T, db *sqlx.DB) (province, boxID string) {
	t.Helper()
	ctx := context.Background()
	orgs := organization.NewStore(db)
	tz := "Asia/Makassar"
	p, err := orgs.Create(ctx, auth.System("test"), organization.NewOrganization{Kind: organization.ProvinceCouncil, Code: "P", Name: "Provinsi", TimeZone: &tz})
	if err != nil {
		t.Fatal(err)
	}
	r, err := orgs.Create(ctx, auth.System("test"), organization.NewOrganization{ParentID: &p.ID, Kind: organization.RegencyCouncil, Code: "R", Name: "Kabupaten"})
	if err != nil {
		t.Fatal(err)
	}
	host, err := partner.NewStore(db).Create(ctx, auth.System("test"), partner.NewPartner{Kind: partner.Retail, Name: "Toko"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := box.NewStore(db).Create(ctx, auth.System("test"), box.NewBox{Code: "K-1", HostPartnerID: host.ID, OrganizationID: p.ID, RegencyID: r.ID,
		Address: "Jl. Contoh", PlacedOn: calendar.MustParse("2014-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID, b.ID
}

func postErr(url, body, token string) (string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}
