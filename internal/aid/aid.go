// Package aid is what councils deliver: the catalogue of aid types (PMT
// food packages, wheelchairs, house renovations …) and the aid outputs, each
// a delivery of a quantity of one type to a beneficiary group.
package aid

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Type is a kind of aid with the unit it is counted in.
type Type struct {
	ID        string    `db:"id" json:"id"`
	Seq       int64     `db:"seq" json:"-"`
	Code      string    `db:"code" json:"code"`
	Name      string    `db:"name" json:"name"`      // Indonesian
	NameEN    string    `db:"name_en" json:"nameEn"` // English
	Unit      string    `db:"unit" json:"unit"`      // paket, unit, stel …
	CreatedAt time.Time `db:"created_at" json:"createdAt"`
}

const typeColumns = `t.id, t.seq, t.code, t.name, t.name_en, t.unit, t.created_at`

// Store reads and writes aid types and aid outputs.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// GetType returns aid type id through q. The catalogue is shared by
// every council and visible to every signed-in caller.
func GetType(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Type, error) {
	args := postgres.Args{id}
	query := `SELECT ` + typeColumns + ` FROM aid_types t WHERE t.id = $1 AND ` + sc.Catalogue(&args)
	return postgres.ByID[Type](ctx, q, "aid type", query, id, args[1:]...)
}

// RequireType checks, inside tx, that id names an aid type; field is the
// input path to blame.
func RequireType(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, id string) (Type, error) {
	t, err := GetType(ctx, q, sc, id)
	if errors.Is(err, fault.ErrNotFound) {
		return Type{}, fault.Refuse(field, fault.Unknown, "no such aid type")
	}
	return t, err
}

// Type returns aid type id.
func (s *Store) Type(ctx context.Context, sc auth.Scope, id string) (Type, error) {
	return GetType(ctx, s.db, sc, id)
}

// TypeByCode returns the aid type with code, in any case.
func (s *Store) TypeByCode(ctx context.Context, sc auth.Scope, code string) (Type, error) {
	if !fault.Storable(code) {
		return Type{}, fault.ErrNotFound // no code holds a NUL or invalid UTF-8
	}
	args := postgres.Args{code}
	query := `SELECT ` + typeColumns + ` FROM aid_types t WHERE lower(t.code) = lower($1) AND ` + sc.Catalogue(&args)
	var t Type
	err := s.db.GetContext(ctx, &t, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Type{}, fault.ErrNotFound
	}
	if err != nil {
		return Type{}, fmt.Errorf("get aid type %s: %w", code, err)
	}
	return t, nil
}

// Types returns the whole catalogue in the order it was built.
func (s *Store) Types(ctx context.Context, sc auth.Scope) ([]Type, error) {
	var args postgres.Args
	query := `SELECT ` + typeColumns + ` FROM aid_types t WHERE ` + sc.Catalogue(&args) + ` ORDER BY t.seq`
	var out []Type
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list aid types: %w", err)
	}
	return out, nil
}

// TypesByIDs returns the aid types with the given ids, in no set order.
func (s *Store) TypesByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Type, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + typeColumns + ` FROM aid_types t WHERE t.id::text = ANY($1) AND ` + sc.Catalogue(&args)
	var out []Type
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get aid types by id: %w", err)
	}
	return out, nil
}

// NewType is the input for CreateType.
type NewType struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	NameEN         string `json:"nameEn"`
	Unit           string `json:"unit"`
	IdempotencyKey string `json:"-"`
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_]{0,39}$`)

// CreateType extends the catalogue, which every council shares: only an
// admin may.
func (s *Store) CreateType(ctx context.Context, sc auth.Scope, in NewType) (Type, error) {
	if err := sc.Require(auth.Admin); err != nil {
		return Type{}, err
	}
	w := change.Write{Mutation: "createAidType", Action: "create", Entity: "aid_type", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			if !codePattern.MatchString(in.Code) {
				v.Add("input.code", fault.Invalid, "must be 1 to 40 capital letters, digits or '_'")
			}
			v.Text("input.name", in.Name, true, 200)
			v.Text("input.nameEn", in.NameEN, true, 200)
			v.Text("input.unit", in.Unit, true, 40)
		}}
	t, err := change.Do(ctx, s.db, sc, w, GetType, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		var id string
		err := tx.GetContext(ctx, &id, `
			INSERT INTO aid_types (code, name, name_en, unit) VALUES ($1, $2, $3, $4) RETURNING id`,
			in.Code, in.Name, in.NameEN, in.Unit)
		if c, ok := postgres.Violation(err); ok && c == "aid_types_code_key" {
			return change.Applied{}, fault.Refuse("input.code", fault.Duplicate, "another aid type already has this code")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert aid type: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Type{}, fmt.Errorf("create aid type %s: %w", in.Code, err)
	}
	return t, nil
}

// RequireTypeRef returns the aid type ref names: its id, its code, or its
// Indonesian or English name, in any case. An unknown one is refused with
// the codes and names nearest it.
func RequireTypeRef(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, ref string) (Type, error) {
	if postgres.IsID(ref) {
		return RequireType(ctx, q, sc, field, ref)
	}
	if !fault.Storable(ref) {
		return Type{}, fault.Refuse(field, fault.Unknown, "no such aid type")
	}
	args := postgres.Args{}
	var types []Type
	if err := sqlx.SelectContext(ctx, q, &types, `SELECT `+typeColumns+` FROM aid_types t WHERE `+sc.Catalogue(&args)+` ORDER BY t.seq`, args...); err != nil {
		return Type{}, fmt.Errorf("find aid type %q: %w", ref, err)
	}
	var names []string
	for _, t := range types {
		if strings.EqualFold(t.Code, ref) || strings.EqualFold(t.Name, ref) || strings.EqualFold(t.NameEN, ref) {
			return t, nil
		}
		names = append(names, t.Code)
	}
	msg := "no such aid type"
	if near := fault.Nearest(ref, names, 3); len(near) > 0 {
		msg += "; did you mean " + strings.Join(near, " or ") + "?"
	}
	return Type{}, fault.Refuse(field, fault.Unknown, msg)
}

// ResolveType is RequireTypeRef through the store.
func (s *Store) ResolveType(ctx context.Context, sc auth.Scope, field, ref string) (Type, error) {
	return RequireTypeRef(ctx, s.db, sc, field, ref)
}
