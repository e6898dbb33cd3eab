// Package programme is a council's yearly plan: target quantities and
// budgets per aid type, with realisation computed from the aid outputs.
package programme

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Target is one line of a year's programme. Realised figures count the
// outputs of that aid type delivered that year anywhere in the
// organization's subtree.
type Target struct {
	ID               string       `db:"id" json:"id"`
	Seq              int64        `db:"seq" json:"-"`
	OrganizationID   string       `db:"organization_id" json:"organizationId"`
	Year             int          `db:"year" json:"year"`
	AidTypeID        string       `db:"aid_type_id" json:"aidTypeId"`
	TargetQuantity   int          `db:"target_quantity" json:"targetQuantity"`
	Budget           money.Rupiah `db:"budget" json:"budget"`
	RealisedQuantity int64        `db:"realised_quantity" json:"-"`
	RealisedCost     money.Rupiah `db:"realised_cost" json:"-"`
	// Narrative is the council's latest note on how the year went.
	Narrative string    `db:"narrative" json:"narrative"`
	CreatedAt time.Time `db:"created_at" json:"createdAt"`
}

// narrative is the latest note on target t.
const narrative = `COALESCE((SELECT n.text FROM programme_narratives n WHERE n.target_id = t.id ORDER BY n.seq DESC LIMIT 1), '') AS narrative`

const columns = `t.id, t.seq, t.organization_id, t.year, t.aid_type_id, t.target_quantity, t.budget, t.created_at,
	r.quantity AS realised_quantity, r.cost AS realised_cost, ` + narrative

// realisation joins each target t to the sums of its outputs.
const realisation = `
	CROSS JOIN LATERAL (
		SELECT COALESCE(SUM(a.quantity), 0)::bigint AS quantity, COALESCE(SUM(a.cost), 0)::bigint AS cost
		FROM aid_outputs a JOIN organizations ao ON ao.id = a.organization_id
		WHERE a.aid_type_id = t.aid_type_id
		  AND a.delivered_on >= make_date(t.year, 1, 1) AND a.delivered_on < make_date(t.year + 1, 1, 1)
		  AND ao.path <@ o.path) r`

// Store reads and writes programme targets.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// targetFrom joins each target t to its organization o, whose path the
// caller's scope confines (an operator its subtree; a partner account sees
// no programme), and to its realisation r.
const targetFrom = `programme_targets t JOIN organizations o ON o.id = t.organization_id `

func getTarget(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Target, error) {
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM ` + targetFrom + realisation + ` WHERE t.id = $1 AND ` + sc.Council(&args, "o.path")
	return postgres.ByID[Target](ctx, q, "programme target", query, id, args[1:]...)
}

// Target returns target id with its realisation.
func (s *Store) Target(ctx context.Context, sc auth.Scope, id string) (Target, error) {
	return getTarget(ctx, s.db, sc, id)
}

// Filter narrows a list of targets.
type Filter struct {
	Year           *int
	OrganizationID *string // a subtree, its root included
}

// where returns the condition that selects the targets f matches within
// sc, with its arguments.
func (s *Store) where(ctx context.Context, sc auth.Scope, f Filter) (string, postgres.Args, error) {
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	year, u := a.Add(f.Year), a.Add(under)
	return `(` + year + `::int IS NULL OR t.year = ` + year + `) AND (` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree)
		AND ` + sc.Council(&a, "o.path"), a, nil
}

// List returns a page of targets with their realisation.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Target], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Target]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Target]{}, err
	}
	query := `SELECT ` + columns + ` FROM ` + targetFrom + realisation + ` WHERE ` + cond + ` ` + k.Clause(&args, "", "t.seq")
	var items []Target
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Target]{}, fmt.Errorf("list programme targets: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many targets f matches.
func (s *Store) Count(ctx context.Context, sc auth.Scope, f Filter) (int, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM `+targetFrom+` WHERE `+cond, args...); err != nil {
		return 0, fmt.Errorf("count programme targets: %w", err)
	}
	return n, nil
}

// NewTarget is the input for CreateTarget.
type NewTarget struct {
	OrganizationID string       `json:"organizationId"`
	Year           int          `json:"year"`
	AidTypeID      string       `json:"aidTypeId"`
	TargetQuantity int          `json:"targetQuantity"`
	Budget         money.Rupiah `json:"budget"`
	IdempotencyKey string       `json:"-"`
}

// CreateTarget sets a year's target for one aid type; there is one per
// organization, year and aid type. A year any day of which is closed is
// not planned any more.
func (s *Store) CreateTarget(ctx context.Context, sc auth.Scope, in NewTarget) (Target, error) {
	w, apply := in.create(ctx)
	t, err := change.Do(ctx, s.db, sc, w, getTarget, apply)
	if err != nil {
		return Target{}, fmt.Errorf("set programme target: %w", err)
	}
	return t, nil
}

// ImportTarget is CreateTarget as one row of an import, through the same checks.
func ImportTarget(ctx context.Context, im *change.Import, in NewTarget) (Target, error) {
	w, apply := in.create(ctx)
	return change.In(ctx, im, w, getTarget, apply)
}

// create describes the write that sets in's target.
func (in NewTarget) create(ctx context.Context) (change.Write, func(tx *change.Tx) (change.Applied, error)) {
	w := change.Write{Mutation: "createProgrammeTarget", Action: "create", Entity: "programme_target", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			if in.Year < 2000 || in.Year > 2100 {
				v.Add("input.year", fault.Invalid, "must be between 2000 and 2100")
			}
			if in.TargetQuantity < 0 || in.TargetQuantity > fault.MaxQuantity {
				v.Add("input.targetQuantity", fault.Invalid, fmt.Sprintf("must be between 0 and %d", fault.MaxQuantity))
			}
			money.CheckNonNegative(v, "input.budget", in.Budget)
		}}
	return w, func(tx *change.Tx) (change.Applied, error) {
		sc := tx.Scope
		v := &tx.Refused
		org, err := organization.RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if v.Collect(err) && in.Year >= 2000 && in.Year <= 2100 {
			v.Collect(organization.CheckOpen(ctx, tx, org, "input.year", calendar.New(in.Year, time.January, 1)))
		}
		_, err = aid.RequireType(ctx, tx, sc, "input.aidTypeId", in.AidTypeID)
		v.Collect(err)
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO programme_targets (organization_id, year, aid_type_id, target_quantity, budget)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			in.OrganizationID, in.Year, in.AidTypeID, in.TargetQuantity, in.Budget)
		if c, ok := postgres.Violation(err); ok && c == "programme_targets_key" {
			return change.Applied{}, fault.Refuse("input.aidTypeId", fault.Duplicate, "this organization already has a target for this aid type and year")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert programme target: %w", err)
		}
		return change.Applied{ID: id}, nil
	}
}

// NewNarrative is the input for WriteNarrative.
type NewNarrative struct {
	TargetID       string `json:"targetId"`
	Text           string `json:"text"`
	IdempotencyKey string `json:"-"`
}

// WriteNarrative records the council's note on a target, which the Raker
// book prints beside its figures; the latest note stands. A year any day of
// which is closed has its book settled, note included.
func (s *Store) WriteNarrative(ctx context.Context, sc auth.Scope, in NewNarrative) (Target, error) {
	w := change.Write{Mutation: "writeProgrammeNarrative", Action: "narrate", Entity: "programme_target", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { v.Text("input.text", in.Text, true, 2000) }}
	t, err := change.Do(ctx, s.db, sc, w, getTarget, func(tx *change.Tx) (change.Applied, error) {
		v := &tx.Refused
		t, err := getTarget(ctx, tx, sc, in.TargetID)
		if errors.Is(err, fault.ErrNotFound) {
			err = fault.Refuse("input.targetId", fault.Unknown, "no such programme target")
		}
		if v.Collect(err) {
			org, err := organization.RequireWritable(ctx, tx, sc, "input.targetId", t.OrganizationID)
			if v.Collect(err) {
				v.Collect(organization.CheckOpen(ctx, tx, org, "input.targetId", calendar.New(t.Year, time.January, 1)))
			}
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO programme_narratives (target_id, text, written_by) VALUES ($1, $2, $3)`,
			t.ID, in.Text, sc.Principal().Name()); err != nil {
			return change.Applied{}, fmt.Errorf("insert narrative: %w", err)
		}
		return change.Applied{ID: t.ID, Before: t}, nil
	})
	if err != nil {
		return Target{}, fmt.Errorf("write the narrative of target %s: %w", in.TargetID, err)
	}
	return t, nil
}

// Progress is a target with what was delivered towards it within a period.
type Progress struct {
	TargetID         string       `db:"target_id"`
	Year             int          `db:"year"`
	AidTypeID        string       `db:"aid_type_id"`
	OrganizationID   string       `db:"organization_id"`
	TargetQuantity   int          `db:"target_quantity"`
	Budget           money.Rupiah `db:"budget"`
	RealisedQuantity int64        `db:"realised_quantity"`
	RealisedCost     money.Rupiah `db:"realised_cost"`
	Narrative        string       `db:"narrative"`
}

// Progress returns the targets set in the subtree of orgID for the years
// that from–to touches, each with the outputs of its aid type delivered in
// its organization's subtree between from and to (within the target's
// year). A Raker in July compares the year's targets with January–July.
func (s *Store) Progress(ctx context.Context, sc auth.Scope, orgID string, from, to calendar.Date) ([]Progress, error) {
	under, err := organization.SubtreePath(ctx, s.db, sc, "organizationId", &orgID)
	if err != nil {
		return nil, err
	}
	args := postgres.Args{under, from, to}
	query := `
		SELECT t.id AS target_id, t.year, t.aid_type_id, t.organization_id, t.target_quantity, t.budget,
			r.quantity AS realised_quantity, r.cost AS realised_cost, ` + narrative + `
		FROM programme_targets t JOIN organizations o ON o.id = t.organization_id JOIN aid_types at ON at.id = t.aid_type_id
		CROSS JOIN LATERAL (
			SELECT COALESCE(SUM(a.quantity), 0)::bigint AS quantity, COALESCE(SUM(a.cost), 0)::bigint AS cost
			FROM aid_outputs a JOIN organizations ao ON ao.id = a.organization_id
			WHERE a.aid_type_id = t.aid_type_id AND ao.path <@ o.path
			  AND a.delivered_on BETWEEN greatest($2::date, make_date(t.year, 1, 1)) AND least($3::date, make_date(t.year, 12, 31))) r
		WHERE o.path <@ $1::ltree AND t.year BETWEEN extract(year FROM $2::date) AND extract(year FROM $3::date)
		  AND ` + sc.Council(&args, "o.path") + `
		ORDER BY t.year, o.path, at.seq`
	var out []Progress
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("programme progress: %w", err)
	}
	return out, nil
}
