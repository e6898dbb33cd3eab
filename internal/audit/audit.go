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

type requestKey struct{}

// Request identifies the request a write is made in: the server's own id,
// unique per request, and the id the client sent, if any, to correlate
// with its own logs. Only the server's id identifies an audit row.
type Request struct {
	ID          string
	Correlation string
}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request in ctx; outside a request (the command
// line) it is empty.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// Record appends an audit row for action on entity id by actor, with the
// values before and after (either may be nil), encoded as JSON with the
// API's field names.
func Record(ctx context.Context, tx *sqlx.Tx, actor, action, entity, id string, before, after any) error {
	r := RequestFrom(ctx)
	b, err := jsonOrNil(before)
	if err != nil {
		return err
	}
	f, err := jsonOrNil(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_log (actor, request_id, correlation_id, action, entity, entity_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		actor, r.ID, r.Correlation, action, entity, id, b, f)
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
