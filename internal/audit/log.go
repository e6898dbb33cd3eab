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
	// Correlation is the X-Request-ID the client sent, kept apart from the
	// server's own id so that a client cannot make two rows share one.
	CorrelationID string  `db:"correlation_id"`
	Action        string  `db:"action"`
	Entity        string  `db:"entity"`
	EntityID      string  `db:"entity_id"`
	Before        *string `db:"before"`
	After         *string `db:"after"`
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

const entryColumns = `a.id::text AS id, a.id AS seq, a.at, a.actor, a.request_id, a.correlation_id,
	a.action, a.entity, a.entity_id, a.before::text AS before, a.after::text AS after`

// where returns the condition and arguments that select the entries f
// matches within sc: only admins and auditors read the trail.
func (f Filter) where(sc auth.Scope) (string, postgres.Args, error) {
	if err := sc.Require(auth.Admin, auth.Auditor); err != nil {
		return "", nil, err
	}
	var v fault.InvalidInput
	if f.EntityID != nil && uuid.Validate(*f.EntityID) != nil {
		v.Add("filter.entityId", fault.Invalid, "is not an id")
	}
	v.OptionalText("filter.entity", f.Entity, 100)
	v.OptionalText("filter.actor", f.Actor, 200)
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	var a postgres.Args
	from, to, entity, entityID, actor := a.Add(f.From), a.Add(f.To), a.Add(f.Entity), a.Add(f.EntityID), a.Add(f.Actor)
	cond := `(` + from + `::timestamptz IS NULL OR a.at >= ` + from + `) AND (` + to + `::timestamptz IS NULL OR a.at <= ` + to + `)
	AND (` + entity + `::text IS NULL OR a.entity = ` + entity + `) AND (` + entityID + `::uuid IS NULL OR a.entity_id = ` + entityID + `)
	AND (` + actor + `::text IS NULL OR strpos(lower(a.actor), lower(` + actor + `)) > 0)
	AND ` + sc.Audit(&a)
	return cond, a, nil
}

// Entries returns a page of the trail, oldest first.
func (s *Store) Entries(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Entry], error) {
	cond, args, err := f.where(sc)
	if err != nil {
		return page.Page[Entry]{}, err
	}
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Entry]{}, err
	}
	query := `SELECT ` + entryColumns + ` FROM audit_log a WHERE ` + cond + ` ` + k.Clause(&args, "", "a.id")
	var items []Entry
	err = s.db.SelectContext(ctx, &items, query, args...)
	if err != nil {
		return page.Page[Entry]{}, fmt.Errorf("list audit log: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many entries f matches.
func (s *Store) Count(ctx context.Context, sc auth.Scope, f Filter) (int, error) {
	cond, args, err := f.where(sc)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM audit_log a WHERE `+cond, args...); err != nil {
		return 0, fmt.Errorf("count audit log: %w", err)
	}
	return n, nil
}

// Each calls fn for every entry f matches, oldest first, reading rows as
// they come so that memory stays flat however long the trail is.
func (s *Store) Each(ctx context.Context, sc auth.Scope, f Filter, fn func(Entry) error) error {
	cond, args, err := f.where(sc)
	if err != nil {
		return err
	}
	return postgres.Stream(ctx, s.db, `
		SELECT `+entryColumns+`
		FROM audit_log a WHERE `+cond+` ORDER BY a.id`, args, func(rows *sqlx.Rows) error {
		var e Entry
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("read audit entry: %w", err)
		}
		return fn(e)
	})
}
