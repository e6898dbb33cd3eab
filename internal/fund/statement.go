package fund

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Statement is a partner's own account of its gifts over a period: each
// gift with what it funded and what is left, to the rupiah.
type Statement struct {
	PartnerID string
	From, To  calendar.Date
	Gifts     []Gift
	Received  money.Rupiah // net of reversals
	Allocated money.Rupiah // net of releases, by To
	Available money.Rupiah // Received − Allocated
}

// Gift is one donation in a statement: Allocated + Available = Received.
type Gift struct {
	Donation  donation.Donation
	Received  money.Rupiah // its amount net of a reversal booked by To
	Allocated money.Rupiah
	Available money.Rupiah
	Uses      []Use
}

// Use is what a gift paid for: part of one aid output, or operational
// costs. It names the output's type, regency, group, date and council, never
// a beneficiary.
type Use struct {
	DonationID       string         `db:"donation_id"`
	Amount           money.Rupiah   `db:"amount"`
	Quantity         *int           `db:"quantity"` // the output\'s units this gift covered, when recorded
	Operational      *string        `db:"operational"`
	OrganizationID   string         `db:"organization_id"` // delivering or bearing council
	AidOutputID      *string        `db:"aid_output_id"`
	AidTypeID        *string        `db:"aid_type_id"`
	OutputQuantity   *int           `db:"output_quantity"`
	OutputCost       *money.Rupiah  `db:"output_cost"`
	RegencyID        *string        `db:"regency_id"`
	BeneficiaryGroup *string        `db:"beneficiary_group"`
	DeliveredOn      *calendar.Date `db:"delivered_on"`
}

// Statement returns the statement of partnerID's gifts received between
// from and to. A partner account reads only its own.
func (s *Store) Statement(ctx context.Context, sc auth.Scope, partnerID string, from, to calendar.Date) (Statement, error) {
	if _, err := partner.Require(ctx, s.db, sc, "partnerId", partnerID); err != nil {
		return Statement{}, err
	}
	if to.Before(from) {
		return Statement{}, fault.Refuse("to", fault.Invalid, "must not be before from")
	}
	st := Statement{PartnerID: partnerID, From: from, To: to}
	var rows []struct {
		donation.Donation
		Reversal  money.Rupiah `db:"reversal"`
		Allocated money.Rupiah `db:"allocated"`
	}
	args := postgres.Args{partnerID, from, to}
	query := `SELECT ` + donation.WithNames + `,
			COALESCE((SELECT SUM(r.amount) FROM donations r WHERE r.reverses_id = d.id AND r.received_on <= $3), 0)::bigint AS reversal,
			COALESCE((SELECT SUM(x.amount) FROM allocations x WHERE x.donation_id = d.id AND x.allocated_on <= $3), 0)::bigint AS allocated
		FROM ` + donation.WithNamesFrom + `
		WHERE d.partner_id = $1 AND d.received_on BETWEEN $2 AND $3 AND d.reverses_id IS NULL
		  AND ` + sc.Gifts(&args, "o.path", "d.partner_id") + `
		ORDER BY d.received_on, d.seq`
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return Statement{}, fmt.Errorf("statement of partner %s: %w", partnerID, err)
	}
	index := map[string]int{}
	var ids []string
	for _, r := range rows {
		g := Gift{Donation: r.Donation, Received: r.Amount + r.Reversal, Allocated: r.Allocated}
		g.Available = g.Received - g.Allocated
		index[r.ID] = len(st.Gifts)
		ids = append(ids, r.ID)
		st.Gifts = append(st.Gifts, g)
		st.Received += g.Received
		st.Allocated += g.Allocated
	}
	st.Available = st.Received - st.Allocated
	uses, err := s.uses(ctx, sc, ids, to)
	if err != nil {
		return Statement{}, err
	}
	for _, u := range uses {
		i := index[u.DonationID]
		st.Gifts[i].Uses = append(st.Gifts[i].Uses, u)
	}
	return st, nil
}

// uses returns what the given donations paid for by to: their allocations
// net of releases, per output or operational cost, with the outputs' facts.
func (s *Store) uses(ctx context.Context, sc auth.Scope, donationIDs []string, to calendar.Date) ([]Use, error) {
	if len(donationIDs) == 0 {
		return nil, nil
	}
	args := postgres.Args{pq.Array(postgres.IDs(donationIDs)), to}
	query := `SELECT x.donation_id, SUM(x.amount)::bigint AS amount, SUM(x.quantity)::int AS quantity, x.operational, x.organization_id, x.aid_output_id,
			a.aid_type_id, a.quantity AS output_quantity, a.cost AS output_cost, a.regency_id, a.beneficiary_group, a.delivered_on
		FROM ` + from + ` LEFT JOIN aid_outputs a ON a.id = x.aid_output_id
		WHERE x.donation_id::text = ANY($1) AND x.allocated_on <= $2 AND ` + scope(sc, &args) + `
		GROUP BY x.donation_id, x.operational, x.organization_id, x.aid_output_id, a.id
		HAVING SUM(x.amount) > 0
		ORDER BY x.donation_id, min(x.seq)`
	var out []Use
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("what the gifts paid for: %w", err)
	}
	return out, nil
}
