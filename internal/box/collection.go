package box

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/idempotency"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Denomination is a count of notes or coins of one value.
type Denomination struct {
	Value money.Rupiah `json:"value"`
	Count int          `json:"count"`
}

// Collection is one opening of a box.
type Collection struct {
	ID          string                `db:"id" json:"id"`
	Seq         int64                 `db:"seq" json:"-"`
	BoxID       string                `db:"box_id" json:"boxId"`
	Number      int                   `db:"number" json:"number"` // 1 for the box's first opening, and so on
	CollectedOn calendar.Date         `db:"collected_on" json:"collectedOn"`
	Amount      money.Rupiah          `db:"amount" json:"amount"`
	Counted     jsonb[[]Denomination] `db:"denominations" json:"denominations"`
	CountedBy1  string                `db:"counted_by_1" json:"countedBy1"`
	CountedBy2  string                `db:"counted_by_2" json:"countedBy2"`
	SealRemoved string                `db:"seal_removed" json:"sealRemoved"`
	SealApplied *string               `db:"seal_applied" json:"sealApplied"`
	DonationID  string                `db:"donation_id" json:"donationId"`
	CreatedAt   time.Time             `db:"created_at" json:"createdAt"`
}

// Denominations returns the count by note or coin, if one was made.
func (c Collection) Denominations() []Denomination { return c.Counted.V }

// CountedBy returns the two people who counted the cash.
func (c Collection) CountedBy() []string { return []string{c.CountedBy1, c.CountedBy2} }

const collectionColumns = `c.id, c.seq, c.box_id, c.number, c.collected_on, c.amount, c.denominations,
	c.counted_by_1, c.counted_by_2, c.seal_removed, c.seal_applied, c.donation_id, c.created_at`

func getCollection(ctx context.Context, q sqlx.QueryerContext, id string) (Collection, error) {
	return postgres.ByID[Collection](ctx, q, "box collection", `SELECT `+collectionColumns+` FROM `+collectionFrom+`
		WHERE c.id = $1 AND `+scopeSQL(2), id, auth.Subtree(ctx), auth.OwnPartner(ctx))
}

// Collection returns box collection id.
func (s *Store) Collection(ctx context.Context, id string) (Collection, error) {
	return getCollection(ctx, s.db, id)
}

// CollectionFilter narrows a list of collections.
type CollectionFilter struct {
	From, To       *calendar.Date
	OrganizationID *string // the owning council's subtree
	BoxID          *string
	HostPartnerID  *string
	RegencyID      *string
}

var collectionFilterSQL = `
	($1::date IS NULL OR c.collected_on >= $1) AND ($2::date IS NULL OR c.collected_on <= $2)
	AND ($3::ltree IS NULL OR o.path <@ $3::ltree)
	AND ($4::uuid IS NULL OR c.box_id = $4)
	AND ($5::uuid IS NULL OR b.host_partner_id = $5)
	AND ($6::uuid IS NULL OR b.regency_id = $6)
	AND ` + scopeSQL(7)

const collectionFrom = `box_collections c JOIN donation_boxes b ON b.id = c.box_id JOIN organizations o ON o.id = b.organization_id`

func (s *Store) collectionFilterArgs(ctx context.Context, f CollectionFilter) ([]any, error) {
	if err := checkIDs(map[string]*string{"filter.boxId": f.BoxID, "filter.hostPartnerId": f.HostPartnerID, "filter.regencyId": f.RegencyID}); err != nil {
		return nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return nil, err
	}
	return []any{f.From, f.To, under, f.BoxID, f.HostPartnerID, f.RegencyID, auth.Subtree(ctx), auth.OwnPartner(ctx)}, nil
}

// Collections returns a page of collections in date order.
func (s *Store) Collections(ctx context.Context, f CollectionFilter, r page.Request) (page.Page[Collection], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Collection]{}, err
	}
	args, err := s.collectionFilterArgs(ctx, f)
	if err != nil {
		return page.Page[Collection]{}, err
	}
	var items []Collection
	err = s.db.SelectContext(ctx, &items, `
		SELECT `+collectionColumns+` FROM `+collectionFrom+`
		WHERE `+collectionFilterSQL+`
		  AND ($9::bigint IS NULL OR (c.collected_on, c.seq) > ($10::date, $9::bigint))
		ORDER BY c.collected_on, c.seq LIMIT $11`, append(args, k.AfterSeq, k.AfterDate, k.Limit+1)...)
	if err != nil {
		return page.Page[Collection]{}, fmt.Errorf("list box collections: %w", err)
	}
	return page.Trim(items, k), nil
}

// CollectionTotals counts and sums collections.
type CollectionTotals struct {
	Count  int          `db:"count"`
	Amount money.Rupiah `db:"amount"`
}

// CollectionTotals counts and sums the collections f matches.
func (s *Store) CollectionTotals(ctx context.Context, f CollectionFilter) (CollectionTotals, error) {
	args, err := s.collectionFilterArgs(ctx, f)
	if err != nil {
		return CollectionTotals{}, err
	}
	var t CollectionTotals
	err = s.db.GetContext(ctx, &t, `
		SELECT count(*) AS count, COALESCE(SUM(c.amount), 0)::bigint AS amount FROM `+collectionFrom+`
		WHERE `+collectionFilterSQL, args...)
	if err != nil {
		return CollectionTotals{}, fmt.Errorf("sum box collections: %w", err)
	}
	return t, nil
}

// NewCollection is the input for RecordCollection.
type NewCollection struct {
	BoxID          string         `json:"boxId"`
	CollectedOn    calendar.Date  `json:"collectedOn"`
	Amount         money.Rupiah   `json:"amount"`
	Denominations  []Denomination `json:"denominations"`
	CountedBy      []string       `json:"countedBy"`
	SealRemoved    string         `json:"sealRemoved"`
	SealApplied    *string        `json:"sealApplied"`
	IdempotencyKey string         `json:"-"`
}

func (in NewCollection) validate() error {
	var v fault.InvalidInput
	calendar.Check(&v, "input.collectedOn", in.CollectedOn)
	money.Check(&v, "input.amount", in.Amount)
	if len(in.CountedBy) != 2 {
		v.Add("input.countedBy", fault.Invalid, "two people count a box: give exactly two names")
	} else {
		v.Text("input.countedBy.0", in.CountedBy[0], true, 200)
		v.Text("input.countedBy.1", in.CountedBy[1], true, 200)
		if strings.EqualFold(strings.TrimSpace(in.CountedBy[0]), strings.TrimSpace(in.CountedBy[1])) {
			v.Add("input.countedBy.1", fault.Invalid, "the two counters must be different people")
		}
	}
	v.Text("input.sealRemoved", in.SealRemoved, true, 100)
	if in.SealApplied != nil {
		v.Text("input.sealApplied", *in.SealApplied, true, 100)
	}
	if len(in.Denominations) > 0 {
		var sum money.Rupiah
		for i, d := range in.Denominations {
			p := fmt.Sprintf("input.denominations.%d.", i)
			money.Check(&v, p+"value", d.Value)
			if d.Count <= 0 || d.Count > 1_000_000 {
				v.Add(p+"count", fault.Invalid, "must be between 1 and 1000000")
			}
			sum += d.Value * money.Rupiah(d.Count)
		}
		if len(in.Denominations) > 30 {
			v.Add("input.denominations", fault.TooLong, "at most 30 denominations")
		} else if sum != in.Amount {
			v.Add("input.denominations", fault.Invalid,
				fmt.Sprintf("add up to %s, but the amount is %s", sum, in.Amount))
		}
	}
	return v.Err()
}

// RecordCollection records a box opening and, in the same transaction, the
// donation it becomes. The box row is locked, so concurrent openings of one
// box are numbered in turn and checked against its retirement.
func (s *Store) RecordCollection(ctx context.Context, in NewCollection) (Collection, error) {
	if err := in.validate(); err != nil {
		return Collection{}, err
	}
	var id string
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, in.IdempotencyKey, "recordBoxCollection", in)
		if err != nil || prior != "" {
			id = prior
			return err
		}
		b, err := getBox(ctx, tx, in.BoxID, "FOR UPDATE OF b")
		if errors.Is(err, fault.ErrNotFound) {
			return fault.Refuse("input.boxId", fault.Unknown, "no such donation box")
		}
		if err != nil {
			return err
		}
		if in.CollectedOn.Before(b.PlacedOn) {
			return fault.Refuse("input.collectedOn", fault.Invalid, "is before the box was placed ("+b.PlacedOn.String()+")")
		}
		if b.RetiredOn != nil && in.CollectedOn.After(*b.RetiredOn) {
			return fault.Refuse("input.boxId", fault.Invalid, "the box was retired on "+b.RetiredOn.String())
		}
		owner, err := organization.Get(ctx, tx, b.OrganizationID)
		if err != nil {
			return err
		}
		if err := owner.NotFuture("input.collectedOn", in.CollectedOn); err != nil {
			return err
		}
		var number int
		if err := tx.GetContext(ctx, &number, `SELECT COALESCE(max(number), 0) + 1 FROM box_collections WHERE box_id = $1`, b.ID); err != nil {
			return fmt.Errorf("next collection number: %w", err)
		}
		donationID, err := donation.InsertBoxDonation(ctx, tx, donation.BoxDonation{
			OrganizationID: b.OrganizationID,
			HostPartnerID:  b.HostPartnerID,
			CollectedOn:    in.CollectedOn,
			Amount:         in.Amount,
			Reference:      fmt.Sprintf("KOTAK-%s-%d", b.Code, number),
		})
		if err != nil {
			return err
		}
		var denominations any
		if len(in.Denominations) > 0 {
			raw, _ := json.Marshal(in.Denominations)
			denominations = string(raw)
		}
		err = tx.GetContext(ctx, &id, `
			INSERT INTO box_collections (box_id, number, collected_on, amount, denominations, counted_by_1, counted_by_2,
				seal_removed, seal_applied, donation_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			b.ID, number, in.CollectedOn, in.Amount, denominations, strings.TrimSpace(in.CountedBy[0]),
			strings.TrimSpace(in.CountedBy[1]), in.SealRemoved, in.SealApplied, donationID)
		if c, ok := postgres.Violation(err); ok && c == "box_collections_seal_key" {
			return fault.Refuse("input.sealRemoved", fault.Duplicate, "a collection of this box already removed this seal")
		}
		if err != nil {
			return fmt.Errorf("insert box collection: %w", err)
		}
		created, err := getCollection(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "create", "box_collection", id, nil, created); err != nil {
			return err
		}
		return idempotency.Complete(ctx, tx, in.IdempotencyKey, id)
	})
	if err != nil {
		return Collection{}, fmt.Errorf("record collection of box %s: %w", in.BoxID, err)
	}
	return s.Collection(ctx, id)
}

// ByDonationIDs returns the collections that became the given donations.
func (s *Store) ByDonationIDs(ctx context.Context, donationIDs []string) ([]Collection, error) {
	var out []Collection
	err := s.db.SelectContext(ctx, &out, `SELECT `+collectionColumns+` FROM `+collectionFrom+`
		WHERE c.donation_id::text = ANY($1) AND `+scopeSQL(2), pq.Array(donationIDs), auth.Subtree(ctx), auth.OwnPartner(ctx))
	if err != nil {
		return nil, fmt.Errorf("get box collections by donation: %w", err)
	}
	return out, nil
}

// LedgerRow is a collection with the names an auditor reads beside it.
type LedgerRow struct {
	Collection
	BoxCode     string `db:"box_code"`
	HostName    string `db:"host_name"`
	OwnerCode   string `db:"owner_code"`
	RegencyName string `db:"regency_name"`
}

// Each calls fn for every collection f matches, in date order, streamed.
func (s *Store) Each(ctx context.Context, f CollectionFilter, fn func(LedgerRow) error) error {
	args, err := s.collectionFilterArgs(ctx, f)
	if err != nil {
		return err
	}
	return postgres.Stream(ctx, s.db, `
		SELECT `+collectionColumns+`, b.code AS box_code, h.name AS host_name, o.code AS owner_code, r.name AS regency_name
		FROM `+collectionFrom+` JOIN partners h ON h.id = b.host_partner_id JOIN organizations r ON r.id = b.regency_id
		WHERE `+collectionFilterSQL+`
		ORDER BY c.collected_on, c.seq`, args, func(rows *sqlx.Rows) error {
		var r LedgerRow
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("read collection row: %w", err)
		}
		return fn(r)
	})
}

// Group is a sum of collections by a key: a host partner or a regency.
type Group struct {
	Key      string       `db:"key"`
	Boxes    int          `db:"boxes"`
	Openings int          `db:"openings"`
	Total    money.Rupiah `db:"total"`
}

func (s *Store) collectionsBy(ctx context.Context, f CollectionFilter, key string) ([]Group, error) {
	args, err := s.collectionFilterArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []Group
	err = s.db.SelectContext(ctx, &out, `
		SELECT `+key+`::text AS key, count(DISTINCT c.box_id) AS boxes, count(*) AS openings, SUM(c.amount)::bigint AS total
		FROM `+collectionFrom+` WHERE `+collectionFilterSQL+`
		GROUP BY 1 ORDER BY 4 DESC, 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("sum collections by %s: %w", key, err)
	}
	return out, nil
}

// CollectionsByHost sums the collections f matches per host partner.
func (s *Store) CollectionsByHost(ctx context.Context, f CollectionFilter) ([]Group, error) {
	return s.collectionsBy(ctx, f, `b.host_partner_id`)
}

// CollectionsByRegency sums the collections f matches per regency.
func (s *Store) CollectionsByRegency(ctx context.Context, f CollectionFilter) ([]Group, error) {
	return s.collectionsBy(ctx, f, `b.regency_id`)
}

// ActiveBoxes counts the boxes of the subtree of orgID that were in service
// at some time between from and to.
func (s *Store) ActiveBoxes(ctx context.Context, orgID string, from, to calendar.Date) (int, error) {
	under, err := organization.SubtreePath(ctx, s.db, "organizationId", &orgID)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM `+boxFrom+`
		WHERE o.path <@ $1::ltree AND b.placed_on <= $3 AND (b.retired_on IS NULL OR b.retired_on >= $2) AND `+scopeSQL(4),
		under, from, to, auth.Subtree(ctx), auth.OwnPartner(ctx))
	if err != nil {
		return 0, fmt.Errorf("count active boxes: %w", err)
	}
	return n, nil
}

// BoxTotal is what one box collected.
type BoxTotal struct {
	Code     string       `db:"code"`
	Host     string       `db:"host"`
	Regency  string       `db:"regency"`
	Openings int          `db:"openings"`
	Total    money.Rupiah `db:"total"`
}

// CollectionsByBox sums the collections f matches per box, by box code.
func (s *Store) CollectionsByBox(ctx context.Context, f CollectionFilter) ([]BoxTotal, error) {
	args, err := s.collectionFilterArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []BoxTotal
	err = s.db.SelectContext(ctx, &out, `
		SELECT b.code, h.name AS host, r.name AS regency, count(*) AS openings, SUM(c.amount)::bigint AS total
		FROM `+collectionFrom+` JOIN partners h ON h.id = b.host_partner_id JOIN organizations r ON r.id = b.regency_id
		WHERE `+collectionFilterSQL+`
		GROUP BY b.code, h.name, r.name ORDER BY b.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("sum collections by box: %w", err)
	}
	return out, nil
}
