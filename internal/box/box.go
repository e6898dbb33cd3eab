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
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/idempotency"
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

// getBox reads box id within the caller's scope; lock "FOR UPDATE OF b"
// locks the box row only, not its owner.
func getBox(ctx context.Context, q sqlx.QueryerContext, id, lock string) (Box, error) {
	return postgres.ByID[Box](ctx, q, "donation box", `SELECT `+boxColumns+` FROM `+boxFrom+`
		WHERE b.id = $1 AND `+scopeSQL(2)+` `+lock, id, auth.Subtree(ctx), auth.OwnPartner(ctx))
}

// Box returns box id.
func (s *Store) Box(ctx context.Context, id string) (Box, error) { return getBox(ctx, s.db, id, "") }

// ByIDs returns the boxes with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Box, error) {
	var out []Box
	err := s.db.SelectContext(ctx, &out, `SELECT `+boxColumns+` FROM `+boxFrom+` WHERE b.id::text = ANY($1) AND `+scopeSQL(2),
		pq.Array(ids), auth.Subtree(ctx), auth.OwnPartner(ctx))
	if err != nil {
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

// boxFrom and scopeSQL confine reads to what the caller may see: an operator
// the boxes its subtree owns, a partner the boxes it hosts.
const boxFrom = `donation_boxes b JOIN organizations o ON o.id = b.organization_id`

// scopeSQL is the scope condition with the subtree as $n and the partner as
// $n+1.
func scopeSQL(n int) string {
	return fmt.Sprintf(`($%d::ltree IS NULL OR o.path <@ $%d::ltree) AND ($%d::uuid IS NULL OR b.host_partner_id = $%d)`, n, n, n+1, n+1)
}

var boxFilterSQL = `
	($1::ltree IS NULL OR o.path <@ $1::ltree)
	AND ($2::uuid IS NULL OR b.host_partner_id = $2)
	AND ($3::uuid IS NULL OR b.regency_id = $3)
	AND ($4::date IS NULL OR (b.placed_on <= $4 AND (b.retired_on IS NULL OR b.retired_on >= $4)))
	AND ` + scopeSQL(5)

func checkIDs(ids map[string]*string) error {
	var v fault.InvalidInput
	for path, id := range ids {
		if id != nil && uuid.Validate(*id) != nil {
			v.Add(path, fault.Invalid, "is not an id")
		}
	}
	return v.Err()
}

func (s *Store) boxFilterArgs(ctx context.Context, f Filter) ([]any, error) {
	if err := checkIDs(map[string]*string{"filter.hostPartnerId": f.HostPartnerID, "filter.regencyId": f.RegencyID}); err != nil {
		return nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return nil, err
	}
	return []any{under, f.HostPartnerID, f.RegencyID, f.ActiveOn, auth.Subtree(ctx), auth.OwnPartner(ctx)}, nil
}

// List returns a page of boxes in the order they were registered.
func (s *Store) List(ctx context.Context, f Filter, r page.Request) (page.Page[Box], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Box]{}, err
	}
	args, err := s.boxFilterArgs(ctx, f)
	if err != nil {
		return page.Page[Box]{}, err
	}
	var items []Box
	err = s.db.SelectContext(ctx, &items, `
		SELECT `+boxColumns+` FROM `+boxFrom+`
		WHERE `+boxFilterSQL+` AND ($7::bigint IS NULL OR b.seq > $7)
		ORDER BY b.seq LIMIT $8`, append(args, k.AfterSeq, k.Limit+1)...)
	if err != nil {
		return page.Page[Box]{}, fmt.Errorf("list donation boxes: %w", err)
	}
	return page.Trim(items, k), nil
}

// Count returns how many boxes f matches.
func (s *Store) Count(ctx context.Context, f Filter) (int, error) {
	args, err := s.boxFilterArgs(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM `+boxFrom+`
		WHERE `+boxFilterSQL, args...)
	if err != nil {
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
func (s *Store) Create(ctx context.Context, in NewBox) (Box, error) {
	var v fault.InvalidInput
	if !codePattern.MatchString(in.Code) {
		v.Add("input.code", fault.Invalid, "must be 1 to 40 capital letters, digits, '.', '_' or '-'")
	}
	v.Text("input.address", in.Address, true, 500)
	calendar.Check(&v, "input.placedOn", in.PlacedOn)
	if err := v.Err(); err != nil {
		return Box{}, err
	}
	var id string
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, in.IdempotencyKey, "createDonationBox", in)
		if err != nil || prior != "" {
			id = prior
			return err
		}
		owner, err := organization.Require(ctx, tx, "input.organizationId", in.OrganizationID)
		if err != nil {
			return err
		}
		if owner.Kind == organization.Institution {
			return fault.Refuse("input.organizationId", fault.Invalid, "boxes are owned by councils, not institutions")
		}
		if err := owner.NotFuture("input.placedOn", in.PlacedOn); err != nil {
			return err
		}
		if _, err := partner.Require(ctx, tx, "input.hostPartnerId", in.HostPartnerID); err != nil {
			return err
		}
		if _, err := organization.RequireRegency(ctx, tx, "input.regencyId", in.RegencyID); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &id, `
			INSERT INTO donation_boxes (code, host_partner_id, organization_id, regency_id, address, placed_on)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.Code, in.HostPartnerID, in.OrganizationID, in.RegencyID, in.Address, in.PlacedOn)
		if c, ok := postgres.Violation(err); ok && c == "donation_boxes_code_key" {
			return fault.Refuse("input.code", fault.Duplicate, "another box already has this code")
		}
		if err != nil {
			return fmt.Errorf("insert donation box: %w", err)
		}
		created, err := getBox(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "create", "donation_box", id, nil, created); err != nil {
			return err
		}
		return idempotency.Complete(ctx, tx, in.IdempotencyKey, id)
	})
	if err != nil {
		return Box{}, fmt.Errorf("register donation box %s: %w", in.Code, err)
	}
	return s.Box(ctx, id)
}

// Retirement is the input for Retire.
type Retirement struct {
	BoxID          string        `json:"boxId"`
	RetiredOn      calendar.Date `json:"retiredOn"`
	IdempotencyKey string        `json:"-"`
}

// Retire takes a box out of service; no collection may come after it.
func (s *Store) Retire(ctx context.Context, in Retirement) (Box, error) {
	var v fault.InvalidInput
	calendar.Check(&v, "input.retiredOn", in.RetiredOn)
	if err := v.Err(); err != nil {
		return Box{}, err
	}
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, in.IdempotencyKey, "retireDonationBox", in)
		if err != nil || prior != "" {
			return err
		}
		b, err := getBox(ctx, tx, in.BoxID, "FOR UPDATE OF b")
		if errors.Is(err, fault.ErrNotFound) {
			return fault.Refuse("input.boxId", fault.Unknown, "no such donation box")
		}
		if err != nil {
			return err
		}
		if b.RetiredOn != nil {
			return fault.Refuse("input.boxId", fault.Invalid, "the box was already retired on "+b.RetiredOn.String())
		}
		if in.RetiredOn.Before(b.PlacedOn) {
			return fault.Refuse("input.retiredOn", fault.Invalid, "must not be before the box was placed ("+b.PlacedOn.String()+")")
		}
		var last *calendar.Date
		if err := tx.GetContext(ctx, &last, `SELECT max(collected_on) FROM box_collections WHERE box_id = $1`, b.ID); err != nil {
			return fmt.Errorf("last collection: %w", err)
		}
		if last != nil && in.RetiredOn.Before(*last) {
			return fault.Refuse("input.retiredOn", fault.Invalid, "must not be before the box's last collection ("+last.String()+")")
		}
		owner, err := organization.Get(ctx, tx, b.OrganizationID)
		if err != nil {
			return err
		}
		if err := owner.NotFuture("input.retiredOn", in.RetiredOn); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE donation_boxes SET retired_on = $2 WHERE id = $1`, b.ID, in.RetiredOn); err != nil {
			return fmt.Errorf("retire: %w", err)
		}
		after := b
		after.RetiredOn = &in.RetiredOn
		if err := audit.Record(ctx, tx, "retire", "donation_box", b.ID, b, after); err != nil {
			return err
		}
		return idempotency.Complete(ctx, tx, in.IdempotencyKey, b.ID)
	})
	if err != nil {
		return Box{}, fmt.Errorf("retire donation box %s: %w", in.BoxID, err)
	}
	return s.Box(ctx, in.BoxID)
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
