// Package donation is the ledger of money and goods a council receives.
// A recorded donation is never changed: a mistake is corrected by a reversal
// entry that points at it and carries the opposite amount.
package donation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/idempotency"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Source is where a donation comes from.
type Source string

// The sources of donations.
const (
	CSR         Source = "CSR"
	DonationBox Source = "DONATION_BOX"
	Government  Source = "GOVERNMENT"
	Individual  Source = "INDIVIDUAL"
	Business    Source = "BUSINESS"
	Community   Source = "COMMUNITY"
	Other       Source = "OTHER"
)

var sources = map[Source]bool{CSR: true, DonationBox: true, Government: true, Individual: true, Business: true, Community: true, Other: true}

// partnerRequired lists the sources whose giver must be named: a CSR
// partner checks its own gifts, and a government unit is always known.
var partnerRequired = map[Source]bool{CSR: true, Government: true}

// Kind says whether a donation is money or goods.
type Kind string

// The kinds of donation.
const (
	Money Kind = "MONEY"
	Goods Kind = "GOODS"
)

// Limits on free text and on the number of goods lines.
const (
	MaxItems     = 100
	MaxNotes     = 2000
	MaxReference = 100
	MaxReason    = 500
)

// Donation is one entry of the ledger. For goods, Amount is the sum of the
// items' estimated values; for a reversal it is negative.
type Donation struct {
	ID               string        `db:"id" json:"id"`
	Seq              int64         `db:"seq" json:"-"`
	OrganizationID   string        `db:"organization_id" json:"organizationId"`
	Source           Source        `db:"source" json:"source"`
	PartnerID        *string       `db:"partner_id" json:"partnerId"`
	Kind             Kind          `db:"kind" json:"kind"`
	ReceivedOn       calendar.Date `db:"received_on" json:"receivedOn"`
	Amount           money.Rupiah  `db:"amount" json:"amount"`
	Reference        *string       `db:"reference" json:"reference"`
	EarmarkProgramme *string       `db:"earmark_programme" json:"earmarkProgramme"`
	EarmarkAidTypeID *string       `db:"earmark_aid_type_id" json:"earmarkAidTypeId"`
	EarmarkRegencyID *string       `db:"earmark_regency_id" json:"earmarkRegencyId"`
	Notes            string        `db:"notes" json:"notes"`
	ReversesID       *string       `db:"reverses_id" json:"reversesId"`
	ReversalReason   *string       `db:"reversal_reason" json:"reversalReason"`
	ReversedByID     *string       `db:"reversed_by_id" json:"-"`
	CreatedAt        time.Time     `db:"created_at" json:"createdAt"`
}

// Item is one line of a goods donation.
type Item struct {
	DonationID     string       `db:"donation_id" json:"-"`
	Line           int          `db:"line" json:"line"`
	Description    string       `db:"description" json:"description"`
	Quantity       int          `db:"quantity" json:"quantity"`
	Unit           string       `db:"unit" json:"unit"`
	EstimatedValue money.Rupiah `db:"estimated_value" json:"estimatedValue"`
}

// scopedFrom and scopeSQL confine reads to what the caller may see: an
// operator the donations of its subtree, a partner its own gifts.
const scopedFrom = `donations d JOIN organizations o ON o.id = d.organization_id`

// scopeSQL is the scope condition with the subtree as $n and the partner as
// $n+1.
func scopeSQL(n int) string {
	return fmt.Sprintf(`($%d::ltree IS NULL OR o.path <@ $%d::ltree) AND ($%d::uuid IS NULL OR d.partner_id = $%d)`, n, n, n+1, n+1)
}

const columns = `d.id, d.seq, d.organization_id, d.source, d.partner_id, d.kind, d.received_on, d.amount,
	d.reference, d.earmark_programme, d.earmark_aid_type_id, d.earmark_regency_id, d.notes,
	d.reverses_id, d.reversal_reason, d.created_at,
	(SELECT r.id FROM donations r WHERE r.reverses_id = d.id) AS reversed_by_id`

// Store reads and writes the donation ledger.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

func get(ctx context.Context, q sqlx.QueryerContext, id string) (Donation, error) {
	return postgres.ByID[Donation](ctx, q, "donation", `SELECT `+columns+` FROM `+scopedFrom+` WHERE d.id = $1 AND `+scopeSQL(2), id, auth.Subtree(ctx), auth.OwnPartner(ctx))
}

// Donation returns donation id.
func (s *Store) Donation(ctx context.Context, id string) (Donation, error) {
	return get(ctx, s.db, id)
}

// ByIDs returns the donations with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Donation, error) {
	var out []Donation
	err := s.db.SelectContext(ctx, &out, `SELECT `+columns+` FROM `+scopedFrom+` WHERE d.id::text = ANY($1) AND `+scopeSQL(2),
		pq.Array(ids), auth.Subtree(ctx), auth.OwnPartner(ctx))
	if err != nil {
		return nil, fmt.Errorf("get donations by id: %w", err)
	}
	return out, nil
}

// ItemsOf returns the goods lines of the given donations, by donation and line.
func (s *Store) ItemsOf(ctx context.Context, donationIDs []string) ([]Item, error) {
	var out []Item
	err := s.db.SelectContext(ctx, &out, `
		SELECT i.donation_id, i.line, i.description, i.quantity, i.unit, i.estimated_value
		FROM donation_items i JOIN `+scopedFrom+` ON d.id = i.donation_id
		WHERE i.donation_id::text = ANY($1) AND `+scopeSQL(2)+`
		ORDER BY i.donation_id, i.line`, pq.Array(donationIDs), auth.Subtree(ctx), auth.OwnPartner(ctx))
	if err != nil {
		return nil, fmt.Errorf("get donation items: %w", err)
	}
	return out, nil
}

// Filter narrows the ledger. Reversals match like any entry, so sums are net.
type Filter struct {
	From, To       *calendar.Date
	OrganizationID *string // a subtree, its root included
	Sources        []Source
	PartnerID      *string
	Kind           *Kind
}

// Totals sums a filtered ledger.
type Totals struct {
	Count  int          `db:"count"`
	Amount money.Rupiah `db:"amount"`
}

// filterSQL applies a Filter given as $1..$6 and the caller's scope as $7
// and $8, joined to organizations o.
var filterSQL = `
	($1::date IS NULL OR d.received_on >= $1) AND ($2::date IS NULL OR d.received_on <= $2)
	AND ($3::ltree IS NULL OR o.path <@ $3::ltree)
	AND ($4::text[] IS NULL OR d.source = ANY($4))
	AND ($5::uuid IS NULL OR d.partner_id = $5)
	AND ($6::text IS NULL OR d.kind = $6)
	AND ` + scopeSQL(7)

func (s *Store) filterArgs(ctx context.Context, f Filter) ([]any, error) {
	if f.PartnerID != nil && uuid.Validate(*f.PartnerID) != nil {
		return nil, fault.Refuse("filter.partnerId", fault.Invalid, "is not an id")
	}
	under, err := organization.SubtreePath(ctx, s.db, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return nil, err
	}
	var srcs any
	if f.Sources != nil {
		srcs = pq.Array(f.Sources)
	}
	return []any{f.From, f.To, under, srcs, f.PartnerID, f.Kind, auth.Subtree(ctx), auth.OwnPartner(ctx)}, nil
}

// List returns a page of the ledger in date order.
func (s *Store) List(ctx context.Context, f Filter, r page.Request) (page.Page[Donation], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Donation]{}, err
	}
	args, err := s.filterArgs(ctx, f)
	if err != nil {
		return page.Page[Donation]{}, err
	}
	var items []Donation
	err = s.db.SelectContext(ctx, &items, `
		SELECT `+columns+` FROM `+scopedFrom+`
		WHERE `+filterSQL+`
		  AND ($9::bigint IS NULL OR (d.received_on, d.seq) > ($10::date, $9::bigint))
		ORDER BY d.received_on, d.seq LIMIT $11`, append(args, k.AfterSeq, k.AfterDate, k.Limit+1)...)
	if err != nil {
		return page.Page[Donation]{}, fmt.Errorf("list donations: %w", err)
	}
	return page.Trim(items, k), nil
}

// Totals counts and sums the ledger entries f matches.
func (s *Store) Totals(ctx context.Context, f Filter) (Totals, error) {
	args, err := s.filterArgs(ctx, f)
	if err != nil {
		return Totals{}, err
	}
	var t Totals
	err = s.db.GetContext(ctx, &t, `
		SELECT count(*) AS count, COALESCE(SUM(d.amount), 0)::bigint AS amount
		FROM `+scopedFrom+`
		WHERE `+filterSQL, args...)
	if err != nil {
		return Totals{}, fmt.Errorf("sum donations: %w", err)
	}
	return t, nil
}

// NewItem is one goods line of NewDonation.
type NewItem struct {
	Description    string       `json:"description"`
	Quantity       int          `json:"quantity"`
	Unit           string       `json:"unit"`
	EstimatedValue money.Rupiah `json:"estimatedValue"`
}

// NewDonation is the input for Create.
type NewDonation struct {
	OrganizationID   string        `json:"organizationId"`
	Source           Source        `json:"source"`
	PartnerID        *string       `json:"partnerId"`
	Kind             Kind          `json:"kind"`
	ReceivedOn       calendar.Date `json:"receivedOn"`
	Amount           *money.Rupiah `json:"amount"` // money only; goods sum their items
	Items            []NewItem     `json:"items"`
	Reference        *string       `json:"reference"`
	EarmarkProgramme *string       `json:"earmarkProgramme"`
	EarmarkAidTypeID *string       `json:"earmarkAidTypeId"`
	EarmarkRegencyID *string       `json:"earmarkRegencyId"`
	Notes            string        `json:"notes"`
	IdempotencyKey   string        `json:"-"`
}

func (in NewDonation) validate() (money.Rupiah, error) {
	var v fault.InvalidInput
	switch {
	case in.Source == DonationBox:
		v.Add("input.source", fault.Invalid, "donation box money is recorded as a box collection")
	case !sources[in.Source]:
		v.Add("input.source", fault.Invalid, "is not a source of donations")
	case partnerRequired[in.Source] && in.PartnerID == nil:
		v.Add("input.partnerId", fault.Required, fmt.Sprintf("a %s donation must name its partner", in.Source))
	}
	var amount money.Rupiah
	switch in.Kind {
	case Money:
		if in.Amount == nil {
			v.Add("input.amount", fault.Required, "a money donation needs an amount")
		} else {
			amount = *in.Amount
			money.Check(&v, "input.amount", amount)
		}
		if len(in.Items) > 0 {
			v.Add("input.items", fault.Invalid, "a money donation has no goods lines")
		}
	case Goods:
		if in.Amount != nil {
			v.Add("input.amount", fault.Invalid, "a goods donation's value is the sum of its items' estimated values")
		}
		if len(in.Items) == 0 {
			v.Add("input.items", fault.Required, "a goods donation needs at least one item")
		}
		if len(in.Items) > MaxItems {
			v.Add("input.items", fault.TooLong, fmt.Sprintf("at most %d items", MaxItems))
		}
		for i, it := range in.Items {
			p := fmt.Sprintf("input.items.%d.", i)
			v.Text(p+"description", it.Description, true, 200)
			v.Text(p+"unit", it.Unit, true, 40)
			if it.Quantity <= 0 {
				v.Add(p+"quantity", fault.Invalid, "must be more than zero")
			}
			money.Check(&v, p+"estimatedValue", it.EstimatedValue)
			amount += it.EstimatedValue
		}
		if len(in.Items) > 0 && amount > money.Max {
			v.Add("input.items", fault.Invalid, "the items' total value is above the largest amount accepted")
		}
	default:
		v.Add("input.kind", fault.Invalid, "must be MONEY or GOODS")
	}
	if in.Reference != nil {
		v.Text("input.reference", *in.Reference, true, MaxReference)
	}
	v.OptionalText("input.earmarkProgramme", in.EarmarkProgramme, 200)
	v.Text("input.notes", in.Notes, false, MaxNotes)
	calendar.Check(&v, "input.receivedOn", in.ReceivedOn)
	return amount, v.Err()
}

// Create records a donation with its goods lines.
func (s *Store) Create(ctx context.Context, in NewDonation) (Donation, error) {
	amount, err := in.validate()
	if err != nil {
		return Donation{}, err
	}
	var id string
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, in.IdempotencyKey, "createDonation", in)
		if err != nil || prior != "" {
			id = prior
			return err
		}
		org, err := organization.Require(ctx, tx, "input.organizationId", in.OrganizationID)
		if err != nil {
			return err
		}
		if err := org.NotFuture("input.receivedOn", in.ReceivedOn); err != nil {
			return err
		}
		if in.PartnerID != nil {
			if _, err := partner.Require(ctx, tx, "input.partnerId", *in.PartnerID); err != nil {
				return err
			}
		}
		if in.EarmarkAidTypeID != nil {
			if _, err := aid.RequireType(ctx, tx, "input.earmarkAidTypeId", *in.EarmarkAidTypeID); err != nil {
				return err
			}
		}
		if in.EarmarkRegencyID != nil {
			if _, err := organization.RequireRegency(ctx, tx, "input.earmarkRegencyId", *in.EarmarkRegencyID); err != nil {
				return err
			}
		}
		err = tx.GetContext(ctx, &id, `
			INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount, reference,
				earmark_programme, earmark_aid_type_id, earmark_regency_id, notes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			in.OrganizationID, in.Source, in.PartnerID, in.Kind, in.ReceivedOn, amount, in.Reference,
			in.EarmarkProgramme, in.EarmarkAidTypeID, in.EarmarkRegencyID, in.Notes)
		if c, ok := postgres.Violation(err); ok && c == "donations_reference_key" {
			return fault.Refuse("input.reference", fault.Duplicate, "this organization already recorded a donation with this reference")
		}
		if err != nil {
			return fmt.Errorf("insert donation: %w", err)
		}
		for i, it := range in.Items {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO donation_items (donation_id, line, description, quantity, unit, estimated_value)
				VALUES ($1, $2, $3, $4, $5, $6)`, id, i+1, it.Description, it.Quantity, it.Unit, it.EstimatedValue); err != nil {
				return fmt.Errorf("insert donation item %d: %w", i+1, err)
			}
		}
		return finish(ctx, tx, "create", id, in.IdempotencyKey)
	})
	if err != nil {
		return Donation{}, fmt.Errorf("record donation: %w", err)
	}
	return s.Donation(ctx, id)
}

// finish writes the audit row and completes the idempotency key of a write
// that produced donation id.
func finish(ctx context.Context, tx *sqlx.Tx, action, id, key string) error {
	created, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, action, "donation", id, nil, created); err != nil {
		return err
	}
	return idempotency.Complete(ctx, tx, key, id)
}

// BoxDonation is the donation a box collection becomes.
type BoxDonation struct {
	OrganizationID string
	HostPartnerID  string
	CollectedOn    calendar.Date
	Amount         money.Rupiah
	Reference      string
}

// InsertBoxDonation records, inside the collection's own transaction, the
// donation that a box opening becomes.
func InsertBoxDonation(ctx context.Context, tx *sqlx.Tx, b BoxDonation) (string, error) {
	var id string
	err := tx.GetContext(ctx, &id, `
		INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount, reference)
		VALUES ($1, 'DONATION_BOX', $2, 'MONEY', $3, $4, $5) RETURNING id`,
		b.OrganizationID, b.HostPartnerID, b.CollectedOn, b.Amount, b.Reference)
	if err != nil {
		return "", fmt.Errorf("insert box donation: %w", err)
	}
	if err := audit.Record(ctx, tx, "create", "donation", id, nil, b); err != nil {
		return "", err
	}
	return id, nil
}

// Reversal is the input for Reverse.
type Reversal struct {
	DonationID     string         `json:"donationId"`
	Reason         string         `json:"reason"`
	ReversedOn     *calendar.Date `json:"reversedOn"` // default: today in the organization's time zone
	IdempotencyKey string         `json:"-"`
}

// Reverse records the entry that cancels donation in.DonationID: same
// organization, source, partner and kind, opposite amount, dated when the
// correction is made. A donation is reversed at most once, and a reversal
// is never itself reversed.
func (s *Store) Reverse(ctx context.Context, in Reversal) (Donation, error) {
	var v fault.InvalidInput
	v.Text("input.reason", in.Reason, true, MaxReason)
	if in.ReversedOn != nil {
		calendar.Check(&v, "input.reversedOn", *in.ReversedOn)
	}
	if err := v.Err(); err != nil {
		return Donation{}, err
	}
	var id string
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, in.IdempotencyKey, "reverseDonation", in)
		if err != nil || prior != "" {
			id = prior
			return err
		}
		orig, err := get(ctx, tx, in.DonationID)
		if errors.Is(err, fault.ErrNotFound) {
			return fault.Refuse("input.donationId", fault.Unknown, "no such donation")
		}
		if err != nil {
			return err
		}
		if orig.ReversesID != nil {
			return fault.Refuse("input.donationId", fault.Invalid, "this entry is itself a reversal and cannot be reversed")
		}
		if orig.ReversedByID != nil {
			return fault.Refuse("input.donationId", fault.Duplicate, "this donation has already been reversed")
		}
		org, err := organization.Get(ctx, tx, orig.OrganizationID)
		if err != nil {
			return err
		}
		on, err := org.CorrectionDate("input.reversedOn", orig.ReceivedOn, in.ReversedOn)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &id, `
			INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount,
				earmark_programme, earmark_aid_type_id, earmark_regency_id, notes, reverses_id, reversal_reason)
			SELECT organization_id, source, partner_id, kind, $2, -amount,
				earmark_programme, earmark_aid_type_id, earmark_regency_id, notes, id, $3
			FROM donations WHERE id = $1 RETURNING id`, orig.ID, on, in.Reason)
		if c, ok := postgres.Violation(err); ok && c == "donations_reverses_id_key" {
			// A concurrent reversal won the race.
			return fault.Refuse("input.donationId", fault.Duplicate, "this donation has already been reversed")
		}
		if err != nil {
			return fmt.Errorf("insert reversal: %w", err)
		}
		return finish(ctx, tx, "reverse", id, in.IdempotencyKey)
	})
	if err != nil {
		return Donation{}, fmt.Errorf("reverse donation %s: %w", in.DonationID, err)
	}
	return s.Donation(ctx, id)
}

// LedgerRow is a ledger entry with the names an auditor reads beside it.
type LedgerRow struct {
	Donation
	OrganizationCode string  `db:"organization_code"`
	OrganizationName string  `db:"organization_name"`
	PartnerName      *string `db:"partner_name"`
}

// Each calls fn for every entry f matches, in date order, as PostgreSQL
// sends the rows: memory stays flat however long the ledger is. The query
// runs in a read-only transaction whose statement timeout is long enough for
// a whole national ledger.
func (s *Store) Each(ctx context.Context, f Filter, fn func(LedgerRow) error) error {
	args, err := s.filterArgs(ctx, f)
	if err != nil {
		return err
	}
	return postgres.Stream(ctx, s.db, `
		SELECT `+columns+`, o.code AS organization_code, o.name AS organization_name, p.name AS partner_name
		FROM `+scopedFrom+` LEFT JOIN partners p ON p.id = d.partner_id
		WHERE `+filterSQL+`
		ORDER BY d.received_on, d.seq`, args, func(rows *sqlx.Rows) error {
		var r LedgerRow
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("read ledger row: %w", err)
		}
		return fn(r)
	})
}

// Group is a sum of ledger entries by one key.
type Group struct {
	Key    string        `db:"key"`
	Month  calendar.Date `db:"month"`
	Count  int           `db:"count"`
	Amount money.Rupiah  `db:"amount"`
}

// groupBy sums the entries f matches by the SQL expression key (and, with
// byMonth, by month), largest key order first as the SQL orders.
func (s *Store) groupBy(ctx context.Context, f Filter, key, order string, byMonth bool) ([]Group, error) {
	args, err := s.filterArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	month, groupMonth := `NULL::date`, ``
	if byMonth {
		month, groupMonth = `date_trunc('month', d.received_on)::date`, `, 2`
	}
	var out []Group
	err = s.db.SelectContext(ctx, &out, `
		SELECT COALESCE(`+key+`, '') AS key, `+month+` AS month, count(*) AS count, SUM(d.amount)::bigint AS amount
		FROM `+scopedFrom+` WHERE `+filterSQL+`
		GROUP BY 1`+groupMonth+` ORDER BY `+order, args...)
	if err != nil {
		return nil, fmt.Errorf("sum donations by %s: %w", key, err)
	}
	return out, nil
}

// BySourceAndMonth sums the entries f matches by source and month.
func (s *Store) BySourceAndMonth(ctx context.Context, f Filter) ([]Group, error) {
	return s.groupBy(ctx, f, `d.source`, `1, 2`, true)
}

// ByPartner sums the entries f matches by partner ("" for anonymous gifts),
// largest first.
func (s *Store) ByPartner(ctx context.Context, f Filter) ([]Group, error) {
	return s.groupBy(ctx, f, `d.partner_id::text`, `4 DESC, 1`, false)
}

// ByKind sums the entries f matches by money and goods.
func (s *Store) ByKind(ctx context.Context, f Filter) ([]Group, error) {
	return s.groupBy(ctx, f, `d.kind`, `1`, false)
}

// Kind returns the group's key as a donation kind, for groups by kind.
func (g Group) Kind() Kind { return Kind(g.Key) }
