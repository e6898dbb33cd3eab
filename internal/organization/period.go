package organization

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Close is a council's books closed through a date: once a Raker has
// reported a period, nothing dated in it may be recorded in the council's
// subtree, so the book that was presented stays what it was.
type Close struct {
	ID             string        `db:"id" json:"id"`
	OrganizationID string        `db:"organization_id" json:"organizationId"`
	Through        calendar.Date `db:"through" json:"through"`
	Reason         string        `db:"reason" json:"reason"`
	ClosedBy       string        `db:"closed_by" json:"closedBy"`
	CreatedAt      time.Time     `db:"created_at" json:"createdAt"`
	ReopenedAt     *time.Time    `db:"reopened_at" json:"reopenedAt"`
	ReopenedBy     *string       `db:"reopened_by" json:"reopenedBy"`
	ReopenReason   *string       `db:"reopen_reason" json:"reopenReason"`
	// OrganizationCode names the council that closed, for messages.
	OrganizationCode string `db:"organization_code" json:"-"`
}

const closeColumns = `c.id, c.organization_id, c.through, c.reason, c.closed_by, c.created_at,
	r.created_at AS reopened_at, r.reopened_by, r.reason AS reopen_reason, o.code AS organization_code`

const closeFrom = `period_closes c JOIN organizations o ON o.id = c.organization_id
	LEFT JOIN period_reopenings r ON r.close_id = c.id`

// getClose reads close id; closes are part of the tree, visible to every
// signed-in caller.
func getClose(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Close, error) {
	args := postgres.Args{id}
	query := `SELECT ` + closeColumns + ` FROM ` + closeFrom + ` WHERE c.id = $1 AND ` + sc.Tree(&args)
	return postgres.ByID[Close](ctx, q, "period close", query, id, args[1:]...)
}

// ClosedThrough returns the close in force for o: the latest close, not
// reopened, of o or of any council above it; nil when o's books are open.
//
// Inside a write it takes a key-share lock on o and its ancestors, which a
// close's update lock waits for: a write and a close of its period never
// both commit.
func ClosedThrough(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, o Organization) (*Close, error) {
	if tx, inTx := q.(*change.Tx); inTx && tx.Import != nil {
		// An import locks the councils once and holds the lock to its
		// end: the close in force cannot change under it.
		c, err := tx.Import.Remember("closed-through|"+o.ID, func() (any, error) {
			return closedThrough(ctx, tx, sc, o)
		})
		return c.(*Close), err
	}
	return closedThrough(ctx, q, sc, o)
}

func closedThrough(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, o Organization) (*Close, error) {
	if tx, inTx := q.(*change.Tx); inTx && !tx.Holds(ancestorsLock(o)) {
		// Lock first, then read in a statement of its own: in READ
		// COMMITTED a statement that waited for a lock still reads with the
		// snapshot it started with, and would miss the close it waited for.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM organizations a WHERE a.path @> $1::ltree FOR KEY SHARE`, o.Path); err != nil {
			return nil, fmt.Errorf("lock the councils above %s: %w", o.Code, err)
		}
	}
	args := postgres.Args{o.Path}
	query := `SELECT ` + closeColumns + ` FROM ` + closeFrom + `
		WHERE c.organization_id IN (SELECT a.id FROM organizations a WHERE a.path @> $1::ltree)
		  AND r.id IS NULL AND ` + sc.Tree(&args) + `
		ORDER BY c.through DESC, c.created_at DESC LIMIT 1`
	var c Close
	err := sqlx.GetContext(ctx, q, &c, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the period closed for %s: %w", o.Code, err)
	}
	return &c, nil
}

// CheckOpen refuses, at field, a write dated on that falls in a period
// closed for o.
func CheckOpen(ctx context.Context, tx *change.Tx, o Organization, field string, on calendar.Date) error {
	c, err := ClosedThrough(ctx, tx, tx.Scope, o)
	if err != nil {
		return err
	}
	return refuseClosed(c, field, on)
}

// refuseClosed refuses, at field, a date on or before the close c (nil: none).
func refuseClosed(c *Close, field string, on calendar.Date) error {
	if c == nil || on.After(c.Through) {
		return nil
	}
	return fault.Refuse(field, fault.ClosedPeriod, fmt.Sprintf(
		"falls in a closed period: %s closed its books through %s; record a correction dated after it",
		c.OrganizationCode, c.Through))
}

// CorrectionDate is the business date a reversal of a record of o dated
// original is booked on: asked, if given; else, when original lies in a
// closed period, the first open day; else today in o's time zone. It is
// never in the future, never before the record it corrects and never in a
// closed period; field names the input to blame. The close in force is
// read (and the councils above o locked) once.
func CorrectionDate(ctx context.Context, tx *change.Tx, o Organization, field string, original calendar.Date, asked *calendar.Date) (calendar.Date, error) {
	c, err := ClosedThrough(ctx, tx, tx.Scope, o)
	if err != nil {
		return calendar.Date{}, err
	}
	on := calendar.Today(o.Location())
	switch {
	case asked != nil:
		on = *asked
	case c != nil && !original.After(c.Through):
		on = c.Through.AddDays(1)
	}
	if err := o.NotFuture(field, on); err != nil {
		return calendar.Date{}, err
	}
	if on.Before(original) {
		return calendar.Date{}, fault.Refuse(field, fault.Invalid, "must not be before the entry it reverses ("+original.String()+")")
	}
	if err := refuseClosed(c, field, on); err != nil {
		return calendar.Date{}, err
	}
	return on, nil
}

// NewClose is the input for ClosePeriod.
type NewClose struct {
	OrganizationID string        `json:"organizationId"`
	Through        calendar.Date `json:"through"`
	Reason         string        `json:"reason"`
	IdempotencyKey string        `json:"-"`
}

// ClosePeriod closes the books of a council's subtree through a date: an
// admin, or an operator whose subtree holds the council, may.
func (s *Store) ClosePeriod(ctx context.Context, sc auth.Scope, in NewClose) (Close, error) {
	w := change.Write{Mutation: "closePeriod", Action: "close", Entity: "period_close", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			calendar.Check(v, "input.through", in.Through)
			v.Text("input.reason", in.Reason, false, 500)
		}}
	c, err := change.Do(ctx, s.db, sc, w, getClose, func(tx *change.Tx) (change.Applied, error) {
		o, err := RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if tx.Refused.Collect(err); tx.Refused.Failed() != nil {
			return change.Applied{}, tx.Refused.Failed()
		}
		if o.Kind == Institution {
			return change.Applied{}, fault.Refuse("input.organizationId", fault.Invalid, "only a council closes its books")
		}
		// The update lock waits for writes in flight under o (they hold key-share locks).
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE`, o.ID); err != nil {
			return change.Applied{}, fmt.Errorf("lock %s: %w", o.Code, err)
		}
		if err := o.NotFuture("input.through", in.Through); err != nil {
			return change.Applied{}, err
		}
		if c, err := ClosedThrough(ctx, tx, sc, o); err != nil {
			return change.Applied{}, err
		} else if c != nil && !in.Through.After(c.Through) {
			return change.Applied{}, fault.Refuse("input.through", fault.Invalid,
				fmt.Sprintf("%s's books are already closed through %s", c.OrganizationCode, c.Through))
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO period_closes (organization_id, through, reason, closed_by) VALUES ($1, $2, $3, $4) RETURNING id`,
			o.ID, in.Through, in.Reason, sc.Principal().Name())
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert period close: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Close{}, fmt.Errorf("close period of %s through %s: %w", in.OrganizationID, in.Through, err)
	}
	return c, nil
}

// Reopening is the input for ReopenPeriod.
type Reopening struct {
	OrganizationID string `json:"organizationId"`
	Reason         string `json:"reason"`
	IdempotencyKey string `json:"-"`
}

// ReopenPeriod reopens the close in force at a council itself: an admin
// only, with a reason. An earlier close of the council, if any, is in force
// again.
func (s *Store) ReopenPeriod(ctx context.Context, sc auth.Scope, in Reopening) (Close, error) {
	if err := sc.Require(auth.Admin); err != nil {
		return Close{}, err
	}
	w := change.Write{Mutation: "reopenPeriod", Action: "reopen", Entity: "period_close", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { v.Text("input.reason", in.Reason, true, 500) }}
	c, err := change.Do(ctx, s.db, sc, w, getClose, func(tx *change.Tx) (change.Applied, error) {
		o, err := RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if tx.Refused.Collect(err); tx.Refused.Failed() != nil {
			return change.Applied{}, tx.Refused.Failed()
		}
		var closeID string
		err = tx.GetContext(ctx, &closeID, `
			SELECT c.id FROM period_closes c LEFT JOIN period_reopenings r ON r.close_id = c.id
			WHERE c.organization_id = $1 AND r.id IS NULL
			ORDER BY c.through DESC, c.created_at DESC LIMIT 1 FOR UPDATE OF c`, o.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return change.Applied{}, fault.Refuse("input.organizationId", fault.Invalid, o.Code+" has no closed period to reopen")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("find the close of %s: %w", o.Code, err)
		}
		before, err := getClose(ctx, tx, sc, closeID)
		if err != nil {
			return change.Applied{}, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO period_reopenings (close_id, reason, reopened_by) VALUES ($1, $2, $3)`,
			closeID, in.Reason, sc.Principal().Name())
		if c, ok := postgres.Violation(err); ok && c == "period_reopenings_close_key" {
			return change.Applied{}, fault.Refuse("input.organizationId", fault.Duplicate, "this close was reopened already")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert reopening: %w", err)
		}
		return change.Applied{ID: closeID, Before: before}, nil
	})
	if err != nil {
		return Close{}, fmt.Errorf("reopen period of %s: %w", in.OrganizationID, err)
	}
	return c, nil
}

// Closes returns the closes of the given organizations, latest first,
// reopened ones included.
func (s *Store) Closes(ctx context.Context, sc auth.Scope, orgIDs []string) ([]Close, error) {
	args := postgres.Args{pq.Array(postgres.IDs(orgIDs))}
	query := `SELECT ` + closeColumns + ` FROM ` + closeFrom + `
		WHERE c.organization_id::text = ANY($1) AND ` + sc.Tree(&args) + `
		ORDER BY c.organization_id, c.through DESC, c.created_at DESC`
	var out []Close
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get period closes: %w", err)
	}
	return out, nil
}
