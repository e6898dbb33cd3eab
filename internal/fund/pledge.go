package fund

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
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Pledge is a partner's commitment to give a council an amount within a
// period. Fulfilled counts the donations that name it, net of reversals;
// what is written off is an event of its own; neither is money received, so
// no balance counts a pledge.
type Pledge struct {
	ID             string         `db:"id" json:"id"`
	Seq            int64          `db:"seq" json:"-"`
	PartnerID      string         `db:"partner_id" json:"partnerId"`
	OrganizationID string         `db:"organization_id" json:"organizationId"`
	Amount         money.Rupiah   `db:"amount" json:"amount"`
	PledgedOn      calendar.Date  `db:"pledged_on" json:"pledgedOn"`
	From           calendar.Date  `db:"period_from" json:"from"`
	To             calendar.Date  `db:"period_to" json:"to"`
	Purpose        string         `db:"purpose" json:"purpose"`
	Fulfilled      money.Rupiah   `db:"fulfilled" json:"fulfilled"`
	WrittenOff     money.Rupiah   `db:"written_off" json:"writtenOff"`
	WrittenOffOn   *calendar.Date `db:"written_off_on" json:"writtenOffOn"`
	WriteOffReason *string        `db:"write_off_reason" json:"writeOffReason"`
	CreatedAt      time.Time      `db:"created_at" json:"createdAt"`
}

// Outstanding is what is still to be given: never below zero.
func (p Pledge) Outstanding() money.Rupiah {
	return max(0, p.Amount-p.Fulfilled-p.WrittenOff)
}

const pledgeColumns = `g.id, g.seq, g.partner_id, g.organization_id, g.amount, g.pledged_on, g.period_from, g.period_to, g.purpose,
	COALESCE((SELECT SUM(d.amount) FROM donations d WHERE d.pledge_id = g.id), 0)::bigint AS fulfilled,
	COALESCE(w.amount, 0) AS written_off, w.written_off_on, w.reason AS write_off_reason, g.created_at`

// pledgeFrom joins each pledge g to its council o and write-off w: who sees
// the partner's gifts sees its pledges.
const pledgeFrom = `pledges g JOIN organizations o ON o.id = g.organization_id LEFT JOIN pledge_writeoffs w ON w.pledge_id = g.id`

func getPledge(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Pledge, error) {
	args := postgres.Args{id}
	query := `SELECT ` + pledgeColumns + ` FROM ` + pledgeFrom + ` WHERE g.id = $1 AND ` + sc.Gifts(&args, "o.path", "g.partner_id")
	return postgres.ByID[Pledge](ctx, q, "pledge", query, id, args[1:]...)
}

// Pledge returns pledge id.
func (s *Store) Pledge(ctx context.Context, sc auth.Scope, id string) (Pledge, error) {
	return getPledge(ctx, s.db, sc, id)
}

// PledgesOf returns the pledges of the given partners, oldest first.
func (s *Store) PledgesOf(ctx context.Context, sc auth.Scope, partnerIDs []string) ([]Pledge, error) {
	args := postgres.Args{pq.Array(postgres.IDs(partnerIDs))}
	query := `SELECT ` + pledgeColumns + ` FROM ` + pledgeFrom + ` WHERE g.partner_id::text = ANY($1) AND ` +
		sc.Gifts(&args, "o.path", "g.partner_id") + ` ORDER BY g.pledged_on, g.seq`
	var out []Pledge
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get pledges: %w", err)
	}
	return out, nil
}

// NewPledge is the input for RecordPledge.
type NewPledge struct {
	PartnerID      string        `json:"partnerId"`
	OrganizationID string        `json:"organizationId"`
	Amount         money.Rupiah  `json:"amount"`
	PledgedOn      calendar.Date `json:"pledgedOn"`
	From           calendar.Date `json:"from"`
	To             calendar.Date `json:"to"`
	Purpose        string        `json:"purpose"`
	IdempotencyKey string        `json:"-"`
}

// RecordPledge records a partner's commitment to a council.
func (s *Store) RecordPledge(ctx context.Context, sc auth.Scope, in NewPledge) (Pledge, error) {
	w := change.Write{Mutation: "recordPledge", Action: "create", Entity: "pledge", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			money.Check(v, "input.amount", in.Amount)
			calendar.Check(v, "input.pledgedOn", in.PledgedOn)
			calendar.Check(v, "input.from", in.From)
			calendar.Check(v, "input.to", in.To)
			if in.To.Before(in.From) {
				v.Add("input.to", fault.Invalid, "must not be before from")
			}
			v.Text("input.purpose", in.Purpose, true, 500)
		}}
	p, err := change.Do(ctx, s.db, sc, w, getPledge, func(tx *change.Tx) (change.Applied, error) {
		v := &tx.Refused
		org, err := organization.RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if v.Collect(err) && !in.PledgedOn.IsZero() {
			v.Collect(org.NotFuture("input.pledgedOn", in.PledgedOn))
		}
		_, err = partner.Require(ctx, tx, sc, "input.partnerId", in.PartnerID)
		v.Collect(err)
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `INSERT INTO pledges (partner_id, organization_id, amount, pledged_on, period_from, period_to, purpose)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, in.PartnerID, in.OrganizationID, in.Amount, in.PledgedOn, in.From, in.To, in.Purpose)
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert pledge: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Pledge{}, fmt.Errorf("record pledge: %w", err)
	}
	return p, nil
}

// WriteOff is the input for WriteOffPledge.
type WriteOff struct {
	PledgeID       string         `json:"pledgeId"`
	Reason         string         `json:"reason"`
	WrittenOffOn   *calendar.Date `json:"writtenOffOn"` // default: today
	IdempotencyKey string         `json:"-"`
}

// WriteOffPledge writes off what is still outstanding of a pledge: it is
// recorded with the amount and reason, and the pledge takes no more gifts.
func (s *Store) WriteOffPledge(ctx context.Context, sc auth.Scope, in WriteOff) (Pledge, error) {
	w := change.Write{Mutation: "writeOffPledge", Action: "write_off", Entity: "pledge", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			v.Text("input.reason", in.Reason, true, change.MaxReason)
			if in.WrittenOffOn != nil {
				calendar.Check(v, "input.writtenOffOn", *in.WrittenOffOn)
			}
		}}
	p, err := change.Do(ctx, s.db, sc, w, getPledge, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		before, err := lockPledge(ctx, tx, "input.pledgeId", in.PledgeID)
		if err != nil {
			return change.Applied{}, err
		}
		org, err := organization.RequireWritable(ctx, tx, tx.Scope, "input.pledgeId", before.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		if before.WrittenOffOn != nil {
			return change.Applied{}, fault.Refuse("input.pledgeId", fault.Duplicate, "this pledge was written off already")
		}
		left := before.Outstanding()
		if left == 0 {
			return change.Applied{}, fault.Refuse("input.pledgeId", fault.Invalid, "this pledge is fulfilled: nothing is outstanding")
		}
		on := calendar.Today(org.Location())
		if in.WrittenOffOn != nil {
			on = *in.WrittenOffOn
		}
		if err := org.NotFuture("input.writtenOffOn", on); err != nil {
			return change.Applied{}, err
		}
		if err := organization.CheckOpen(ctx, tx, org, "input.writtenOffOn", on); err != nil {
			return change.Applied{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pledge_writeoffs (pledge_id, amount, written_off_on, reason, written_off_by)
			VALUES ($1, $2, $3, $4, $5)`, before.ID, left, on, in.Reason, tx.Scope.Principal().Name()); err != nil {
			return change.Applied{}, fmt.Errorf("insert write-off: %w", err)
		}
		return change.Applied{ID: before.ID, Before: before}, nil
	})
	if err != nil {
		return Pledge{}, fmt.Errorf("write off pledge %s: %w", in.PledgeID, err)
	}
	return p, nil
}

// lockPledge reads pledge id inside tx and locks it: gifts fulfilling it
// and its write-off take turns.
func lockPledge(ctx context.Context, tx *change.Tx, field, id string) (Pledge, error) {
	if !postgres.IsID(id) {
		return Pledge{}, fault.Refuse(field, fault.Unknown, "no such pledge")
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM pledges WHERE id = $1 FOR NO KEY UPDATE`, id); err != nil {
		return Pledge{}, fmt.Errorf("lock pledge %s: %w", id, err)
	}
	p, err := getPledge(ctx, tx, tx.Scope, id)
	if err != nil {
		return Pledge{}, fault.Refuse(field, fault.Unknown, "no such pledge")
	}
	return p, nil
}
