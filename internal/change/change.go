// Package change is the one path every write takes: one transaction that
// checks the caller may write, claims the idempotency key, applies the
// write, reads the stored record back, audits it (before and after as
// stored) and completes the key. Domain packages describe their writes
// with it instead of repeating those steps.
package change

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
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
}

// Tx is the transaction of one write.
type Tx struct {
	*sqlx.Tx
	Scope auth.Scope
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
		tx := &Tx{Tx: sqlTx, Scope: sc}
		prior, err := idempotency.Claim(ctx, sqlTx, sc, w.Key, w.Mutation, w.Input)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = get(ctx, sqlTx, sc, prior)
			return err
		}
		done, err := apply(tx)
		if err != nil {
			return err
		}
		out, err = get(ctx, sqlTx, sc, done.ID)
		if err != nil {
			return fmt.Errorf("read back %s %s: %w", w.Entity, done.ID, err)
		}
		if err := tx.Audit(ctx, w.Action, w.Entity, done.ID, done.Before, out); err != nil {
			return err
		}
		return idempotency.Complete(ctx, sqlTx, sc, w.Key, done.ID)
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
