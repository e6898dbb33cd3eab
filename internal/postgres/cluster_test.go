package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestClusterFirstStartRestartAndStop(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(pgtest.TempDir(t), "data")

	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Fatalf("first start did not initialise the data folder: %v", err)
	}
	db, err := postgres.Open(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pid := c.PID()
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("server process %d still exists after Stop (kill 0: %v)", pid, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid left after a clean stop: %v", err)
	}

	c, err = postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer c.Stop()
	db, err = postgres.Open(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.GetContext(ctx, &v, `SELECT v FROM kept`); err != nil || v != "still here" {
		t.Fatalf("restart lost data: %q, %v", v, err)
	}
}

func TestClusterRecoversFromStalePIDFile(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(pgtest.TempDir(t), "data")
	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	// A crash leaves postmaster.pid naming a process that no longer exists.
	stale := "999999\n" + dir + "\n1700000000\n5432\n"
	if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatalf("start over a stale pid file: %v", err)
	}
	c.Stop()
}

func TestClusterRefusesSecondServerOnSameFolder(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(pgtest.TempDir(t), "data")
	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	_, err = postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second start on a live folder: got %v, want an 'already running' error", err)
	}
}

func TestClusterLongPathUsesShortSocketFolder(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(pgtest.TempDir(t), strings.Repeat("deep-ci-checkout-", 6), "data")
	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatalf("start with a long data path: %v", err)
	}
	sock := c.SocketDir
	if sock == c.DataDir || len(sock) > 60 {
		t.Errorf("socket folder %q: want a short folder apart from the data folder", sock)
	}
	db, err := postgres.Open(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.Stop()
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary socket folder %s left after stop", sock)
	}
}

func TestClusterMissingBinaries(t *testing.T) {
	_, err := postgres.StartCluster(context.Background(), postgres.ClusterOptions{
		DataDir:         pgtest.TempDir(t),
		SearchPath:      []string{t.TempDir()},
		NoDefaultSearch: true,
	})
	if !errors.Is(err, postgres.ErrNoBinaries) {
		t.Fatalf("got %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestClusterStopsWhenOwnerIsKilled re-runs this test binary as a child that
// starts a cluster, kills the child with SIGKILL, and checks that the server
// goes too and that the next start takes the folder over.
func TestClusterStopsWhenOwnerIsKilled(t *testing.T) {
	if dir := os.Getenv("SINERGI_CLUSTER_CHILD"); dir != "" {
		c, err := postgres.StartCluster(context.Background(), postgres.ClusterOptions{DataDir: dir, Fast: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.WriteFile(dir+".pid", []byte(strconv.Itoa(c.PID())), 0o644)
		time.Sleep(2 * time.Minute)
		os.Exit(0)
	}
	dir := filepath.Join(pgtest.TempDir(t), "data")
	child := exec.Command(os.Args[0], "-test.run=^TestClusterStopsWhenOwnerIsKilled$")
	child.Env = append(os.Environ(), "SINERGI_CLUSTER_CHILD="+dir)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(60 * time.Second); pid == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatal("child did not start its cluster")
		}
		b, _ := os.ReadFile(dir + ".pid")
		pid, _ = strconv.Atoi(string(b))
	}
	child.Process.Kill()
	child.Wait()
	for deadline := time.Now().Add(30 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("server %d outlived its killed owner", pid)
		}
	}
	c, err := postgres.StartCluster(context.Background(), postgres.ClusterOptions{DataDir: dir, Fast: true})
	if err != nil {
		t.Fatalf("start after the owner was killed: %v", err)
	}
	c.Stop()
}

func TestClusterReportsUnreachableDataFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another OS user; as any other user every folder it can create is reachable")
	}
	closed := filepath.Join(pgtest.TempDir(t), "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.StartCluster(context.Background(), postgres.ClusterOptions{DataDir: filepath.Join(closed, "data"), Fast: true})
	var unreachable *postgres.UnreachableError
	if !errors.As(err, &unreachable) || unreachable.Blocker != closed {
		t.Fatalf("got %v, want an UnreachableError naming %s", err, closed)
	}
	if !strings.Contains(err.Error(), "SINERGI_DATA_DIR") {
		t.Errorf("error %q does not say how to choose another folder", err)
	}
}

// TestClusterOutlivesLockedThreads: goroutines that lock their OS thread and
// end (the runtime then ends the thread) do not stop the cluster, though
// the kernel stops it when the thread that started it ends.
func TestClusterOutlivesLockedThreads(t *testing.T) {
	ctx := context.Background()
	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: filepath.Join(pgtest.TempDir(t), "data"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	// Many threads end, one after another: each goroutine starts on an idle
	// thread, and without a thread kept for the cluster one of them is soon
	// the one that started it.
	for range 200 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
		}()
		<-done
	}
	time.Sleep(500 * time.Millisecond) // a stopping server would be gone by now
	if err := syscall.Kill(c.PID(), 0); err != nil {
		t.Fatalf("the cluster's server is gone after locked threads ended: %v", err)
	}
	db, err := postgres.Open(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatalf("connect after locked threads ended: %v", err)
	}
	db.Close()
}
