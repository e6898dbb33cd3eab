package box

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Denomination is a count of notes or coins of one value.
type Denomination struct {
	Value money.Rupiah `json:"value"`
	Count int          `json:"count"`
}

// Limits on a count by denomination.
const (
	MaxDenominations     = 30
	MaxDenominationCount = 1_000_000
)

// Collection is one opening of a box, or the reversal of one: a reversal
// carries the opposite amount, no number, counters or seals, and is dated
// when the correction was made.
type Collection struct {
	ID            string                `db:"id" json:"id"`
	Seq           int64                 `db:"seq" json:"-"`
	BoxID         string                `db:"box_id" json:"boxId"`
	Number        *int                  `db:"number" json:"number"` // 1 for the box's first opening, and so on
	CollectedOn   calendar.Date         `db:"collected_on" json:"collectedOn"`
	Amount        money.Rupiah          `db:"amount" json:"amount"`
	Counted       jsonb[[]Denomination] `db:"denominations" json:"denominations"`
	CountedBy1    *string               `db:"counted_by_1" json:"-"`
	CountedBy2    *string               `db:"counted_by_2" json:"-"`
	SealRemoved   *string               `db:"seal_removed" json:"sealRemoved"`
	SealApplied   *string               `db:"seal_applied" json:"sealApplied"`
	IncidentFound *string               `db:"seal_incident" json:"-"`
	IncidentBy    *string               `db:"seal_incident_by" json:"-"`
	DonationID    string                `db:"donation_id" json:"donationId"`
	// PermitID and PermitException are those of the donation the opening
	// became: the permit it collected under, and why it was recorded
	// though outside it.
	PermitID        *string   `db:"permit_id" json:"permitId"`
	PermitException *string   `db:"permit_exception" json:"permitException"`
	ReversesID      *string   `db:"reverses_id" json:"reversesId"`
	ReversalReason  *string   `db:"reversal_reason" json:"reversalReason"`
	ReversedByID    *string   `db:"reversed_by_id" json:"-"`
	CreatedAt       time.Time `db:"created_at" json:"createdAt"`
}

// Incident is what an opening found wrong with the box's seal.
type Incident struct {
	Found      string `json:"found"`
	ReportedBy string `json:"reportedBy"`
}

// MarshalJSON writes the collection with the API's field names, for the
// audit trail.
func (c Collection) MarshalJSON() ([]byte, error) {
	type plain Collection
	return json.Marshal(struct {
		plain
		CountedBy    []string  `json:"countedBy"`
		SealIncident *Incident `json:"sealIncident"`
	}{plain(c), c.CountedBy(), c.SealIncident()})
}

// Denominations returns the count by note or coin, if one was made.
func (c Collection) Denominations() []Denomination { return c.Counted.V }

// CountedBy returns the two people who counted the cash (none for a
// reversal).
func (c Collection) CountedBy() []string {
	if c.CountedBy1 == nil || c.CountedBy2 == nil {
		return []string{}
	}
	return []string{*c.CountedBy1, *c.CountedBy2}
}

// SealIncident returns the seal incident the opening recorded, if any.
func (c Collection) SealIncident() *Incident {
	if c.IncidentFound == nil || c.IncidentBy == nil {
		return nil
	}
	return &Incident{Found: *c.IncidentFound, ReportedBy: *c.IncidentBy}
}

const collectionColumns = `c.id, c.seq, c.box_id, c.number, c.collected_on, c.amount, c.denominations,
	c.counted_by_1, c.counted_by_2, c.seal_removed, c.seal_applied, c.seal_incident, c.seal_incident_by,
	c.donation_id, c.reverses_id, c.reversal_reason, c.created_at,
	(SELECT r.id FROM box_collections r WHERE r.reverses_id = c.id) AS reversed_by_id,
	(SELECT pd.permit_id FROM donations pd WHERE pd.id = c.donation_id) AS permit_id,
	(SELECT pd.permit_exception FROM donations pd WHERE pd.id = c.donation_id) AS permit_exception`

const collectionFrom = `box_collections c JOIN donation_boxes b ON b.id = c.box_id JOIN organizations o ON o.id = b.organization_id`

func getCollection(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Collection, error) {
	args := postgres.Args{id}
	query := `SELECT ` + collectionColumns + ` FROM ` + collectionFrom + ` WHERE c.id = $1 AND ` + scope(sc, &args)
	return postgres.ByID[Collection](ctx, q, "box collection", query, id, args[1:]...)
}

// Collection returns box collection id.
func (s *Store) Collection(ctx context.Context, sc auth.Scope, id string) (Collection, error) {
	return getCollection(ctx, s.db, sc, id)
}

// CollectionFilter narrows a list of collections. Reversals match like any
// entry, on the date they were booked, so sums are net.
type CollectionFilter struct {
	From, To       *calendar.Date
	OrganizationID *string // the owning council's subtree
	BoxID          *string
	HostPartnerID  *string
	RegencyID      *string
}

// collectionWhere returns the condition that selects the collections f
// matches within sc, with its arguments.
func (s *Store) collectionWhere(ctx context.Context, sc auth.Scope, f CollectionFilter) (string, postgres.Args, error) {
	if err := resolve(ctx, s.db, sc, refs{box: &f.BoxID, host: &f.HostPartnerID, regency: &f.RegencyID}); err != nil {
		return "", nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	from, to, u := a.Add(f.From), a.Add(f.To), a.Add(under)
	boxID, host, regency := a.Add(f.BoxID), a.Add(f.HostPartnerID), a.Add(f.RegencyID)
	return `(` + from + `::date IS NULL OR c.collected_on >= ` + from + `) AND (` + to + `::date IS NULL OR c.collected_on <= ` + to + `)
	AND (` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree)
	AND (` + boxID + `::uuid IS NULL OR c.box_id = ` + boxID + `)
	AND (` + host + `::uuid IS NULL OR b.host_partner_id = ` + host + `)
	AND (` + regency + `::uuid IS NULL OR b.regency_id = ` + regency + `)
	AND ` + scope(sc, &a), a, nil
}

// Collections returns a page of collections in date order.
func (s *Store) Collections(ctx context.Context, sc auth.Scope, f CollectionFilter, r page.Request) (page.Page[Collection], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Collection]{}, err
	}
	cond, args, err := s.collectionWhere(ctx, sc, f)
	if err != nil {
		return page.Page[Collection]{}, err
	}
	query := `SELECT ` + collectionColumns + ` FROM ` + collectionFrom + ` WHERE ` + cond + ` ` + k.Clause(&args, "c.collected_on", "c.seq")
	var items []Collection
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Collection]{}, fmt.Errorf("list box collections: %w", err)
	}
	return page.Trim(items, k), nil
}

// CollectionTotals counts and sums collections, net of reversals.
type CollectionTotals struct {
	Count    int          `db:"count"`    // entries, reversals included
	Openings int          `db:"openings"` // openings less reversed ones
	Amount   money.Rupiah `db:"amount"`
}

// openings counts the openings among collections c, a reversal taking one
// away, so that it agrees with the net amount.
const openings = `COALESCE(SUM(CASE WHEN c.reverses_id IS NULL THEN 1 ELSE -1 END), 0)::int`

// CollectionTotals counts and sums the collections f matches.
func (s *Store) CollectionTotals(ctx context.Context, sc auth.Scope, f CollectionFilter) (CollectionTotals, error) {
	cond, args, err := s.collectionWhere(ctx, sc, f)
	if err != nil {
		return CollectionTotals{}, err
	}
	var t CollectionTotals
	err = s.db.GetContext(ctx, &t, `
		SELECT count(*) AS count, `+openings+` AS openings, COALESCE(SUM(c.amount), 0)::bigint AS amount
		FROM `+collectionFrom+`
		WHERE `+cond, args...)
	if err != nil {
		return CollectionTotals{}, fmt.Errorf("sum box collections: %w", err)
	}
	return t, nil
}

// NewCollection is the input for RecordCollection.
type NewCollection struct {
	BoxID         string         `json:"boxId"`
	CollectedOn   calendar.Date  `json:"collectedOn"`
	Amount        money.Rupiah   `json:"amount"`
	Denominations []Denomination `json:"denominations"`
	CountedBy     []string       `json:"countedBy"`
	SealRemoved   string         `json:"sealRemoved"`
	SealApplied   *string        `json:"sealApplied"`
	SealIncident  *Incident      `json:"sealIncident"`
	// PermitException is why an opening outside its box's permit (its
	// period or area) is recorded anyway; see permit.Exception.
	PermitException *string `json:"permitException"`
	IdempotencyKey  string  `json:"-"`
}

// samePerson reports whether two names given for counters are one name:
// compared after Unicode compatibility normalisation (NFKC), without
// format and zero-width characters, case-folded, with runs of spaces as
// one, so that "Made" and "Made\u200b" or "ＭＡＤＥ" are the same person.
func samePerson(a, b string) bool { return personKey(a) == personKey(b) }

var fold = cases.Fold()

func personKey(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) || r == '\u180e' {
			return -1 // zero-width and other format characters
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	return fold.String(strings.Join(strings.Fields(s), " "))
}

// denominationsTotal adds up a count by denomination into v's refusals
// when it is malformed, and returns its total. Every value and count is
// bounded first and the sum is checked against money.Max after each line,
// so the arithmetic cannot overflow (a line is at most Max × 1,000,000 <
// 2^63, the running sum at most Max before it).
func denominationsTotal(v *fault.InvalidInput, ds []Denomination) (money.Rupiah, bool) {
	if len(ds) > MaxDenominations {
		v.Add("input.denominations", fault.TooLong, fmt.Sprintf("at most %d denominations", MaxDenominations))
		return 0, false
	}
	var sum money.Rupiah
	ok := true
	for i, d := range ds {
		p := fmt.Sprintf("input.denominations.%d.", i)
		before := len(v.Fields)
		money.Check(v, p+"value", d.Value)
		if d.Count <= 0 || d.Count > MaxDenominationCount {
			v.Add(p+"count", fault.Invalid, fmt.Sprintf("must be between 1 and %d", MaxDenominationCount))
		}
		if len(v.Fields) > before {
			ok = false
			continue
		}
		if ok {
			sum += d.Value * money.Rupiah(d.Count)
			if sum > money.Max {
				v.Add("input.denominations", fault.Invalid, "add up to more than "+money.Max.String())
				return 0, false
			}
		}
	}
	return sum, ok
}

func (in NewCollection) validate(v *fault.InvalidInput) {
	calendar.Check(v, "input.collectedOn", in.CollectedOn)
	money.Check(v, "input.amount", in.Amount)
	if len(in.CountedBy) != 2 {
		v.Add("input.countedBy", fault.Invalid, "two people count a box: give exactly two names")
	} else {
		v.Text("input.countedBy.0", in.CountedBy[0], true, 200)
		v.Text("input.countedBy.1", in.CountedBy[1], true, 200)
		if samePerson(in.CountedBy[0], in.CountedBy[1]) {
			v.Add("input.countedBy.1", fault.Invalid, "the two counters must be different people")
		}
	}
	v.Text("input.sealRemoved", in.SealRemoved, true, 100)
	if in.SealApplied != nil {
		v.Text("input.sealApplied", *in.SealApplied, true, 100)
	}
	if in.SealIncident != nil {
		v.Text("input.sealIncident.found", in.SealIncident.Found, true, 1000)
		v.Text("input.sealIncident.reportedBy", in.SealIncident.ReportedBy, true, 200)
	}
	permit.CheckException(v, in.PermitException)
	if len(in.Denominations) > 0 {
		if sum, ok := denominationsTotal(v, in.Denominations); ok && sum != in.Amount {
			v.Add("input.denominations", fault.Invalid, fmt.Sprintf("add up to %s, but the amount is %s", sum, in.Amount))
		}
	}
}

// lastOpening is what the custody rules need of a box's latest opening
// that was not reversed.
type lastOpening struct {
	CollectedOn calendar.Date `db:"collected_on"`
	SealApplied *string       `db:"seal_applied"`
}

// RecordCollection records a box opening and, in the same transaction, the
// donation it becomes. The box row is locked, so concurrent openings of one
// box are numbered in turn and checked against its retirement, its last
// opening's date and the seal that opening applied.
func (s *Store) RecordCollection(ctx context.Context, sc auth.Scope, in NewCollection) (Collection, error) {
	w, apply := in.record(ctx)
	c, err := change.Do(ctx, s.db, sc, w, getCollection, apply)
	if err != nil {
		return Collection{}, fmt.Errorf("record collection of box %s: %w", in.BoxID, err)
	}
	return c, nil
}

// ImportCollection is RecordCollection as one row of an import, through the same checks.
func ImportCollection(ctx context.Context, im *change.Import, in NewCollection) (Collection, error) {
	w, apply := in.record(ctx)
	return change.In(ctx, im, w, getCollection, apply)
}

// record describes the write that records in.
func (in NewCollection) record(ctx context.Context) (change.Write, func(tx *change.Tx) (change.Applied, error)) {
	w := change.Write{Mutation: "recordBoxCollection", Action: "create", Entity: "box_collection", Key: in.IdempotencyKey, Input: in,
		Check: in.validate}
	return w, func(tx *change.Tx) (change.Applied, error) {
		sc := tx.Scope
		v := &tx.Refused
		b, err := lockBox(ctx, tx, "input.boxId", in.BoxID)
		if !v.Collect(err) {
			return change.Applied{}, v.Failed()
		}
		owner, err := organization.RequireWritable(ctx, tx, sc, "input.boxId", b.OrganizationID)
		if !v.Collect(err) {
			return change.Applied{}, v.Failed()
		}
		var last *lastOpening
		var prior []lastOpening
		err = tx.SelectContext(ctx, &prior, `
			SELECT c.collected_on, c.seal_applied FROM box_collections c
			WHERE c.box_id = $1 AND c.reverses_id IS NULL
			  AND NOT EXISTS (SELECT 1 FROM box_collections r WHERE r.reverses_id = c.id)
			ORDER BY c.number DESC LIMIT 1`, b.ID)
		if err != nil {
			return change.Applied{}, fmt.Errorf("read the last opening of box %s: %w", b.Code, err)
		}
		if len(prior) == 1 {
			last = &prior[0]
		}
		if !in.CollectedOn.IsZero() {
			switch {
			case in.CollectedOn.Before(b.PlacedOn):
				v.Add("input.collectedOn", fault.Invalid, "is before the box was placed ("+b.PlacedOn.String()+")")
			case b.RetiredOn != nil && in.CollectedOn.After(*b.RetiredOn):
				v.Add("input.boxId", fault.Invalid, "the box was retired on "+b.RetiredOn.String())
			case last != nil && in.CollectedOn.Before(last.CollectedOn):
				v.Add("input.collectedOn", fault.Invalid, "is before the box's last opening ("+last.CollectedOn.String()+"): openings are recorded in date order")
			default:
				if v.Collect(owner.NotFuture("input.collectedOn", in.CollectedOn)) {
					v.Collect(organization.CheckOpen(ctx, tx, owner, "input.collectedOn", in.CollectedOn))
				}
			}
		}
		var used bool
		if err := tx.GetContext(ctx, &used, `
			SELECT EXISTS (SELECT 1 FROM box_collections c WHERE c.box_id = $1 AND c.seal_removed = $2
				AND NOT EXISTS (SELECT 1 FROM box_collections r WHERE r.reverses_id = c.id))`, b.ID, in.SealRemoved); err != nil {
			return change.Applied{}, fmt.Errorf("look for seal %s: %w", in.SealRemoved, err)
		}
		switch {
		case used:
			v.Add("input.sealRemoved", fault.Duplicate, "a collection of this box already removed this seal")
		case last != nil && last.SealApplied != nil && in.SealRemoved != *last.SealApplied && in.SealIncident == nil:
			// The seal removed must be the one the previous opening
			// applied; anything else is an incident someone recorded.
			v.Add("input.sealRemoved", fault.Invalid, fmt.Sprintf(
				"the previous opening applied seal %q: record a seal incident (what was found, by whom) to remove another", *last.SealApplied))
		}
		var permitID, exception *string
		if !in.CollectedOn.IsZero() {
			if permitID, exception, err = openingPermit(ctx, tx, v, b, in.CollectedOn, in.PermitException); err != nil {
				return change.Applied{}, err
			}
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		var number int
		if err := tx.GetContext(ctx, &number, `SELECT COALESCE(max(number), 0) + 1 FROM box_collections WHERE box_id = $1`, b.ID); err != nil {
			return change.Applied{}, fmt.Errorf("next collection number: %w", err)
		}
		donationID, err := donation.InsertBoxDonation(ctx, tx, donation.BoxDonation{
			OrganizationID:  b.OrganizationID,
			HostPartnerID:   b.HostPartnerID,
			CollectedOn:     in.CollectedOn,
			Amount:          in.Amount,
			Reference:       fmt.Sprintf("KOTAK-%s-%d", b.Code, number),
			PermitID:        permitID,
			PermitException: exception,
		})
		if err != nil {
			return change.Applied{}, err
		}
		var denominations, found, reportedBy any
		if len(in.Denominations) > 0 {
			raw, _ := json.Marshal(in.Denominations)
			denominations = string(raw)
		}
		if in.SealIncident != nil {
			found, reportedBy = in.SealIncident.Found, in.SealIncident.ReportedBy
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO box_collections (box_id, number, collected_on, amount, denominations, counted_by_1, counted_by_2,
				seal_removed, seal_applied, seal_incident, seal_incident_by, donation_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			b.ID, number, in.CollectedOn, in.Amount, denominations, strings.TrimSpace(in.CountedBy[0]),
			strings.TrimSpace(in.CountedBy[1]), in.SealRemoved, in.SealApplied, found, reportedBy, donationID)
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert box collection: %w", err)
		}
		return change.Applied{ID: id}, nil
	}
}

// CollectionReversal is the input for ReverseCollection.
type CollectionReversal struct {
	CollectionID   string         `json:"collectionId"`
	Reason         string         `json:"reason"`
	ReversedOn     *calendar.Date `json:"reversedOn"` // default: see organization.CorrectionDate
	IdempotencyKey string         `json:"-"`
}

// ReverseCollection cancels a box opening recorded wrongly together with
// the donation it became: two reversal entries with the opposite amount,
// dated alike, so box figures and DONATION_BOX money agree for any period.
// The opening's seal may then be recorded again by the opening that
// replaces it.
func (s *Store) ReverseCollection(ctx context.Context, sc auth.Scope, in CollectionReversal) (Collection, error) {
	w, apply := in.reverse(ctx)
	c, err := change.Do(ctx, s.db, sc, w, getCollection, apply)
	if err != nil {
		return Collection{}, fmt.Errorf("reverse box collection %s: %w", in.CollectionID, err)
	}
	return c, nil
}

// ImportCollectionReversal is ReverseCollection as one row of an import, through the same checks.
func ImportCollectionReversal(ctx context.Context, im *change.Import, in CollectionReversal) (Collection, error) {
	w, apply := in.reverse(ctx)
	return change.In(ctx, im, w, getCollection, apply)
}

// reverse describes the write that reverses in.CollectionID.
func (in CollectionReversal) reverse(ctx context.Context) (change.Write, func(tx *change.Tx) (change.Applied, error)) {
	w := change.Write{Mutation: "reverseBoxCollection", Action: "reverse", Entity: "box_collection", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { change.CheckReversal(v, in.Reason, in.ReversedOn) }}
	return w, func(tx *change.Tx) (change.Applied, error) {
		sc := tx.Scope
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		orig, err := getCollection(ctx, tx, sc, in.CollectionID)
		if errors.Is(err, fault.ErrNotFound) {
			return change.Applied{}, fault.Refuse("input.collectionId", fault.Unknown, "no such box collection")
		}
		if err != nil {
			return change.Applied{}, err
		}
		b, err := lockBox(ctx, tx, "input.collectionId", orig.BoxID)
		if err != nil {
			return change.Applied{}, err
		}
		if orig.ReversesID != nil {
			return change.Applied{}, fault.Refuse("input.collectionId", fault.Invalid, "this entry is itself a reversal and cannot be reversed")
		}
		if orig.ReversedByID != nil {
			return change.Applied{}, fault.Refuse("input.collectionId", fault.Duplicate, "this collection has already been reversed")
		}
		owner, err := organization.RequireWritable(ctx, tx, sc, "input.collectionId", b.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		on, err := organization.CorrectionDate(ctx, tx, owner, "input.reversedOn", orig.CollectedOn, in.ReversedOn)
		if err != nil {
			return change.Applied{}, err
		}
		gift, err := donation.Get(ctx, tx, sc, orig.DonationID)
		if err != nil {
			return change.Applied{}, fmt.Errorf("read the donation of collection %s: %w", orig.ID, err)
		}
		if err := donation.Reversible("input.collectionId", gift); err != nil {
			return change.Applied{}, err
		}
		reversalID, err := donation.InsertReversal(ctx, tx, "input.collectionId", gift, on, in.Reason)
		if err != nil {
			return change.Applied{}, err
		}
		reversed, err := donation.Get(ctx, tx, sc, reversalID)
		if err != nil {
			return change.Applied{}, err
		}
		if err := tx.Audit(ctx, "reverse", "donation", reversalID, gift, reversed); err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO box_collections (box_id, collected_on, amount, donation_id, reverses_id, reversal_reason)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			orig.BoxID, on, -orig.Amount, reversalID, orig.ID, in.Reason)
		if c, ok := postgres.Violation(err); ok && c == "box_collections_reverses_id_key" {
			return change.Applied{}, fault.Refuse("input.collectionId", fault.Duplicate, "this collection has already been reversed")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert collection reversal: %w", err)
		}
		return change.Applied{ID: id, Before: orig}, nil
	}
}

// CollectionsByIDs returns the collections with the given ids, in no set
// order.
func (s *Store) CollectionsByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Collection, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + collectionColumns + ` FROM ` + collectionFrom + ` WHERE c.id::text = ANY($1) AND ` + scope(sc, &args)
	var out []Collection
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get box collections by id: %w", err)
	}
	return out, nil
}

// ByDonationIDs returns the collections that became the given donations.
func (s *Store) ByDonationIDs(ctx context.Context, sc auth.Scope, donationIDs []string) ([]Collection, error) {
	args := postgres.Args{pq.Array(postgres.IDs(donationIDs))}
	query := `SELECT ` + collectionColumns + ` FROM ` + collectionFrom + ` WHERE c.donation_id::text = ANY($1) AND ` + scope(sc, &args)
	var out []Collection
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
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
	// PermitNumber is the number of the permit the opening collected under.
	PermitNumber *string `db:"permit_number"`
}

// Each calls fn for every collection f matches, in date order, streamed.
func (s *Store) Each(ctx context.Context, sc auth.Scope, f CollectionFilter, fn func(LedgerRow) error) error {
	cond, args, err := s.collectionWhere(ctx, sc, f)
	if err != nil {
		return err
	}
	return postgres.Stream(ctx, s.db, `
		SELECT `+collectionColumns+`, b.code AS box_code, h.name AS host_name, o.code AS owner_code, r.name AS regency_name,
			(SELECT pm.number FROM donations pd JOIN permits pm ON pm.id = pd.permit_id WHERE pd.id = c.donation_id) AS permit_number
		FROM `+collectionFrom+` JOIN partners h ON h.id = b.host_partner_id JOIN organizations r ON r.id = b.regency_id
		WHERE `+cond+`
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

func (s *Store) collectionsBy(ctx context.Context, sc auth.Scope, f CollectionFilter, key string) ([]Group, error) {
	cond, args, err := s.collectionWhere(ctx, sc, f)
	if err != nil {
		return nil, err
	}
	var out []Group
	err = s.db.SelectContext(ctx, &out, `
		SELECT `+key+`::text AS key, count(DISTINCT c.box_id) AS boxes, `+openings+` AS openings, SUM(c.amount)::bigint AS total
		FROM `+collectionFrom+` WHERE `+cond+`
		GROUP BY 1 ORDER BY 4 DESC, 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("sum collections by %s: %w", key, err)
	}
	return out, nil
}

// CollectionsByHost sums the collections f matches per host partner.
func (s *Store) CollectionsByHost(ctx context.Context, sc auth.Scope, f CollectionFilter) ([]Group, error) {
	return s.collectionsBy(ctx, sc, f, `b.host_partner_id`)
}

// CollectionsByRegency sums the collections f matches per regency.
func (s *Store) CollectionsByRegency(ctx context.Context, sc auth.Scope, f CollectionFilter) ([]Group, error) {
	return s.collectionsBy(ctx, sc, f, `b.regency_id`)
}

// ActiveBoxes counts the boxes of the subtree of orgID that were in service
// at some time between from and to.
func (s *Store) ActiveBoxes(ctx context.Context, sc auth.Scope, orgID string, from, to calendar.Date) (int, error) {
	under, err := organization.SubtreePath(ctx, s.db, sc, "organizationId", &orgID)
	if err != nil {
		return 0, err
	}
	args := postgres.Args{under, from, to}
	query := `SELECT count(*) FROM ` + boxFrom + `
		WHERE o.path <@ $1::ltree AND b.placed_on <= $3 AND (b.retired_on IS NULL OR b.retired_on >= $2) AND ` + scope(sc, &args)
	var n int
	if err := s.db.GetContext(ctx, &n, query, args...); err != nil {
		return 0, fmt.Errorf("count active boxes: %w", err)
	}
	return n, nil
}

// BoxTotal is what one box collected, net of reversals, and the seal
// incidents its openings recorded.
type BoxTotal struct {
	Code      string       `db:"code"`
	Host      string       `db:"host"`
	Regency   string       `db:"regency"`
	Openings  int          `db:"openings"`
	Total     money.Rupiah `db:"total"`
	Incidents int          `db:"incidents"`
	// Exceptions counts the openings kept though outside their permit
	// (not reversed since).
	Exceptions int `db:"exceptions"`
}

// CollectionsByBox sums the collections f matches per box, by box code.
func (s *Store) CollectionsByBox(ctx context.Context, sc auth.Scope, f CollectionFilter) ([]BoxTotal, error) {
	cond, args, err := s.collectionWhere(ctx, sc, f)
	if err != nil {
		return nil, err
	}
	var out []BoxTotal
	err = s.db.SelectContext(ctx, &out, `
		SELECT b.code, h.name AS host, r.name AS regency, `+openings+` AS openings, SUM(c.amount)::bigint AS total,
			count(c.seal_incident)::int AS incidents,
			count(*) FILTER (WHERE c.reverses_id IS NULL
				AND EXISTS (SELECT 1 FROM donations pd WHERE pd.id = c.donation_id AND pd.permit_exception IS NOT NULL)
				AND NOT EXISTS (SELECT 1 FROM box_collections r WHERE r.reverses_id = c.id))::int AS exceptions
		FROM `+collectionFrom+` JOIN partners h ON h.id = b.host_partner_id JOIN organizations r ON r.id = b.regency_id
		WHERE `+cond+`
		GROUP BY b.code, h.name, r.name ORDER BY b.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("sum collections by box: %w", err)
	}
	return out, nil
}
