// Package organization is the council tree: the national council, provincial
// and regency/city councils, and the institutions they coordinate.
package organization

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Kind is the level of an organization in the tree.
type Kind string

// The kinds of organization, from the top of the tree down.
const (
	National        Kind = "NATIONAL"
	ProvinceCouncil Kind = "PROVINCE_COUNCIL"
	RegencyCouncil  Kind = "REGENCY_COUNCIL"
	Institution     Kind = "INSTITUTION"
)

// parentKinds says under which kinds each kind may be placed; nil means the
// kind may be a root. A province council is a root where the national
// council is not tracked.
var parentKinds = map[Kind][]Kind{
	National:        nil,
	ProvinceCouncil: {National},
	RegencyCouncil:  {ProvinceCouncil},
	Institution:     {RegencyCouncil, ProvinceCouncil},
}

var rootKinds = map[Kind]bool{National: true, ProvinceCouncil: true}

// Organization is one node of the council tree.
type Organization struct {
	ID        string    `db:"id" json:"id"`
	Seq       int64     `db:"seq" json:"-"`
	ParentID  *string   `db:"parent_id" json:"parentId"`
	Path      string    `db:"path" json:"-"`
	Kind      Kind      `db:"kind" json:"kind"`
	Code      string    `db:"code" json:"code"`
	Name      string    `db:"name" json:"name"`
	TimeZone  string    `db:"time_zone" json:"timeZone"`
	Address   string    `db:"address" json:"address"`
	CreatedAt time.Time `db:"created_at" json:"createdAt"`
	// Parent is the parent council when the read that found this one
	// joined it in (the dashboard's page of donations); nil otherwise,
	// and then the API loads it by ParentID.
	Parent *Organization `db:"-" json:"-"`
}

// Location returns the organization's time zone, which decides its "today"
// and its date buckets.
func (o Organization) Location() *time.Location {
	if loc, ok := locations.Load(o.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC // unreachable: time zones are checked when recorded
	}
	locations.Store(o.TimeZone, loc)
	return loc
}

// locations keeps the zones Location has loaded. time.LoadLocation reads
// and parses the zone's file on every call: on the write path (every gift
// checks its date against the council's today) that was 5 % of the
// server's CPU. A zone's rules do not change while the server runs, and
// Indonesia has three, so the map stays small.
var locations sync.Map

// CallerLocation is the time zone in which a caller's "this year" is
// reckoned: an operator's council's; for anyone else (an admin, an
// auditor, a partner account) the root council's, the council the
// deployment serves. Not UTC: Indonesia's zones are 7 to 9 hours ahead,
// and a year would otherwise turn those hours late. A scope without a
// caller has none.
func (s *Store) CallerLocation(ctx context.Context, sc auth.Scope) (*time.Location, error) {
	if !sc.Valid() {
		return nil, auth.ErrForbidden
	}
	query, args := `SELECT time_zone FROM organizations WHERE parent_id IS NULL ORDER BY seq LIMIT 1`, []any{}
	if id := sc.Principal().OrganizationID; id != nil {
		query, args = `SELECT time_zone FROM organizations WHERE id = $1`, []any{*id}
	}
	var o Organization
	if err := s.db.GetContext(ctx, &o.TimeZone, query, args...); err != nil {
		return nil, fmt.Errorf("read the caller's time zone: %w", err)
	}
	return o.Location(), nil
}

// NotFuture refuses, at path, a date after today in o's time zone.
func (o Organization) NotFuture(path string, d calendar.Date) error {
	today := calendar.Today(o.Location())
	if d.After(today) {
		return fault.Refuse(path, fault.FutureDate,
			fmt.Sprintf("is in the future: today is %s for %s (%s)", today, o.Name, o.TimeZone))
	}
	return nil
}

const columns = `o.id, o.seq, o.parent_id, o.path::text AS path, o.kind, o.code, o.name, o.time_zone, o.address, o.created_at`

// Fields are where a row of columns (or of JoinedColumns) is scanned, in
// their order: for a hot read that scans its rows itself rather than
// through sqlx's reflection (TestHandScansMatchSqlx keeps them in step).
func (o *Organization) Fields() []any {
	return []any{&o.ID, &o.Seq, &o.ParentID, &o.Path, &o.Kind, &o.Code, &o.Name, &o.TimeZone, &o.Address, &o.CreatedAt}
}

// JoinedColumns are the columns of the organization joined as t, named
// prefix.column for a struct field tagged db:"prefix", and empty rather
// than NULL where an outer join found none (its ID is then "").
func JoinedColumns(t, prefix string) string {
	c := func(expr, name string) string { return expr + ` AS "` + prefix + `.` + name + `"` }
	return strings.Join([]string{
		c(`COALESCE(`+t+`.id::text, '')`, "id"), c(`COALESCE(`+t+`.seq, 0)`, "seq"), c(t+`.parent_id`, "parent_id"),
		c(`COALESCE(`+t+`.path::text, '')`, "path"), c(`COALESCE(`+t+`.kind, '')`, "kind"), c(`COALESCE(`+t+`.code, '')`, "code"),
		c(`COALESCE(`+t+`.name, '')`, "name"), c(`COALESCE(`+t+`.time_zone, '')`, "time_zone"), c(`COALESCE(`+t+`.address, '')`, "address"),
		c(`COALESCE(`+t+`.created_at, 'epoch')`, "created_at"),
	}, ", ")
}

// Store reads and writes organizations.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// Get returns organization id through q (a database or a transaction). The
// tree is visible to every signed-in caller; the records kept at each node
// are not.
func Get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Organization, error) {
	args := postgres.Args{id}
	return postgres.ByID[Organization](ctx, q, "organization",
		`SELECT `+columns+` FROM organizations o WHERE o.id = $1 AND `+sc.Tree(&args), id, args[1:]...)
}

// Organization returns organization id.
func (s *Store) Organization(ctx context.Context, sc auth.Scope, id string) (Organization, error) {
	if o, ok := recall(ctx, sc, id); ok {
		return o, nil
	}
	o, err := Get(ctx, s.db, sc, id)
	if err == nil {
		remember(ctx, sc, o)
	}
	return o, err
}

// ByIDs returns the organizations with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Organization, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + columns + ` FROM organizations o WHERE o.id::text = ANY($1) AND ` + sc.Tree(&args)
	var out []Organization
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get organizations by id: %w", err)
	}
	return out, nil
}

// ChildrenOf returns the direct children of each parent, ordered by name.
func (s *Store) ChildrenOf(ctx context.Context, sc auth.Scope, parentIDs []string) ([]Organization, error) {
	args := postgres.Args{pq.Array(postgres.IDs(parentIDs))}
	query := `SELECT ` + columns + ` FROM organizations o
		WHERE o.parent_id::text = ANY($1) AND ` + sc.Tree(&args) + `
		ORDER BY o.name, o.seq`
	var out []Organization
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get children: %w", err)
	}
	return out, nil
}

// Ancestors returns the chain from the root down to id's parent.
func (s *Store) Ancestors(ctx context.Context, sc auth.Scope, id string) ([]Organization, error) {
	if uuid.Validate(id) != nil {
		return nil, nil
	}
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM organizations o
		WHERE o.path @> (SELECT path FROM organizations WHERE id = $1) AND o.id <> $1 AND ` + sc.Tree(&args) + `
		ORDER BY nlevel(o.path)`
	var out []Organization
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get ancestors of %s: %w", id, err)
	}
	return out, nil
}

// Filter narrows a list of organizations.
type Filter struct {
	Under *string // a subtree, its root included
	Kind  *Kind
}

// SubtreePath returns the path of root for filtering the records of a
// subtree, or nil for no filter. An unknown root is refused at field, so a
// typo never lists everything, and so is a root whose records the caller
// does not see (an operator's filter outside its subtree).
func SubtreePath(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field string, root *string) (any, error) {
	if root == nil {
		return nil, nil
	}
	o, err := requireRead(ctx, q, sc, field, *root)
	if err != nil {
		return nil, err
	}
	if !sc.Sees(o.Path) {
		return nil, fault.Refuse(field, fault.Invalid, "lies outside the part of the council tree this account may read")
	}
	return o.Path, nil
}

// where returns the condition that selects the organizations f matches
// within sc, with its arguments.
func (s *Store) where(ctx context.Context, sc auth.Scope, f Filter) (string, postgres.Args, error) {
	var under any
	if f.Under != nil {
		o, ok := recall(ctx, sc, *f.Under)
		if !ok {
			var err error
			if o, err = Require(ctx, s.db, sc, "filter.under", *f.Under); err != nil {
				return "", nil, err
			}
			remember(ctx, sc, o)
		}
		under = o.Path
	}
	var a postgres.Args
	u, k := a.Add(under), a.Add(f.Kind)
	return `(` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree) AND (` + k + `::text IS NULL OR o.kind = ` + k + `)
		AND ` + sc.Tree(&a), a, nil
}

// List returns a page of organizations in creation order.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Organization], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Organization]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Organization]{}, err
	}
	query := `SELECT ` + columns + ` FROM organizations o WHERE ` + cond + ` ` + k.Clause(&args, "", "o.seq")
	var items []Organization
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Organization]{}, fmt.Errorf("list organizations: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many organizations f matches.
func (s *Store) Count(ctx context.Context, sc auth.Scope, f Filter) (int, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM organizations o WHERE `+cond, args...); err != nil {
		return 0, fmt.Errorf("count organizations: %w", err)
	}
	return n, nil
}

// NewOrganization is the input for Create.
type NewOrganization struct {
	ParentID       *string `json:"parentId"`
	Kind           Kind    `json:"kind"`
	Code           string  `json:"code"`
	Name           string  `json:"name"`
	TimeZone       *string `json:"timeZone"` // default: the parent's, or Asia/Jakarta for a root
	Address        string  `json:"address"`
	IdempotencyKey string  `json:"-"`
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,39}$`)

// Create adds an organization to the tree.
func (s *Store) Create(ctx context.Context, sc auth.Scope, in NewOrganization) (Organization, error) {
	allowed := parentKinds[in.Kind]
	w := change.Write{Mutation: "createOrganization", Action: "create", Entity: "organization", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			if _, known := parentKinds[in.Kind]; !known {
				v.Add("input.kind", fault.Invalid, "is not a kind of organization")
			}
			if !codePattern.MatchString(in.Code) {
				v.Add("input.code", fault.Invalid, "must be 1 to 40 capital letters, digits, '.', '_' or '-', starting with a letter or digit")
			}
			v.Text("input.name", in.Name, true, 200)
			v.Text("input.address", in.Address, false, 500)
			if in.TimeZone != nil {
				if _, err := time.LoadLocation(*in.TimeZone); err != nil || *in.TimeZone == "" || *in.TimeZone == "Local" {
					v.Add("input.timeZone", fault.Invalid, "is not an IANA time zone such as Asia/Makassar")
				}
			}
		}}
	o, err := change.Do(ctx, s.db, sc, w, Get, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		tz := "Asia/Jakarta"
		if in.ParentID == nil {
			if !sc.Reaches("") {
				return change.Applied{}, auth.ErrForbidden // an operator adds only within its subtree
			}
			if !rootKinds[in.Kind] {
				return change.Applied{}, fault.Refuse("input.parentId", fault.Required, fmt.Sprintf("a %s must have a parent", in.Kind))
			}
		} else {
			parent, err := RequireWritable(ctx, tx, sc, "input.parentId", *in.ParentID)
			if err != nil {
				return change.Applied{}, err
			}
			if !slices.Contains(allowed, parent.Kind) {
				return change.Applied{}, fault.Refuse("input.parentId", fault.Invalid,
					fmt.Sprintf("a %s cannot be placed under a %s", in.Kind, parent.Kind))
			}
			tz = parent.TimeZone
		}
		if in.TimeZone != nil {
			tz = *in.TimeZone
		}
		var id string
		err := tx.GetContext(ctx, &id, `
			INSERT INTO organizations (parent_id, kind, code, name, time_zone, address)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.ParentID, in.Kind, in.Code, in.Name, tz, in.Address)
		if c, ok := postgres.Violation(err); ok && c == "organizations_code_key" {
			return change.Applied{}, fault.Refuse("input.code", fault.Duplicate, "another organization already has this code")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert organization: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Organization{}, fmt.Errorf("create organization %s: %w", in.Code, err)
	}
	return o, nil
}

// Within reports whether o lies in the subtree of root (root included).
func Within(o, root Organization) bool { return PathWithin(o.Path, root.Path) }

// PathWithin reports whether the tree path p lies in the subtree at root.
func PathWithin(p, root string) bool { return p == root || strings.HasPrefix(p, root+".") }

// Require checks, inside tx, that id names an organization; field is the
// input path to blame.
func Require(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, id string) (Organization, error) {
	o, err := Get(ctx, q, sc, id)
	if errors.Is(err, fault.ErrNotFound) {
		return Organization{}, fault.Refuse(field, fault.Unknown, "no such organization")
	}
	return o, err
}

// Find returns the organization ref names: its id, or its code in any
// case ("bali-badung" is BALI-BADUNG).
func Find(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, ref string) (Organization, error) {
	if postgres.IsID(ref) {
		return Get(ctx, q, sc, ref)
	}
	if !fault.Storable(ref) {
		return Organization{}, fault.ErrNotFound // no code holds a NUL or invalid UTF-8
	}
	args := postgres.Args{ref}
	query := `SELECT ` + columns + ` FROM organizations o WHERE lower(o.code) = lower($1) AND ` + sc.Tree(&args)
	var o Organization
	err := sqlx.GetContext(ctx, q, &o, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Organization{}, fault.ErrNotFound
	}
	if err != nil {
		return Organization{}, fmt.Errorf("find organization %q: %w", ref, err)
	}
	return o, nil
}

// RequireRef is Require for an organization named by id or code, where a
// caller reads (filters, reports). An unknown code is refused with the
// codes nearest it. Writes take ids (Require): their stores insert the id
// they were given.
func RequireRef(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, ref string) (Organization, error) {
	o, err := Find(ctx, q, sc, ref)
	if !errors.Is(err, fault.ErrNotFound) {
		return o, err
	}
	msg := "no such organization"
	if !postgres.IsID(ref) && fault.Storable(ref) {
		args := postgres.Args{}
		var codes []string
		if err := sqlx.SelectContext(ctx, q, &codes, `SELECT o.code FROM organizations o WHERE `+sc.Tree(&args)+` ORDER BY o.code LIMIT 20000`, args...); err != nil {
			return Organization{}, fmt.Errorf("codes near %q: %w", ref, err)
		}
		if near := fault.Nearest(ref, codes, 3); len(near) > 0 {
			msg += "; did you mean " + strings.Join(near, " or ") + "?"
		}
	}
	return Organization{}, fault.Refuse(field, fault.Unknown, msg)
}

// RequireRefOrName is RequireRef that also takes an organization's exact
// name in any case, as ledgers print it ("Kabupaten Badung"): a name two
// organizations share is refused as ambiguous.
func RequireRefOrName(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, ref string) (Organization, error) {
	o, err := RequireRef(ctx, q, sc, field, ref)
	var in *fault.InvalidInput
	if err == nil || !errors.As(err, &in) || postgres.IsID(ref) || !fault.Storable(ref) {
		return o, err
	}
	args := postgres.Args{ref}
	var found []Organization
	if err := sqlx.SelectContext(ctx, q, &found, `SELECT `+columns+` FROM organizations o
		WHERE lower(o.name) = lower($1) AND `+sc.Tree(&args)+` ORDER BY o.code LIMIT 2`, args...); err != nil {
		return Organization{}, fmt.Errorf("find organization named %q: %w", ref, err)
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 2:
		return Organization{}, fault.Refuse(field, fault.Invalid, fmt.Sprintf("several organizations are named %q: give the code", ref))
	}
	return Organization{}, err
}

// ByCodeAnyCase returns the organization with code, in any case.
func (s *Store) ByCodeAnyCase(ctx context.Context, sc auth.Scope, code string) (Organization, error) {
	if postgres.IsID(code) {
		return Organization{}, fault.ErrNotFound // a code, not an id
	}
	return Find(ctx, s.db, sc, code)
}

// Resolve is RequireRef through the store.
func (s *Store) Resolve(ctx context.Context, sc auth.Scope, field, ref string) (Organization, error) {
	return requireRead(ctx, s.db, sc, field, ref)
}

// RequireWritable is Require for an organization the caller records
// something at: an operator writes only within its subtree.
func RequireWritable(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, id string) (Organization, error) {
	if tx, ok := q.(*change.Tx); ok && tx.Import != nil {
		// An import's rows name the same few councils thousands of times.
		v, err := tx.Import.Remember("organization|"+id, func() (any, error) { return Require(ctx, q, sc, field, id) })
		o, _ := v.(Organization)
		if err == nil && !sc.Reaches(o.Path) {
			return Organization{}, fault.Refuse(field, fault.Invalid, "lies outside the part of the council tree this account may record in")
		}
		return o, err
	}
	var o Organization
	var err error
	if tx, ok := q.(*change.Tx); ok {
		o, err = requireLocked(ctx, tx, sc, field, id)
	} else {
		o, err = Require(ctx, q, sc, field, id)
	}
	if err == nil && !sc.Reaches(o.Path) {
		return Organization{}, fault.Refuse(field, fault.Invalid, "lies outside the part of the council tree this account may record in")
	}
	return o, err
}

// requireLocked is Require inside a write, which also takes the key-share
// lock on the council and the councils above it that the closed-period
// check takes (closedThrough), in the same statement: a write's round trip
// less. The lock is taken whichever check follows, so a write that reads
// the close in force afterwards reads it after the lock, as it must.
func requireLocked(ctx context.Context, tx *change.Tx, sc auth.Scope, field, id string) (Organization, error) {
	args := postgres.Args{id}
	o, err := postgres.ByID[Organization](ctx, tx, "organization", `SELECT `+columns+` FROM organizations o
		WHERE o.id = $1 AND `+sc.Tree(&args)+`
		  AND (SELECT count(*) FROM (SELECT 1 FROM organizations a WHERE a.path @> o.path FOR KEY SHARE) l) > 0`, id, args[1:]...)
	if errors.Is(err, fault.ErrNotFound) {
		return Organization{}, fault.Refuse(field, fault.Unknown, "no such organization")
	}
	if err == nil {
		tx.Hold(ancestorsLock(o))
	}
	return o, err
}

// ancestorsLock names the key-share lock on o and the councils above it.
func ancestorsLock(o Organization) string { return "councils above " + o.Path }

// RequireRegency is Require for a regency/city council.
func RequireRegency(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, id string) (Organization, error) {
	o, err := Require(ctx, q, sc, field, id)
	if err == nil && o.Kind != RegencyCouncil {
		return Organization{}, fault.Refuse(field, fault.Invalid, "must be a regency/city council")
	}
	return o, err
}

// Placed is an organization found for another one, e.g. its regency.
type Placed struct {
	ForID string `db:"for_id"`
	Organization
}

// RegenciesOf returns, for each given organization at or below regency
// level, the regency/city council it is or lies under.
func (s *Store) RegenciesOf(ctx context.Context, sc auth.Scope, ids []string) ([]Placed, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT x.id AS for_id, ` + columns + `
		FROM organizations x JOIN organizations o ON o.kind = 'REGENCY_COUNCIL' AND o.path @> x.path
		WHERE x.id::text = ANY($1) AND ` + sc.Tree(&args)
	var out []Placed
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get regencies: %w", err)
	}
	return out, nil
}

// Writable returns every organization the caller may record at (an
// operator its subtree), by code: the choices of an import template.
func (s *Store) Writable(ctx context.Context, sc auth.Scope) ([]Organization, error) {
	var args postgres.Args
	query := `SELECT ` + columns + ` FROM organizations o WHERE ` + sc.Council(&args, "o.path") + ` ORDER BY o.code`
	var out []Organization
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list writable organizations: %w", err)
	}
	return out, nil
}

// ByCode returns the organization with code.
func (s *Store) ByCode(ctx context.Context, sc auth.Scope, code string) (Organization, error) {
	args := postgres.Args{code}
	query := `SELECT ` + columns + ` FROM organizations o WHERE o.code = $1 AND ` + sc.Tree(&args)
	var o Organization
	err := s.db.GetContext(ctx, &o, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Organization{}, fault.ErrNotFound
	}
	if err != nil {
		return Organization{}, fmt.Errorf("find organization %s: %w", code, err)
	}
	return o, nil
}

// Coverage counts the councils and institutions in the subtree of id.
type Coverage struct {
	Councils     int `db:"councils"`
	Institutions int `db:"institutions"`
}

// Coverage counts what a report over the subtree of id covers.
func (s *Store) Coverage(ctx context.Context, sc auth.Scope, id string) (Coverage, error) {
	under, err := SubtreePath(ctx, s.db, sc, "organizationId", &id)
	if err != nil {
		return Coverage{}, err
	}
	args := postgres.Args{under}
	query := `SELECT count(*) FILTER (WHERE o.kind <> 'INSTITUTION') AS councils, count(*) FILTER (WHERE o.kind = 'INSTITUTION') AS institutions
		FROM organizations o WHERE o.path <@ $1::ltree AND ` + sc.Tree(&args)
	var c Coverage
	if err := s.db.GetContext(ctx, &c, query, args...); err != nil {
		return Coverage{}, fmt.Errorf("coverage: %w", err)
	}
	return c, nil
}
