package fund

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Balance is the money of a subtree over a period: what was available on
// the eve of the period, received in it (net of reversals), given in it to
// aid outputs and to operational costs (net of releases), and available at
// its end. Opening + Received − ToOutputs − ToOperational = Closing.
type Balance struct {
	Opening       money.Rupiah
	Received      money.Rupiah
	ToOutputs     money.Rupiah
	ToOperational money.Rupiah
	Closing       money.Rupiah
	// Restricted is the part of Closing that is earmarked.
	Restricted money.Rupiah
	// Reserved is what approved aid requests of the subtree hold back of
	// Closing until they are fulfilled or cancelled; Available is the rest.
	Reserved, Available money.Rupiah
	BySource            []SourceBalance
}

// SourceBalance is Balance for the gifts of one source.
type SourceBalance struct {
	Source        string       `db:"source"`
	Opening       money.Rupiah `db:"opening"`
	Received      money.Rupiah `db:"received"`
	ToOutputs     money.Rupiah `db:"to_outputs"`
	ToOperational money.Rupiah `db:"to_operational"`
	Closing       money.Rupiah `db:"closing"`
	Restricted    money.Rupiah `db:"restricted"`
}

// Balance sums the money of the subtree of orgID between from and to, for
// the gifts the caller sees (a partner: its own).
func (s *Store) Balance(ctx context.Context, sc auth.Scope, orgID string, from, to calendar.Date) (Balance, error) {
	under, err := organization.SubtreePath(ctx, s.db, sc, "organizationId", &orgID)
	if err != nil {
		return Balance{}, err
	}
	args := postgres.Args{under, from, to}
	// A reversal entry carries its donation's earmarks.
	restricted := `(d.earmark_aid_type_id IS NOT NULL OR d.earmark_regency_id IS NOT NULL
		OR d.earmark_beneficiary_group IS NOT NULL OR d.earmark_programme IS NOT NULL)`
	query := `WITH gifts AS (
			SELECT d.source,
				SUM(d.amount) FILTER (WHERE d.received_on < $2) AS before,
				SUM(d.amount) FILTER (WHERE d.received_on >= $2) AS received,
				SUM(d.amount) FILTER (WHERE ` + restricted + `) AS restricted
			FROM donations d JOIN organizations o ON o.id = d.organization_id
			WHERE o.path <@ $1::ltree AND d.received_on <= $3 AND ` + sc.Gifts(&args, "o.path", "d.partner_id") + `
			GROUP BY d.source),
		given AS (
			SELECT d.source,
				SUM(x.amount) FILTER (WHERE x.allocated_on < $2) AS before,
				SUM(x.amount) FILTER (WHERE x.allocated_on >= $2 AND x.aid_output_id IS NOT NULL) AS to_outputs,
				SUM(x.amount) FILTER (WHERE x.allocated_on >= $2 AND x.aid_output_id IS NULL) AS to_operational,
				SUM(x.amount) FILTER (WHERE ` + restricted + `) AS restricted
			FROM allocations x JOIN donations d ON d.id = x.donation_id JOIN organizations o ON o.id = d.organization_id
			WHERE o.path <@ $1::ltree AND x.allocated_on <= $3 AND ` + sc.Gifts(&args, "o.path", "d.partner_id") + `
			GROUP BY d.source)
		SELECT COALESCE(g.source, a.source) AS source,
			(COALESCE(g.before, 0) - COALESCE(a.before, 0))::bigint AS opening,
			COALESCE(g.received, 0)::bigint AS received,
			COALESCE(a.to_outputs, 0)::bigint AS to_outputs,
			COALESCE(a.to_operational, 0)::bigint AS to_operational,
			(COALESCE(g.before, 0) + COALESCE(g.received, 0) - COALESCE(a.before, 0) - COALESCE(a.to_outputs, 0)
				- COALESCE(a.to_operational, 0))::bigint AS closing,
			(COALESCE(g.restricted, 0) - COALESCE(a.restricted, 0))::bigint AS restricted
		FROM gifts g FULL JOIN given a ON a.source = g.source`
	var b Balance
	if err := s.db.SelectContext(ctx, &b.BySource, query, args...); err != nil {
		return Balance{}, fmt.Errorf("fund balance: %w", err)
	}
	slices.SortFunc(b.BySource, func(x, y SourceBalance) int { return sourceOrder(x.Source) - sourceOrder(y.Source) })
	for _, x := range b.BySource {
		b.Opening += x.Opening
		b.Received += x.Received
		b.ToOutputs += x.ToOutputs
		b.ToOperational += x.ToOperational
		b.Closing += x.Closing
		b.Restricted += x.Restricted
	}
	// A partner's statement is about its own gifts, which no approval
	// reserves; the councils see what their approvals hold back.
	rargs := postgres.Args{under, to}
	err = s.db.GetContext(ctx, &b.Reserved, `SELECT `+reserved+` FROM aid_requests r JOIN organizations h ON h.id = r.handler_id
		WHERE h.path <@ $1::ltree AND `+sc.Council(&rargs, "h.path"), rargs...)
	if err != nil {
		return Balance{}, fmt.Errorf("fund balance: reserved: %w", err)
	}
	b.Available = b.Closing - b.Reserved
	return b, nil
}

// reserved sums, over aid requests r, what approvals hold back on the date
// $2: approved by then and neither fulfilled nor cancelled by then (the
// outputs that fulfil it are funded by allocations of their own).
const reserved = `COALESCE(SUM(r.approved_budget) FILTER (WHERE r.approved_on <= $2 AND (r.closed_on IS NULL OR r.closed_on > $2)), 0)::bigint`

// Unreserved is what the subtree at path has on the date on that is neither
// given to a use nor reserved by an approved aid request, whoever asks: an
// approval checks against it.
func Unreserved(ctx context.Context, q sqlx.QueryerContext, path string, on calendar.Date) (money.Rupiah, error) {
	var free money.Rupiah
	err := sqlx.GetContext(ctx, q, &free, `
		SELECT (
			(SELECT COALESCE(SUM(d.amount), 0) FROM donations d JOIN organizations o ON o.id = d.organization_id
				WHERE o.path <@ $1::ltree AND d.received_on <= $2)
			- (SELECT COALESCE(SUM(x.amount), 0) FROM allocations x JOIN donations d ON d.id = x.donation_id
				JOIN organizations o ON o.id = d.organization_id WHERE o.path <@ $1::ltree AND x.allocated_on <= $2)
			- (SELECT `+reserved+` FROM aid_requests r JOIN organizations h ON h.id = r.handler_id WHERE h.path <@ $1::ltree)
		)::bigint`, path, on)
	if err != nil {
		return 0, fmt.Errorf("money left to reserve: %w", err)
	}
	return free, nil
}

// sourceOrder orders sources as the donation ledger lists them.
func sourceOrder(s string) int {
	return slices.Index([]string{"CSR", "DONATION_BOX", "GOVERNMENT", "INDIVIDUAL", "BUSINESS", "COMMUNITY", "OTHER"}, s)
}

// Traced is what one partner's gifts paid for, by aid type (AidTypeID ""
// for operational costs; PartnerID "" for anonymous gifts), net of
// releases, over a period.
type Traced struct {
	PartnerID string       `db:"partner_id"`
	AidTypeID string       `db:"aid_type_id"`
	Outputs   int          `db:"outputs"`
	Amount    money.Rupiah `db:"amount"`
}

// TracedByPartner sums the allocations made between from and to from the
// gifts received in the subtree of orgID, by partner and aid type, largest
// partner first.
func (s *Store) TracedByPartner(ctx context.Context, sc auth.Scope, orgID string, from, to calendar.Date) ([]Traced, error) {
	under, err := organization.SubtreePath(ctx, s.db, sc, "organizationId", &orgID)
	if err != nil {
		return nil, err
	}
	args := postgres.Args{under, from, to}
	query := `SELECT COALESCE(d.partner_id::text, '') AS partner_id, COALESCE(a.aid_type_id::text, '') AS aid_type_id,
			count(DISTINCT x.aid_output_id) AS outputs, SUM(x.amount)::bigint AS amount
		FROM allocations x JOIN donations d ON d.id = x.donation_id JOIN organizations o ON o.id = d.organization_id
			LEFT JOIN aid_outputs a ON a.id = x.aid_output_id
		WHERE o.path <@ $1::ltree AND x.allocated_on BETWEEN $2 AND $3 AND ` + sc.Gifts(&args, "o.path", "d.partner_id") + `
		GROUP BY 1, 2 HAVING SUM(x.amount) <> 0
		ORDER BY SUM(SUM(x.amount)) OVER (PARTITION BY COALESCE(d.partner_id::text, '')) DESC, 1, 2`
	var out []Traced
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("gifts traced to uses: %w", err)
	}
	return out, nil
}
