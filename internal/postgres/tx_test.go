package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestInTxRetriesDeadlocks makes two transactions lock two rows in opposite
// orders; PostgreSQL aborts one with a deadlock, and InTx runs it again, so
// both writes land.
func TestInTxRetriesDeadlocks(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	if _, err := db.Exec(`CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	var attempts sync.Map
	var both sync.WaitGroup
	both.Add(2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, order := range [][2]int{{1, 2}, {2, 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			errs[i] = postgres.InTx(ctx, db, func(tx *sqlx.Tx) error {
				n, _ := attempts.LoadOrStore(i, new(int))
				*n.(*int)++
				if _, err := tx.Exec(`UPDATE pair SET n = n + 1 WHERE id = $1`, order[0]); err != nil {
					return err
				}
				if first {
					first = false
					both.Done()
					both.Wait() // each now holds its first row and wants the other's
				}
				_, err := tx.Exec(`UPDATE pair SET n = n + 1 WHERE id = $1`, order[1])
				return err
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	var total int
	if err := db.Get(&total, `SELECT sum(n) FROM pair`); err != nil || total != 4 {
		t.Errorf("rows sum to %d (%v), want 4: both transactions once", total, err)
	}
	retried := 0
	attempts.Range(func(_, v any) bool { retried += *v.(*int) - 1; return true })
	if retried != 1 {
		t.Errorf("%d retries, want exactly the deadlock victim's one", retried)
	}
}

func TestStatementTimeoutAndCancellationReachPostgreSQL(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.DSN(t), postgres.StatementTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = db.ExecContext(ctx, `SELECT pg_sleep(10)`)
	if !postgres.Canceled(err) || time.Since(start) > 5*time.Second {
		t.Errorf("statement timeout: %v after %v", err, time.Since(start))
	}

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = db.ExecContext(short, `SELECT pg_sleep(10)`)
	if !postgres.Canceled(err) || time.Since(start) > 5*time.Second {
		t.Errorf("context deadline: %v after %v", err, time.Since(start))
	}
	// The server stopped the statement; it does not go on sleeping.
	var running int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := db.Get(&running, `SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)' AND state = 'active'`); err != nil {
			t.Fatal(err)
		}
		if running == 0 || time.Now().After(deadline) {
			break
		}
	}
	if running != 0 {
		t.Errorf("%d cancelled statements still running", running)
	}
}
