package organization

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Officers are the chair and secretary who sign a council's books from a
// date on, and the town where they sign. A later record takes over from its
// own date; the earlier one still signs the books of its time.
type Officers struct {
	ID             string        `db:"id" json:"id"`
	OrganizationID string        `db:"organization_id" json:"organizationId"`
	EffectiveFrom  calendar.Date `db:"effective_from" json:"effectiveFrom"`
	ChairName      string        `db:"chair_name" json:"chairName"`
	SecretaryName  string        `db:"secretary_name" json:"secretaryName"`
	Seat           string        `db:"seat" json:"seat"`
	RecordedBy     string        `db:"recorded_by" json:"recordedBy"`
	CreatedAt      time.Time     `db:"created_at" json:"createdAt"`
}

const officerColumns = `f.id, f.organization_id, f.effective_from, f.chair_name, f.secretary_name, f.seat, f.recorded_by, f.created_at`

// Officers, like the tree they belong to, are visible to every signed-in
// caller: they are the names printed on the council's public documents.
const officerFrom = `organization_officers f JOIN organizations o ON o.id = f.organization_id`

func getOfficers(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Officers, error) {
	args := postgres.Args{id}
	query := `SELECT ` + officerColumns + ` FROM ` + officerFrom + ` WHERE f.id = $1 AND ` + sc.Tree(&args)
	return postgres.ByID[Officers](ctx, q, "officers", query, id, args[1:]...)
}

// NewOfficers is the input for RecordOfficers.
type NewOfficers struct {
	OrganizationID string        `json:"organizationId"`
	EffectiveFrom  calendar.Date `json:"effectiveFrom"`
	ChairName      string        `json:"chairName"`
	SecretaryName  string        `json:"secretaryName"`
	Seat           string        `json:"seat"`
	IdempotencyKey string        `json:"-"`
}

// RecordOfficers records who signs a council's books from a date: an admin,
// or an operator whose subtree holds the council, may.
func (s *Store) RecordOfficers(ctx context.Context, sc auth.Scope, in NewOfficers) (Officers, error) {
	w := change.Write{Mutation: "recordOfficers", Action: "create", Entity: "officers", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			calendar.Check(v, "input.effectiveFrom", in.EffectiveFrom)
			v.Text("input.chairName", in.ChairName, true, 200)
			v.Text("input.secretaryName", in.SecretaryName, true, 200)
			v.Text("input.seat", in.Seat, true, 100)
		}}
	f, err := change.Do(ctx, s.db, sc, w, getOfficers, func(tx *change.Tx) (change.Applied, error) {
		o, err := RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if err == nil && o.Kind == Institution {
			err = fault.Refuse("input.organizationId", fault.Invalid, "only a council has officers who sign its books")
		}
		if tx.Refused.Collect(err); tx.Refused.Failed() != nil {
			return change.Applied{}, tx.Refused.Failed()
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO organization_officers (organization_id, effective_from, chair_name, secretary_name, seat, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			o.ID, in.EffectiveFrom, in.ChairName, in.SecretaryName, in.Seat, sc.Principal().Name())
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert officers: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Officers{}, fmt.Errorf("record officers of %s: %w", in.OrganizationID, err)
	}
	return f, nil
}

// OfficersOn returns the officers of organization id in office on a date:
// the latest record effective on or before it. It answers nil when none
// was recorded by then.
func (s *Store) OfficersOn(ctx context.Context, sc auth.Scope, id string, on calendar.Date) (*Officers, error) {
	if !postgres.IsID(id) {
		return nil, nil
	}
	args := postgres.Args{id, on}
	query := `SELECT ` + officerColumns + ` FROM ` + officerFrom + `
		WHERE f.organization_id = $1 AND f.effective_from <= $2 AND ` + sc.Tree(&args) + `
		ORDER BY f.effective_from DESC, f.seq DESC LIMIT 1`
	var f Officers
	err := s.db.GetContext(ctx, &f, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the officers of %s on %s: %w", id, on, err)
	}
	return &f, nil
}
