// Package pgtest gives tests a real PostgreSQL: one throw-away cluster per
// test binary, and a fresh database per test cloned from a migrated template.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/postgres"
)

const template = "sinergi_template"

// The cluster of this test binary; set once by Main before any test runs.
var (
	cluster *postgres.Cluster
	counter atomic.Int64
)

// Main starts the cluster, migrates the template database, runs the tests
// and stops the cluster. Call it from TestMain. Each seed runs once on the
// template, so every test database starts with what the seeds wrote.
func Main(m *testing.M, seeds ...func(context.Context, *sqlx.DB) error) {
	os.Exit(run(m, seeds))
}

func run(m *testing.M, seeds []func(context.Context, *sqlx.DB) error) int {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sinergi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// As root the server runs as "postgres", which must traverse this folder.
	if err := os.Chmod(dir, 0o711); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	c, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: dir + "/data", Fast: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: start cluster:", err)
		return 1
	}
	defer c.Stop()
	cluster = c
	if err := postgres.EnsureDatabase(ctx, c.DSN("postgres"), template); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	db, err := postgres.Open(ctx, c.DSN(template))
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	err = postgres.Migrate(ctx, db)
	for _, seed := range seeds {
		if err == nil {
			err = seed(ctx, db)
		}
	}
	db.Close() // a template must have no open sessions to be copied
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	return m.Run()
}

// TempDir returns a temporary folder that the server's OS user can reach,
// removed when t ends.
func TempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for p := dir; p != os.TempDir() && p != "/"; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// DSN creates a fresh, migrated database for t, dropped when t ends, and
// returns its connection string.
func DSN(t testing.TB) string {
	t.Helper()
	return create(t, template)
}

// Empty returns a connection to a fresh database for t, migrated but
// without what Main's seeds wrote.
func Empty(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), create(t, "template1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := postgres.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// create creates a database for t as a copy of from, dropped when t ends,
// and returns its connection string.
func create(t testing.TB, from string) string {
	t.Helper()
	if cluster == nil {
		t.Fatal("pgtest: no cluster; call pgtest.Main from TestMain")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), counter.Add(1))
	admin, err := postgres.Open(ctx, cluster.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+from); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		admin.Close()
	})
	return cluster.DSN(name)
}

// DB returns a connection to a fresh, migrated database for t.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
