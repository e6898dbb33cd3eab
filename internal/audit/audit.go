// Package audit keeps the trail of who changed what: one append-only row
// per write, in the same transaction as the write itself, readable by
// admins and auditors.
package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

type actorKey struct{}
type requestKey struct{}

// Actor is who is making a request, as the audit trail names them.
type Actor struct {
	Name      string // user and token name, or "system" for the CLI
	RequestID string
}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx; without one the write is by "anonymous".
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "anonymous"}
}

// Record appends an audit row for action on entity id with the values before
// and after (either may be nil).
func Record(ctx context.Context, tx *sqlx.Tx, action, entity, id string, before, after any) error {
	a := ActorFrom(ctx)
	b, err := jsonOrNil(before)
	if err != nil {
		return err
	}
	f, err := jsonOrNil(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_log (actor, request_id, action, entity, entity_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.Name, a.RequestID, action, entity, id, b, f)
	if err != nil {
		return fmt.Errorf("write audit row for %s %s: %w", action, entity, err)
	}
	return nil
}

func jsonOrNil(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode audit values: %w", err)
	}
	return string(b), nil
}
