package permit

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Report is a permit's accountability report (laporan pertanggungjawaban
// PUB): what was collected under it, by box and host and by month, what
// was spent on operating costs, what the rest paid for, and what is left.
// Every figure is net of reversals and releases.
type Report struct {
	Permit    Permit
	Organiser string
	Area      []string // the regencies/cities, by name
	// Partial is set for a partner account's version: only the boxes it
	// hosts and its own gifts, and what they paid for.
	Partial bool
	Totals
	// CostCap is what the permit allows in operating costs of what it
	// collected; nil without a cap, and in a partner's version.
	CostCap *money.Rupiah

	Boxes          []BoxLine
	Hosts          []HostLine
	Months         []MonthLine
	CostLines      []CostLine
	UseLines       []UseLine
	ExceptionLines []ExceptionLine
}

// Totals are the report's sums.
type Totals struct {
	Collected   money.Rupiah `db:"collected"`
	FromBoxes   money.Rupiah `db:"from_boxes"`
	FromAppeals money.Rupiah `db:"from_appeals"`
	Openings    int          `db:"openings"` // box openings, less reversed ones
	Exceptions  int          `db:"exceptions"`
	Costs       money.Rupiah `db:"costs"`
	Uses        money.Rupiah `db:"uses"`
}

// Balance is what the collection has left: collected less costs and uses.
func (r Totals) Balance() money.Rupiah { return r.Collected - r.Costs - r.Uses }

// CostShare is the operating costs as a percentage of the collection, nil
// when nothing was collected.
func (r Totals) CostShare() *float64 {
	if r.Collected <= 0 {
		return nil
	}
	pc := float64(r.Costs) * 100 / float64(r.Collected)
	return &pc
}

// BoxLine is what one box collected under the permit.
type BoxLine struct {
	Code       string       `db:"code"`
	Host       string       `db:"host"`
	Regency    string       `db:"regency"`
	Openings   int          `db:"openings"`
	Total      money.Rupiah `db:"total"`
	Exceptions int          `db:"exceptions"`
}

// HostLine is what the boxes of one host collected under the permit.
type HostLine struct {
	Host     string
	Boxes    int
	Openings int
	Total    money.Rupiah
}

// MonthLine is what was collected in one month, from boxes and appeals.
type MonthLine struct {
	Month       string       `db:"month"` // YYYY-MM
	FromBoxes   money.Rupiah `db:"from_boxes"`
	FromAppeals money.Rupiah `db:"from_appeals"`
}

// CostLine is one operating-cost allocation (or its release) paid from
// the collection.
type CostLine struct {
	On          calendar.Date `db:"allocated_on"`
	Description string        `db:"description"`
	Council     string        `db:"council"`
	Amount      money.Rupiah  `db:"amount"`
	Release     bool          `db:"release"`
}

// UseLine is what the collection paid for, by aid type, regency and
// beneficiary group.
type UseLine struct {
	AidType          string               `db:"aid_type"`
	AidTypeEN        string               `db:"aid_type_en"`
	Unit             string               `db:"unit"`
	Regency          string               `db:"regency"`
	BeneficiaryGroup aid.BeneficiaryGroup `db:"beneficiary_group"`
	Outputs          int                  `db:"outputs"`
	Amount           money.Rupiah         `db:"amount"`
}

// ExceptionLine is an entry recorded though outside the permit, with why.
type ExceptionLine struct {
	On        calendar.Date `db:"received_on"`
	BoxCode   *string       `db:"box_code"`
	Reference *string       `db:"reference"`
	Receiver  string        `db:"receiver"`
	Amount    money.Rupiah  `db:"amount"`
	Reason    string        `db:"reason"`
}

// gifts selects the donations d collected under permit $1 that the caller
// is told about, with their receiver o.
const gifts = `donations d JOIN organizations o ON o.id = d.organization_id`

// notReversed keeps entries d that were not reversed since.
const notReversed = `NOT EXISTS (SELECT 1 FROM donations rv WHERE rv.reverses_id = d.id)`

// Report returns permit ref's accountability report (ref is its id or
// number). Staff who see the organiser read the whole report; an operator
// below the organiser is refused rather than shown a part as the whole; a
// partner account reads its own version, marked Partial.
func (s *Store) Report(ctx context.Context, sc auth.Scope, ref string) (Report, error) {
	p, err := RequireRef(ctx, s.db, sc, "permit", ref)
	if err != nil {
		return Report{}, err
	}
	var org struct {
		Name string `db:"name"`
		Path string `db:"path"`
	}
	if err := s.db.GetContext(ctx, &org, `SELECT name, path::text FROM organizations WHERE id = $1`, p.OrganizationID); err != nil {
		return Report{}, fmt.Errorf("read the organiser of permit %s: %w", p.Number, err)
	}
	if !sc.IsPartner() && !sc.Sees(org.Path) {
		return Report{}, fault.Refuse("permit", fault.Invalid,
			fmt.Sprintf("permit %s was issued to %s, above the part of the council tree this account reads: ask them for its report", p.Number, org.Name))
	}
	r := Report{Permit: p, Organiser: org.Name, Partial: sc.IsPartner()}
	if err := s.db.SelectContext(ctx, &r.Area, `SELECT r.name FROM permit_regencies pr JOIN organizations r ON r.id = pr.regency_id
		WHERE pr.permit_id = $1 ORDER BY r.name`, p.ID); err != nil {
		return Report{}, fmt.Errorf("read the area of permit %s: %w", p.Number, err)
	}
	q := reportQueries{ctx: ctx, db: s.db, sc: sc, id: p.ID}
	if err := q.get(&r.Totals, `
		SELECT COALESCE(sum(d.amount), 0)::bigint AS collected,
			COALESCE(sum(d.amount) FILTER (WHERE d.source = 'DONATION_BOX'), 0)::bigint AS from_boxes,
			COALESCE(sum(d.amount) FILTER (WHERE d.source <> 'DONATION_BOX'), 0)::bigint AS from_appeals,
			COALESCE(sum(CASE WHEN d.reverses_id IS NULL THEN 1 ELSE -1 END) FILTER (WHERE d.source = 'DONATION_BOX'), 0)::int AS openings,
			count(*) FILTER (WHERE d.permit_exception IS NOT NULL AND d.reverses_id IS NULL AND `+notReversed+`)::int AS exceptions,
			0::bigint AS costs, 0::bigint AS uses
		FROM `+gifts+` WHERE d.permit_id = $1 AND %s`); err != nil {
		return Report{}, err
	}
	var spent struct {
		Costs money.Rupiah `db:"costs"`
		Uses  money.Rupiah `db:"uses"`
	}
	if err := q.get(&spent, `
		SELECT COALESCE(sum(x.amount) FILTER (WHERE x.aid_output_id IS NULL), 0)::bigint AS costs,
			COALESCE(sum(x.amount) FILTER (WHERE x.aid_output_id IS NOT NULL), 0)::bigint AS uses
		FROM allocations x JOIN `+gifts+` ON d.id = x.donation_id WHERE d.permit_id = $1 AND %s`); err != nil {
		return Report{}, err
	}
	r.Costs, r.Uses = spent.Costs, spent.Uses
	if !r.Partial {
		r.CostCap = p.CostCap(r.Collected)
	}
	for _, part := range []struct {
		dest  any
		query string
	}{
		{&r.Boxes, `
			SELECT b.code, h.name AS host, rg.name AS regency,
				sum(CASE WHEN c.reverses_id IS NULL THEN 1 ELSE -1 END)::int AS openings, sum(c.amount)::bigint AS total,
				count(*) FILTER (WHERE d.permit_exception IS NOT NULL AND c.reverses_id IS NULL AND ` + notReversed + `)::int AS exceptions
			FROM box_collections c JOIN ` + gifts + ` ON d.id = c.donation_id JOIN donation_boxes b ON b.id = c.box_id
				JOIN partners h ON h.id = b.host_partner_id JOIN organizations rg ON rg.id = b.regency_id
			WHERE d.permit_id = $1 AND %s
			GROUP BY b.code, h.name, rg.name ORDER BY b.code`},
		{&r.Months, `
			SELECT to_char(d.received_on, 'YYYY-MM') AS month,
				COALESCE(sum(d.amount) FILTER (WHERE d.source = 'DONATION_BOX'), 0)::bigint AS from_boxes,
				COALESCE(sum(d.amount) FILTER (WHERE d.source <> 'DONATION_BOX'), 0)::bigint AS from_appeals
			FROM ` + gifts + ` WHERE d.permit_id = $1 AND %s GROUP BY 1 ORDER BY 1`},
		{&r.CostLines, `
			SELECT x.allocated_on, x.operational AS description, bo.name AS council, x.amount, x.releases_id IS NOT NULL AS release
			FROM allocations x JOIN ` + gifts + ` ON d.id = x.donation_id JOIN organizations bo ON bo.id = x.organization_id
			WHERE d.permit_id = $1 AND x.aid_output_id IS NULL AND %s ORDER BY x.allocated_on, x.seq`},
		{&r.UseLines, `
			SELECT t.name AS aid_type, t.name_en AS aid_type_en, t.unit, rg.name AS regency, a.beneficiary_group,
				count(DISTINCT a.id) FILTER (WHERE x.releases_id IS NULL)::int AS outputs, sum(x.amount)::bigint AS amount
			FROM allocations x JOIN ` + gifts + ` ON d.id = x.donation_id JOIN aid_outputs a ON a.id = x.aid_output_id
				JOIN aid_types t ON t.id = a.aid_type_id JOIN organizations rg ON rg.id = a.regency_id
			WHERE d.permit_id = $1 AND %s
			GROUP BY t.name, t.name_en, t.unit, rg.name, a.beneficiary_group HAVING sum(x.amount) <> 0
			ORDER BY t.name, rg.name, a.beneficiary_group`},
		{&r.ExceptionLines, `
			SELECT d.received_on, b.code AS box_code, d.reference, o.name AS receiver, d.amount, d.permit_exception AS reason
			FROM ` + gifts + ` LEFT JOIN box_collections c ON c.donation_id = d.id LEFT JOIN donation_boxes b ON b.id = c.box_id
			WHERE d.permit_id = $1 AND d.permit_exception IS NOT NULL AND d.reverses_id IS NULL AND ` + notReversed + ` AND %s
			ORDER BY d.received_on, d.seq`},
	} {
		if err := q.sel(part.dest, part.query); err != nil {
			return Report{}, err
		}
	}
	r.Hosts = byHost(r.Boxes)
	return r, nil
}

// byHost sums box lines per host, largest first.
func byHost(boxes []BoxLine) []HostLine {
	at := map[string]int{}
	var out []HostLine
	for _, b := range boxes {
		i, ok := at[b.Host]
		if !ok {
			i = len(out)
			at[b.Host] = i
			out = append(out, HostLine{Host: b.Host})
		}
		out[i].Boxes++
		out[i].Openings += b.Openings
		out[i].Total += b.Total
	}
	slices.SortStableFunc(out, func(a, b HostLine) int {
		if a.Total != b.Total {
			return cmp.Compare(b.Total, a.Total)
		}
		return strings.Compare(a.Host, b.Host)
	})
	return out
}

// reportQueries runs the report's statements over permit id's donations,
// each confined by the caller's scope where the statement says %s.
type reportQueries struct {
	ctx context.Context
	db  *sqlx.DB
	sc  auth.Scope
	id  string
}

func (q reportQueries) build(query string) (string, []any) {
	args := postgres.Args{q.id}
	return fmt.Sprintf(query, q.sc.Gifts(&args, "o.path", "d.partner_id")), args
}

func (q reportQueries) get(dest any, query string) error {
	sql, args := q.build(query)
	if err := q.db.GetContext(q.ctx, dest, sql, args...); err != nil {
		return fmt.Errorf("permit report: %w", err)
	}
	return nil
}

func (q reportQueries) sel(dest any, query string) error {
	sql, args := q.build(query)
	if err := q.db.SelectContext(q.ctx, dest, sql, args...); err != nil {
		return fmt.Errorf("permit report: %w", err)
	}
	return nil
}
