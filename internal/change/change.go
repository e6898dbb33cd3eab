// Package change is the one path every write takes: one transaction that
// checks the caller may write, claims the idempotency key, applies the
// write, reads the stored record back, audits it (before and after as
// stored) and completes the key. Domain packages describe their writes
// with it instead of repeating those steps.
package change

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/idempotency"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Write names one write as the API and the audit trail know it.
type Write struct {
	Mutation string // the GraphQL mutation, e.g. "recordDonation"; also the key's operation
	Action   string // the audit trail's verb: "create", "reverse", "retire", "close" …
	Entity   string // the audit trail's name of the record written, e.g. "donation"
	Key      string // the client's idempotency key; "" for none
	Input    any    // the input, whose hash a reused key must match
	// Check refuses what can be refused without the database. What it
	// refuses is answered together with what the write refuses in its
	// transaction (unknown ids, closed periods), all at once.
	Check func(v *fault.InvalidInput)
}

// Tx is the transaction of one write.
type Tx struct {
	*sqlx.Tx
	Scope auth.Scope
	// Refused holds the fields refused so far, Write.Check's first; the
	// write adds its own and stops with Refused.Failed() before writing.
	// Do refuses the write if any are left, whatever apply returned.
	Refused fault.InvalidInput
	// Import is the import the write is one row of, nil for a write on
	// its own: what the write numbers, it numbers through Import.Next.
	Import *Import
	// audits are the write's audit rows, appended in one statement when
	// the write is done (a donation and its receipt: one round trip).
	audits audit.Batch
	// held names the locks the write took in passing, so that a later
	// step that needs one does not take it again.
	held map[string]bool
}

// Hold notes that the write holds the lock name until it ends.
func (tx *Tx) Hold(name string) {
	if tx.held == nil {
		tx.held = map[string]bool{}
	}
	tx.held[name] = true
}

// Holds reports whether the write took the lock name.
func (tx *Tx) Holds(name string) bool { return tx.held[name] }

// A write's queries: through the import's prepared statements when the
// write is one row of an import, else prepared once per connection (the
// same few statements run for every write of a kind).

func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if tx.Import != nil {
		return tx.Import.QueryContext(ctx, query, args...)
	}
	return tx.Tx.QueryContext(postgres.WithPreparedStatements(ctx), query, args...)
}

func (tx *Tx) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if tx.Import != nil {
		return tx.Import.QueryxContext(ctx, query, args...)
	}
	return tx.Tx.QueryxContext(postgres.WithPreparedStatements(ctx), query, args...)
}

func (tx *Tx) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if tx.Import != nil {
		return tx.Import.QueryRowxContext(ctx, query, args...)
	}
	return tx.Tx.QueryRowxContext(postgres.WithPreparedStatements(ctx), query, args...)
}

func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx.Import != nil {
		return tx.Import.ExecContext(ctx, query, args...)
	}
	return tx.Tx.ExecContext(postgres.WithPreparedStatements(ctx), query, args...)
}

func (tx *Tx) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, tx, dest, query, args...)
}

func (tx *Tx) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, tx, dest, query, args...)
}

// Audit records a further record that the write changed (the donation a
// box collection becomes), with before and after as stored. The row is
// appended with the write's others when the write is done, in the same
// transaction.
func (tx *Tx) Audit(ctx context.Context, action, entity, id string, before, after any) error {
	row := audit.Row{Actor: tx.Scope.Principal().Name(), Action: action, Entity: entity, ID: id, Before: before, After: after}
	if tx.Import != nil {
		return tx.Import.audit(ctx, row)
	}
	return tx.audits.Add(row)
}

// writeAudits appends the audit rows the write kept, before it commits,
// with the statement with gives, if any, in the same round trip
// (audit.Batch.WriteWith).
func (tx *Tx) writeAudits(ctx context.Context, with func(first int) (string, []any)) error {
	return tx.audits.WriteWith(postgres.WithPreparedStatements(ctx), tx.Tx, with)
}

// Getter reads one stored record by id within a scope, through a database
// or a transaction.
type Getter[T any] func(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (T, error)

// Applied is what a write did: the id of the record it wrote and, for a
// reversal or another change of an existing record, that record as it was
// stored before.
type Applied struct {
	ID     string
	Before any
	// Stored is the record as stored, when apply read it back in the
	// statement that wrote it: it is not read again.
	Stored any
}

// Do runs w in one transaction, retried as postgres.InTx retries (apply
// must keep its state inside the attempt). A retry with the same key and
// input returns the first result without writing again.
func Do[T any](ctx context.Context, db *sqlx.DB, sc auth.Scope, w Write, get Getter[T], apply func(tx *Tx) (Applied, error)) (T, error) {
	var out T
	if err := sc.CanWrite(); err != nil {
		return out, err
	}
	ctx = postgres.WithPreparedStatements(ctx)
	err := postgres.InTx(ctx, db, func(sqlTx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, sqlTx, sc, w.Key, w.Mutation, w.Input)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = get(ctx, sqlTx, sc, prior)
			return err
		}
		// The audit rows and the key's completion go in one statement.
		out, err = write(ctx, sqlTx, sc, nil, w, get, apply, func(id string, first int) (string, []any) {
			return idempotency.Completion(sc, w.Key, id, first)
		})
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// write checks, applies, reads back and audits w inside sqlTx; with, if
// not nil, gives a statement to send with the audit rows for the id
// written (its placeholders numbered from first).
func write[T any](ctx context.Context, sqlTx *sqlx.Tx, sc auth.Scope, im *Import, w Write, get Getter[T], apply func(tx *Tx) (Applied, error),
	with func(id string, first int) (string, []any)) (T, error) {
	var zero T
	tx := &Tx{Tx: sqlTx, Scope: sc, Import: im}
	if w.Check != nil {
		w.Check(&tx.Refused)
	}
	done, err := apply(tx)
	if err != nil {
		return zero, err
	}
	if err := tx.Refused.Failed(); err != nil {
		return zero, err // refused fields that apply did not stop at: nothing is written
	}
	out, stored := done.Stored.(T)
	if !stored {
		var err error
		if out, err = get(ctx, tx, sc, done.ID); err != nil {
			return zero, fmt.Errorf("read back %s %s: %w", w.Entity, done.ID, err)
		}
	}
	if err := tx.Audit(ctx, w.Action, w.Entity, done.ID, done.Before, out); err != nil {
		return zero, err
	}
	var also func(first int) (string, []any)
	if with != nil {
		also = func(first int) (string, []any) { return with(done.ID, first) }
	}
	if err := tx.writeAudits(ctx, also); err != nil {
		return zero, err
	}
	return out, nil
}

// Import is many independent writes in one transaction: a spreadsheet
// import. Each write runs the same checks, apply, read-back and audit as
// on its own (In). A write that is refused has written nothing, as every
// apply refuses before it writes, so the import goes on and finds every
// refused row; whoever runs it decides at the end whether anything is kept.
type Import struct {
	Tx       *sqlx.Tx
	Scope    auth.Scope
	counters map[string]*counter
	finish   []func(ctx context.Context) error
	stmts    map[string]*sqlx.Stmt
	memo     map[string]any
	audits   audit.Batch // the rows' audit entries, written a thousand at a time
}

// audit keeps e to be written with the next thousand, or when the import
// commits.
func (im *Import) audit(ctx context.Context, e audit.Row) error {
	if err := im.audits.Add(e); err != nil {
		return err
	}
	if im.audits.Len() < 1000 {
		return nil
	}
	return im.audits.Write(ctx, im)
}

// Remember returns what fn answered the first time the import asked for
// key: what cannot change while the import's transaction holds its locks
// (the period closed for a council, once its councils are locked).
func (im *Import) Remember(key string, fn func() (any, error)) (any, error) {
	if v, ok := im.memo[key]; ok {
		return v, nil
	}
	v, err := fn()
	if err == nil {
		im.memo[key] = v
	}
	return v, err
}

// stmt returns query prepared in the import's transaction. An import runs
// the same few statements thousands of times; prepared once, each is
// parsed and planned once, where lib/pq's unnamed statements are planned
// at every execution (most of a row's time before).
func (im *Import) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := im.stmts[query]; ok {
		return st, nil
	}
	st, err := im.Tx.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	im.stmts[query] = st
	return st, nil
}

// The import's queries go through its prepared statements; Tx sends a
// row's queries here too.

func (im *Import) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := im.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (im *Import) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	st, err := im.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryxContext(ctx, args...)
}

func (im *Import) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	st, err := im.stmt(ctx, query)
	if err != nil {
		return im.Tx.QueryRowxContext(ctx, query, args...) // answers the same error
	}
	return st.QueryRowxContext(ctx, args...)
}

func (im *Import) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := im.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (im *Import) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, im, dest, query, args...)
}

func (im *Import) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, im, dest, query, args...)
}

type counter struct {
	last  int
	store func(last int) error
}

// Next returns the next number of the counter key (a council's receipt
// numbers of a year). Its first call loads the stored last number with
// load, which locks it; later calls count in memory; and the last number
// is stored once, with store, before the import commits. Updating the
// counter's row once per row would leave thousands of versions of it in
// one transaction, each update walking past all the ones before.
func (im *Import) Next(key string, load func() (int, error), store func(last int) error) (int, error) {
	c, ok := im.counters[key]
	if !ok {
		last, err := load()
		if err != nil {
			return 0, err
		}
		c = &counter{last: last, store: store}
		im.counters[key] = c
		im.OnCommit(func(context.Context) error { return c.store(c.last) })
	}
	c.last++
	return c.last, nil
}

// OnCommit adds fn to what runs, in order, before the import commits:
// what the import deferred (counters, sums) written once.
func (im *Import) OnCommit(fn func(ctx context.Context) error) {
	im.finish = append(im.finish, fn)
}

// RunImport runs fn in one transaction and commits it when fn answers
// true; false (a dry run, a refused row) or an error rolls everything
// back. It is not retried: fn reads a whole file.
func RunImport(ctx context.Context, db *sqlx.DB, sc auth.Scope, fn func(im *Import) (commit bool, err error)) error {
	if err := sc.CanWrite(); err != nil {
		return err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	im := &Import{Tx: tx, Scope: sc, counters: map[string]*counter{}, stmts: map[string]*sqlx.Stmt{}, memo: map[string]any{}}
	commit, err := fn(im)
	if err != nil || !commit {
		return err
	}
	for _, finish := range im.finish {
		if err := finish(ctx); err != nil {
			return err
		}
	}
	if err := im.audits.Write(ctx, im); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	return nil
}

// In runs w inside the import im. Idempotency keys do not apply: an
// import recognises its rows by their natural keys.
func In[T any](ctx context.Context, im *Import, w Write, get Getter[T], apply func(tx *Tx) (Applied, error)) (T, error) {
	return write(ctx, im.Tx, im.Scope, im, w, get, apply, nil)
}

// MaxReason is the longest reason a reversal or a reopening gives.
const MaxReason = 500

// CheckReversal checks what every reversal gives: a reason, and the date it
// asks to be booked on, if any.
func CheckReversal(v *fault.InvalidInput, reason string, on *calendar.Date) {
	v.Text("input.reason", reason, true, MaxReason)
	if on != nil {
		calendar.Check(v, "input.reversedOn", *on)
	}
}

// Batch runs a write of many records in one transaction, retried as Do
// retries: the same role check and refused-field rules, and apply audits
// each record it writes with tx.Audit. A batch takes no idempotency key:
// it must be safe to run again (it does what is left to do).
func Batch(ctx context.Context, db *sqlx.DB, sc auth.Scope, check func(v *fault.InvalidInput), apply func(tx *Tx) error) error {
	if err := sc.CanWrite(); err != nil {
		return err
	}
	var checked fault.InvalidInput
	if check != nil {
		check(&checked)
	}
	return postgres.InTx(ctx, db, func(sqlTx *sqlx.Tx) error {
		tx := &Tx{Tx: sqlTx, Scope: sc, Refused: fault.InvalidInput{Fields: slices.Clone(checked.Fields)}}
		if err := tx.Refused.Failed(); err != nil {
			return err
		}
		if err := apply(tx); err != nil {
			return err
		}
		if err := tx.Refused.Failed(); err != nil {
			return err
		}
		return tx.writeAudits(ctx, nil)
	})
}
