package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// TestWritesRunPrepared checks that statements sent with a context from
// WithPreparedStatements are prepared once on a connection and run from
// there, that other statements are not, and that a statement that failed
// in one transaction still runs in the next.
func TestWritesRunPrepared(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	db.SetMaxOpenConns(1) // one session, whose prepared statements the test reads
	if _, err := db.Exec(`CREATE TABLE gift (ref text PRIMARY KEY, amount bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO gift (ref, amount) VALUES ($1, $2)`
	const sum = `SELECT COALESCE(SUM(amount), 0) FROM gift WHERE ref <> $1`
	write := postgres.WithPreparedStatements(ctx)
	for i, ref := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		if err := postgres.InTx(write, db, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(write, insert, ref, (i+1)*1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var total int64
		if err := db.GetContext(ctx, &total, sum, ""); err != nil {
			t.Fatal(err)
		}
		if want := int64((i + 1) * (i + 2) / 2 * 1000); total != want {
			t.Fatalf("after %d gifts the sum is %d, want %d", i+1, total, want)
		}
	}
	// A duplicate fails inside its transaction; the statement stays usable.
	err := postgres.InTx(write, db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(write, insert, "a", 1)
		return err
	})
	if c, ok := postgres.Violation(err); !ok || c != "gift_pkey" {
		t.Fatalf("a duplicate gift answered %v, want a violation of gift_pkey", err)
	}
	if _, err := db.ExecContext(write, insert, "h", 8000); err != nil {
		t.Fatalf("the prepared insert after a failed one: %v", err)
	}

	var runs []struct {
		Statement string `db:"statement"`
		Runs      int64  `db:"runs"`
	}
	if err := db.SelectContext(ctx, &runs, `SELECT statement, generic_plans + custom_plans AS runs
		FROM pg_prepared_statements WHERE statement LIKE '%gift%'`); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Statement != insert || runs[0].Runs != 9 {
		t.Errorf("prepared on the connection: %+v; want the insert alone, run 9 times (7, the duplicate, one more)", runs)
	}
	var n int64
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM gift`); err != nil || n != 8 {
		t.Errorf("%d gifts stored (%v), want 8", n, err)
	}
}

// TestPreparedStatementsAreBounded sends more distinct statements than a
// connection keeps: it keeps at most its maximum, and a statement sent
// again afterwards runs prepared again.
func TestPreparedStatementsAreBounded(t *testing.T) {
	ctx := postgres.WithPreparedStatements(context.Background())
	db := pgtest.DB(t)
	db.SetMaxOpenConns(1)
	const hot = `SELECT $1::int + 1`
	for i := range 250 {
		var n int
		if err := db.GetContext(ctx, &n, fmt.Sprintf(`SELECT $1::int + %d`, i+2), i); err != nil {
			t.Fatal(err)
		}
		if n != 2*i+2 {
			t.Fatalf("statement %d answered %d", i, n)
		}
	}
	var n int
	for range 3 {
		if err := db.GetContext(ctx, &n, hot, 41); err != nil || n != 42 {
			t.Fatalf("the hot statement answered %d, %v", n, err)
		}
	}
	var kept, hotRuns int64
	if err := db.GetContext(context.Background(), &kept, `SELECT count(*) FROM pg_prepared_statements`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(context.Background(), &hotRuns, `SELECT COALESCE(SUM(generic_plans + custom_plans), 0)
		FROM pg_prepared_statements WHERE statement = $1`, hot); err != nil {
		t.Fatal(err)
	}
	if kept != 200 || hotRuns != 3 {
		t.Errorf("the connection keeps %d statements (want its 200) and ran the hot one prepared %d times, want 3", kept, hotRuns)
	}
}
