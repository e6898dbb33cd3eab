// Package partner is who gives: CSR companies, retail chains hosting donation
// boxes, government units, individuals, businesses and community groups.
package partner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/idempotency"
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

// Store reads and writes partners.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// Get returns partner id through q.
// A partner account sees only its own partner record.
func Get(ctx context.Context, q sqlx.QueryerContext, id string) (Partner, error) {
	return postgres.ByID[Partner](ctx, q, "partner",
		`SELECT `+columns+` FROM partners p WHERE p.id = $1 AND ($2::uuid IS NULL OR p.id = $2)`, id, auth.OwnPartner(ctx))
}

// Require checks, inside tx, that id names a partner; field is the input
// path to blame.
func Require(ctx context.Context, q sqlx.QueryerContext, field, id string) (Partner, error) {
	p, err := Get(ctx, q, id)
	if errors.Is(err, fault.ErrNotFound) {
		return Partner{}, fault.Refuse(field, fault.Unknown, "no such partner")
	}
	return p, err
}

// Partner returns partner id.
func (s *Store) Partner(ctx context.Context, id string) (Partner, error) {
	return Get(ctx, s.db, id)
}

// ByIDs returns the partners with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Partner, error) {
	var out []Partner
	err := s.db.SelectContext(ctx, &out, `SELECT `+columns+` FROM partners p
		WHERE p.id::text = ANY($1) AND ($2::uuid IS NULL OR p.id = $2)`, pq.Array(ids), auth.OwnPartner(ctx))
	if err != nil {
		return nil, fmt.Errorf("get partners by id: %w", err)
	}
	return out, nil
}

// Filter narrows a list of partners.
type Filter struct {
	Kind         *Kind
	NameContains *string
}

// filterSQL applies a Filter given as $1 (kind) and $2 (name part), and the
// caller's own partner as $3.
const filterSQL = `($1::text IS NULL OR p.kind = $1) AND ($2::text IS NULL OR strpos(lower(p.name), lower($2)) > 0)
	AND ($3::uuid IS NULL OR p.id = $3)`

func (f Filter) check() error {
	var v fault.InvalidInput
	v.OptionalText("filter.nameContains", f.NameContains, 200)
	return v.Err()
}

// List returns a page of partners in creation order.
func (s *Store) List(ctx context.Context, f Filter, r page.Request) (page.Page[Partner], error) {
	if err := f.check(); err != nil {
		return page.Page[Partner]{}, err
	}
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Partner]{}, err
	}
	var items []Partner
	err = s.db.SelectContext(ctx, &items, `
		SELECT `+columns+` FROM partners p WHERE `+filterSQL+`
		  AND ($4::bigint IS NULL OR p.seq > $4)
		ORDER BY p.seq LIMIT $5`, f.Kind, f.NameContains, auth.OwnPartner(ctx), k.AfterSeq, k.Limit+1)
	if err != nil {
		return page.Page[Partner]{}, fmt.Errorf("list partners: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many partners f matches.
func (s *Store) Count(ctx context.Context, f Filter) (int, error) {
	if err := f.check(); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM partners p WHERE `+filterSQL, f.Kind, f.NameContains, auth.OwnPartner(ctx)); err != nil {
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
func (s *Store) Create(ctx context.Context, in NewPartner) (Partner, error) {
	var v fault.InvalidInput
	if !kinds[in.Kind] {
		v.Add("input.kind", fault.Invalid, "is not a kind of partner")
	}
	v.Text("input.name", in.Name, true, 200)
	v.Text("input.notes", in.Notes, false, 2000)
	if err := v.Err(); err != nil {
		return Partner{}, err
	}
	var id string
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, in.IdempotencyKey, "createPartner", in)
		if err != nil || prior != "" {
			id = prior
			return err
		}
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO partners (kind, name, notes) VALUES ($1, $2, $3) RETURNING id`,
			in.Kind, in.Name, in.Notes); err != nil {
			return fmt.Errorf("insert partner: %w", err)
		}
		created, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "create", "partner", id, nil, created); err != nil {
			return err
		}
		return idempotency.Complete(ctx, tx, in.IdempotencyKey, id)
	})
	if err != nil {
		return Partner{}, fmt.Errorf("create partner: %w", err)
	}
	return s.Partner(ctx, id)
}

// Find returns the partner whose id or exact name is ref; a name that
// several partners share is refused, so the wrong one is never picked.
func (s *Store) Find(ctx context.Context, ref string) (Partner, error) {
	if p, err := Get(ctx, s.db, ref); err == nil || !errors.Is(err, fault.ErrNotFound) {
		return p, err
	}
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM partners WHERE name = $1 LIMIT 2`, ref); err != nil {
		return Partner{}, fmt.Errorf("find partner %q: %w", ref, err)
	}
	switch len(ids) {
	case 0:
		return Partner{}, fault.ErrNotFound
	case 1:
		return Get(ctx, s.db, ids[0])
	}
	return Partner{}, fmt.Errorf("several partners are named %q: give the id", ref)
}
