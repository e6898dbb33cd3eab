// Package change is the one path every write takes: one transaction that
// checks the caller may write, claims the idempotency key, applies the
// write, reads the stored record back, audits it (before and after as
// stored) and completes the key. Domain packages describe their writes
// with it instead of repeating those steps.
package change

import (
	"context"
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
}

// Audit records a further record that the write changed (the donation a
// box collection becomes), with before and after as stored.
func (tx *Tx) Audit(ctx context.Context, action, entity, id string, before, after any) error {
	return audit.Record(ctx, tx.Tx, tx.Scope.Principal().Name(), action, entity, id, before, after)
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
}

// Do runs w in one transaction, retried as postgres.InTx retries (apply
// must keep its state inside the attempt). A retry with the same key and
// input returns the first result without writing again.
func Do[T any](ctx context.Context, db *sqlx.DB, sc auth.Scope, w Write, get Getter[T], apply func(tx *Tx) (Applied, error)) (T, error) {
	var out T
	if err := sc.CanWrite(); err != nil {
		return out, err
	}
	err := postgres.InTx(ctx, db, func(sqlTx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, sqlTx, sc, w.Key, w.Mutation, w.Input)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = get(ctx, sqlTx, sc, prior)
			return err
		}
		var id string
		out, id, err = write(ctx, sqlTx, sc, w, get, apply)
		if err != nil {
			return err
		}
		return idempotency.Complete(ctx, sqlTx, sc, w.Key, id)
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// write checks, applies, reads back and audits w inside sqlTx.
func write[T any](ctx context.Context, sqlTx *sqlx.Tx, sc auth.Scope, w Write, get Getter[T], apply func(tx *Tx) (Applied, error)) (T, string, error) {
	var zero T
	tx := &Tx{Tx: sqlTx, Scope: sc}
	if w.Check != nil {
		w.Check(&tx.Refused)
	}
	done, err := apply(tx)
	if err != nil {
		return zero, "", err
	}
	if err := tx.Refused.Failed(); err != nil {
		return zero, "", err // refused fields that apply did not stop at: nothing is written
	}
	out, err := get(ctx, sqlTx, sc, done.ID)
	if err != nil {
		return zero, "", fmt.Errorf("read back %s %s: %w", w.Entity, done.ID, err)
	}
	if err := tx.Audit(ctx, w.Action, w.Entity, done.ID, done.Before, out); err != nil {
		return zero, "", err
	}
	return out, done.ID, nil
}

// Import is many independent writes in one transaction: a spreadsheet
// import. Each write runs the same checks, apply, read-back and audit as
// on its own (In). A write that is refused has written nothing, as every
// apply refuses before it writes, so the import goes on and finds every
// refused row; whoever runs it decides at the end whether anything is kept.
type Import struct {
	Tx    *sqlx.Tx
	Scope auth.Scope
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
	commit, err := fn(&Import{Tx: tx, Scope: sc})
	if err != nil || !commit {
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
	out, _, err := write(ctx, im.Tx, im.Scope, w, get, apply)
	return out, err
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
		return tx.Refused.Failed()
	})
}
