package fund

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
)

// Planned is one allocation that AllocateFunds made, or would make.
type Planned struct {
	ID          *string // once written
	DonationID  string
	AidOutputID string
	Amount      money.Rupiah
	AllocatedOn calendar.Date
	Restricted  bool // from earmarked money
}

// Plan is what AllocateFunds did or, in a dry run, would do.
type Plan struct {
	DryRun      bool
	Allocations []Planned
	Funded      money.Rupiah // the sum of the allocations
	Outputs     int          // outputs that needed funding
	Unfunded    money.Rupiah // what those outputs still need afterwards
}

// need is an output that needs funding.
type need struct {
	ID          string        `db:"id"`
	Path        string        `db:"path"`
	AidTypeID   string        `db:"aid_type_id"`
	RegencyID   string        `db:"regency_id"`
	Group       string        `db:"beneficiary_group"`
	DeliveredOn calendar.Date `db:"delivered_on"`
	Left        money.Rupiah  `db:"left"`
}

// money available to give.
type available struct {
	ID         string        `db:"id"`
	Path       string        `db:"path"`
	ReceivedOn calendar.Date `db:"received_on"`
	AidTypeID  *string       `db:"earmark_aid_type_id"`
	RegencyID  *string       `db:"earmark_regency_id"`
	Group      *string       `db:"earmark_beneficiary_group"`
	Programme  *string       `db:"earmark_programme"`
	Left       money.Rupiah  `db:"left"`
}

func (a available) restricted() bool {
	return a.AidTypeID != nil || a.RegencyID != nil || a.Group != nil || a.Programme != nil
}

// matches reports whether restricted money a is earmarked for output n; a
// programme earmark alone names no output and is left to a person.
func (a available) matches(n need) bool {
	if a.AidTypeID == nil && a.RegencyID == nil && a.Group == nil {
		return false
	}
	return (a.AidTypeID == nil || *a.AidTypeID == n.AidTypeID) && (a.RegencyID == nil || *a.RegencyID == n.RegencyID) &&
		(a.Group == nil || *a.Group == n.Group)
}

// AllocateFunds funds the unfunded aid outputs that the subtree of orgID
// delivered between from and to, oldest first, from the money received in
// that subtree by to (and, when moneyFrom is given, not before it): first
// from gifts earmarked for exactly that use, then from unrestricted money
// (box collections and free gifts), oldest first. It is deterministic; a dry
// run writes nothing and answers the same plan. Money funds only outputs
// delivered within the organization that received it.
func (s *Store) AllocateFunds(ctx context.Context, sc auth.Scope, orgID string, from, to calendar.Date, moneyFrom *calendar.Date, dryRun bool) (Plan, error) {
	plan := Plan{DryRun: dryRun}
	check := func(v *fault.InvalidInput) {
		calendar.Check(v, "from", from)
		calendar.Check(v, "to", to)
		if to.Before(from) {
			v.Add("to", fault.Invalid, "must not be before from")
		}
	}
	err := change.Batch(ctx, s.db, sc, check, func(tx *change.Tx) error {
		plan = Plan{DryRun: dryRun}
		org, err := organization.RequireWritable(ctx, tx, sc, "organizationId", orgID)
		if err != nil {
			return err
		}
		var firstOpen calendar.Date
		if c, err := organization.ClosedThrough(ctx, tx, sc, org); err != nil {
			return err
		} else if c != nil {
			firstOpen = c.Through.AddDays(1)
		}
		today := calendar.Today(org.Location())
		needs, gifts, err := s.candidates(ctx, tx, org.Path, from, to, moneyFrom)
		if err != nil {
			return err
		}
		plan.Outputs = len(needs)
		for _, n := range needs {
			for _, restricted := range []bool{true, false} {
				for i := range gifts {
					g := &gifts[i]
					if n.Left == 0 {
						break
					}
					if g.Left == 0 || g.restricted() != restricted || (restricted && !g.matches(n)) || !organization.PathWithin(n.Path, g.Path) {
						continue
					}
					on := latest(g.ReceivedOn, n.DeliveredOn, firstOpen)
					if on.After(today) {
						continue
					}
					amount := min(g.Left, n.Left)
					g.Left -= amount
					n.Left -= amount
					plan.Funded += amount
					plan.Allocations = append(plan.Allocations, Planned{DonationID: g.ID, AidOutputID: n.ID, Amount: amount,
						AllocatedOn: on, Restricted: restricted})
				}
			}
			plan.Unfunded += n.Left
		}
		if dryRun {
			return nil
		}
		for i, p := range plan.Allocations {
			var id string
			err := tx.GetContext(ctx, &id, `
				INSERT INTO allocations (donation_id, aid_output_id, organization_id, amount, allocated_on)
				SELECT $1, a.id, a.organization_id, $3, $4 FROM aid_outputs a WHERE a.id = $2 RETURNING id`,
				p.DonationID, p.AidOutputID, p.Amount, p.AllocatedOn)
			if err != nil {
				return fmt.Errorf("insert allocation %d of the plan: %w", i+1, err)
			}
			stored, err := get(ctx, tx, sc, id)
			if err != nil {
				return err
			}
			if err := tx.Audit(ctx, "allocate", "allocation", id, nil, stored); err != nil {
				return err
			}
			plan.Allocations[i].ID = &id
		}
		return nil
	})
	if err != nil {
		return Plan{}, fmt.Errorf("allocate funds of %s: %w", orgID, err)
	}
	return plan, nil
}

// candidates reads, within the subtree at path, the outputs delivered
// between from and to that still need funding and the money gifts received
// by to that still have something to give, each oldest first. Their rows
// are locked, so a concurrent allocation waits for this plan.
func (s *Store) candidates(ctx context.Context, tx *change.Tx, path string, from, to calendar.Date, moneyFrom *calendar.Date) ([]need, []available, error) {
	// Donations first, then outputs: the order the allocation trigger
	// locks them in.
	var gifts []available
	err := sqlx.SelectContext(ctx, tx, &gifts, `
		SELECT d.id, o.path::text AS path, d.received_on, d.earmark_aid_type_id, d.earmark_regency_id,
			d.earmark_beneficiary_group, d.earmark_programme, l.left
		FROM donations d JOIN organizations o ON o.id = d.organization_id
		CROSS JOIN LATERAL (SELECT d.amount - COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0) AS left) l
		WHERE o.path <@ $1::ltree AND d.received_on <= $2 AND ($3::date IS NULL OR d.received_on >= $3) AND d.kind = 'MONEY' AND d.reverses_id IS NULL
		  AND NOT EXISTS (SELECT 1 FROM donations r WHERE r.reverses_id = d.id) AND l.left > 0
		ORDER BY d.received_on, d.seq
		FOR NO KEY UPDATE OF d`, path, to, moneyFrom)
	if err != nil {
		return nil, nil, fmt.Errorf("money to give: %w", err)
	}
	var needs []need
	err = sqlx.SelectContext(ctx, tx, &needs, `
		SELECT a.id, o.path::text AS path, a.aid_type_id, a.regency_id, a.beneficiary_group, a.delivered_on, l.left
		FROM aid_outputs a JOIN organizations o ON o.id = a.organization_id
		CROSS JOIN LATERAL (SELECT a.cost - COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.aid_output_id = a.id), 0) AS left) l
		WHERE o.path <@ $1::ltree AND a.delivered_on BETWEEN $2 AND $3 AND a.reverses_id IS NULL
		  AND NOT EXISTS (SELECT 1 FROM aid_outputs r WHERE r.reverses_id = a.id) AND l.left > 0
		ORDER BY a.delivered_on, a.seq
		FOR NO KEY UPDATE OF a`, path, from, to)
	if err != nil {
		return nil, nil, fmt.Errorf("outputs to fund: %w", err)
	}
	return needs, gifts, nil
}

func latest(dates ...calendar.Date) calendar.Date {
	var out calendar.Date
	for _, d := range dates {
		if d.After(out) {
			out = d
		}
	}
	return out
}
