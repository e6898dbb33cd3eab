package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Entry is one row of the audit trail.
type Entry struct {
	ID        string    `db:"id"`
	Seq       int64     `db:"seq"`
	At        time.Time `db:"at"`
	Actor     string    `db:"actor"`
	RequestID string    `db:"request_id"`
	Action    string    `db:"action"`
	Entity    string    `db:"entity"`
	EntityID  string    `db:"entity_id"`
	Before    *string   `db:"before"`
	After     *string   `db:"after"`
}

// Filter narrows the audit trail.
type Filter struct {
	From, To *time.Time
	Entity   *string
	EntityID *string
	Actor    *string // a part of the actor's name
}

// Store reads the audit trail; rows are written by Record, inside each
// write's own transaction.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

const filterSQL = `($1::timestamptz IS NULL OR a.at >= $1) AND ($2::timestamptz IS NULL OR a.at <= $2)
	AND ($3::text IS NULL OR a.entity = $3) AND ($4::uuid IS NULL OR a.entity_id = $4)
	AND ($5::text IS NULL OR strpos(lower(a.actor), lower($5)) > 0)`

// args checks that the caller may read the trail (admins and auditors)
// and f is well formed.
func (f Filter) args(ctx context.Context) ([]any, error) {
	if err := auth.RequireRole(ctx, auth.Admin, auth.Auditor); err != nil {
		return nil, err
	}
	var v fault.InvalidInput
	if f.EntityID != nil && uuid.Validate(*f.EntityID) != nil {
		v.Add("filter.entityId", fault.Invalid, "is not an id")
	}
	v.OptionalText("filter.entity", f.Entity, 100)
	v.OptionalText("filter.actor", f.Actor, 200)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []any{f.From, f.To, f.Entity, f.EntityID, f.Actor}, nil
}

// Entries returns a page of the trail, oldest first.
func (s *Store) Entries(ctx context.Context, f Filter, r page.Request) (page.Page[Entry], error) {
	args, err := f.args(ctx)
	if err != nil {
		return page.Page[Entry]{}, err
	}
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Entry]{}, err
	}
	var items []Entry
	err = s.db.SelectContext(ctx, &items, `
		SELECT a.id::text AS id, a.id AS seq, a.at, a.actor, a.request_id, a.action, a.entity, a.entity_id,
			a.before::text AS before, a.after::text AS after
		FROM audit_log a WHERE `+filterSQL+` AND ($6::bigint IS NULL OR a.id > $6)
		ORDER BY a.id LIMIT $7`, append(args, k.AfterSeq, k.Limit+1)...)
	if err != nil {
		return page.Page[Entry]{}, fmt.Errorf("list audit log: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many entries f matches.
func (s *Store) Count(ctx context.Context, f Filter) (int, error) {
	args, err := f.args(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM audit_log a WHERE `+filterSQL, args...); err != nil {
		return 0, fmt.Errorf("count audit log: %w", err)
	}
	return n, nil
}

// Each calls fn for every entry f matches, oldest first, reading rows as
// they come so that memory stays flat however long the trail is.
func (s *Store) Each(ctx context.Context, f Filter, fn func(Entry) error) error {
	args, err := f.args(ctx)
	if err != nil {
		return err
	}
	return postgres.Stream(ctx, s.db, `
		SELECT a.id::text AS id, a.id AS seq, a.at, a.actor, a.request_id, a.action, a.entity, a.entity_id,
			a.before::text AS before, a.after::text AS after
		FROM audit_log a WHERE `+filterSQL+` ORDER BY a.id`, args, func(rows *sqlx.Rows) error {
		var e Entry
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("read audit entry: %w", err)
		}
		return fn(e)
	})
}
