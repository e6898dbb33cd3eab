// Package donation is the ledger of money and goods a council receives.
// A recorded donation is never changed: a mistake is corrected by a reversal
// entry that points at it and carries the opposite amount.
package donation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/receipt"
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

// Sources lists every source in the order reports show them.
var Sources = []Source{CSR, DonationBox, Government, Individual, Business, Community, Other}

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
	// EarmarkBeneficiaryGroup restricts the gift to one beneficiary group.
	EarmarkBeneficiaryGroup *string `db:"earmark_beneficiary_group" json:"earmarkBeneficiaryGroup"`
	// PledgeID names the partner's pledge this gift fulfils.
	PledgeID *string `db:"pledge_id" json:"pledgeId"`
	// PermitID is the public fundraising permit the gift was collected
	// under (its box's, or the appeal's it names); PermitException why it
	// was recorded though outside that permit.
	PermitID        *string   `db:"permit_id" json:"permitId"`
	PermitException *string   `db:"permit_exception" json:"permitException"`
	Notes           string    `db:"notes" json:"notes"`
	ReversesID      *string   `db:"reverses_id" json:"reversesId"`
	ReversalReason  *string   `db:"reversal_reason" json:"reversalReason"`
	ReversedByID    *string   `db:"reversed_by_id" json:"-"`
	CreatedAt       time.Time `db:"created_at" json:"createdAt"`
	// Organization is the receiving council, read in the donation's own
	// statement by every read the API answers from (WithNames): the API
	// serves it as a plain field, not a resolver per donation. Nil where
	// the read did not ask for it (the streamed ledger), which the API
	// would answer as an error, never as an empty council.
	Organization *organization.Organization `db:"org" json:"-"`
	// Partner is the partner, read in the donation's own statement by
	// every read the API answers from (WithNames): the API serves it
	// through Giver, not a resolver per donation. Where the donation has
	// no partner it is nil or empty.
	Partner *partner.Partner `db:"partner" json:"-"`
	// Lines is filled in only where a donation is read for the audit
	// trail; the API reads the goods lines through a batched loader.
	Lines []Item `db:"-" json:"items,omitempty"`
}

// Giver is the partner who gave d, as read with it: nil for a gift
// without one. A read that did not join the partner is an error here,
// never an empty answer.
func (d *Donation) Giver() (*partner.Partner, error) {
	if d.PartnerID == nil {
		return nil, nil
	}
	if d.Partner == nil || d.Partner.ID != *d.PartnerID {
		return nil, fmt.Errorf("donation %s was read without its partner", d.ID)
	}
	return d.Partner, nil
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

// scopedFrom joins each donation to its organization o, whose path (and
// the donation's partner) the caller's scope confines: an operator the
// donations of its subtree, a partner its own gifts.
const scopedFrom = `donations d JOIN organizations o ON o.id = d.organization_id`

// WithNamesFrom is scopedFrom with each donation's partner pp joined in:
// what WithNames reads from.
const WithNamesFrom = scopedFrom + ` LEFT JOIN partners pp ON pp.id = d.partner_id`

// scope is the caller's condition on scopedFrom.
func scope(sc auth.Scope, a *postgres.Args) string { return sc.Gifts(a, "o.path", "d.partner_id") }

// pageFrom is the FROM of a page of the ledger: the page's rows are picked
// by seq in a subquery, which the index on (received_on, seq), carrying
// each donation's council, answers without reading the table; only the
// rows of the page are then read whole. cond and clause (the keyset's
// order and limit) are over scopedFrom; the result is ordered by clause's
// order again by the caller.
func pageFrom(cond, clause string) string {
	return `(SELECT d.seq FROM ` + scopedFrom + ` WHERE ` + cond + ` ` + clause + `) page
		JOIN donations d ON d.seq = page.seq JOIN organizations o ON o.id = d.organization_id LEFT JOIN partners pp ON pp.id = d.partner_id`
}

const columns = `d.id, d.seq, d.organization_id, d.source, d.partner_id, d.kind, d.received_on, d.amount,
	d.reference, d.earmark_programme, d.earmark_aid_type_id, d.earmark_regency_id, d.earmark_beneficiary_group, d.pledge_id,
	d.permit_id, d.permit_exception, d.notes,
	d.reverses_id, d.reversal_reason, d.created_at,
	(SELECT r.id FROM donations r WHERE r.reverses_id = d.id) AS reversed_by_id`

// fields are where a row of columns is scanned, in their order.
func (d *Donation) fields() []any {
	return []any{&d.ID, &d.Seq, &d.OrganizationID, &d.Source, &d.PartnerID, &d.Kind, &d.ReceivedOn, &d.Amount,
		&d.Reference, &d.EarmarkProgramme, &d.EarmarkAidTypeID, &d.EarmarkRegencyID, &d.EarmarkBeneficiaryGroup, &d.PledgeID,
		&d.PermitID, &d.PermitException, &d.Notes,
		&d.ReversesID, &d.ReversalReason, &d.CreatedAt,
		&d.ReversedByID}
}

// WithNames is what a Donation the API answers is read with: its columns,
// its receiving council and its partner, over WithNamesFrom. The
// streamed ledger reads the columns alone.
var WithNames = columns + `, ` + organization.JoinedColumns("o", "org") + `, ` + partner.JoinedColumns("pp", "partner")

// Store reads and writes the donation ledger.
type Store struct {
	db  *sqlx.DB
	hot *postgres.Prepared // the page of the list (ListWithNames)
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db, hot: postgres.NewPrepared(db, 200)} }

// Get returns donation id through q (a database or a transaction).
func Get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Donation, error) {
	args := postgres.Args{id}
	query := `SELECT ` + WithNames + ` FROM ` + WithNamesFrom + ` WHERE d.id = $1 AND ` + scope(sc, &args)
	return postgres.ByID[Donation](ctx, q, "donation", query, id, args[1:]...)
}

// getWithItems is Get with the goods lines, as the audit trail records a
// donation.
func getWithItems(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Donation, error) {
	d, err := Get(ctx, q, sc, id)
	if err != nil || d.Kind != Goods {
		return d, err
	}
	d.Lines, err = itemsOf(ctx, q, sc, []string{id})
	return d, err
}

// Donation returns donation id.
func (s *Store) Donation(ctx context.Context, sc auth.Scope, id string) (Donation, error) {
	return Get(ctx, s.db, sc, id)
}

// ByIDs returns the donations with the given ids, in no set order.
func (s *Store) ByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Donation, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + WithNames + ` FROM ` + WithNamesFrom + ` WHERE d.id::text = ANY($1) AND ` + scope(sc, &args)
	var out []Donation
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get donations by id: %w", err)
	}
	return out, nil
}

// ItemsOf returns the goods lines of the given donations, by donation and line.
func (s *Store) ItemsOf(ctx context.Context, sc auth.Scope, donationIDs []string) ([]Item, error) {
	return itemsOf(ctx, s.db, sc, donationIDs)
}

func itemsOf(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, donationIDs []string) ([]Item, error) {
	args := postgres.Args{pq.Array(postgres.IDs(donationIDs))}
	query := `SELECT i.donation_id, i.line, i.description, i.quantity, i.unit, i.estimated_value
		FROM donation_items i JOIN ` + scopedFrom + ` ON d.id = i.donation_id
		WHERE i.donation_id::text = ANY($1) AND ` + scope(sc, &args) + `
		ORDER BY i.donation_id, i.line`
	var out []Item
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
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

// where returns the condition that selects the entries f matches within
// sc, joined to organizations o, with its arguments.
func (s *Store) where(ctx context.Context, sc auth.Scope, f Filter) (string, postgres.Args, error) {
	if err := f.check(); err != nil {
		return "", nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	return condition(sc, f, subtreeOf(under, &a), &a), a, nil
}

// check refuses what the filter's SQL cannot take.
func (f Filter) check() error {
	if f.PartnerID != nil && uuid.Validate(*f.PartnerID) != nil {
		return fault.Refuse("filter.partnerId", fault.Invalid, "is not an id")
	}
	return nil
}

// subtreeOf is the SQL for the subtree path under (nil: none), its argument
// added to a.
func subtreeOf(under any, a *postgres.Args) string {
	if under == nil {
		return ""
	}
	return a.Add(under) + "::ltree"
}

// condition is where's condition, the subtree's root path being the SQL
// expression subtree ("" for none), its arguments added to a. It holds
// only the conditions f uses, so that each filter's statement is planned
// for what it asks.
func condition(sc auth.Scope, f Filter, subtree string, a *postgres.Args) string {
	var c []string
	if f.From != nil {
		c = append(c, `d.received_on >= `+a.Add(*f.From))
	}
	if f.To != nil {
		c = append(c, `d.received_on <= `+a.Add(*f.To))
	}
	if subtree != "" {
		c = append(c, `o.path <@ `+subtree)
	}
	if f.Sources != nil {
		c = append(c, `d.source = ANY(`+a.Add(pq.Array(f.Sources))+`::text[])`)
	}
	if f.PartnerID != nil {
		c = append(c, `d.partner_id = `+a.Add(*f.PartnerID)+`::uuid`)
	}
	if f.Kind != nil {
		c = append(c, `d.kind = `+a.Add(*f.Kind))
	}
	return strings.Join(append(c, scope(sc, a)), " AND ")
}

// List returns a page of the ledger in date order.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Donation], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Donation]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Donation]{}, err
	}
	query := `SELECT ` + WithNames + ` FROM ` + pageFrom(cond, k.Clause(&args, "d.received_on", "d.seq")) + `
		ORDER BY d.received_on, d.seq`
	var items []Donation
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Donation]{}, fmt.Errorf("list donations: %w", err)
	}
	return page.Trim(items, k), nil
}

// Columns says which columns ListWithNames reads.
type Columns int

const (
	// AllColumns fills every field of the donation, its council, the
	// council's parent and the partner.
	AllColumns Columns = iota
	// SummaryColumns fills what a list of donations shows and leaves every
	// other field zero: the donation's ID, Seq, OrganizationID, Source,
	// PartnerID, Kind, ReceivedOn, Amount and Reference; the council's and
	// its parent's ID, ParentID, Kind, Code and Name; the partner's ID,
	// Kind and Name. It is 19 columns instead of 47: that much less for
	// PostgreSQL to send and the server to decode on the dashboard's page.
	SummaryColumns
)

// summaryColumns are SummaryColumns' select list, in the order
// scanListed scans it. The ids of the council, the parent and the partner
// are the donation's and the council's references to them.
const summaryColumns = `d.id, d.seq, d.organization_id, d.source, d.partner_id, d.kind, d.received_on, d.amount, d.reference,
	o.parent_id, o.kind, o.code, o.name,
	po.parent_id, COALESCE(po.kind, ''), COALESCE(po.code, ''), COALESCE(po.name, ''),
	COALESCE(pp.kind, ''), COALESCE(pp.name, '')`

// ListWithNames is List with each council's parent joined in too: a page
// and the names it shows in one statement, scanned by hand. Each
// donation's council carries its parent (Organization.Parent) and the
// donation its partner (Donation.Partner), nil where there is none. cols
// says which of their fields are filled. The council tree is visible to
// every caller, and the partner of a gift to whoever sees the gift.
func (s *Store) ListWithNames(ctx context.Context, sc auth.Scope, f Filter, r page.Request, cols Columns) (page.Page[Donation], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Donation]{}, err
	}
	// A council named by id is found inside the page's own statement (one
	// round trip and one plan less than asking for its path first); the
	// caller must read under it. An empty page then asks SubtreePath why,
	// so an unknown council, or one the caller does not read, is refused
	// as before.
	var cond string
	var args postgres.Args
	inline := f.OrganizationID != nil && postgres.IsID(*f.OrganizationID)
	if err := f.check(); err != nil {
		return page.Page[Donation]{}, err
	}
	if inline {
		root := `(SELECT r.path FROM organizations r WHERE r.id = ` + args.Add(*f.OrganizationID) + `::uuid)`
		cond = condition(sc, f, root, &args) + ` AND ` + sc.SeesPath(&args, root)
	} else if cond, args, err = s.where(ctx, sc, f); err != nil {
		return page.Page[Donation]{}, err
	}
	selected := summaryColumns
	if cols == AllColumns {
		selected = WithNames + `, ` + organization.JoinedColumns("po", "parent")
	}
	query := `SELECT ` + selected + `
		FROM ` + pageFrom(cond, k.Clause(&args, "d.received_on", "d.seq")) + `
		LEFT JOIN organizations po ON po.id = o.parent_id
		ORDER BY d.received_on, d.seq`
	items, err := scanListed(ctx, s.hot, cols, k.Limit+1, query, args)
	if err != nil {
		return page.Page[Donation]{}, fmt.Errorf("list donations: %w", err)
	}
	if inline && len(items) == 0 {
		if _, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID); err != nil {
			return page.Page[Donation]{}, err
		}
	}
	return page.Trim(items, k), nil
}

// scanListed reads the rows of ListWithNames, scanning each into its
// fields directly: the dashboard's list is the hottest read, and sqlx's
// mapping of its 47 columns by name was a sixth of its server time.
func scanListed(ctx context.Context, db *postgres.Prepared, cols Columns, limit int, query string, args []any) ([]Donation, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := make([]Donation, 0, limit)
	dest := make([]any, 0, 47)
	for rows.Next() {
		items = append(items, Donation{})
		d := &items[len(items)-1]
		// One allocation a row for the three records the row names.
		names := new(struct {
			council, parent organization.Organization
			partner         partner.Partner
		})
		if cols == AllColumns {
			dest = append(dest[:0], d.fields()...)
			dest = append(dest, names.council.Fields()...)
			dest = append(dest, names.partner.Fields()...)
			dest = append(dest, names.parent.Fields()...)
		} else {
			c, p := &names.council, &names.parent
			dest = append(dest[:0], &d.ID, &d.Seq, &d.OrganizationID, &d.Source, &d.PartnerID, &d.Kind, &d.ReceivedOn, &d.Amount, &d.Reference,
				&c.ParentID, &c.Kind, &c.Code, &c.Name, &p.ParentID, &p.Kind, &p.Code, &p.Name, &names.partner.Kind, &names.partner.Name)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if cols == SummaryColumns {
			names.council.ID = d.OrganizationID
			if names.council.ParentID != nil {
				names.parent.ID = *names.council.ParentID
			}
			if d.PartnerID != nil {
				names.partner.ID = *d.PartnerID
			}
		}
		d.Organization = &names.council
		if names.parent.ID != "" { // an outer join found none: empty, not NULL
			names.council.Parent = &names.parent
		}
		if names.partner.ID != "" {
			d.Partner = &names.partner
		}
	}
	return items, rows.Err()
}

// Totals counts and sums the ledger entries f matches.
func (s *Store) Totals(ctx context.Context, sc auth.Scope, f Filter) (Totals, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return Totals{}, err
	}
	var t Totals
	err = s.db.GetContext(ctx, &t, `
		SELECT count(*) AS count, COALESCE(SUM(d.amount), 0)::bigint AS amount
		FROM `+scopedFrom+`
		WHERE `+cond, args...)
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
	// EarmarkBeneficiaryGroup is one of aid's beneficiary groups.
	EarmarkBeneficiaryGroup *aid.BeneficiaryGroup `json:"earmarkBeneficiaryGroup"`
	// PledgeID names a pledge of the same partner to this council (or one
	// above it) that the gift fulfils.
	PledgeID *string `json:"pledgeId"`
	// PermitID names the appeal's permit (its id or number) the gift was
	// collected under; PermitException why it is recorded though outside
	// that permit's period or area.
	PermitID        *string `json:"permitId"`
	PermitException *string `json:"permitException"`
	Notes           string  `json:"notes"`
	IdempotencyKey  string  `json:"-"`
}

// validate checks what can be checked without the database into v and
// returns the donation's amount.
func (in NewDonation) validate(v *fault.InvalidInput) money.Rupiah {
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
			money.Check(v, "input.amount", amount)
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
			v.Quantity(p+"quantity", it.Quantity)
			money.Check(v, p+"estimatedValue", it.EstimatedValue)
			if it.EstimatedValue > 0 && it.EstimatedValue <= money.Max {
				amount += it.EstimatedValue // at most MaxItems × Max: no overflow
			}
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
	if in.EarmarkBeneficiaryGroup != nil && !in.EarmarkBeneficiaryGroup.Valid() {
		v.Add("input.earmarkBeneficiaryGroup", fault.Invalid, "is not a beneficiary group")
	}
	v.Text("input.notes", in.Notes, false, MaxNotes)
	calendar.Check(v, "input.receivedOn", in.ReceivedOn)
	permit.CheckException(v, in.PermitException)
	if in.PermitID == nil && in.PermitException != nil {
		v.Add("input.permitException", fault.Invalid, "name the appeal's permit (permitId) the exception is to")
	}
	return amount
}

// Create records a donation with its goods lines.
func (s *Store) Create(ctx context.Context, sc auth.Scope, in NewDonation) (Donation, error) {
	w, apply := in.record(ctx)
	d, err := change.Do(ctx, s.db, sc, w, getWithItems, apply)
	if err != nil {
		return Donation{}, fmt.Errorf("record donation: %w", err)
	}
	d.Lines = nil
	return d, nil
}

// Import records in as one row of an import, through the same checks as
// Create.
func Import(ctx context.Context, im *change.Import, in NewDonation) (Donation, error) {
	w, apply := in.record(ctx)
	return change.In(ctx, im, w, getWithItems, apply)
}

// record describes the write that records in.
func (in NewDonation) record(ctx context.Context) (change.Write, func(tx *change.Tx) (change.Applied, error)) {
	var amount money.Rupiah
	w := change.Write{Mutation: "recordDonation", Action: "create", Entity: "donation", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { amount = in.validate(v) }}
	return w, func(tx *change.Tx) (change.Applied, error) {
		sc := tx.Scope
		// Every refused field is answered at once, those the database
		// decides (unknown ids, closed periods) with the others.
		v := &tx.Refused
		org, err := organization.RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if v.Collect(err) && !in.ReceivedOn.IsZero() {
			if v.Collect(org.NotFuture("input.receivedOn", in.ReceivedOn)) {
				v.Collect(organization.CheckOpen(ctx, tx, org, "input.receivedOn", in.ReceivedOn))
			}
		}
		if in.PartnerID != nil {
			_, err := partner.Require(ctx, tx, sc, "input.partnerId", *in.PartnerID)
			v.Collect(err)
		}
		if in.EarmarkAidTypeID != nil {
			_, err := aid.RequireType(ctx, tx, sc, "input.earmarkAidTypeId", *in.EarmarkAidTypeID)
			v.Collect(err)
		}
		if in.EarmarkRegencyID != nil {
			_, err := organization.RequireRegency(ctx, tx, sc, "input.earmarkRegencyId", *in.EarmarkRegencyID)
			v.Collect(err)
		}
		if in.PledgeID != nil && org.ID != "" {
			v.Collect(checkPledge(ctx, tx, "input.pledgeId", *in.PledgeID, in.PartnerID, org))
		}
		var permitID, exception *string
		if in.PermitID != nil && org.ID != "" {
			if permitID, exception, err = appealPermit(ctx, tx, v, *in.PermitID, org, in.ReceivedOn, in.PermitException); err != nil {
				return change.Applied{}, err
			}
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		// Inserted, given its receipt and read back as stored in one
		// statement. A reference the council already used inserts nothing
		// (and numbers no receipt) rather than failing the transaction: a
		// gift recorded with it while this write ran would otherwise abort
		// an import of thousands, not refuse its one row.
		args := postgres.Args{in.OrganizationID, in.Source, in.PartnerID, in.Kind, in.ReceivedOn, amount, in.Reference,
			in.EarmarkProgramme, in.EarmarkAidTypeID, in.EarmarkRegencyID, in.EarmarkBeneficiaryGroup, in.PledgeID, in.Notes,
			permitID, exception}
		numbered, err := receipt.IssueWith(ctx, tx, &args, "d", in.OrganizationID, in.ReceivedOn.Year)
		if err != nil {
			return change.Applied{}, err
		}
		var row struct {
			Donation
			Receipt receipt.Receipt `db:"receipt"`
		}
		err = tx.GetContext(ctx, &row, `
			WITH d AS (INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount, reference,
				earmark_programme, earmark_aid_type_id, earmark_regency_id, earmark_beneficiary_group, pledge_id, notes,
				permit_id, permit_exception)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT ON CONSTRAINT donations_reference_key DO NOTHING RETURNING *),
			`+numbered.CTEs+`
			SELECT `+WithNames+`, `+numbered.Columns+`
			FROM `+strings.Replace(WithNamesFrom, "donations d ", "d ", 1)+numbered.Join+` WHERE `+scope(sc, &args), args...)
		stored := row.Donation
		id := stored.ID
		if errors.Is(err, sql.ErrNoRows) && in.Reference != nil {
			// The writer reads what it may write: no row is the reference.
			return change.Applied{}, fault.Refuse("input.reference", fault.Duplicate, "this organization already recorded a donation with this reference")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert donation: %w", err)
		}
		for i, it := range in.Items {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO donation_items (donation_id, line, description, quantity, unit, estimated_value)
				VALUES ($1, $2, $3, $4, $5, $6)`, id, i+1, it.Description, it.Quantity, it.Unit, it.EstimatedValue); err != nil {
				return change.Applied{}, fmt.Errorf("insert donation item %d: %w", i+1, err)
			}
		}
		if err := receipt.Issued(ctx, tx, row.Receipt); err != nil {
			return change.Applied{}, err
		}
		if in.Kind == Goods {
			return change.Applied{ID: id}, nil // read back with its lines
		}
		return change.Applied{ID: id, Stored: stored}, nil
	}
}

// BoxDonation is the donation a box collection becomes.
type BoxDonation struct {
	OrganizationID string
	HostPartnerID  string
	CollectedOn    calendar.Date
	Amount         money.Rupiah
	Reference      string
	// PermitID is the permit the box collected under, PermitException
	// why the opening was recorded though outside it.
	PermitID, PermitException *string
}

// InsertBoxDonation records, inside the collection's own transaction, the
// donation that a box opening becomes, and audits it as stored.
func InsertBoxDonation(ctx context.Context, tx *change.Tx, b BoxDonation) (string, error) {
	args := postgres.Args{b.OrganizationID, b.HostPartnerID, b.CollectedOn, b.Amount, b.Reference, b.PermitID, b.PermitException}
	numbered, err := receipt.IssueWith(ctx, tx, &args, "d", b.OrganizationID, b.CollectedOn.Year)
	if err != nil {
		return "", err
	}
	var row struct {
		ID      string          `db:"id"`
		Receipt receipt.Receipt `db:"receipt"`
	}
	err = tx.GetContext(ctx, &row, `
		WITH d AS (INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount, reference, permit_id, permit_exception)
			VALUES ($1, 'DONATION_BOX', $2, 'MONEY', $3, $4, $5, $6, $7) RETURNING *),
		`+numbered.CTEs+`
		SELECT d.id, `+numbered.Columns+` FROM d JOIN organizations o ON o.id = d.organization_id`+numbered.Join, args...)
	if err != nil {
		return "", fmt.Errorf("insert box donation: %w", err)
	}
	id := row.ID
	if err := receipt.Issued(ctx, tx, row.Receipt); err != nil {
		return "", err
	}
	created, err := Get(ctx, tx, tx.Scope, id)
	if err != nil {
		return "", err
	}
	if err := tx.Audit(ctx, "create", "donation", id, nil, created); err != nil {
		return "", err
	}
	return id, nil
}

// InsertReversal records, inside tx, the entry that cancels donation orig
// (as read in tx), dated on, and audits it as stored. A concurrent reversal
// of the same donation loses on the unique reverses_id and is refused at
// field; so is a reversal of a donation that still funds something, or
// one that would leave its permit's operating costs above the permit's
// cap of the smaller collection (the database refuses both).
func InsertReversal(ctx context.Context, tx *change.Tx, field string, orig Donation, on calendar.Date, reason string) (string, error) {
	var id string
	err := tx.GetContext(ctx, &id, `
		INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount,
			earmark_programme, earmark_aid_type_id, earmark_regency_id, earmark_beneficiary_group, pledge_id, notes, reverses_id, reversal_reason,
			permit_id)
		SELECT organization_id, source, partner_id, kind, $2, -amount,
			earmark_programme, earmark_aid_type_id, earmark_regency_id, earmark_beneficiary_group, pledge_id, notes, id, $3,
			permit_id
		FROM donations WHERE id = $1 RETURNING id`, orig.ID, on, reason)
	if c, ok := postgres.Violation(err); ok && c == "donations_reverses_id_key" {
		return "", fault.Refuse(field, fault.Duplicate, "this donation has already been reversed")
	}
	if c, ok := postgres.Violation(err); ok && c == "donations_allocated" {
		return "", fault.Refuse(field, fault.Invalid,
			"this donation funds aid outputs or costs ("+postgres.Message(err)+"): release them with releaseAllocation before reversing it")
	}
	if c, ok := postgres.Violation(err); ok && c == "donations_permit_cost_cap" {
		return "", fault.Refuse(field, fault.Invalid,
			"reversing this donation would leave its permit's operating costs above the cap ("+postgres.Message(err)+
				"): release costs with releaseAllocation first")
	}
	if err != nil {
		return "", fmt.Errorf("insert reversal: %w", err)
	}
	return id, nil
}

// Reversal is the input for Reverse.
type Reversal struct {
	DonationID     string         `json:"donationId"`
	Reason         string         `json:"reason"`
	ReversedOn     *calendar.Date `json:"reversedOn"` // default: see organization.CorrectionDate
	IdempotencyKey string         `json:"-"`
}

// Reverse records the entry that cancels donation in.DonationID: same
// organization, source, partner and kind, opposite amount, dated when the
// correction is made. A donation is reversed at most once, and a reversal
// is never itself reversed. The donation a box collection became is
// reversed with its collection (box.ReverseCollection), never alone.
func (s *Store) Reverse(ctx context.Context, sc auth.Scope, in Reversal) (Donation, error) {
	w, apply := in.reverse(ctx)
	d, err := change.Do(ctx, s.db, sc, w, Get, apply)
	if err != nil {
		return Donation{}, fmt.Errorf("reverse donation %s: %w", in.DonationID, err)
	}
	return d, nil
}

// ImportReversal reverses a donation as one row of an import, through the
// same checks as Reverse.
func ImportReversal(ctx context.Context, im *change.Import, in Reversal) (Donation, error) {
	w, apply := in.reverse(ctx)
	return change.In(ctx, im, w, Get, apply)
}

// reverse describes the write that reverses in.DonationID.
func (in Reversal) reverse(ctx context.Context) (change.Write, func(tx *change.Tx) (change.Applied, error)) {
	w := change.Write{Mutation: "reverseDonation", Action: "reverse", Entity: "donation", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { change.CheckReversal(v, in.Reason, in.ReversedOn) }}
	return w, func(tx *change.Tx) (change.Applied, error) {
		sc := tx.Scope
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		orig, err := getWithItems(ctx, tx, sc, in.DonationID)
		if errors.Is(err, fault.ErrNotFound) {
			return change.Applied{}, fault.Refuse("input.donationId", fault.Unknown, "no such donation")
		}
		if err != nil {
			return change.Applied{}, err
		}
		if err := Reversible("input.donationId", orig); err != nil {
			return change.Applied{}, err
		}
		var fromBox bool
		if err := tx.GetContext(ctx, &fromBox, `SELECT EXISTS (SELECT 1 FROM box_collections WHERE donation_id = $1)`, orig.ID); err != nil {
			return change.Applied{}, fmt.Errorf("look for the box collection of donation %s: %w", orig.ID, err)
		}
		if fromBox {
			return change.Applied{}, fault.Refuse("input.donationId", fault.Invalid,
				"this donation is a box collection's money: reverse the collection with reverseBoxCollection, which reverses both")
		}
		org, err := organization.RequireWritable(ctx, tx, sc, "input.donationId", orig.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		on, err := organization.CorrectionDate(ctx, tx, org, "input.reversedOn", orig.ReceivedOn, in.ReversedOn)
		if err != nil {
			return change.Applied{}, err
		}
		id, err := InsertReversal(ctx, tx, "input.donationId", orig, on, in.Reason)
		if err != nil {
			return change.Applied{}, err
		}
		return change.Applied{ID: id, Before: orig}, nil
	}
}

// Reversible refuses, at field, to reverse a reversal or a donation that
// was reversed already.
func Reversible(field string, d Donation) error {
	if d.ReversesID != nil {
		return fault.Refuse(field, fault.Invalid, "this entry is itself a reversal and cannot be reversed")
	}
	if d.ReversedByID != nil {
		return fault.Refuse(field, fault.Duplicate, "this donation has already been reversed")
	}
	return nil
}

// LedgerRow is a ledger entry with the names an auditor reads beside it.
type LedgerRow struct {
	Donation
	OrganizationCode string  `db:"organization_code"`
	OrganizationName string  `db:"organization_name"`
	PartnerName      *string `db:"partner_name"`
	PermitNumber     *string `db:"permit_number"`
}

// Each calls fn for every entry f matches, in date order, as PostgreSQL
// sends the rows: memory stays flat however long the ledger is. The query
// runs in a read-only transaction whose statement timeout is long enough for
// a whole national ledger.
func (s *Store) Each(ctx context.Context, sc auth.Scope, f Filter, fn func(LedgerRow) error) error {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return err
	}
	return postgres.Stream(ctx, s.db, `
		SELECT `+columns+`, o.code AS organization_code, o.name AS organization_name, p.name AS partner_name,
			pm.number AS permit_number
		FROM `+scopedFrom+` LEFT JOIN partners p ON p.id = d.partner_id LEFT JOIN permits pm ON pm.id = d.permit_id
		WHERE `+cond+`
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
func (s *Store) groupBy(ctx context.Context, sc auth.Scope, f Filter, key, order string, byMonth bool) ([]Group, error) {
	cond, args, err := s.where(ctx, sc, f)
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
		FROM `+scopedFrom+` WHERE `+cond+`
		GROUP BY 1`+groupMonth+` ORDER BY `+order, args...)
	if err != nil {
		return nil, fmt.Errorf("sum donations by %s: %w", key, err)
	}
	return out, nil
}

// BySourceAndMonth sums the entries f matches by source and month, from
// the monthly sums where it can.
func (s *Store) BySourceAndMonth(ctx context.Context, sc auth.Scope, f Filter) ([]Group, error) {
	if out, ok, err := s.fromMonths(ctx, sc, f, "source", true, `1, 2`); ok {
		return out, err
	}
	return s.groupBy(ctx, sc, f, `d.source`, `1, 2`, true)
}

// ByOrganizationAndMonth sums the entries f matches by the organization
// that recorded them and month, from the monthly sums where it can.
func (s *Store) ByOrganizationAndMonth(ctx context.Context, sc auth.Scope, f Filter) ([]Group, error) {
	if out, ok, err := s.fromMonths(ctx, sc, f, "organization_id", true, `1, 2`); ok {
		return out, err
	}
	return s.groupBy(ctx, sc, f, `d.organization_id::text`, `1, 2`, true)
}

// ByPartner sums the entries f matches by partner ("" for anonymous gifts),
// largest first.
func (s *Store) ByPartner(ctx context.Context, sc auth.Scope, f Filter) ([]Group, error) {
	return s.groupBy(ctx, sc, f, `d.partner_id::text`, `4 DESC, 1`, false)
}

// ByKind sums the entries f matches by money and goods, from the monthly
// sums where it can.
func (s *Store) ByKind(ctx context.Context, sc auth.Scope, f Filter) ([]Group, error) {
	if out, ok, err := s.fromMonths(ctx, sc, f, "kind", false, `1`); ok {
		return out, err
	}
	return s.groupBy(ctx, sc, f, `d.kind`, `1`, false)
}

// Kind returns the group's key as a donation kind, for groups by kind.
func (g Group) Kind() Kind { return Kind(g.Key) }

// checkPledge refuses, at field, a gift from partnerID to the council org
// naming a pledge it cannot fulfil: an unknown one, another partner's, one
// made to a council outside org's line, or one written off. The pledge's row
// is locked, so a gift and the pledge's write-off take turns.
func checkPledge(ctx context.Context, tx *change.Tx, field, pledgeID string, partnerID *string, org organization.Organization) error {
	var p struct {
		PartnerID  string  `db:"partner_id"`
		Path       string  `db:"path"`
		WrittenOff *string `db:"written_off_on"`
	}
	if !postgres.IsID(pledgeID) {
		return fault.Refuse(field, fault.Unknown, "no such pledge")
	}
	args := postgres.Args{pledgeID}
	query := `SELECT g.partner_id, o.path::text AS path, w.written_off_on::text AS written_off_on
		FROM pledges g JOIN organizations o ON o.id = g.organization_id LEFT JOIN pledge_writeoffs w ON w.pledge_id = g.id
		WHERE g.id = $1 AND ` + tx.Scope.Gifts(&args, "o.path", "g.partner_id") + ` FOR NO KEY UPDATE OF g`
	err := tx.GetContext(ctx, &p, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fault.Refuse(field, fault.Unknown, "no such pledge")
	}
	if err != nil {
		return fmt.Errorf("read pledge %s: %w", pledgeID, err)
	}
	switch {
	case partnerID == nil || *partnerID != p.PartnerID:
		return fault.Refuse(field, fault.Invalid, "the pledge is another partner's")
	case p.WrittenOff != nil:
		return fault.Refuse(field, fault.Invalid, "the pledge was written off on "+*p.WrittenOff)
	case !organization.PathWithin(org.Path, p.Path):
		return fault.Refuse(field, fault.Invalid, "the pledge was made to a council outside "+org.Code+"'s line")
	}
	return nil
}
