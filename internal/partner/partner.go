// Package partner is who gives: CSR companies, retail chains hosting donation
// boxes, government units, individuals, businesses and community groups.
package partner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Kind is the kind of partner.
type Kind string

// The kinds of partner.
const (
	CSRCompany     Kind = "CSR_COMPANY"
	Retail         Kind = "RETAIL"
	GovernmentUnit Kind = "GOVERNMENT_UNIT"
	Individual     Kind = "INDIVIDUAL"
	Business       Kind = "BUSINESS"
	Community      Kind = "COMMUNITY"
)

var kinds = map[Kind]bool{CSRCompany: true, Retail: true, GovernmentUnit: true, Individual: true, Business: true, Community: true}

// Partner is a giver of money or goods.
type Partner struct {
	ID        string    `db:"id" json:"id"`
	Seq       int64     `db:"seq" json:"-"`
	Kind      Kind      `db:"kind" json:"kind"`
	Name      string    `db:"name" json:"name"`
	Notes     string    `db:"notes" json:"notes"`
	CreatedAt time.Time `db:"created_at" json:"createdAt"`
}

const columns = `p.id, p.seq, p.kind, p.name, p.notes, p.created_at`

// Fields are where a row of columns (or of JoinedColumns) is scanned, in
// their order (see organization.Organization.Fields).
func (p *Partner) Fields() []any {
	return []any{&p.ID, &p.Seq, &p.Kind, &p.Name, &p.Notes, &p.CreatedAt}
}

// JoinedColumns are the columns of the partner joined as t, named
// prefix.column for a struct field tagged db:"prefix", and empty rather
// than NULL where an outer join found none (its ID is then "").
func JoinedColumns(t, prefix string) string {
	c := func(expr, name string) string { return expr + ` AS "` + prefix + `.` + name + `"` }
	return strings.Join([]string{
		c(`COALESCE(`+t+`.id::text, '')`, "id"), c(`COALESCE(`+t+`.seq, 0)`, "seq"), c(`COALESCE(`+t+`.kind, '')`, "kind"),
		c(`COALESCE(`+t+`.name, '')`, "name"), c(`COALESCE(`+t+`.notes, '')`, "notes"), c(`COALESCE(`+t+`.created_at, 'epoch')`, "created_at"),
	}, ", ")
}

// Store reads and writes partners.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// Get returns partner id through q.
// A partner account sees only its own partner record.
func Get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Partner, error) {
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM partners p WHERE p.id = $1 AND ` + sc.Partners(&args, "p.id")
	return postgres.ByID[Partner](ctx, q, "partner", query, id, args[1:]...)
}

// Require checks, inside tx, that id names a partner; field is the input
// path to blame.
func Require(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, id string) (Partner, error) {
	p, err := Get(ctx, q, sc, id)
	if errors.Is(err, fault.ErrNotFound) {
		return Partner{}, fault.Refuse(field, fault.Unknown, "no such partner")
	}
	return p, err
}

// RequireName is Require for a partner named as a person writes it in a
// spreadsheet: its exact name in any case. An unknown name is refused
// with the names nearest it, a name several partners share as ambiguous.
func RequireName(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, name string) (Partner, error) {
	if !fault.Storable(name) {
		return Partner{}, fault.Refuse(field, fault.Unknown, "no such partner")
	}
	args := postgres.Args{name}
	var found []Partner
	if err := sqlx.SelectContext(ctx, q, &found, `SELECT `+columns+` FROM partners p
		WHERE lower(p.name) = lower($1) AND `+sc.Partners(&args, "p.id")+` ORDER BY p.name LIMIT 2`, args...); err != nil {
		return Partner{}, fmt.Errorf("find partner %q: %w", name, err)
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 2:
		return Partner{}, fault.Refuse(field, fault.Invalid, fmt.Sprintf("several partners are named %q", name))
	}
	args = postgres.Args{}
	var names []string
	if err := sqlx.SelectContext(ctx, q, &names, `SELECT p.name FROM partners p WHERE `+sc.Partners(&args, "p.id")+` ORDER BY p.name LIMIT 10000`, args...); err != nil {
		return Partner{}, fmt.Errorf("names near %q: %w", name, err)
	}
	near := fault.Nearest(name, names, 3)
	msg := "no such partner"
	if len(near) > 0 {
		msg += "; did you mean " + strings.Join(near, " or ") + "?"
	}
	return Partner{}, fault.Refuse(field, fault.Unknown, msg)
}

// ByName returns the partner with name, in any case; a name several
// partners share is refused rather than answered with one of them.
func (s *Store) ByName(ctx context.Context, sc auth.Scope, name string) (Partner, error) {
	p, err := RequireName(ctx, s.db, sc, "name", name)
	var in *fault.InvalidInput
	if errors.As(err, &in) && len(in.Fields) == 1 && in.Fields[0].Reason == fault.Unknown {
		return Partner{}, fault.ErrNotFound
	}
	return p, err
}

// Partner returns partner id.
func (s *Store) Partner(ctx context.Context, sc auth.Scope, id string) (Partner, error) {
	return Get(ctx, s.db, sc, id)
}

// ByIDs returns the partners with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Partner, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + columns + ` FROM partners p WHERE p.id::text = ANY($1) AND ` + sc.Partners(&args, "p.id")
	var out []Partner
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get partners by id: %w", err)
	}
	return out, nil
}

// Filter narrows a list of partners.
type Filter struct {
	Kind         *Kind
	NameContains *string
}

// where returns the condition that selects the partners f matches within
// sc, with its arguments.
func (f Filter) where(sc auth.Scope) (string, postgres.Args, error) {
	var v fault.InvalidInput
	v.OptionalText("filter.nameContains", f.NameContains, 200)
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	var a postgres.Args
	k, n := a.Add(f.Kind), a.Add(f.NameContains)
	return `(` + k + `::text IS NULL OR p.kind = ` + k + `) AND (` + n + `::text IS NULL OR strpos(lower(p.name), lower(` + n + `)) > 0)
		AND ` + sc.Partners(&a, "p.id"), a, nil
}

// All returns every partner the caller sees, by name: the choices of an
// import template.
func (s *Store) All(ctx context.Context, sc auth.Scope) ([]Partner, error) {
	var args postgres.Args
	query := `SELECT ` + columns + ` FROM partners p WHERE ` + sc.Partners(&args, "p.id") + ` ORDER BY p.name`
	var out []Partner
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	return out, nil
}

// List returns a page of partners in creation order.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Partner], error) {
	cond, args, err := f.where(sc)
	if err != nil {
		return page.Page[Partner]{}, err
	}
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Partner]{}, err
	}
	query := `SELECT ` + columns + ` FROM partners p WHERE ` + cond + ` ` + k.Clause(&args, "", "p.seq")
	var items []Partner
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Partner]{}, fmt.Errorf("list partners: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many partners f matches.
func (s *Store) Count(ctx context.Context, sc auth.Scope, f Filter) (int, error) {
	cond, args, err := f.where(sc)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM partners p WHERE `+cond, args...); err != nil {
		return 0, fmt.Errorf("count partners: %w", err)
	}
	return n, nil
}

// NewPartner is the input for Create.
type NewPartner struct {
	Kind           Kind   `json:"kind"`
	Name           string `json:"name"`
	Notes          string `json:"notes"`
	IdempotencyKey string `json:"-"`
}

// Create records a partner.
func (s *Store) Create(ctx context.Context, sc auth.Scope, in NewPartner) (Partner, error) {
	w := change.Write{Mutation: "createPartner", Action: "create", Entity: "partner", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			if !kinds[in.Kind] {
				v.Add("input.kind", fault.Invalid, "is not a kind of partner")
			}
			v.Text("input.name", in.Name, true, 200)
			v.Text("input.notes", in.Notes, false, 2000)
		}}
	p, err := change.Do(ctx, s.db, sc, w, Get, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		var id string
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO partners (kind, name, notes) VALUES ($1, $2, $3) RETURNING id`,
			in.Kind, in.Name, in.Notes); err != nil {
			return change.Applied{}, fmt.Errorf("insert partner: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Partner{}, fmt.Errorf("create partner: %w", err)
	}
	return p, nil
}

// Find returns the partner whose id or exact name is ref; a name that
// several partners share is refused, so the wrong one is never picked.
func (s *Store) Find(ctx context.Context, sc auth.Scope, ref string) (Partner, error) {
	if p, err := Get(ctx, s.db, sc, ref); err == nil || !errors.Is(err, fault.ErrNotFound) {
		return p, err
	}
	args := postgres.Args{ref}
	query := `SELECT p.id FROM partners p WHERE p.name = $1 AND ` + sc.Partners(&args, "p.id") + ` LIMIT 2`
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, query, args...); err != nil {
		return Partner{}, fmt.Errorf("find partner %q: %w", ref, err)
	}
	switch len(ids) {
	case 0:
		return Partner{}, fault.ErrNotFound
	case 1:
		return Get(ctx, s.db, sc, ids[0])
	}
	return Partner{}, fmt.Errorf("several partners are named %q: give the id", ref)
}

// Resolve returns the partner ref names: its id, or its exact name in any
// case (RequireName).
func (s *Store) Resolve(ctx context.Context, sc auth.Scope, field, ref string) (Partner, error) {
	if postgres.IsID(ref) {
		return Require(ctx, s.db, sc, field, ref)
	}
	return RequireName(ctx, s.db, sc, field, ref)
}
