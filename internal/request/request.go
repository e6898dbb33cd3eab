// Package request is the councils' aid requests (permohonan): a citizen's
// or an institution's request received by a regency/city council, verified
// there, handled there or forwarded to the province, approved (reserving
// its budget) or rejected, and fulfilled by aid outputs or cancelled. Every
// step is an event with its date, actor and note.
//
// Applicants' NIKs are sealed with the server's key (package nik) and shown
// whole only to those who handle the request: admins, and operators whose
// subtree holds the council now handling it. Everyone else who sees the
// request sees the NIK masked.
package request

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// State is where a request stands.
type State string

// The states of a request.
const (
	Submitted State = "SUBMITTED"
	Verified  State = "VERIFIED"
	Forwarded State = "FORWARDED"
	Approved  State = "APPROVED"
	Rejected  State = "REJECTED"
	Fulfilled State = "FULFILLED"
	Cancelled State = "CANCELLED"
)

// Open are the states of a request still waiting for someone, in the order
// a request passes them.
var Open = []State{Submitted, Verified, Forwarded, Approved}

var states = map[State]bool{Submitted: true, Verified: true, Forwarded: true, Approved: true, Rejected: true, Fulfilled: true, Cancelled: true}

// Valid reports whether s is a state.
func (s State) Valid() bool { return states[s] }

// ApplicantKind says whether a person or an institution asks.
type ApplicantKind string

// The kinds of applicant.
const (
	Person          ApplicantKind = "PERSON"
	InstitutionKind ApplicantKind = "INSTITUTION"
)

// Request is one aid request as the caller may see it.
type Request struct {
	ID              string               `db:"id" json:"id"`
	Seq             int64                `db:"seq" json:"-"`
	ReceivedByID    string               `db:"received_by_id" json:"receivedById"`
	HandlerID       string               `db:"handler_id" json:"handlerId"`
	ReceivedOn      calendar.Date        `db:"received_on" json:"receivedOn"`
	ApplicantKind   ApplicantKind        `db:"applicant_kind" json:"applicantKind"`
	ApplicantName   string               `db:"applicant_name" json:"applicantName"`
	Address         string               `db:"address" json:"address"`
	RegencyID       string               `db:"regency_id" json:"regencyId"`
	AidTypeID       string               `db:"aid_type_id" json:"aidTypeId"`
	Quantity        int                  `db:"quantity" json:"quantity"`
	PMKSCategory    aid.PMKS             `db:"pmks_category" json:"pmksCategory"`
	Group           aid.BeneficiaryGroup `db:"beneficiary_group" json:"beneficiaryGroup"`
	EstimatedBudget money.Rupiah         `db:"estimated_budget" json:"estimatedBudget"`
	Notes           string               `db:"notes" json:"notes"`
	State           State                `db:"state" json:"state"`
	StateOn         calendar.Date        `db:"state_on" json:"stateOn"`
	ApprovedBudget  *money.Rupiah        `db:"approved_budget" json:"approvedBudget"`
	ApprovedOn      *calendar.Date       `db:"approved_on" json:"approvedOn"`
	ClosedOn        *calendar.Date       `db:"closed_on" json:"closedOn"`
	CreatedAt       time.Time            `db:"created_at" json:"createdAt"`

	// The NIK: masked for everyone who sees the request (and in the audit
	// trail), whole only for those who handle it. Never in JSON whole.
	NIKMasked *string `db:"-" json:"nikMasked"`
	NIK       *string `db:"-" json:"-"`

	Sealed      []byte  `db:"nik_sealed" json:"-"`
	Hash        []byte  `db:"nik_hash" json:"-"`
	KeyID       *string `db:"nik_key_id" json:"-"`
	HandlerPath string  `db:"handler_path" json:"-"`
}

const columns = `r.id, r.seq, r.received_by_id, r.handler_id, r.received_on, r.applicant_kind, r.applicant_name,
	r.address, r.regency_id, r.aid_type_id, r.quantity, r.pmks_category, r.beneficiary_group, r.estimated_budget,
	r.notes, r.state, r.state_on, r.approved_budget, r.approved_on, r.closed_on, r.created_at,
	r.nik_sealed, r.nik_hash, r.nik_key_id, h.path::text AS handler_path`

// from joins each request r to the council that received it (rb) and the
// one handling it (h): a request is seen by the councils above either.
const from = `aid_requests r JOIN organizations rb ON rb.id = r.received_by_id JOIN organizations h ON h.id = r.handler_id`

func scope(sc auth.Scope, a *postgres.Args) string {
	return "(" + sc.Council(a, "rb.path") + " OR " + sc.Council(a, "h.path") + ")"
}

// Deadlines are the days a request may wait at each open step before it is
// overdue.
type Deadlines map[State]int

// DefaultDeadlines: a week to verify, two weeks to decide or forward, a
// month for the province to decide, two months to deliver.
func DefaultDeadlines() Deadlines {
	return Deadlines{Submitted: 7, Verified: 14, Forwarded: 30, Approved: 60}
}

// Store reads and writes aid requests.
type Store struct {
	db        *sqlx.DB
	key       *nik.Key // nil: NIKs can be neither recorded nor shown
	deadlines Deadlines
}

// NewStore returns a Store on db that seals NIKs with key and measures
// ageing against deadlines.
func NewStore(db *sqlx.DB, key *nik.Key, deadlines Deadlines) *Store {
	return &Store{db: db, key: key, deadlines: deadlines}
}

// reveal sets what of each request's NIK the caller may see and drops the
// sealed value and hash from what leaves the store.
func (s *Store) reveal(sc auth.Scope, rs []Request) error {
	return s.unseal(rs, func(r Request) bool { return sc.Reaches(r.HandlerPath) })
}

// unseal opens each request's NIK, sets its masked form, and keeps it whole
// where whole says so.
func (s *Store) unseal(rs []Request, whole func(Request) bool) error {
	for i := range rs {
		r := &rs[i]
		if r.Sealed != nil {
			if s.key == nil || r.KeyID == nil || *r.KeyID != s.key.ID() {
				return fmt.Errorf("request %s: its NIK is sealed with key %v, and this server has another or none", r.ID, deref(r.KeyID))
			}
			number, err := s.key.Open(r.Sealed)
			if err != nil {
				return fmt.Errorf("request %s: %w", r.ID, err)
			}
			masked := nik.Mask(number)
			r.NIKMasked = &masked
			if whole(*r) {
				r.NIK = &number
			}
		}
		r.Sealed, r.Hash = nil, nil
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}

// get reads request id through q within sc.
func (s *Store) get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Request, error) {
	args := postgres.Args{id}
	r, err := postgres.ByID[Request](ctx, q, "aid request", `SELECT `+columns+` FROM `+from+` WHERE r.id = $1 AND `+scope(sc, &args), id, args[1:]...)
	if err != nil {
		return Request{}, err
	}
	one := []Request{r}
	if err := s.reveal(sc, one); err != nil {
		return Request{}, err
	}
	return one[0], nil
}

// Request returns request id.
func (s *Store) Request(ctx context.Context, sc auth.Scope, id string) (Request, error) {
	return s.get(ctx, s.db, sc, id)
}

// ByIDs returns the requests with the given ids within sc, in no set order.
func (s *Store) ByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Request, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	var out []Request
	if err := s.db.SelectContext(ctx, &out, `SELECT `+columns+` FROM `+from+` WHERE r.id::text = ANY($1) AND `+scope(sc, &args), args...); err != nil {
		return nil, fmt.Errorf("get aid requests by id: %w", err)
	}
	return out, s.reveal(sc, out)
}

// Filter narrows a list of requests.
type Filter struct {
	State          *State
	OrganizationID *string // received or handled in this subtree
	PMKSCategory   *aid.PMKS
	From, To       *calendar.Date // received between
	// WaitingDays keeps the requests that have stood at their present step
	// for at least this many days (open states only).
	WaitingDays *int
}

func (s *Store) where(ctx context.Context, sc auth.Scope, f Filter) (string, postgres.Args, error) {
	var v fault.InvalidInput
	if f.WaitingDays != nil && (*f.WaitingDays < 0 || *f.WaitingDays > 36500) {
		v.Add("filter.waitingDays", fault.Invalid, "must be between 0 and 36500")
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	st, u, pmks, fr, to, wait := a.Add(f.State), a.Add(under), a.Add(f.PMKSCategory), a.Add(f.From), a.Add(f.To), a.Add(f.WaitingDays)
	return `(` + st + `::text IS NULL OR r.state = ` + st + `)
	AND (` + u + `::ltree IS NULL OR rb.path <@ ` + u + `::ltree OR h.path <@ ` + u + `::ltree)
	AND (` + pmks + `::text IS NULL OR r.pmks_category = ` + pmks + `)
	AND (` + fr + `::date IS NULL OR r.received_on >= ` + fr + `) AND (` + to + `::date IS NULL OR r.received_on <= ` + to + `)
	AND (` + wait + `::int IS NULL OR (r.closed_on IS NULL AND r.state_on <= (now() AT TIME ZONE h.time_zone)::date - ` + wait + `::int))
	AND ` + scope(sc, &a), a, nil
}

// Requests returns a page of requests in the order they were received.
func (s *Store) Requests(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Request], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Request]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Request]{}, err
	}
	var items []Request
	if err := s.db.SelectContext(ctx, &items, `SELECT `+columns+` FROM `+from+` WHERE `+cond+` `+k.Clause(&args, "r.received_on", "r.seq"), args...); err != nil {
		return page.Page[Request]{}, fmt.Errorf("list aid requests: %w", err)
	}
	if err := s.reveal(sc, items); err != nil {
		return page.Page[Request]{}, err
	}
	return page.Trim(items, k), nil
}

// Count counts the requests f matches.
func (s *Store) Count(ctx context.Context, sc auth.Scope, f Filter) (int, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM `+from+` WHERE `+cond, args...); err != nil {
		return 0, fmt.Errorf("count aid requests: %w", err)
	}
	return n, nil
}

// Event is one step in a request's history.
type Event struct {
	ID        string        `db:"id"`
	Seq       int64         `db:"seq"`
	RequestID string        `db:"request_id"`
	FromState *State        `db:"from_state"`
	ToState   State         `db:"to_state"`
	HandlerID string        `db:"handler_id"`
	On        calendar.Date `db:"happened_on"`
	Actor     string        `db:"actor"`
	Note      string        `db:"note"`
	// AcknowledgedDuplicates is how many earlier requests of the same
	// person the approver saw and approved despite.
	AcknowledgedDuplicates int       `db:"acknowledged_duplicates"`
	CreatedAt              time.Time `db:"created_at"`
}

// HistoryOf returns the events of the given requests within sc, oldest
// first.
func (s *Store) HistoryOf(ctx context.Context, sc auth.Scope, ids []string) ([]Event, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	var out []Event
	err := s.db.SelectContext(ctx, &out, `
		SELECT e.id, e.seq, e.request_id, e.from_state, e.to_state, e.handler_id, e.happened_on, e.actor, e.note,
			e.acknowledged_duplicates, e.created_at
		FROM aid_request_events e JOIN `+from+` ON r.id = e.request_id
		WHERE e.request_id::text = ANY($1) AND `+scope(sc, &args)+`
		ORDER BY e.seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read aid request history: %w", err)
	}
	return out, nil
}

// OutputLink is an aid output that fulfilled a request.
type OutputLink struct {
	RequestID   string `db:"request_id"`
	AidOutputID string `db:"aid_output_id"`
}

// OutputsOf returns the outputs that fulfilled the given requests within sc.
func (s *Store) OutputsOf(ctx context.Context, sc auth.Scope, ids []string) ([]OutputLink, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	var out []OutputLink
	err := s.db.SelectContext(ctx, &out, `
		SELECT x.request_id, x.aid_output_id FROM aid_request_outputs x JOIN `+from+` ON r.id = x.request_id
		WHERE x.request_id::text = ANY($1) AND `+scope(sc, &args)+` ORDER BY x.request_id, x.aid_output_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read outputs of aid requests: %w", err)
	}
	return out, nil
}

// Matches are the other requests of the same person: those the caller sees,
// and how many more lie at councils it does not see (only counted: that the
// person asked elsewhere is what the check is for; where and what is not
// the caller's business).
type Matches struct {
	RequestID string
	Seen      []Request
	Elsewhere int
}

// MatchesOf finds, for each given request with a NIK, the other requests
// with the same NIK across all councils.
func (s *Store) MatchesOf(ctx context.Context, sc auth.Scope, ids []string) ([]Matches, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	var rows []struct {
		ForID string `db:"for_id"`
		Request
		Visible bool `db:"visible"`
	}
	// The requests themselves must be visible; their matches are listed
	// when visible and counted when not.
	query := `SELECT me.id AS for_id, ` + columns + `, ` + scope(sc, &args) + ` AS visible
		FROM aid_requests me JOIN aid_requests r ON r.nik_hash = me.nik_hash AND r.id <> me.id
			JOIN organizations rb ON rb.id = r.received_by_id JOIN organizations h ON h.id = r.handler_id
		WHERE me.id::text = ANY($1) AND me.nik_hash IS NOT NULL AND EXISTS (
			SELECT 1 FROM aid_requests r JOIN organizations rb ON rb.id = r.received_by_id JOIN organizations h ON h.id = r.handler_id
			WHERE r.id = me.id AND ` + scope(sc, &args) + `)
		ORDER BY me.id, r.received_on, r.seq`
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("find requests of the same person: %w", err)
	}
	var out []Matches
	for _, row := range rows {
		if len(out) == 0 || out[len(out)-1].RequestID != row.ForID {
			out = append(out, Matches{RequestID: row.ForID})
		}
		m := &out[len(out)-1]
		if !row.Visible {
			m.Elsewhere++
			continue
		}
		one := []Request{row.Request}
		if err := s.reveal(sc, one); err != nil {
			return nil, err
		}
		m.Seen = append(m.Seen, one[0])
	}
	return out, nil
}

// hashKey is the form of a NIK's keyed hash in an idempotency key's input.
func hashKey(h []byte) string { return hex.EncodeToString(h) }

// LedgerRow is a request with the names an auditor reads beside it.
type LedgerRow struct {
	Request
	ReceivedByCode string `db:"received_by_code"`
	HandlerCode    string `db:"handler_code"`
	RegencyName    string `db:"regency_name"`
	AidTypeName    string `db:"aid_type_name"`
	AidTypeNameEN  string `db:"aid_type_name_en"`
	Unit           string `db:"unit"`
}

// Each calls fn for every request f matches, in the order received,
// streamed. A workbook travels further than an answer on a screen: the NIK
// is whole in it for admins only, masked for everyone else. Partner
// accounts, which see no requests, are refused.
func (s *Store) Each(ctx context.Context, sc auth.Scope, f Filter, fn func(LedgerRow) error) error {
	if sc.IsPartner() {
		return auth.ErrForbidden
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return err
	}
	admin := sc.Require(auth.Admin) == nil
	return postgres.Stream(ctx, s.db, `
		SELECT `+columns+`, rb.code AS received_by_code, h.code AS handler_code, g.name AS regency_name,
			t.name AS aid_type_name, t.name_en AS aid_type_name_en, t.unit
		FROM `+from+` JOIN organizations g ON g.id = r.regency_id JOIN aid_types t ON t.id = r.aid_type_id
		WHERE `+cond+`
		ORDER BY r.received_on, r.seq`, args, func(rows *sqlx.Rows) error {
		var row LedgerRow
		if err := rows.StructScan(&row); err != nil {
			return fmt.Errorf("read aid request row: %w", err)
		}
		one := []Request{row.Request}
		if err := s.unseal(one, func(Request) bool { return admin }); err != nil {
			return err
		}
		row.Request = one[0]
		return fn(row)
	})
}
