package box

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Placement is a box put under a permit from a date on: its openings from
// then until its next placement collect under that permit.
type Placement struct {
	ID        string        `db:"id" json:"id"`
	Seq       int64         `db:"seq" json:"-"`
	BoxID     string        `db:"box_id" json:"boxId"`
	PermitID  string        `db:"permit_id" json:"permitId"`
	PlacedOn  calendar.Date `db:"placed_on" json:"placedOn"`
	CreatedAt time.Time     `db:"created_at" json:"createdAt"`
}

// PlacementsOf returns the placements of the given boxes under permits,
// in date order.
func (s *Store) PlacementsOf(ctx context.Context, sc auth.Scope, boxIDs []string) ([]Placement, error) {
	args := postgres.Args{pq.Array(postgres.IDs(boxIDs))}
	query := `SELECT bp.id, bp.seq, bp.box_id, bp.permit_id, bp.placed_on, bp.created_at
		FROM box_permits bp JOIN ` + boxFrom + ` ON b.id = bp.box_id
		WHERE bp.box_id::text = ANY($1) AND ` + scope(sc, &args) + ` ORDER BY bp.box_id, bp.placed_on`
	var out []Placement
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get the permits of boxes: %w", err)
	}
	return out, nil
}

// NewPlacement is the input for PlaceUnderPermit.
type NewPlacement struct {
	BoxID          string        `json:"boxId"`
	PermitID       string        `json:"permitId"`
	PlacedOn       calendar.Date `json:"placedOn"`
	IdempotencyKey string        `json:"-"`
}

// PlaceUnderPermit puts a box under a permit from a date on. The permit
// must allow boxes, be valid on that date (a box is never placed under an
// expired permit), cover the box's regency, and be its owner's or a
// council's above it; and the date must not come before the box's last
// opening, whose permit it would change.
func (s *Store) PlaceUnderPermit(ctx context.Context, sc auth.Scope, in NewPlacement) (Box, error) {
	w := change.Write{Mutation: "placeBoxUnderPermit", Action: "place", Entity: "donation_box", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { calendar.Check(v, "input.placedOn", in.PlacedOn) }}
	b, err := change.Do(ctx, s.db, sc, w, getBox, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		b, err := lockBox(ctx, tx, "input.boxId", in.BoxID)
		if err != nil {
			return change.Applied{}, err
		}
		owner, err := organization.RequireWritable(ctx, tx, sc, "input.boxId", b.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		p, err := permit.RequireRef(ctx, tx, sc, "input.permitId", in.PermitID)
		if err != nil {
			return change.Applied{}, err
		}
		organiser, err := organization.Get(ctx, tx, auth.System("permit check"), p.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		var v fault.InvalidInput
		switch {
		case !p.Allows(permit.DonationBox):
			v.Add("input.permitId", fault.Invalid, fmt.Sprintf("permit %s does not cover donation boxes", p.Number))
		case !organization.Within(owner, organiser):
			v.Add("input.permitId", fault.Invalid, fmt.Sprintf("permit %s was issued to %s; the box belongs to %s", p.Number, organiser.Name, owner.Name))
		case in.PlacedOn.Before(p.ValidFrom) || in.PlacedOn.After(p.ValidThrough()):
			v.Add("input.placedOn", fault.Invalid, fmt.Sprintf("permit %s is valid from %s through %s", p.Number, p.ValidFrom, p.ValidThrough()))
		default:
			if problem := p.Problem(in.PlacedOn, &b.RegencyID, "the box's regency/city"); problem != "" {
				v.Add("input.permitId", fault.Invalid, problem)
			}
		}
		switch {
		case in.PlacedOn.Before(b.PlacedOn):
			v.Add("input.placedOn", fault.Invalid, "is before the box was placed ("+b.PlacedOn.String()+")")
		case b.RetiredOn != nil && in.PlacedOn.After(*b.RetiredOn):
			v.Add("input.boxId", fault.Invalid, "the box was retired on "+b.RetiredOn.String())
		}
		var last *calendar.Date
		if err := tx.GetContext(ctx, &last, `SELECT max(collected_on) FROM box_collections WHERE box_id = $1 AND reverses_id IS NULL`, b.ID); err != nil {
			return change.Applied{}, fmt.Errorf("last collection: %w", err)
		}
		if last != nil && !in.PlacedOn.After(*last) {
			v.Add("input.placedOn", fault.Invalid, "must be after the box's last opening ("+last.String()+"), whose permit it would change")
		}
		if err := v.Err(); err != nil {
			return change.Applied{}, err
		}
		var placed Placement
		err = tx.GetContext(ctx, &placed, `INSERT INTO box_permits (box_id, permit_id, placed_on) VALUES ($1, $2, $3)
			RETURNING id, seq, box_id, permit_id, placed_on, created_at`, b.ID, p.ID, in.PlacedOn)
		if c, ok := postgres.Violation(err); ok && c == "box_permits_box_date_key" {
			return change.Applied{}, fault.Refuse("input.placedOn", fault.Duplicate, "the box was placed under a permit on this day already")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("place box under permit: %w", err)
		}
		// The box's row does not change: the placement is what the trail keeps.
		if err := tx.Audit(ctx, "create", "box_permit", placed.ID, nil, placed); err != nil {
			return change.Applied{}, err
		}
		return change.Applied{ID: b.ID, Before: b}, nil
	})
	if err != nil {
		return Box{}, fmt.Errorf("place box %s under permit %s: %w", in.BoxID, in.PermitID, err)
	}
	return b, nil
}

// openingPermit finds the permit an opening of box b on day on collects
// under, and decides with permit.Exception what the opening records: the
// permit, and the council's reason when the opening falls outside it. An
// opening before the box was first placed under a permit (or of a box
// never placed under one) collects under none: it is history from before
// the council kept its permits here, and records no exception either.
// Openings come in date order and a placement only after the last one, so
// once a box is under permits every later opening is checked.
func openingPermit(ctx context.Context, q sqlx.QueryerContext, v *fault.InvalidInput, b Box, on calendar.Date, exception *string) (*string, *string, error) {
	var placed []string
	if err := sqlx.SelectContext(ctx, q, &placed, `
		SELECT bp.permit_id FROM box_permits bp WHERE bp.box_id = $1 AND bp.placed_on <= $2 ORDER BY bp.placed_on DESC LIMIT 1`, b.ID, on); err != nil {
		return nil, nil, fmt.Errorf("find the permit of box %s on %s: %w", b.Code, on, err)
	}
	if len(placed) == 0 {
		if exception != nil {
			v.Add("input.permitException", fault.Invalid, "the box was not under a permit on that day: there is no exception to record")
		}
		return nil, nil, nil
	}
	p, err := permit.Load(ctx, q, placed[0])
	if err != nil {
		return nil, nil, err
	}
	field := "input.collectedOn"
	problem := p.Problem(on, &b.RegencyID, "the box's regency/city")
	if problem != "" && !on.Before(p.ValidFrom) && !on.After(p.ValidThrough()) {
		field = "input.boxId"
	}
	return &p.ID, permit.Exception(v, field, problem, exception), nil
}
