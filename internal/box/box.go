// Package box is the donation boxes placed in shops across a province and
// their collections: each opening is counted by two people, resealed, and
// becomes a donation in the same transaction.
package box

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Box is a donation box placed with a host.
type Box struct {
	ID             string         `db:"id" json:"id"`
	Seq            int64          `db:"seq" json:"-"`
	Code           string         `db:"code" json:"code"`
	HostPartnerID  string         `db:"host_partner_id" json:"hostPartnerId"`
	OrganizationID string         `db:"organization_id" json:"organizationId"`
	RegencyID      string         `db:"regency_id" json:"regencyId"`
	Address        string         `db:"address" json:"address"`
	PlacedOn       calendar.Date  `db:"placed_on" json:"placedOn"`
	RetiredOn      *calendar.Date `db:"retired_on" json:"retiredOn"`
	CreatedAt      time.Time      `db:"created_at" json:"createdAt"`
}

const boxColumns = `b.id, b.seq, b.code, b.host_partner_id, b.organization_id, b.regency_id, b.address,
	b.placed_on, b.retired_on, b.created_at`

// Store reads and writes boxes and their collections.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// boxFrom joins each box to its owner o, whose path (and the box's host)
// the caller's scope confines: an operator the boxes its subtree owns, a
// partner the boxes it hosts.
const boxFrom = `donation_boxes b JOIN organizations o ON o.id = b.organization_id`

// scope is the caller's condition on boxFrom (and on collections joined to it).
func scope(sc auth.Scope, a *postgres.Args) string { return sc.Gifts(a, "o.path", "b.host_partner_id") }

// getBox reads box id within the caller's scope.
func getBox(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Box, error) {
	args := postgres.Args{id}
	query := `SELECT ` + boxColumns + ` FROM ` + boxFrom + ` WHERE b.id = $1 AND ` + scope(sc, &args)
	return postgres.ByID[Box](ctx, q, "donation box", query, id, args[1:]...)
}

// lockBox reads box id within the caller's scope and locks its row (not
// its owner's) until tx ends: openings and retirement of one box take turns.
func lockBox(ctx context.Context, tx *change.Tx, field, id string) (Box, error) {
	args := postgres.Args{id}
	query := `SELECT ` + boxColumns + ` FROM ` + boxFrom + ` WHERE b.id = $1 AND ` + scope(tx.Scope, &args) + ` FOR UPDATE OF b`
	b, err := postgres.ByID[Box](ctx, tx, "donation box", query, id, args[1:]...)
	if errors.Is(err, fault.ErrNotFound) {
		return Box{}, fault.Refuse(field, fault.Unknown, "no such donation box")
	}
	return b, err
}

// Box returns box id.
func (s *Store) Box(ctx context.Context, sc auth.Scope, id string) (Box, error) {
	return getBox(ctx, s.db, sc, id)
}

// ByIDs returns the boxes with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Box, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + boxColumns + ` FROM ` + boxFrom + ` WHERE b.id::text = ANY($1) AND ` + scope(sc, &args)
	var out []Box
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get donation boxes by id: %w", err)
	}
	return out, nil
}

// Filter narrows a list of boxes.
type Filter struct {
	OrganizationID *string // owning council's subtree
	HostPartnerID  *string
	RegencyID      *string
	ActiveOn       *calendar.Date // placed on or before, and not retired before
}

// refs is what a filter names, by id or as a person writes it.
type refs struct {
	box, host, regency **string // a box's code, a partner's name, a regency council's code
}

// resolve turns the codes and names refs holds into ids, refusing unknown
// ones with the nearest (a filter reads them as an operator types them).
func resolve(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, r refs) error {
	var v fault.InvalidInput
	if r.box != nil && *r.box != nil && !postgres.IsID(**r.box) {
		b, err := RequireRef(ctx, q, sc, "filter.boxId", **r.box)
		if v.Collect(err) {
			*r.box = &b.ID
		}
	}
	if r.host != nil && *r.host != nil && !postgres.IsID(**r.host) {
		p, err := partner.RequireName(ctx, q, sc, "filter.hostPartnerId", **r.host)
		if v.Collect(err) {
			*r.host = &p.ID
		}
	}
	if r.regency != nil && *r.regency != nil && !postgres.IsID(**r.regency) {
		o, err := organization.RequireRef(ctx, q, sc, "filter.regencyId", **r.regency)
		if v.Collect(err) {
			*r.regency = &o.ID
		}
	}
	return v.Failed()
}

// where returns the condition that selects the boxes f matches within sc,
// with its arguments.
func (s *Store) where(ctx context.Context, sc auth.Scope, f Filter) (string, postgres.Args, error) {
	if err := resolve(ctx, s.db, sc, refs{host: &f.HostPartnerID, regency: &f.RegencyID}); err != nil {
		return "", nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	u, host, regency, active := a.Add(under), a.Add(f.HostPartnerID), a.Add(f.RegencyID), a.Add(f.ActiveOn)
	return `(` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree)
	AND (` + host + `::uuid IS NULL OR b.host_partner_id = ` + host + `)
	AND (` + regency + `::uuid IS NULL OR b.regency_id = ` + regency + `)
	AND (` + active + `::date IS NULL OR (b.placed_on <= ` + active + ` AND (b.retired_on IS NULL OR b.retired_on >= ` + active + `)))
	AND ` + scope(sc, &a), a, nil
}

// InService returns every box in service that the caller may record
// openings of, by code: the choices of an import template.
func (s *Store) InService(ctx context.Context, sc auth.Scope) ([]Box, error) {
	var args postgres.Args
	query := `SELECT ` + boxColumns + ` FROM ` + boxFrom + ` WHERE b.retired_on IS NULL AND ` + sc.Council(&args, "o.path") + ` ORDER BY b.code`
	var out []Box
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list boxes in service: %w", err)
	}
	return out, nil
}

// List returns a page of boxes in the order they were registered.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Box], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Box]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Box]{}, err
	}
	query := `SELECT ` + boxColumns + ` FROM ` + boxFrom + ` WHERE ` + cond + ` ` + k.Clause(&args, "", "b.seq")
	var items []Box
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Box]{}, fmt.Errorf("list donation boxes: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many boxes f matches.
func (s *Store) Count(ctx context.Context, sc auth.Scope, f Filter) (int, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM `+boxFrom+` WHERE `+cond, args...); err != nil {
		return 0, fmt.Errorf("count donation boxes: %w", err)
	}
	return n, nil
}

// NewBox is the input for Create.
type NewBox struct {
	Code           string        `json:"code"`
	HostPartnerID  string        `json:"hostPartnerId"`
	OrganizationID string        `json:"organizationId"`
	RegencyID      string        `json:"regencyId"`
	Address        string        `json:"address"`
	PlacedOn       calendar.Date `json:"placedOn"`
	IdempotencyKey string        `json:"-"`
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,39}$`)

// Create registers a box placed with a host.
func (s *Store) Create(ctx context.Context, sc auth.Scope, in NewBox) (Box, error) {
	w := change.Write{Mutation: "createDonationBox", Action: "create", Entity: "donation_box", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			if !codePattern.MatchString(in.Code) {
				v.Add("input.code", fault.Invalid, "must be 1 to 40 capital letters, digits, '.', '_' or '-'")
			}
			v.Text("input.address", in.Address, true, 500)
			calendar.Check(v, "input.placedOn", in.PlacedOn)
		}}
	b, err := change.Do(ctx, s.db, sc, w, getBox, func(tx *change.Tx) (change.Applied, error) {
		v := &tx.Refused
		owner, err := organization.RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if v.Collect(err) {
			if owner.Kind == organization.Institution {
				v.Add("input.organizationId", fault.Invalid, "boxes are owned by councils, not institutions")
			}
			if !in.PlacedOn.IsZero() && v.Collect(owner.NotFuture("input.placedOn", in.PlacedOn)) {
				v.Collect(organization.CheckOpen(ctx, tx, owner, "input.placedOn", in.PlacedOn))
			}
		}
		_, err = partner.Require(ctx, tx, sc, "input.hostPartnerId", in.HostPartnerID)
		v.Collect(err)
		_, err = organization.RequireRegency(ctx, tx, sc, "input.regencyId", in.RegencyID)
		v.Collect(err)
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO donation_boxes (code, host_partner_id, organization_id, regency_id, address, placed_on)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.Code, in.HostPartnerID, in.OrganizationID, in.RegencyID, in.Address, in.PlacedOn)
		if c, ok := postgres.Violation(err); ok && c == "donation_boxes_code_key" {
			return change.Applied{}, fault.Refuse("input.code", fault.Duplicate, "another box already has this code")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert donation box: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Box{}, fmt.Errorf("register donation box %s: %w", in.Code, err)
	}
	return b, nil
}

// Retirement is the input for Retire.
type Retirement struct {
	BoxID          string        `json:"boxId"`
	RetiredOn      calendar.Date `json:"retiredOn"`
	IdempotencyKey string        `json:"-"`
}

// Retire takes a box out of service; no collection may come after it.
func (s *Store) Retire(ctx context.Context, sc auth.Scope, in Retirement) (Box, error) {
	w := change.Write{Mutation: "retireDonationBox", Action: "retire", Entity: "donation_box", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { calendar.Check(v, "input.retiredOn", in.RetiredOn) }}
	b, err := change.Do(ctx, s.db, sc, w, getBox, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		b, err := lockBox(ctx, tx, "input.boxId", in.BoxID)
		if err != nil {
			return change.Applied{}, err
		}
		owner, err := organization.RequireWritable(ctx, tx, sc, "input.boxId", b.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		if b.RetiredOn != nil {
			return change.Applied{}, fault.Refuse("input.boxId", fault.Invalid, "the box was already retired on "+b.RetiredOn.String())
		}
		if in.RetiredOn.Before(b.PlacedOn) {
			return change.Applied{}, fault.Refuse("input.retiredOn", fault.Invalid, "must not be before the box was placed ("+b.PlacedOn.String()+")")
		}
		var last *calendar.Date
		if err := tx.GetContext(ctx, &last, `SELECT max(collected_on) FROM box_collections WHERE box_id = $1 AND reverses_id IS NULL`, b.ID); err != nil {
			return change.Applied{}, fmt.Errorf("last collection: %w", err)
		}
		if last != nil && in.RetiredOn.Before(*last) {
			return change.Applied{}, fault.Refuse("input.retiredOn", fault.Invalid, "must not be before the box's last collection ("+last.String()+")")
		}
		if err := owner.NotFuture("input.retiredOn", in.RetiredOn); err != nil {
			return change.Applied{}, err
		}
		if err := organization.CheckOpen(ctx, tx, owner, "input.retiredOn", in.RetiredOn); err != nil {
			return change.Applied{}, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE donation_boxes SET retired_on = $2 WHERE id = $1`, b.ID, in.RetiredOn); err != nil {
			return change.Applied{}, fmt.Errorf("retire: %w", err)
		}
		return change.Applied{ID: b.ID, Before: b}, nil
	})
	if err != nil {
		return Box{}, fmt.Errorf("retire donation box %s: %w", in.BoxID, err)
	}
	return b, nil
}

// jsonb is a value stored as JSON.
type jsonb[T any] struct{ V T }

func (j *jsonb[T]) Scan(src any) error {
	switch b := src.(type) {
	case nil:
		var zero T
		j.V = zero
		return nil
	case []byte:
		return json.Unmarshal(b, &j.V)
	case string:
		return json.Unmarshal([]byte(b), &j.V)
	}
	return fmt.Errorf("scan json from %T", src)
}

func (j jsonb[T]) MarshalJSON() ([]byte, error) { return json.Marshal(j.V) }

// RequireRef returns the box ref names, its id or its code in any case,
// within the caller's scope; an unknown code is refused with the codes
// nearest it.
func RequireRef(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, ref string) (Box, error) {
	if postgres.IsID(ref) {
		b, err := getBox(ctx, q, sc, ref)
		if errors.Is(err, fault.ErrNotFound) {
			return Box{}, fault.Refuse(field, fault.Unknown, "no such donation box")
		}
		return b, err
	}
	if !fault.Storable(ref) {
		return Box{}, fault.Refuse(field, fault.Unknown, "no such donation box")
	}
	args := postgres.Args{ref}
	var found []Box
	if err := sqlx.SelectContext(ctx, q, &found, `SELECT `+boxColumns+` FROM `+boxFrom+`
		WHERE lower(b.code) = lower($1) AND `+scope(sc, &args)+` ORDER BY b.code LIMIT 1`, args...); err != nil {
		return Box{}, fmt.Errorf("find box %q: %w", ref, err)
	}
	if len(found) == 1 {
		return found[0], nil
	}
	args = postgres.Args{}
	var codes []string
	if err := sqlx.SelectContext(ctx, q, &codes, `SELECT b.code FROM `+boxFrom+` WHERE `+scope(sc, &args)+` ORDER BY b.code LIMIT 50000`, args...); err != nil {
		return Box{}, fmt.Errorf("box codes near %q: %w", ref, err)
	}
	msg := "no such donation box"
	if near := fault.Nearest(ref, codes, 3); len(near) > 0 {
		msg += "; did you mean " + strings.Join(near, " or ") + "?"
	}
	return Box{}, fault.Refuse(field, fault.Unknown, msg)
}

// ByCode returns the box with code, in any case, within the caller's scope.
func (s *Store) ByCode(ctx context.Context, sc auth.Scope, code string) (Box, error) {
	if !fault.Storable(code) {
		return Box{}, fault.ErrNotFound
	}
	args := postgres.Args{code}
	var found []Box
	if err := s.db.SelectContext(ctx, &found, `SELECT `+boxColumns+` FROM `+boxFrom+`
		WHERE lower(b.code) = lower($1) AND `+scope(sc, &args)+` ORDER BY b.code LIMIT 1`, args...); err != nil {
		return Box{}, fmt.Errorf("find box %q: %w", code, err)
	}
	if len(found) == 0 {
		return Box{}, fault.ErrNotFound
	}
	return found[0], nil
}

// Resolve is RequireRef through the store.
func (s *Store) Resolve(ctx context.Context, sc auth.Scope, field, ref string) (Box, error) {
	return RequireRef(ctx, s.db, sc, field, ref)
}
