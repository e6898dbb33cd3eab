// Package permit is the public fundraising permits (izin Pengumpulan Uang
// atau Barang, PUB) that councils collect from the public under: a permit
// names its organiser, its area (regencies/cities), its period with at most
// one extension, and a cap on operating costs. Donation boxes are placed
// under a permit and appeal donations name one; an entry outside its
// permit's period or area is refused, or kept with a permit exception that
// every report shows. The numbers the regulation fixes are Rules, with the
// regulation's as defaults.
package permit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Method is a way a permit lets its organiser collect.
type Method string

// The methods of collection Sinergi records.
const (
	DonationBox Method = "DONATION_BOX" // boxes placed with hosts
	Appeal      Method = "APPEAL"       // an appeal that donations name
)

// Valid reports whether m is a known method.
func (m Method) Valid() bool { return m == DonationBox || m == Appeal }

// Rules are the numbers the regulation fixes. Defaults (DefaultRules) are
// those of Permensos 8/2021 as this was written: a permit valid at most 3
// months, extended at most once by at most 1 month, operating costs at
// most 10% of what was collected (no cap for disaster appeals).
type Rules struct {
	ValidityMonths  int // a permit's period, at most
	ExtensionMonths int // an extension's length, at most
	Extensions      int // how many times a permit may be extended
	CostCapBP       int // operating costs, at most, in hundredths of a percent
}

// DefaultRules returns the rules of Permensos 8/2021 as the issue that
// asked for permits states them (README: check the rule in force).
func DefaultRules() Rules {
	return Rules{ValidityMonths: 3, ExtensionMonths: 1, Extensions: 1, CostCapBP: 1000}
}

// Check refuses rules that could not be meant.
func (r Rules) Check() error {
	if r.ValidityMonths < 1 || r.ValidityMonths > 120 || r.ExtensionMonths < 0 || r.ExtensionMonths > 120 ||
		r.Extensions < 0 || r.Extensions > 100 || r.CostCapBP < 0 || r.CostCapBP > 10000 {
		return fmt.Errorf("permit rules out of range: validity %d months, extension %d months, %d extensions, cost cap %d/10000",
			r.ValidityMonths, r.ExtensionMonths, r.Extensions, r.CostCapBP)
	}
	return nil
}

// Extension is a permit's extension: a new end date under its own number.
type Extension struct {
	Number    string        `json:"number"`
	ValidTo   calendar.Date `json:"validTo"`
	GrantedOn calendar.Date `json:"grantedOn"`
}

// Permit is a public fundraising permit as issued, with its extensions.
type Permit struct {
	ID             string         `db:"id" json:"id"`
	Seq            int64          `db:"seq" json:"-"`
	Number         string         `db:"number" json:"number"`
	Authority      string         `db:"authority" json:"authority"`
	OrganizationID string         `db:"organization_id" json:"organizationId"`
	Purpose        string         `db:"purpose" json:"purpose"`
	MethodList     pq.StringArray `db:"methods" json:"methods"`
	Disaster       bool           `db:"disaster" json:"disaster"`
	ValidFrom      calendar.Date  `db:"valid_from" json:"validFrom"`
	ValidTo        calendar.Date  `db:"valid_to" json:"validTo"`
	// CostCapBP is the cap on operating costs in hundredths of a percent
	// of the collection; nil: no cap.
	CostCapBP  *int                `db:"cost_cap_bp" json:"costCapBp"`
	RegencyIDs pq.StringArray      `db:"regency_ids" json:"regencyIds"`
	Extended   jsonList[Extension] `db:"extensions" json:"extensions"`
	CreatedAt  time.Time           `db:"created_at" json:"createdAt"`
}

// Methods returns how the permit lets its organiser collect.
func (p Permit) Methods() []Method {
	out := make([]Method, len(p.MethodList))
	for i, m := range p.MethodList {
		out[i] = Method(m)
	}
	return out
}

// Allows reports whether the permit covers collecting by m.
func (p Permit) Allows(m Method) bool { return slices.Contains(p.MethodList, string(m)) }

// Extensions returns the permit's extensions in the order granted.
func (p Permit) Extensions() []Extension { return p.Extended.V }

// ValidThrough is the permit's last day, its extensions included.
func (p Permit) ValidThrough() calendar.Date {
	end := p.ValidTo
	for _, e := range p.Extended.V {
		if e.ValidTo.After(end) {
			end = e.ValidTo
		}
	}
	return end
}

// CostCapPercent is the cap on operating costs as a percentage, nil when
// the permit has none.
func (p Permit) CostCapPercent() *float64 {
	if p.CostCapBP == nil {
		return nil
	}
	pc := float64(*p.CostCapBP) / 100
	return &pc
}

// CostCap is what the permit allows in operating costs of collected,
// rounded down to the rupiah; nil when it has no cap.
func (p Permit) CostCap(collected money.Rupiah) *money.Rupiah {
	if p.CostCapBP == nil {
		return nil
	}
	c := capOf(collected, *p.CostCapBP)
	return &c
}

// capOf is bp/10000 of collected rounded down, as the database computes it.
func capOf(collected money.Rupiah, bp int) money.Rupiah {
	if collected <= 0 {
		return 0
	}
	return collected * money.Rupiah(bp) / 10000 // collected ≤ 2^63/10^4: the ledger's sums stay far below
}

// Problem says why an entry dated on, collected in regency (nil: not
// placed in one, such as money a province receives itself), falls outside
// the permit; "" when it does not. where names the regency in the answer.
func (p Permit) Problem(on calendar.Date, regencyID *string, where string) string {
	switch {
	case on.Before(p.ValidFrom):
		return fmt.Sprintf("is before permit %s is valid (from %s)", p.Number, p.ValidFrom)
	case on.After(p.ValidThrough()):
		return fmt.Sprintf("is after permit %s ended (%s)", p.Number, p.ValidThrough())
	case regencyID != nil && !slices.Contains(p.RegencyIDs, *regencyID):
		return fmt.Sprintf("%s lies outside the area of permit %s", where, p.Number)
	}
	return ""
}

// jsonList is a list stored as JSON (NULL is empty).
type jsonList[T any] struct{ V []T }

func (j *jsonList[T]) Scan(src any) error {
	switch b := src.(type) {
	case nil:
		j.V = nil
		return nil
	case []byte:
		return json.Unmarshal(b, &j.V)
	case string:
		return json.Unmarshal([]byte(b), &j.V)
	}
	return fmt.Errorf("scan json from %T", src)
}

func (j jsonList[T]) MarshalJSON() ([]byte, error) {
	if j.V == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(j.V)
}

const columns = `p.id, p.seq, p.number, p.authority, p.organization_id, p.purpose, p.methods, p.disaster,
	p.valid_from, p.valid_to, p.cost_cap_bp, p.created_at,
	ARRAY(SELECT pr.regency_id::text FROM permit_regencies pr JOIN organizations rg ON rg.id = pr.regency_id
		WHERE pr.permit_id = p.id ORDER BY rg.code) AS regency_ids,
	(SELECT json_agg(json_build_object('number', e.number, 'validTo', e.valid_to, 'grantedOn', e.granted_on) ORDER BY e.seq)
		FROM permit_extensions e WHERE e.permit_id = p.id) AS extensions`

// from joins each permit p to its organiser o.
const from = `permits p JOIN organizations o ON o.id = p.organization_id`

func scope(sc auth.Scope, a *postgres.Args) string { return sc.Permits(a, "o.path", "p.id") }

// Store reads and writes permits.
type Store struct {
	db    *sqlx.DB
	rules Rules
}

// NewStore returns a Store on db that checks new permits against rules.
func NewStore(db *sqlx.DB, rules Rules) *Store { return &Store{db: db, rules: rules} }

// Rules returns the rules the store checks permits against.
func (s *Store) Rules() Rules { return s.rules }

func get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Permit, error) {
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE p.id = $1 AND ` + scope(sc, &args)
	return postgres.ByID[Permit](ctx, q, "permit", query, id, args[1:]...)
}

// Load reads permit id whoever asks: for the checks that hold a permit's
// rules on a write the caller may make (a regency's box under its
// province's permit), not for showing.
func Load(ctx context.Context, q sqlx.QueryerContext, id string) (Permit, error) {
	return get(ctx, q, auth.System("permit check"), id)
}

// Permit returns permit id.
func (s *Store) Permit(ctx context.Context, sc auth.Scope, id string) (Permit, error) {
	return get(ctx, s.db, sc, id)
}

// ByIDs returns the permits with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Permit, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE p.id::text = ANY($1) AND ` + scope(sc, &args)
	var out []Permit
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get permits by id: %w", err)
	}
	return out, nil
}

// ByNumber returns the permit with number, in any case.
func (s *Store) ByNumber(ctx context.Context, sc auth.Scope, number string) (Permit, error) {
	return byNumber(ctx, s.db, sc, number)
}

func byNumber(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, number string) (Permit, error) {
	if !fault.Storable(number) {
		return Permit{}, fault.ErrNotFound
	}
	args := postgres.Args{number}
	var found []Permit
	if err := sqlx.SelectContext(ctx, q, &found, `SELECT `+columns+` FROM `+from+`
		WHERE lower(p.number) = lower($1) AND `+scope(sc, &args)+` ORDER BY p.seq LIMIT 1`, args...); err != nil {
		return Permit{}, fmt.Errorf("find permit %q: %w", number, err)
	}
	if len(found) == 0 {
		return Permit{}, fault.ErrNotFound
	}
	return found[0], nil
}

// RequireRef returns the permit ref names, its id or its number in any
// case, within the caller's scope; field is the input to blame.
func RequireRef(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, ref string) (Permit, error) {
	var p Permit
	var err error
	if postgres.IsID(ref) {
		p, err = get(ctx, q, sc, ref)
	} else {
		p, err = byNumber(ctx, q, sc, ref)
	}
	if errors.Is(err, fault.ErrNotFound) {
		msg := "no such permit"
		if !postgres.IsID(ref) && fault.Storable(ref) {
			args := postgres.Args{}
			var numbers []string
			if err := sqlx.SelectContext(ctx, q, &numbers, `SELECT p.number FROM `+from+` WHERE `+scope(sc, &args)+` ORDER BY p.number LIMIT 20000`, args...); err != nil {
				return Permit{}, fmt.Errorf("permit numbers near %q: %w", ref, err)
			}
			if near := fault.Nearest(ref, numbers, 3); len(near) > 0 {
				msg += "; did you mean " + strings.Join(near, " or ") + "?"
			}
		}
		return Permit{}, fault.Refuse(field, fault.Unknown, msg)
	}
	return p, err
}

// Resolve is RequireRef through the store.
func (s *Store) Resolve(ctx context.Context, sc auth.Scope, field, ref string) (Permit, error) {
	return RequireRef(ctx, s.db, sc, field, ref)
}

// Filter narrows a list of permits.
type Filter struct {
	OrganizationID *string        // the organiser's subtree
	ActiveOn       *calendar.Date // valid on that day, extensions included
	// ExpiringWithinDays keeps the permits still valid today (in the
	// organiser's time zone) whose last day is at most that many days away.
	ExpiringWithinDays *int
}

// throughSQL is a permit p's last day, extensions included.
const throughSQL = `GREATEST(p.valid_to, COALESCE((SELECT max(e.valid_to) FROM permit_extensions e WHERE e.permit_id = p.id), p.valid_to))`

func (s *Store) where(ctx context.Context, sc auth.Scope, f Filter) (string, postgres.Args, error) {
	if f.ExpiringWithinDays != nil && (*f.ExpiringWithinDays < 0 || *f.ExpiringWithinDays > 3660) {
		return "", nil, fault.Refuse("filter.expiringWithinDays", fault.Invalid, "must be between 0 and 3660")
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	u, active, within := a.Add(under), a.Add(f.ActiveOn), a.Add(f.ExpiringWithinDays)
	today := `(now() AT TIME ZONE o.time_zone)::date`
	return `(` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree)
	AND (` + active + `::date IS NULL OR (p.valid_from <= ` + active + ` AND ` + throughSQL + ` >= ` + active + `))
	AND (` + within + `::int IS NULL OR (p.valid_from <= ` + today + ` AND ` + throughSQL + ` BETWEEN ` + today + ` AND ` + today + ` + ` + within + `::int))
	AND ` + scope(sc, &a), a, nil
}

// List returns a page of permits in the order they were recorded.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Permit], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Permit]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Permit]{}, err
	}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE ` + cond + ` ` + k.Clause(&args, "", "p.seq")
	var items []Permit
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Permit]{}, fmt.Errorf("list permits: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many permits f matches.
func (s *Store) Count(ctx context.Context, sc auth.Scope, f Filter) (int, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM `+from+` WHERE `+cond, args...); err != nil {
		return 0, fmt.Errorf("count permits: %w", err)
	}
	return n, nil
}

// NewPermit is the input for Create.
type NewPermit struct {
	Number         string        `json:"number"`
	Authority      string        `json:"authority"`
	OrganizationID string        `json:"organizationId"`
	Purpose        string        `json:"purpose"`
	Methods        []Method      `json:"methods"`
	Disaster       bool          `json:"disaster"`
	RegencyIDs     []string      `json:"regencyIds"`
	ValidFrom      calendar.Date `json:"validFrom"`
	ValidTo        calendar.Date `json:"validTo"`
	// CostCapPercent is the permit's cap when it states one below the
	// rule's; default the rule's, none for a disaster appeal.
	CostCapPercent *float64 `json:"costCapPercent"`
	IdempotencyKey string   `json:"-"`
}

// MaxRegencies bounds a permit's area.
const MaxRegencies = 600

// addMonths is d plus n calendar months, the day clamped to the month's
// end (31 January plus one month is 28 or 29 February).
func addMonths(d calendar.Date, n int) calendar.Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return calendar.New(first.Year(), first.Month(), min(d.Day, last))
}

// lastDay is the last day of a period of n months starting on from: 1
// September for 3 months runs through 30 November.
func lastDay(from calendar.Date, n int) calendar.Date { return addMonths(from, n).AddDays(-1) }

func months(n int) string {
	if n == 1 {
		return "1 month"
	}
	return fmt.Sprintf("%d months", n)
}

// costCapBP turns a percentage with at most two decimals into hundredths
// of a percent.
func costCapBP(v *fault.InvalidInput, field string, pc float64) int {
	bp := math.Round(pc * 100)
	if math.IsNaN(pc) || pc < 0 || pc > 100 || math.Abs(bp-pc*100) > 1e-6 {
		v.Add(field, fault.Invalid, "must be a percentage from 0 to 100 with at most two decimals")
		return 0
	}
	return int(bp)
}

// Create records a permit as issued to a council.
func (s *Store) Create(ctx context.Context, sc auth.Scope, in NewPermit) (Permit, error) {
	w := change.Write{Mutation: "createPermit", Action: "create", Entity: "permit", Key: in.IdempotencyKey, Input: in}
	var capBP *int
	w.Check = func(v *fault.InvalidInput) {
		v.Text("input.number", in.Number, true, 100)
		v.Text("input.authority", in.Authority, true, 200)
		v.Text("input.purpose", in.Purpose, true, 1000)
		if len(in.Methods) == 0 {
			v.Add("input.methods", fault.Required, "name how the public is asked: DONATION_BOX, APPEAL or both")
		}
		for i, m := range in.Methods {
			if !m.Valid() {
				v.Add(fmt.Sprintf("input.methods.%d", i), fault.Invalid, "must be DONATION_BOX or APPEAL")
			}
		}
		switch {
		case len(in.RegencyIDs) == 0:
			v.Add("input.regencyIds", fault.Required, "a permit is issued for an area: name its regencies/cities")
		case len(in.RegencyIDs) > MaxRegencies:
			v.Add("input.regencyIds", fault.TooLong, fmt.Sprintf("at most %d regencies/cities", MaxRegencies))
		}
		calendar.Check(v, "input.validFrom", in.ValidFrom)
		calendar.Check(v, "input.validTo", in.ValidTo)
		if !in.ValidFrom.IsZero() && !in.ValidTo.IsZero() {
			if in.ValidTo.Before(in.ValidFrom) {
				v.Add("input.validTo", fault.Invalid, "must not be before validFrom")
			} else if end := lastDay(in.ValidFrom, s.rules.ValidityMonths); in.ValidTo.After(end) {
				v.Add("input.validTo", fault.Invalid, fmt.Sprintf("a permit is valid at most %s: from %s through %s",
					months(s.rules.ValidityMonths), in.ValidFrom, end))
			}
		}
		switch {
		case in.CostCapPercent != nil:
			bp := costCapBP(v, "input.costCapPercent", *in.CostCapPercent)
			if bp > s.rules.CostCapBP && !in.Disaster {
				v.Add("input.costCapPercent", fault.Invalid, fmt.Sprintf("operating costs are capped at %s%% of the collection",
					Percent(s.rules.CostCapBP)))
			}
			capBP = &bp
		case !in.Disaster:
			bp := s.rules.CostCapBP
			capBP = &bp
		}
	}
	p, err := change.Do(ctx, s.db, sc, w, get, func(tx *change.Tx) (change.Applied, error) {
		v := &tx.Refused
		org, err := organization.RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if v.Collect(err) && org.Kind == organization.Institution {
			v.Add("input.organizationId", fault.Invalid, "permits are issued to councils, not institutions")
			org = organization.Organization{} // its area is not checked against it
		}
		seen := map[string]bool{}
		for i, id := range in.RegencyIDs {
			field := fmt.Sprintf("input.regencyIds.%d", i)
			r, err := organization.RequireRegency(ctx, tx, sc, field, id)
			if !v.Collect(err) {
				continue
			}
			switch {
			case seen[r.ID]:
				v.Add(field, fault.Duplicate, "is named twice")
			case org.ID != "" && !organization.Within(r, org) && !organization.Within(org, r):
				v.Add(field, fault.Invalid, fmt.Sprintf("lies outside %s, the organiser", org.Name))
			}
			seen[r.ID] = true
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		methods := make([]string, len(in.Methods))
		for i, m := range in.Methods {
			methods[i] = string(m)
		}
		slices.Sort(methods)
		methods = slices.Compact(methods)
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO permits (number, authority, organization_id, purpose, methods, disaster, valid_from, valid_to, cost_cap_bp)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			strings.TrimSpace(in.Number), in.Authority, org.ID, in.Purpose, pq.Array(methods), in.Disaster, in.ValidFrom, in.ValidTo, capBP)
		if c, ok := postgres.Violation(err); ok && c == "permits_number_key" {
			return change.Applied{}, fault.Refuse("input.number", fault.Duplicate, "another permit has this number")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert permit: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_regencies (permit_id, regency_id) SELECT $1, unnest($2::uuid[])`,
			id, pq.Array(slices.Collect(mapKeys(seen)))); err != nil {
			return change.Applied{}, fmt.Errorf("insert permit area: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Permit{}, fmt.Errorf("record permit %s: %w", in.Number, err)
	}
	return p, nil
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Percent writes hundredths of a percent as a percentage: 1000 is "10",
// 750 "7.5".
func Percent(bp int) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// NewExtension is the input for Extend.
type NewExtension struct {
	PermitID       string        `json:"permitId"`
	Number         string        `json:"number"`
	ValidTo        calendar.Date `json:"validTo"`
	GrantedOn      calendar.Date `json:"grantedOn"`
	IdempotencyKey string        `json:"-"`
}

// Extend records a permit's extension: granted while the permit was still
// valid, to a later end at most the rules' extension length after it, at
// most as many times as the rules allow.
func (s *Store) Extend(ctx context.Context, sc auth.Scope, in NewExtension) (Permit, error) {
	w := change.Write{Mutation: "extendPermit", Action: "extend", Entity: "permit", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			v.Text("input.number", in.Number, true, 100)
			calendar.Check(v, "input.validTo", in.ValidTo)
			calendar.Check(v, "input.grantedOn", in.GrantedOn)
		}}
	p, err := change.Do(ctx, s.db, sc, w, get, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		p, err := lock(ctx, tx, sc, "input.permitId", in.PermitID)
		if err != nil {
			return change.Applied{}, err
		}
		org, err := organization.RequireWritable(ctx, tx, sc, "input.permitId", p.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		var v fault.InvalidInput
		through := p.ValidThrough()
		if len(p.Extended.V) >= s.rules.Extensions {
			v.Add("input.permitId", fault.Invalid, fmt.Sprintf("permit %s was extended %d time(s) already, the most allowed", p.Number, len(p.Extended.V)))
		}
		if end := lastDay(through.AddDays(1), s.rules.ExtensionMonths); !in.ValidTo.After(through) || in.ValidTo.After(end) {
			v.Add("input.validTo", fault.Invalid, fmt.Sprintf("an extension runs from %s for at most %s: through %s at the latest",
				through.AddDays(1), months(s.rules.ExtensionMonths), end))
		}
		if in.GrantedOn.After(through) || in.GrantedOn.Before(p.ValidFrom) {
			v.Add("input.grantedOn", fault.Invalid, fmt.Sprintf("a permit is extended while it is valid (%s to %s)", p.ValidFrom, through))
		}
		v.Collect(org.NotFuture("input.grantedOn", in.GrantedOn))
		if err := v.Err(); err != nil {
			return change.Applied{}, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO permit_extensions (permit_id, number, valid_to, granted_on) VALUES ($1, $2, $3, $4)`,
			p.ID, strings.TrimSpace(in.Number), in.ValidTo, in.GrantedOn)
		if c, ok := postgres.Violation(err); ok && c == "permit_extensions_number_key" {
			return change.Applied{}, fault.Refuse("input.number", fault.Duplicate, "another extension has this number")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert permit extension: %w", err)
		}
		return change.Applied{ID: p.ID, Before: p}, nil
	})
	if err != nil {
		return Permit{}, fmt.Errorf("extend permit %s: %w", in.PermitID, err)
	}
	return p, nil
}

// lock reads permit id within the caller's scope and locks its row until tx
// ends: its extensions, and the costs booked against it, take turns.
func lock(ctx context.Context, tx *change.Tx, sc auth.Scope, field, id string) (Permit, error) {
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE p.id = $1 AND ` + scope(sc, &args) + ` FOR NO KEY UPDATE OF p`
	p, err := postgres.ByID[Permit](ctx, tx, "permit", query, id, args[1:]...)
	if errors.Is(err, fault.ErrNotFound) {
		return Permit{}, fault.Refuse(field, fault.Unknown, "no such permit")
	}
	return p, err
}

// Exception decides what an entry whose permit check found problem
// records: nothing when it is within its permit (and then no exception
// may be given), the council's reason when it must be kept though outside
// its permit; otherwise it is refused at field with the problem.
func Exception(v *fault.InvalidInput, field, problem string, exception *string) *string {
	switch {
	case problem == "" && exception != nil:
		v.Add("input.permitException", fault.Invalid, "the entry is within its permit: there is no exception to record")
	case problem != "" && exception == nil:
		v.Add(field, OutsidePermit, problem+"; if it must be recorded as it happened, give permitException (why)")
	case problem != "":
		return exception
	}
	return nil
}

// OutsidePermit is the reason an entry outside its permit is refused: a
// form may offer to record it with a permit exception.
const OutsidePermit = "OUTSIDE_PERMIT"

// CheckException checks the text of a permit exception, when given.
func CheckException(v *fault.InvalidInput, exception *string) {
	if exception != nil {
		v.Text("input.permitException", *exception, true, 500)
	}
}

// CostRoom is what permit id still allows in operating costs (its cap of
// the collection net of reversals, less the costs booked), nil when it
// has no cap. Read after the caller locked the permit, it is exact.
func CostRoom(ctx context.Context, q sqlx.QueryerContext, p Permit) (*money.Rupiah, error) {
	if p.CostCapBP == nil {
		return nil, nil
	}
	var sums struct {
		Collected money.Rupiah `db:"collected"`
		Costs     money.Rupiah `db:"costs"`
	}
	if err := sqlx.GetContext(ctx, q, &sums, `
		SELECT COALESCE((SELECT sum(amount) FROM donations WHERE permit_id = $1), 0)::bigint AS collected,
			COALESCE((SELECT sum(x.amount) FROM allocations x JOIN donations d ON d.id = x.donation_id
				WHERE d.permit_id = $1 AND x.aid_output_id IS NULL), 0)::bigint AS costs`, p.ID); err != nil {
		return nil, fmt.Errorf("costs booked against permit %s: %w", p.Number, err)
	}
	room := capOf(sums.Collected, *p.CostCapBP) - sums.Costs
	return &room, nil
}

// LockForCosts locks permit id against concurrent cost allocations and
// returns it.
func LockForCosts(ctx context.Context, tx *change.Tx, id string) (Permit, error) {
	return lock(ctx, tx, auth.System("permit check"), "input.donationId", id)
}
