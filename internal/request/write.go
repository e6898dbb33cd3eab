package request

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// NewRequest is the input for Submit.
type NewRequest struct {
	ReceivedByID    string               `json:"receivedById"`
	ReceivedOn      calendar.Date        `json:"receivedOn"`
	ApplicantKind   ApplicantKind        `json:"applicantKind"`
	ApplicantName   string               `json:"applicantName"`
	NIK             string               `json:"-"` // never in the idempotency record: its keyed hash is
	NIKKey          string               `json:"nikKey"`
	Address         string               `json:"address"`
	RegencyID       string               `json:"regencyId"`
	AidTypeID       string               `json:"aidTypeId"`
	Quantity        int                  `json:"quantity"`
	PMKSCategory    aid.PMKS             `json:"pmksCategory"`
	Group           aid.BeneficiaryGroup `json:"beneficiaryGroup"`
	EstimatedBudget money.Rupiah         `json:"estimatedBudget"`
	Notes           string               `json:"notes"`
	IdempotencyKey  string               `json:"-"`
}

// Submit records a request received by a regency/city council or by a
// province council directly.
func (s *Store) Submit(ctx context.Context, sc auth.Scope, in NewRequest) (Request, error) {
	if s.key != nil && in.NIK != "" {
		in.NIKKey = hashKey(s.key.Hash(in.NIK))
	}
	w := change.Write{Mutation: "submitAidRequest", Action: "create", Entity: "aid_request", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			calendar.Check(v, "input.receivedOn", in.ReceivedOn)
			v.Text("input.applicantName", in.ApplicantName, true, 200)
			v.Text("input.address", in.Address, true, 500)
			v.Text("input.notes", in.Notes, false, 2000)
			v.Quantity("input.quantity", in.Quantity)
			money.CheckNonNegative(v, "input.estimatedBudget", in.EstimatedBudget)
			if !in.PMKSCategory.Valid() {
				v.Add("input.pmksCategory", fault.Invalid, "is not a PMKS category")
			}
			if !in.Group.Valid() {
				v.Add("input.beneficiaryGroup", fault.Invalid, "is not a beneficiary group")
			}
			switch in.ApplicantKind {
			case Person:
				if err := nik.Check(in.NIK); err != nil {
					v.Add("input.nik", fault.Invalid, err.Error())
				} else if s.key == nil {
					v.Add("input.nik", fault.Invalid, "cannot be recorded: this server has no NIK key configured")
				}
			case InstitutionKind:
				if in.NIK != "" {
					v.Add("input.nik", fault.Invalid, "is for a person; an institution applies without one")
				}
			default:
				v.Add("input.applicantKind", fault.Invalid, "is not a kind of applicant")
			}
		}}
	r, err := change.Do(ctx, s.db, sc, w, s.get, func(tx *change.Tx) (change.Applied, error) {
		v := &tx.Refused
		org, err := organization.RequireWritable(ctx, tx, sc, "input.receivedById", in.ReceivedByID)
		if v.Collect(err) {
			if org.Kind != organization.RegencyCouncil && org.Kind != organization.ProvinceCouncil {
				v.Add("input.receivedById", fault.Invalid, "must be a regency/city or province council")
			} else if !in.ReceivedOn.IsZero() {
				v.Collect(org.NotFuture("input.receivedOn", in.ReceivedOn))
				v.Collect(organization.CheckOpen(ctx, tx, org, "input.receivedOn", in.ReceivedOn))
			}
		}
		_, err = organization.RequireRegency(ctx, tx, sc, "input.regencyId", in.RegencyID)
		v.Collect(err)
		_, err = aid.RequireType(ctx, tx, sc, "input.aidTypeId", in.AidTypeID)
		v.Collect(err)
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		var sealed, hash []byte
		var keyID *string
		if in.ApplicantKind == Person {
			sealed, hash = s.key.Seal(in.NIK), s.key.Hash(in.NIK)
			id := s.key.ID()
			keyID = &id
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO aid_requests (received_by_id, handler_id, received_on, applicant_kind, applicant_name, nik_sealed, nik_hash,
				nik_key_id, address, regency_id, aid_type_id, quantity, pmks_category, beneficiary_group, estimated_budget, notes, state_on)
			VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $2) RETURNING id`,
			org.ID, in.ReceivedOn, in.ApplicantKind, in.ApplicantName, sealed, hash, keyID, in.Address, in.RegencyID,
			in.AidTypeID, in.Quantity, in.PMKSCategory, in.Group, in.EstimatedBudget, in.Notes)
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert aid request: %w", err)
		}
		if err := addEvent(ctx, tx, id, nil, Submitted, org.ID, in.ReceivedOn, "", 0); err != nil {
			return change.Applied{}, err
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Request{}, fmt.Errorf("submit aid request: %w", err)
	}
	return r, nil
}

func addEvent(ctx context.Context, tx *change.Tx, id string, from *State, to State, handler string, on calendar.Date, note string, acknowledged int) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO aid_request_events (request_id, from_state, to_state, handler_id, happened_on, actor, note, acknowledged_duplicates)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, from, to, handler, on, tx.Scope.Principal().Name(), note, acknowledged)
	if err != nil {
		return fmt.Errorf("record aid request event: %w", err)
	}
	return nil
}

// Action is a step a request can be moved by.
type Action string

// The actions, as the API names them.
const (
	Verify  Action = "verifyAidRequest"
	Forward Action = "forwardAidRequest"
	Approve Action = "approveAidRequest"
	Reject  Action = "rejectAidRequest"
	Fulfil  Action = "fulfilAidRequest"
	Cancel  Action = "cancelAidRequest"
)

// Moves says from which states each action moves a request, and to which.
var Moves = map[Action]struct {
	From []State
	To   State
}{
	Verify:  {[]State{Submitted}, Verified},
	Forward: {[]State{Verified}, Forwarded},
	Approve: {[]State{Verified, Forwarded}, Approved},
	Reject:  {[]State{Verified, Forwarded}, Rejected},
	Fulfil:  {[]State{Approved}, Fulfilled},
	Cancel:  {[]State{Submitted, Verified, Forwarded, Approved}, Cancelled},
}

// Move is the input for Transition.
type Move struct {
	Action    Action         `json:"action"`
	RequestID string         `json:"requestId"`
	On        *calendar.Date `json:"on"` // default: today in the handling council's time zone
	Note      string         `json:"note"`
	// Approve: the budget approved (default: the estimate), and that the
	// approver saw the person's other requests.
	ApprovedBudget        *money.Rupiah `json:"approvedBudget"`
	AcknowledgeDuplicates bool          `json:"acknowledgeDuplicates"`
	// Fulfil: the aid outputs that delivered the request.
	OutputIDs      []string `json:"outputIds"`
	IdempotencyKey string   `json:"-"`
}

// Transition moves a request one step: only from the states the action
// starts from, only by a caller who reaches the council handling it, dated
// not before its last step and not in a closed period. Concurrent moves of
// one request take turns on its row, so of two only the first succeeds.
func (s *Store) Transition(ctx context.Context, sc auth.Scope, in Move) (Request, error) {
	move, known := Moves[in.Action]
	w := change.Write{Mutation: string(in.Action), Action: strings.ToLower(string(move.To)), Entity: "aid_request", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			if in.On != nil {
				calendar.Check(v, "input.on", *in.On)
			}
			v.Text("input.note", in.Note, in.Action == Reject || in.Action == Cancel, 2000)
			if in.ApprovedBudget != nil {
				money.CheckNonNegative(v, "input.approvedBudget", *in.ApprovedBudget)
			}
			if in.Action == Fulfil && len(in.OutputIDs) == 0 {
				v.Add("input.outputIds", fault.Required, "must name the aid outputs that delivered the request")
			}
			if len(in.OutputIDs) > 100 {
				v.Add("input.outputIds", fault.TooLong, "must name at most 100 outputs")
			}
		}}
	if err := sc.CanWrite(); err != nil {
		return Request{}, err
	}
	if !known {
		return Request{}, fmt.Errorf("unknown aid request action %q", in.Action)
	}
	r, err := change.Do(ctx, s.db, sc, w, s.get, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		if !postgres.IsID(in.RequestID) {
			return change.Applied{}, fault.Refuse("input.requestId", fault.Unknown, "no such aid request")
		}
		// The row lock makes concurrent moves of one request take turns.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM aid_requests WHERE id = $1 FOR UPDATE`, in.RequestID); err != nil {
			return change.Applied{}, fmt.Errorf("lock aid request: %w", err)
		}
		before, err := s.get(ctx, tx, sc, in.RequestID)
		if errors.Is(err, fault.ErrNotFound) {
			return change.Applied{}, fault.Refuse("input.requestId", fault.Unknown, "no such aid request")
		}
		if err != nil {
			return change.Applied{}, err
		}
		if !slices.Contains(move.From, before.State) {
			return change.Applied{}, fault.Refuse("input.requestId", fault.Invalid, fmt.Sprintf(
				"is %s (since %s); %s moves only a request that is %s", before.State, before.StateOn, in.Action, joinStates(move.From)))
		}
		handler, err := organization.Require(ctx, tx, sc, "input.requestId", before.HandlerID)
		if err != nil {
			return change.Applied{}, err
		}
		if !sc.Reaches(handler.Path) {
			return change.Applied{}, fault.Refuse("input.requestId", fault.Invalid,
				"is handled by "+handler.Name+", outside the part of the council tree this account may act in")
		}
		on := calendar.Today(handler.Location())
		if in.On != nil {
			on = *in.On
		}
		v := &tx.Refused
		v.Collect(handler.NotFuture("input.on", on))
		if on.Before(before.StateOn) {
			v.Add("input.on", fault.Invalid, "must not be before the request's last step ("+before.StateOn.String()+")")
		}
		v.Collect(organization.CheckOpen(ctx, tx, handler, "input.on", on))
		if in.ApprovedBudget != nil && in.Action != Approve {
			v.Add("input.approvedBudget", fault.Invalid, "is given only when approving")
		}
		if len(in.OutputIDs) > 0 && in.Action != Fulfil {
			v.Add("input.outputIds", fault.Invalid, "are given only when fulfilling")
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}

		next := handler.ID
		acknowledged := 0
		switch in.Action {
		case Forward:
			if handler.Kind != organization.RegencyCouncil || handler.ParentID == nil {
				return change.Applied{}, fault.Refuse("input.requestId", fault.Invalid, "is already at the province council; decide it there")
			}
			next = *handler.ParentID
		case Approve:
			budget := before.EstimatedBudget
			if in.ApprovedBudget != nil {
				budget = *in.ApprovedBudget
			}
			if acknowledged, err = s.checkApproval(ctx, tx, before, handler, on, budget, in.AcknowledgeDuplicates); err != nil {
				return change.Applied{}, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE aid_requests SET approved_budget = $2, approved_on = $3 WHERE id = $1`,
				before.ID, budget, on); err != nil {
				return change.Applied{}, fmt.Errorf("reserve approved budget: %w", err)
			}
		case Fulfil:
			if err := linkOutputs(ctx, tx, sc, before, on, in.OutputIDs); err != nil {
				return change.Applied{}, err
			}
		}
		closed := move.To == Rejected || move.To == Fulfilled || move.To == Cancelled
		if _, err := tx.ExecContext(ctx, `
			UPDATE aid_requests SET state = $2, state_on = $3, handler_id = $4, closed_on = CASE WHEN $5 THEN $3::date END
			WHERE id = $1`, before.ID, move.To, on, next, closed); err != nil {
			return change.Applied{}, fmt.Errorf("move aid request: %w", err)
		}
		from := before.State
		if err := addEvent(ctx, tx, before.ID, &from, move.To, next, on, in.Note, acknowledged); err != nil {
			return change.Applied{}, err
		}
		return change.Applied{ID: before.ID, Before: before}, nil
	})
	if err != nil {
		return Request{}, fmt.Errorf("%s %s: %w", in.Action, in.RequestID, err)
	}
	return r, nil
}

func joinStates(ss []State) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

// checkApproval refuses an approval of r by handler on the given date for
// budget when the person has other requests that the approver did not
// acknowledge, or when the handling council's money not yet given or
// reserved falls short. It answers how many other requests were
// acknowledged. Approvals at one council take turns on its row, so two
// cannot both reserve the same money.
func (s *Store) checkApproval(ctx context.Context, tx *change.Tx, r Request, handler organization.Organization, on calendar.Date,
	budget money.Rupiah, acknowledge bool) (int, error) {
	var others int
	if err := tx.GetContext(ctx, &others, `
		SELECT count(*) FROM aid_requests o, aid_requests me
		WHERE me.id = $1 AND me.nik_hash IS NOT NULL AND o.nik_hash = me.nik_hash AND o.id <> me.id`, r.ID); err != nil {
		return 0, fmt.Errorf("find requests of the same person: %w", err)
	}
	if others > 0 && !acknowledge {
		return 0, fault.Refuse("input.acknowledgeDuplicates", fault.Duplicate, fmt.Sprintf(
			"the applicant has %d other aid request(s) on record (see the request's matches); approve with acknowledgeDuplicates: true if this one is still due", others))
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM organizations WHERE id = $1 FOR NO KEY UPDATE`, handler.ID); err != nil {
		return 0, fmt.Errorf("lock council for approval: %w", err)
	}
	today := calendar.Today(handler.Location())
	for _, at := range []calendar.Date{on, today} {
		free, err := fund.Unreserved(ctx, tx, handler.Path, at)
		if err != nil {
			return 0, err
		}
		if budget > free {
			return 0, fault.Refuse("input.approvedBudget", fault.Invalid, fmt.Sprintf(
				"is more than %s has left to reserve on %s (%s, after what is given and what earlier approvals reserve)",
				handler.Name, at, free))
		}
	}
	return others, nil
}

// linkOutputs records the aid outputs that fulfilled r: outputs the caller
// may record at, of the aid type requested, delivered between the approval
// and the fulfilment, neither reversals nor reversed.
func linkOutputs(ctx context.Context, tx *change.Tx, sc auth.Scope, r Request, on calendar.Date, ids []string) error {
	v := &tx.Refused
	seen := map[string]bool{}
	for i, id := range ids {
		field := fmt.Sprintf("input.outputIds.%d", i)
		if seen[id] {
			v.Add(field, fault.Duplicate, "names an output twice")
			continue
		}
		seen[id] = true
		if !postgres.IsID(id) {
			v.Add(field, fault.Unknown, "no such aid output")
			continue
		}
		o, err := aid.GetOutput(ctx, tx, sc, id)
		if errors.Is(err, fault.ErrNotFound) {
			v.Add(field, fault.Unknown, "no such aid output")
			continue
		}
		if err != nil {
			return err
		}
		if _, err := organization.RequireWritable(ctx, tx, sc, field, o.OrganizationID); !v.Collect(err) {
			continue
		}
		switch {
		case o.ReversesID != nil || o.ReversedByID != nil:
			v.Add(field, fault.Invalid, "is a reversed output or a reversal; name the output that stands")
		case o.AidTypeID != r.AidTypeID:
			v.Add(field, fault.Invalid, "delivered another aid type than the request asks for")
		case r.ApprovedOn != nil && o.DeliveredOn.Before(*r.ApprovedOn):
			v.Add(field, fault.Invalid, "was delivered before the request was approved ("+r.ApprovedOn.String()+")")
		case o.DeliveredOn.After(on):
			v.Add(field, fault.Invalid, "was delivered after the fulfilment date ("+on.String()+")")
		}
	}
	if err := v.Failed(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO aid_request_outputs (request_id, aid_output_id) VALUES ($1, $2)`, r.ID, id); err != nil {
			return fmt.Errorf("link aid output to request: %w", err)
		}
	}
	return nil
}
