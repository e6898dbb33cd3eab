// Package postgres opens the database, applies the embedded migrations, runs
// a private PostgreSQL cluster from the machine's binaries when no server is
// given, and maps PostgreSQL errors to what the domain understands.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"github.com/sinergi-id/sinergi/internal/fault"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Option adjusts the connection settings of Open.
type Option func(*pq.Config)

// StatementTimeout makes PostgreSQL cancel any statement running longer
// than d: a backstop behind each request's own deadline. A timeout given in
// the connection string wins.
func StatementTimeout(d time.Duration) Option {
	return func(c *pq.Config) {
		if c.Runtime == nil {
			c.Runtime = map[string]string{}
		}
		if _, set := c.Runtime["statement_timeout"]; !set && d > 0 {
			c.Runtime["statement_timeout"] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
}

// Open connects to dsn and checks the connection.
func Open(ctx context.Context, dsn string, opts ...Option) (*sqlx.DB, error) {
	connector, err := connector(dsn, opts)
	if err != nil {
		return nil, err
	}
	return OpenConnector(ctx, connector)
}

// Pool is Open without the check: for a database that may be down now and
// is used only while it answers (a read replica).
func Pool(dsn string, opts ...Option) (*sqlx.DB, error) {
	connector, err := connector(dsn, opts)
	if err != nil {
		return nil, err
	}
	return pool(connector), nil
}

func connector(dsn string, opts []Option) (driver.Connector, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database address: %w", err)
	}
	// A statement with arguments in one round trip, not two: without this
	// lib/pq sends Parse and Describe, waits for the parameters' types,
	// then sends Bind and Execute. It also sends []byte arguments as raw
	// bytes, which is what the bytea columns that take them (token hashes,
	// sealed NIKs) hold; JSON goes as text.
	cfg.BinaryParameters = true
	for _, opt := range opts {
		opt(&cfg)
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("database address: %w", err)
	}
	return c, nil
}

func pool(c driver.Connector) *sqlx.DB {
	db := sqlx.NewDb(sql.OpenDB(preparingConnector{c}), "postgres")
	db.SetMaxOpenConns(MaxConns())
	db.SetMaxIdleConns(MaxIdleConns)
	return db
}

// OpenConnector is Open for a ready connector; tests wrap pq's connector to
// count the statements a request sends.
func OpenConnector(ctx context.Context, c driver.Connector) (*sqlx.DB, error) {
	db := pool(c)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// Migrate applies every embedded migration not yet applied.
func Migrate(ctx context.Context, db *sqlx.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, sub)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// EnsureDatabase creates database name on the server behind adminDSN when
// it does not exist yet.
func EnsureDatabase(ctx context.Context, adminDSN, name string) error {
	db, err := Open(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// maxAttempts bounds how often InTx runs a transaction that PostgreSQL
// aborted for a serialization failure or a deadlock.
const maxAttempts = 4

// InTx runs fn in one transaction, committing when fn returns nil. When
// PostgreSQL aborts the transaction for a serialization failure (40001) or a
// deadlock (40P01), fn runs again in a fresh transaction, a bounded number
// of times: fn must keep all its state inside the attempt.
func InTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := inTx(ctx, db, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

func inTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "40001" || pqErr.Code == "40P01")
}

// Violation reports which constraint err broke, if it is a unique (23505),
// foreign key (23503) or check (23514) violation.
func Violation(err error) (constraint string, ok bool) {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return "", false
	}
	switch pqErr.Code {
	case "23505", "23503", "23514":
		return pqErr.Constraint, true
	}
	return "", false
}

// ByID runs query, which selects one row by its uuid as $1 (and args as $2
// on), into a T. A missing row, or an id that is not a uuid, is
// fault.ErrNotFound: to a caller both mean "no such record". what names the
// record in errors.
func ByID[T any](ctx context.Context, q sqlx.QueryerContext, what, query, id string, args ...any) (T, error) {
	var row T
	if uuid.Validate(id) != nil {
		return row, fault.ErrNotFound
	}
	err := sqlx.GetContext(ctx, q, &row, query, append([]any{id}, args...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return row, fault.ErrNotFound
	}
	if err != nil {
		return row, fmt.Errorf("get %s %s: %w", what, id, err)
	}
	return row, nil
}

// Canceled reports whether err means PostgreSQL cancelled a statement
// because its deadline passed (statement_timeout or a cancelled context).
func Canceled(err error) bool {
	var pqErr *pq.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		(errors.As(err, &pqErr) && pqErr.Code == "57014")
}

// MaxIdleConns is how many idle connections the pool keeps.
const MaxIdleConns = 10

// MaxConns is the pool's default size: two connections per core and two
// more. Measured on two cores with ten clients, a province's dashboard
// answered 69 requests/s with 6 connections and 30 with 20: more
// statements at once than PostgreSQL has cores to run them only queue
// inside it, and slow everyone down (docs/PERFORMANCE.md).
func MaxConns() int { return 2*runtime.NumCPU() + 2 }

// StreamTimeout bounds a streamed read such as a workbook ledger.
const StreamTimeout = 15 * time.Minute

// Stream runs query in a read-only transaction and calls fn for each row as
// it arrives, so a result of any size passes through in bounded memory.
func Stream(ctx context.Context, db *sqlx.DB, query string, args []any, fn func(*sqlx.Rows) error) error {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	// JIT compiling pays off for big aggregates, not for a scan streamed out.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL statement_timeout = %d; SET LOCAL jit = off`, StreamTimeout.Milliseconds())); err != nil {
		return fmt.Errorf("set read timeout: %w", err)
	}
	rows, err := tx.QueryxContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return tx.Commit()
}

// Message returns PostgreSQL's own message of err, for a violation whose
// message a trigger wrote for the client; "" for other errors.
func Message(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Message
	}
	return ""
}

// IDs keeps the ids in ids that can name a record: an id a client made up
// that is not even a uuid names nothing, and must not reach SQL as one.
func IDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if IsID(id) {
			out = append(out, id)
		}
	}
	return out
}

// IsID reports whether s is a record id (a uuid).
func IsID(s string) bool { return uuid.Validate(s) == nil }
