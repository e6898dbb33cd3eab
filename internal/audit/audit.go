// Package audit keeps the trail of who changed what: one append-only row
// per write, in the same transaction as the write itself, readable by
// admins and auditors.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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
func Record(ctx context.Context, tx sqlx.ExecerContext, actor, action, entity, id string, before, after any) error {
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

// Row is one audit row to append with Batch.
type Row struct {
	Actor, Action, Entity, ID string
	Before, After             any
}

// Batch appends audit rows as Record does, in one statement: an import
// writes thousands, and one round trip each would be most of its time.
type Batch struct {
	actors, actions, entities, ids []string
	befores, afters                []sql.NullString
}

// Add encodes e and keeps it until Write.
func (b *Batch) Add(e Row) error {
	before, err := jsonOrNil(e.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNil(e.After)
	if err != nil {
		return err
	}
	b.actors, b.actions, b.entities, b.ids = append(b.actors, e.Actor), append(b.actions, e.Action), append(b.entities, e.Entity), append(b.ids, e.ID)
	b.befores, b.afters = append(b.befores, nullString(before)), append(b.afters, nullString(after))
	return nil
}

// Len is how many rows wait to be written.
func (b *Batch) Len() int { return len(b.ids) }

// Write appends the rows kept, in the order they were added, and empties b.
func (b *Batch) Write(ctx context.Context, tx sqlx.ExecerContext) error {
	return b.WriteWith(ctx, tx, nil)
}

// WriteWith is Write with another statement that modifies data run in the
// same statement: one round trip for both. with, if not nil, returns that
// statement, its placeholders numbered from first, and its arguments; ""
// for none. A write completes its idempotency key so.
func (b *Batch) WriteWith(ctx context.Context, tx sqlx.ExecerContext, with func(first int) (string, []any)) error {
	r := RequestFrom(ctx)
	all := []any{r.ID, r.Correlation, pq.Array(b.actors), pq.Array(b.actions), pq.Array(b.entities), pq.Array(b.ids),
		pq.Array(b.befores), pq.Array(b.afters)}
	var also string
	if with != nil {
		var args []any
		also, args = with(len(all) + 1)
		all = append(all, args...)
	}
	if b.Len() == 0 && also == "" {
		return nil
	}
	query := `
		INSERT INTO audit_log (actor, request_id, correlation_id, action, entity, entity_id, before, after)
		SELECT actor, $1, $2, action, entity, entity_id::uuid, before::jsonb, after::jsonb
		FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY
			AS e(actor, action, entity, entity_id, before, after, n)
		ORDER BY n`
	if also != "" {
		// A data-modifying WITH runs once whether or not it is read.
		query = `WITH also AS (` + also + `)` + query
	}
	_, err := tx.ExecContext(ctx, query, all...)
	if err != nil {
		return fmt.Errorf("write %d audit rows: %w", b.Len(), err)
	}
	*b = Batch{}
	return nil
}

func nullString(v any) sql.NullString {
	s, ok := v.(string)
	return sql.NullString{String: s, Valid: ok}
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
