// Package fund follows the rupiah from gifts to uses: allocations of a
// donation to the aid outputs it paid for or to a council's operational
// costs, released (never rewritten) when wrong; the automatic funding of
// outputs from available money; fund balances; and a partner's statement.
//
// The invariants (a donation gives at most its value net of reversals, an
// output is funded at most to its cost, restricted money funds only what
// matches its earmark, nothing allocated is reversed) are held by the
// database's triggers; this package checks them first to answer with a
// message a person can act on.
package fund

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Allocation is a part of a donation given to one use, or the release of
// such a part (a negative amount pointing at it).
type Allocation struct {
	ID             string        `db:"id" json:"id"`
	Seq            int64         `db:"seq" json:"-"`
	DonationID     string        `db:"donation_id" json:"donationId"`
	AidOutputID    *string       `db:"aid_output_id" json:"aidOutputId"`
	OrganizationID string        `db:"organization_id" json:"organizationId"`
	Operational    *string       `db:"operational" json:"operational"`
	Amount         money.Rupiah  `db:"amount" json:"amount"`
	Quantity       *int          `db:"quantity" json:"quantity"` // the output's units covered, when known
	AllocatedOn    calendar.Date `db:"allocated_on" json:"allocatedOn"`
	ReleasesID     *string       `db:"releases_id" json:"releasesId"`
	ReleaseReason  *string       `db:"release_reason" json:"releaseReason"`
	ReleasedByID   *string       `db:"released_by_id" json:"-"`
	CreatedAt      time.Time     `db:"created_at" json:"createdAt"`
}

const columns = `x.id, x.seq, x.donation_id, x.aid_output_id, x.organization_id, x.operational, x.amount, x.quantity, x.allocated_on,
	x.releases_id, x.release_reason, x.created_at,
	(SELECT r.id FROM allocations r WHERE r.releases_id = x.id) AS released_by_id`

// from joins each allocation x to the donation d it gives from and that
// donation's organization o: who may see the gift may see what it paid for.
const from = `allocations x JOIN donations d ON d.id = x.donation_id JOIN organizations o ON o.id = d.organization_id`

func scope(sc auth.Scope, a *postgres.Args) string { return sc.Gifts(a, "o.path", "d.partner_id") }

// Store reads and writes allocations.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

func get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Allocation, error) {
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE x.id = $1 AND ` + scope(sc, &args)
	return postgres.ByID[Allocation](ctx, q, "allocation", query, id, args[1:]...)
}

// Allocation returns allocation id.
func (s *Store) Allocation(ctx context.Context, sc auth.Scope, id string) (Allocation, error) {
	return get(ctx, s.db, sc, id)
}

// ByIDs returns the allocations with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Allocation, error) {
	return s.by(ctx, sc, "x.id", ids)
}

// Net sums allocations, releases netted.
func Net(allocs []Allocation) money.Rupiah {
	var sum money.Rupiah
	for _, a := range allocs {
		sum += a.Amount
	}
	return sum
}

// Available is what d can still give, given its allocations: nothing for a
// reversed donation or a reversal entry.
func Available(d donation.Donation, allocs []Allocation) money.Rupiah {
	if d.ReversesID != nil || d.ReversedByID != nil {
		return 0
	}
	return d.Amount - Net(allocs)
}

// ByDonationIDs returns the allocations of the given donations, releases
// included, in the order they were made.
func (s *Store) ByDonationIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Allocation, error) {
	return s.by(ctx, sc, "x.donation_id", ids)
}

// ByOutputIDs returns the allocations funding the given aid outputs,
// releases included, in the order they were made.
func (s *Store) ByOutputIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Allocation, error) {
	return s.by(ctx, sc, "x.aid_output_id", ids)
}

func (s *Store) by(ctx context.Context, sc auth.Scope, key string, ids []string) ([]Allocation, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE ` + key + `::text = ANY($1) AND ` + scope(sc, &args) + ` ORDER BY x.seq`
	var out []Allocation
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get allocations by %s: %w", key, err)
	}
	return out, nil
}

// Filter narrows a list of allocations. Releases match like any entry, so
// sums are net.
type Filter struct {
	From, To       *calendar.Date
	OrganizationID *string // the giving organization's subtree
	DonationID     *string
	AidOutputID    *string
	PartnerID      *string
}

// Totals sums a filtered list of allocations.
type Totals struct {
	Count         int          `db:"count"`
	Amount        money.Rupiah `db:"amount"`
	ToOutputs     money.Rupiah `db:"to_outputs"`
	ToOperational money.Rupiah `db:"to_operational"`
}

func (s *Store) where(ctx context.Context, sc auth.Scope, f Filter) (string, postgres.Args, error) {
	var v fault.InvalidInput
	for _, id := range []struct {
		path string
		id   *string
	}{{"filter.donationId", f.DonationID}, {"filter.aidOutputId", f.AidOutputID}, {"filter.partnerId", f.PartnerID}} {
		if id.id != nil && !postgres.IsID(*id.id) {
			v.Add(id.path, fault.Invalid, "is not an id")
		}
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	from, to, u := a.Add(f.From), a.Add(f.To), a.Add(under)
	don, out, partner := a.Add(f.DonationID), a.Add(f.AidOutputID), a.Add(f.PartnerID)
	return `(` + from + `::date IS NULL OR x.allocated_on >= ` + from + `) AND (` + to + `::date IS NULL OR x.allocated_on <= ` + to + `)
	AND (` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree)
	AND (` + don + `::uuid IS NULL OR x.donation_id = ` + don + `)
	AND (` + out + `::uuid IS NULL OR x.aid_output_id = ` + out + `)
	AND (` + partner + `::uuid IS NULL OR d.partner_id = ` + partner + `)
	AND ` + scope(sc, &a), a, nil
}

// List returns a page of allocations in date order.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Allocation], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Allocation]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Allocation]{}, err
	}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE ` + cond + ` ` + k.Clause(&args, "x.allocated_on", "x.seq")
	var items []Allocation
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Allocation]{}, fmt.Errorf("list allocations: %w", err)
	}
	return page.Trim(items, k), nil
}

// Totals counts and sums the allocations f matches.
func (s *Store) Totals(ctx context.Context, sc auth.Scope, f Filter) (Totals, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return Totals{}, err
	}
	var t Totals
	err = s.db.GetContext(ctx, &t, `SELECT count(*) AS count, COALESCE(SUM(x.amount), 0)::bigint AS amount,
		COALESCE(SUM(x.amount) FILTER (WHERE x.aid_output_id IS NOT NULL), 0)::bigint AS to_outputs,
		COALESCE(SUM(x.amount) FILTER (WHERE x.aid_output_id IS NULL), 0)::bigint AS to_operational
		FROM `+from+` WHERE `+cond, args...)
	if err != nil {
		return Totals{}, fmt.Errorf("sum allocations: %w", err)
	}
	return t, nil
}

// NewAllocation is the input for Allocate: a part of a donation to an aid
// output, or to a council's operational costs.
type NewAllocation struct {
	DonationID  string       `json:"donationId"`
	AidOutputID *string      `json:"aidOutputId"`
	Operational *string      `json:"operational"` // what the operational costs were
	Amount      money.Rupiah `json:"amount"`
	// Quantity is how many of the output's units this covers, when known
	// (a gift of goods that became the output).
	Quantity    *int           `json:"quantity"`
	AllocatedOn *calendar.Date `json:"allocatedOn"` // default: the later of the gift and the delivery; for costs, today
	// OrganizationID is the council bearing operational costs; default the
	// donation's own.
	OrganizationID *string `json:"organizationId"`
	IdempotencyKey string  `json:"-"`
}

// Allocate gives part of a donation to one use.
func (s *Store) Allocate(ctx context.Context, sc auth.Scope, in NewAllocation) (Allocation, error) {
	w := change.Write{Mutation: "allocateDonation", Action: "allocate", Entity: "allocation", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			money.Check(v, "input.amount", in.Amount)
			switch {
			case (in.AidOutputID == nil) == (in.Operational == nil):
				v.Add("input.aidOutputId", fault.Required, "give either an aid output or a description of operational costs")
			case in.Operational != nil:
				v.Text("input.operational", *in.Operational, true, 500)
			}
			if in.AllocatedOn != nil {
				calendar.Check(v, "input.allocatedOn", *in.AllocatedOn)
			}
			if in.Quantity != nil {
				v.Quantity("input.quantity", *in.Quantity)
				if in.AidOutputID == nil {
					v.Add("input.quantity", fault.Invalid, "only an aid output is counted in units")
				}
			}
		}}
	a, err := change.Do(ctx, s.db, sc, w, get, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		id, err := insert(ctx, tx, in)
		return change.Applied{ID: id}, err
	})
	if err != nil {
		return Allocation{}, fmt.Errorf("allocate donation %s: %w", in.DonationID, err)
	}
	return a, nil
}

// insert checks and writes one allocation inside tx.
func insert(ctx context.Context, tx *change.Tx, in NewAllocation) (string, error) {
	sc := tx.Scope
	d, err := donation.Get(ctx, tx, sc, in.DonationID)
	if errors.Is(err, fault.ErrNotFound) {
		return "", fault.Refuse("input.donationId", fault.Unknown, "no such donation")
	}
	if err != nil {
		return "", err
	}
	giver, err := organization.RequireWritable(ctx, tx, sc, "input.donationId", d.OrganizationID)
	if err != nil {
		return "", err
	}
	if d.ReversesID != nil || d.ReversedByID != nil {
		return "", fault.Refuse("input.donationId", fault.Invalid, "a reversed donation or a reversal entry funds nothing")
	}
	on := d.ReceivedOn
	bearer := giver
	if in.AidOutputID != nil {
		o, err := aid.GetOutput(ctx, tx, sc, *in.AidOutputID)
		if errors.Is(err, fault.ErrNotFound) {
			return "", fault.Refuse("input.aidOutputId", fault.Unknown, "no such aid output")
		}
		if err != nil {
			return "", err
		}
		if o.ReversesID != nil || o.ReversedByID != nil {
			return "", fault.Refuse("input.aidOutputId", fault.Invalid, "a reversed output or a reversal entry is not funded")
		}
		deliverer, err := organization.Get(ctx, tx, sc, o.OrganizationID)
		if err != nil {
			return "", err
		}
		if !organization.Within(deliverer, giver) {
			return "", fault.Refuse("input.aidOutputId", fault.Invalid,
				fmt.Sprintf("was delivered by %s, outside %s, which received the donation", deliverer.Code, giver.Code))
		}
		if reason := earmarkMismatch(d, o); reason != "" {
			return "", fault.Refuse("input.aidOutputId", fault.Invalid, "the donation is earmarked for "+reason)
		}
		if o.DeliveredOn.After(on) {
			on = o.DeliveredOn
		}
		bearer = deliverer
		left, err := outputLeft(ctx, tx, o.ID)
		if err != nil {
			return "", err
		}
		if in.Amount > left {
			return "", fault.Refuse("input.amount", fault.Invalid, fmt.Sprintf("the output has %s left to fund", left))
		}
		if in.Quantity != nil {
			var units int
			if err := tx.GetContext(ctx, &units, `SELECT a.quantity + COALESCE((SELECT SUM(r.quantity) FROM aid_outputs r WHERE r.reverses_id = a.id), 0)
				- COALESCE((SELECT SUM(x.quantity) FROM allocations x WHERE x.aid_output_id = a.id), 0) FROM aid_outputs a WHERE a.id = $1`, o.ID); err != nil {
				return "", fmt.Errorf("units of output %s left: %w", o.ID, err)
			}
			if *in.Quantity > units {
				return "", fault.Refuse("input.quantity", fault.Invalid, fmt.Sprintf("the output has %d units left to cover", units))
			}
		}
	} else {
		if earmarked(d) {
			return "", fault.Refuse("input.donationId", fault.Invalid, "restricted money pays no operational costs")
		}
		on = calendar.Today(giver.Location())
		if in.OrganizationID != nil {
			bearer, err = organization.RequireWritable(ctx, tx, sc, "input.organizationId", *in.OrganizationID)
			if err != nil {
				return "", err
			}
			if !organization.Within(bearer, giver) {
				return "", fault.Refuse("input.organizationId", fault.Invalid, "lies outside "+giver.Code+", which received the donation")
			}
		}
		if d.PermitID != nil {
			if err := withinCostCap(ctx, tx, *d.PermitID, in.Amount); err != nil {
				return "", err
			}
		}
	}
	if in.AllocatedOn != nil {
		if in.AllocatedOn.Before(d.ReceivedOn) {
			return "", fault.Refuse("input.allocatedOn", fault.Invalid, "must not be before the donation was received ("+d.ReceivedOn.String()+")")
		}
		on = *in.AllocatedOn
	}
	if err := giver.NotFuture("input.allocatedOn", on); err != nil {
		return "", err
	}
	if err := organization.CheckOpen(ctx, tx, giver, "input.allocatedOn", on); err != nil {
		return "", err
	}
	left, err := donationLeft(ctx, tx, d.ID)
	if err != nil {
		return "", err
	}
	if in.Amount > left {
		return "", fault.Refuse("input.amount", fault.Invalid, fmt.Sprintf("the donation has %s left to give", left))
	}
	var id string
	err = tx.GetContext(ctx, &id, `
		INSERT INTO allocations (donation_id, aid_output_id, organization_id, operational, amount, quantity, allocated_on)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, d.ID, in.AidOutputID, bearer.ID, in.Operational, in.Amount, in.Quantity, on)
	if c, ok := postgres.Violation(err); ok {
		return "", refusal(c)
	}
	if err != nil {
		return "", fmt.Errorf("insert allocation: %w", err)
	}
	return id, nil
}

// refusal answers a broken invariant that the database caught (a
// concurrent allocation took the money first).
func refusal(constraint string) error {
	switch constraint {
	case "allocations_donation_value":
		return fault.Refuse("input.amount", fault.Invalid, "the donation has not that much left to give")
	case "allocations_output_cost":
		return fault.Refuse("input.amount", fault.Invalid, "the output has not that much left to fund")
	case "allocations_output_quantity":
		return fault.Refuse("input.quantity", fault.Invalid, "the output has not that many units left to cover")
	case "allocations_earmark":
		return fault.Refuse("input.donationId", fault.Invalid, "the donation is earmarked for another use")
	case "allocations_permit_cost_cap":
		return fault.Refuse("input.amount", fault.Invalid, "the operating costs would pass the cap of the permit the donation was collected under")
	}
	return fmt.Errorf("allocation refused by %s", constraint)
}

// donationLeft is what donation id can still give: its value net of
// reversals less what is allocated. The allocation trigger locks the
// donation's row; this reads after the caller's own lock, if any.
func donationLeft(ctx context.Context, q sqlx.QueryerContext, id string) (money.Rupiah, error) {
	var left money.Rupiah
	err := sqlx.GetContext(ctx, q, &left, `
		SELECT d.amount + COALESCE((SELECT SUM(r.amount) FROM donations r WHERE r.reverses_id = d.id), 0)
			- COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.donation_id = d.id), 0)
		FROM donations d WHERE d.id = $1`, id)
	if err != nil {
		return 0, fmt.Errorf("what donation %s has left: %w", id, err)
	}
	return left, nil
}

// outputLeft is what output id still needs: its cost net of reversals less
// what is funded.
func outputLeft(ctx context.Context, q sqlx.QueryerContext, id string) (money.Rupiah, error) {
	var left money.Rupiah
	err := sqlx.GetContext(ctx, q, &left, `
		SELECT a.cost + COALESCE((SELECT SUM(r.cost) FROM aid_outputs r WHERE r.reverses_id = a.id), 0)
			- COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.aid_output_id = a.id), 0)
		FROM aid_outputs a WHERE a.id = $1`, id)
	if err != nil {
		return 0, fmt.Errorf("what aid output %s needs: %w", id, err)
	}
	return left, nil
}

// withinCostCap refuses operating costs of amount paid from money collected
// under permit id when they would take the permit's costs past its cap.
// The permit is locked, so cost allocations against it take turns.
func withinCostCap(ctx context.Context, tx *change.Tx, id string, amount money.Rupiah) error {
	p, err := permit.LockForCosts(ctx, tx, id)
	if err != nil {
		return err
	}
	room, err := permit.CostRoom(ctx, tx, p)
	if err != nil || room == nil || amount <= *room {
		return err
	}
	return fault.Refuse("input.amount", fault.Invalid, fmt.Sprintf(
		"the donation was collected under permit %s, whose operating costs are capped at %s%% of what it collected: %s more may be booked",
		p.Number, permit.Percent(*p.CostCapBP), max(*room, 0)))
}

func earmarked(d donation.Donation) bool {
	return d.EarmarkAidTypeID != nil || d.EarmarkRegencyID != nil || d.EarmarkBeneficiaryGroup != nil || d.EarmarkProgramme != nil
}

// earmarkMismatch names what d is earmarked for when o is not it, else "".
func earmarkMismatch(d donation.Donation, o aid.Output) string {
	switch {
	case d.EarmarkAidTypeID != nil && *d.EarmarkAidTypeID != o.AidTypeID:
		return "another aid type"
	case d.EarmarkRegencyID != nil && *d.EarmarkRegencyID != o.RegencyID:
		return "another regency"
	case d.EarmarkBeneficiaryGroup != nil && aid.BeneficiaryGroup(*d.EarmarkBeneficiaryGroup) != o.BeneficiaryGroup:
		return "another beneficiary group"
	}
	return ""
}

// Release is the input for Release.
type Release struct {
	AllocationID   string         `json:"allocationId"`
	Reason         string         `json:"reason"`
	ReleasedOn     *calendar.Date `json:"releasedOn"` // default: see organization.CorrectionDate
	IdempotencyKey string         `json:"-"`
}

// Release gives an allocation back: an entry with the opposite amount that
// points at it, so the donation can fund something else, or be reversed.
func (s *Store) Release(ctx context.Context, sc auth.Scope, in Release) (Allocation, error) {
	w := change.Write{Mutation: "releaseAllocation", Action: "release", Entity: "allocation", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			v.Text("input.reason", in.Reason, true, change.MaxReason)
			if in.ReleasedOn != nil {
				calendar.Check(v, "input.releasedOn", *in.ReleasedOn)
			}
		}}
	a, err := change.Do(ctx, s.db, sc, w, get, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		orig, err := get(ctx, tx, sc, in.AllocationID)
		if errors.Is(err, fault.ErrNotFound) {
			return change.Applied{}, fault.Refuse("input.allocationId", fault.Unknown, "no such allocation")
		}
		if err != nil {
			return change.Applied{}, err
		}
		if orig.ReleasesID != nil {
			return change.Applied{}, fault.Refuse("input.allocationId", fault.Invalid, "this entry is itself a release")
		}
		if orig.ReleasedByID != nil {
			return change.Applied{}, fault.Refuse("input.allocationId", fault.Duplicate, "this allocation was released already")
		}
		d, err := donation.Get(ctx, tx, sc, orig.DonationID)
		if err != nil {
			return change.Applied{}, err
		}
		giver, err := organization.RequireWritable(ctx, tx, sc, "input.allocationId", d.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		on, err := organization.CorrectionDate(ctx, tx, giver, "input.releasedOn", orig.AllocatedOn, in.ReleasedOn)
		if err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO allocations (donation_id, aid_output_id, organization_id, operational, amount, quantity, allocated_on, releases_id, release_reason)
			SELECT donation_id, aid_output_id, organization_id, operational, -amount, -quantity, $2, id, $3 FROM allocations WHERE id = $1
			RETURNING id`, orig.ID, on, in.Reason)
		if c, ok := postgres.Violation(err); ok && c == "allocations_releases_id_key" {
			return change.Applied{}, fault.Refuse("input.allocationId", fault.Duplicate, "this allocation was released already")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert release: %w", err)
		}
		return change.Applied{ID: id, Before: orig}, nil
	})
	if err != nil {
		return Allocation{}, fmt.Errorf("release allocation %s: %w", in.AllocationID, err)
	}
	return a, nil
}
