package postgres_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestKeeperRestartsAKilledCluster kills the private server with SIGKILL:
// the keeper logs it, starts it again on the same socket, the pool's next
// statements reach the new server, and what was committed before is there.
func TestKeeperRestartsAKilledCluster(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(pgtest.TempDir(t), "data")
	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	db, err := postgres.Open(ctx, c.DSN("postgres"))
	if err != nil {
		c.Stop()
		t.Fatal(err)
	}
	defer db.Close()
	var restarts atomic.Int64
	k := postgres.Keep(c, postgres.ClusterOptions{}, slog.New(slog.NewTextHandler(&logs, nil)), func() {
		restarts.Add(1)
		db.SetMaxIdleConns(0)
		db.SetMaxIdleConns(postgres.MaxIdleConns)
	})
	defer k.Stop()
	if _, err := db.ExecContext(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('committed before the kill')`); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		pid := k.Cluster().PID()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var v string
		for {
			// A backend of the killed server may answer a moment longer:
			// wait for the new server.
			err = db.GetContext(ctx, &v, `SELECT v FROM kept`)
			if err == nil && k.Cluster().PID() != pid {
				break
			}
			if time.Since(start) > 90*time.Second {
				t.Fatalf("round %d: no answer 90 s after the kill: %v; status %q\n%s", round, err, k.Status(), logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if v != "committed before the kill" {
			t.Errorf("round %d: read %q", round, v)
		}
		if k.Cluster().PID() == pid || k.Status() != "" {
			t.Errorf("round %d: pid %d (was %d), status %q", round, k.Cluster().PID(), pid, k.Status())
		}
		t.Logf("round %d: answering again %v after the kill", round, time.Since(start).Round(time.Millisecond))
	}
	for _, want := range []string{"stopped unexpectedly", "running again"} {
		if strings.Count(logs.String(), want) != 2 {
			t.Errorf("the log does not say %q twice:\n%s", want, logs.String())
		}
	}
	if n := restarts.Load(); n != 2 {
		t.Errorf("%d restarts reported, want 2", n)
	}
	pid := k.Cluster().PID()
	if err := k.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the server %d outlived the keeper's Stop", pid)
	}
	if strings.Count(logs.String(), "stopped unexpectedly") != 2 {
		t.Errorf("a stop on purpose was logged as unexpected:\n%s", logs.String())
	}
}

// TestPoolReconnectsWhenTheDatabaseReturns: with an external database (no
// keeper), the pool answers errors while the server is down and, once it
// is back, reconnects by itself: the server needs no restart.
func TestPoolReconnectsWhenTheDatabaseReturns(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(pgtest.TempDir(t), "data")
	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, c.DSN("postgres"))
	if err != nil {
		c.Stop()
		t.Fatal(err)
	}
	defer db.Close()
	for range 5 { // fill the pool with connections to the first server
		if _, err := db.ExecContext(ctx, `SELECT 1`); err != nil {
			t.Fatal(err)
		}
	}
	socket := c.SocketDir
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("a ping answered with the server down")
	}
	c, err = postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true, SocketDir: socket})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	failures := 0
	for range 20 {
		var one int
		if err := db.GetContext(ctx, &one, `SELECT 1`); err != nil {
			failures++
		}
	}
	// Each connection left from the first server fails once at most, then
	// the pool dials anew.
	if failures > postgres.MaxIdleConns {
		t.Errorf("%d of 20 statements failed after the database returned", failures)
	}
	var one int
	if err := db.GetContext(ctx, &one, `SELECT 1`); err != nil || one != 1 {
		t.Errorf("after the database returned: %d, %v", one, err)
	}
}
