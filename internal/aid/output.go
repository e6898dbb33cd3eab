package aid

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// BeneficiaryGroup is who an output reached.
type BeneficiaryGroup string

// The beneficiary groups.
const (
	Elderly         BeneficiaryGroup = "ELDERLY"
	Disabled        BeneficiaryGroup = "DISABLED"
	InstitutionGrp  BeneficiaryGroup = "INSTITUTION"
	PoorHousehold   BeneficiaryGroup = "POOR_HOUSEHOLD"
	DisasterVictims BeneficiaryGroup = "DISASTER_VICTIMS"
	Children        BeneficiaryGroup = "CHILDREN"
	OtherGroup      BeneficiaryGroup = "OTHER"
)

// Valid reports whether g is one of the beneficiary groups.
func (g BeneficiaryGroup) Valid() bool { return groups[g] }

var groups = map[BeneficiaryGroup]bool{Elderly: true, Disabled: true, InstitutionGrp: true, PoorHousehold: true,
	DisasterVictims: true, Children: true, OtherGroup: true}

// PMKS is the social-welfare problem category (Penyandang Masalah
// Kesejahteraan Sosial) an output addresses.
type PMKS string

// The PMKS categories.
const (
	Poverty        PMKS = "POVERTY"
	Neglect        PMKS = "NEGLECT"
	Disability     PMKS = "DISABILITY"
	SocialDeviance PMKS = "SOCIAL_DEVIANCE"
	Disaster       PMKS = "DISASTER"
)

// Valid reports whether p is one of the PMKS categories.
func (p PMKS) Valid() bool { return categories[p] }

var categories = map[PMKS]bool{Poverty: true, Neglect: true, Disability: true, SocialDeviance: true, Disaster: true}

// Output is one delivery of aid.
type Output struct {
	ID                     string           `db:"id" json:"id"`
	Seq                    int64            `db:"seq" json:"-"`
	OrganizationID         string           `db:"organization_id" json:"organizationId"`
	AidTypeID              string           `db:"aid_type_id" json:"aidTypeId"`
	Quantity               int              `db:"quantity" json:"quantity"`
	Cost                   money.Rupiah     `db:"cost" json:"cost"`
	DeliveredOn            calendar.Date    `db:"delivered_on" json:"deliveredOn"`
	BeneficiaryGroup       BeneficiaryGroup `db:"beneficiary_group" json:"beneficiaryGroup"`
	PMKSCategory           PMKS             `db:"pmks_category" json:"pmksCategory"`
	RegencyID              string           `db:"regency_id" json:"regencyId"`
	RecipientInstitutionID *string          `db:"recipient_institution_id" json:"recipientInstitutionId"`
	Notes                  string           `db:"notes" json:"notes"`
	ReversesID             *string          `db:"reverses_id" json:"reversesId"`
	ReversalReason         *string          `db:"reversal_reason" json:"reversalReason"`
	ReversedByID           *string          `db:"reversed_by_id" json:"-"`
	CreatedAt              time.Time        `db:"created_at" json:"createdAt"`
}

const outputColumns = `a.id, a.seq, a.organization_id, a.aid_type_id, a.quantity, a.cost, a.delivered_on,
	a.beneficiary_group, a.pmks_category, a.regency_id, a.recipient_institution_id, a.notes,
	a.reverses_id, a.reversal_reason, a.created_at,
	(SELECT r.id FROM aid_outputs r WHERE r.reverses_id = a.id) AS reversed_by_id`

func getOutput(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Output, error) {
	args := postgres.Args{id}
	query := `SELECT ` + outputColumns + ` FROM ` + outputFrom + ` WHERE a.id = $1 AND ` + sc.Outputs(&args, "o.path", "a.id")
	o, err := postgres.ByID[Output](ctx, q, "aid output", query, id, args[1:]...)
	if sc.IsPartner() {
		o.Notes = "" // see redact
	}
	return o, err
}

// redact hides from a partner account what an output's notes may say about
// the people who received it: a partner sees what its money paid for, never
// a beneficiary.
func redact(sc auth.Scope, outputs []Output) {
	if sc.IsPartner() {
		for i := range outputs {
			outputs[i].Notes = ""
		}
	}
}

// GetOutput returns aid output id through q (a database or a transaction).
func GetOutput(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Output, error) {
	return getOutput(ctx, q, sc, id)
}

// Output returns aid output id.
func (s *Store) Output(ctx context.Context, sc auth.Scope, id string) (Output, error) {
	return getOutput(ctx, s.db, sc, id)
}

// OutputFilter narrows a list of aid outputs.
type OutputFilter struct {
	From, To         *calendar.Date
	OrganizationID   *string // a subtree, its root included
	AidTypeID        *string
	BeneficiaryGroup *BeneficiaryGroup
	PMKSCategory     *PMKS
	RegencyID        *string
}

// outputFrom joins each output to its organization o, whose path the
// caller's scope confines: an operator the outputs of its subtree; a
// partner account none (its own gifts are its business, the councils'
// deliveries are not).
const outputFrom = `aid_outputs a JOIN organizations o ON o.id = a.organization_id`

// where returns the condition that selects the outputs f matches within
// sc, with its arguments.
func (s *Store) where(ctx context.Context, sc auth.Scope, f OutputFilter) (string, postgres.Args, error) {
	// The aid type and regency as an id or as a person types them.
	var v fault.InvalidInput
	if f.AidTypeID != nil && !postgres.IsID(*f.AidTypeID) {
		t, err := RequireTypeRef(ctx, s.db, sc, "filter.aidTypeId", *f.AidTypeID)
		if v.Collect(err) {
			f.AidTypeID = &t.ID
		}
	}
	if f.RegencyID != nil && !postgres.IsID(*f.RegencyID) {
		o, err := organization.RequireRef(ctx, s.db, sc, "filter.regencyId", *f.RegencyID)
		if v.Collect(err) {
			f.RegencyID = &o.ID
		}
	}
	if err := v.Failed(); err != nil {
		return "", nil, err
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return "", nil, err
	}
	var a postgres.Args
	from, to, u := a.Add(f.From), a.Add(f.To), a.Add(under)
	typ, group, pmks, regency := a.Add(f.AidTypeID), a.Add(f.BeneficiaryGroup), a.Add(f.PMKSCategory), a.Add(f.RegencyID)
	return `(` + from + `::date IS NULL OR a.delivered_on >= ` + from + `) AND (` + to + `::date IS NULL OR a.delivered_on <= ` + to + `)
	AND (` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree)
	AND (` + typ + `::uuid IS NULL OR a.aid_type_id = ` + typ + `)
	AND (` + group + `::text IS NULL OR a.beneficiary_group = ` + group + `)
	AND (` + pmks + `::text IS NULL OR a.pmks_category = ` + pmks + `)
	AND (` + regency + `::uuid IS NULL OR a.regency_id = ` + regency + `)
	AND ` + sc.Outputs(&a, "o.path", "a.id"), a, nil
}

// Outputs returns a page of aid outputs in delivery order.
func (s *Store) Outputs(ctx context.Context, sc auth.Scope, f OutputFilter, r page.Request) (page.Page[Output], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Output]{}, err
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return page.Page[Output]{}, err
	}
	query := `SELECT ` + outputColumns + ` FROM ` + outputFrom + ` WHERE ` + cond + ` ` + k.Clause(&args, "a.delivered_on", "a.seq")
	var items []Output
	if err := s.db.SelectContext(ctx, &items, query, args...); err != nil {
		return page.Page[Output]{}, fmt.Errorf("list aid outputs: %w", err)
	}
	redact(sc, items)
	return page.Trim(items, k), nil
}

// OutputTotals sums a filtered list of outputs.
type OutputTotals struct {
	Count    int          `db:"count"`
	Quantity int64        `db:"quantity"`
	Cost     money.Rupiah `db:"cost"`
}

// TypeTotals is OutputTotals for one aid type.
type TypeTotals struct {
	AidTypeID string `db:"aid_type_id"`
	OutputTotals
}

// OutputTotals counts and sums the outputs f matches.
func (s *Store) OutputTotals(ctx context.Context, sc auth.Scope, f OutputFilter) (OutputTotals, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return OutputTotals{}, err
	}
	var t OutputTotals
	err = s.db.GetContext(ctx, &t, `
		SELECT count(*) AS count, COALESCE(SUM(a.quantity), 0)::bigint AS quantity, COALESCE(SUM(a.cost), 0)::bigint AS cost
		FROM `+outputFrom+`
		WHERE `+cond, args...)
	if err != nil {
		return OutputTotals{}, fmt.Errorf("sum aid outputs: %w", err)
	}
	return t, nil
}

// TotalsByType sums the outputs f matches per aid type, in catalogue order.
func (s *Store) TotalsByType(ctx context.Context, sc auth.Scope, f OutputFilter) ([]TypeTotals, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return nil, err
	}
	var out []TypeTotals
	err = s.db.SelectContext(ctx, &out, `
		SELECT a.aid_type_id, count(*) AS count, SUM(a.quantity)::bigint AS quantity, SUM(a.cost)::bigint AS cost
		FROM `+outputFrom+` JOIN aid_types t ON t.id = a.aid_type_id
		WHERE `+cond+`
		GROUP BY a.aid_type_id, t.seq ORDER BY t.seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("sum aid outputs by type: %w", err)
	}
	return out, nil
}

// NewOutput is the input for CreateOutput.
type NewOutput struct {
	OrganizationID         string           `json:"organizationId"`
	AidTypeID              string           `json:"aidTypeId"`
	Quantity               int              `json:"quantity"`
	Cost                   money.Rupiah     `json:"cost"`
	DeliveredOn            calendar.Date    `json:"deliveredOn"`
	BeneficiaryGroup       BeneficiaryGroup `json:"beneficiaryGroup"`
	PMKSCategory           PMKS             `json:"pmksCategory"`
	RegencyID              string           `json:"regencyId"`
	RecipientInstitutionID *string          `json:"recipientInstitutionId"`
	Notes                  string           `json:"notes"`
	IdempotencyKey         string           `json:"-"`
}

// CreateOutput records an aid delivery.
func (s *Store) CreateOutput(ctx context.Context, sc auth.Scope, in NewOutput) (Output, error) {
	w, apply := in.record(ctx)
	o, err := change.Do(ctx, s.db, sc, w, getOutput, apply)
	if err != nil {
		return Output{}, fmt.Errorf("record aid output: %w", err)
	}
	return o, nil
}

// ImportOutput is CreateOutput as one row of an import, through the same checks.
func ImportOutput(ctx context.Context, im *change.Import, in NewOutput) (Output, error) {
	w, apply := in.record(ctx)
	return change.In(ctx, im, w, getOutput, apply)
}

// record describes the write that records in.
func (in NewOutput) record(ctx context.Context) (change.Write, func(tx *change.Tx) (change.Applied, error)) {
	w := change.Write{Mutation: "recordAidOutput", Action: "create", Entity: "aid_output", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			v.Quantity("input.quantity", in.Quantity)
			money.CheckNonNegative(v, "input.cost", in.Cost)
			calendar.Check(v, "input.deliveredOn", in.DeliveredOn)
			if !groups[in.BeneficiaryGroup] {
				v.Add("input.beneficiaryGroup", fault.Invalid, "is not a beneficiary group")
			}
			if !categories[in.PMKSCategory] {
				v.Add("input.pmksCategory", fault.Invalid, "is not a PMKS category")
			}
			v.Text("input.notes", in.Notes, false, 2000)
		}}
	return w, func(tx *change.Tx) (change.Applied, error) {
		sc := tx.Scope
		v := &tx.Refused
		org, err := organization.RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if v.Collect(err) && !in.DeliveredOn.IsZero() {
			v.Collect(org.NotFuture("input.deliveredOn", in.DeliveredOn))
			v.Collect(organization.CheckOpen(ctx, tx, org, "input.deliveredOn", in.DeliveredOn))
		}
		_, err = RequireType(ctx, tx, sc, "input.aidTypeId", in.AidTypeID)
		v.Collect(err)
		_, err = organization.RequireRegency(ctx, tx, sc, "input.regencyId", in.RegencyID)
		v.Collect(err)
		if in.RecipientInstitutionID != nil {
			inst, err := organization.Require(ctx, tx, sc, "input.recipientInstitutionId", *in.RecipientInstitutionID)
			if v.Collect(err) && inst.Kind != organization.Institution {
				v.Add("input.recipientInstitutionId", fault.Invalid, "must be an institution")
			}
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO aid_outputs (organization_id, aid_type_id, quantity, cost, delivered_on, beneficiary_group,
				pmks_category, regency_id, recipient_institution_id, notes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			in.OrganizationID, in.AidTypeID, in.Quantity, in.Cost, in.DeliveredOn, in.BeneficiaryGroup,
			in.PMKSCategory, in.RegencyID, in.RecipientInstitutionID, in.Notes)
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert aid output: %w", err)
		}
		return change.Applied{ID: id}, nil
	}
}

// LedgerRow is an output with the names an auditor reads beside it.
type LedgerRow struct {
	Output
	OrganizationCode string  `db:"organization_code"`
	AidTypeName      string  `db:"aid_type_name"`
	AidTypeNameEN    string  `db:"aid_type_name_en"`
	Unit             string  `db:"unit"`
	RegencyName      string  `db:"regency_name"`
	InstitutionName  *string `db:"institution_name"`
}

// Each calls fn for every output f matches, in date order, streamed. A
// partner account, which sees no outputs, is refused rather than handed an
// empty ledger that would hide the refusal.
func (s *Store) Each(ctx context.Context, sc auth.Scope, f OutputFilter, fn func(LedgerRow) error) error {
	if sc.IsPartner() {
		return auth.ErrForbidden
	}
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return err
	}
	return postgres.Stream(ctx, s.db, `
		SELECT `+outputColumns+`, o.code AS organization_code, t.name AS aid_type_name, t.name_en AS aid_type_name_en,
			t.unit, r.name AS regency_name, i.name AS institution_name
		FROM `+outputFrom+` JOIN aid_types t ON t.id = a.aid_type_id JOIN organizations r ON r.id = a.regency_id
			LEFT JOIN organizations i ON i.id = a.recipient_institution_id
		WHERE `+cond+`
		ORDER BY a.delivered_on, a.seq`, args, func(rows *sqlx.Rows) error {
		var r LedgerRow
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("read output row: %w", err)
		}
		return fn(r)
	})
}

// Group is a sum of outputs by a key (and, for ByTypeAndRegency, a second).
type Group struct {
	Key       string       `db:"key"`
	RegencyID string       `db:"regency_id"`
	Count     int          `db:"count"`
	Quantity  int64        `db:"quantity"`
	Cost      money.Rupiah `db:"cost"`
}

// groupBy sums the outputs f matches by the SQL expression key, and by
// regency too when byRegency.
func (s *Store) groupBy(ctx context.Context, sc auth.Scope, f OutputFilter, key string, byRegency bool) ([]Group, error) {
	cond, args, err := s.where(ctx, sc, f)
	if err != nil {
		return nil, err
	}
	regency, group := `''`, `1`
	if byRegency {
		regency, group = `a.regency_id::text`, `1, 2`
	}
	var out []Group
	err = s.db.SelectContext(ctx, &out, `
		SELECT `+key+` AS key, `+regency+` AS regency_id, count(*) AS count,
			SUM(a.quantity)::bigint AS quantity, SUM(a.cost)::bigint AS cost
		FROM `+outputFrom+` WHERE `+cond+`
		GROUP BY `+group+` ORDER BY `+group, args...)
	if err != nil {
		return nil, fmt.Errorf("sum aid outputs by %s: %w", key, err)
	}
	return out, nil
}

// ByTypeAndRegency sums the outputs f matches per aid type and regency.
func (s *Store) ByTypeAndRegency(ctx context.Context, sc auth.Scope, f OutputFilter) ([]Group, error) {
	return s.groupBy(ctx, sc, f, `a.aid_type_id::text`, true)
}

// ByMonth sums the outputs f matches per month of delivery (the key is the
// month's first day, 2014-07-01).
func (s *Store) ByMonth(ctx context.Context, sc auth.Scope, f OutputFilter) ([]Group, error) {
	return s.groupBy(ctx, sc, f, `to_char(date_trunc('month', a.delivered_on), 'YYYY-MM-DD')`, false)
}

// ByBeneficiaryGroup sums the outputs f matches per beneficiary group.
func (s *Store) ByBeneficiaryGroup(ctx context.Context, sc auth.Scope, f OutputFilter) ([]Group, error) {
	return s.groupBy(ctx, sc, f, `a.beneficiary_group`, false)
}

// ByPMKSCategory sums the outputs f matches per PMKS category.
func (s *Store) ByPMKSCategory(ctx context.Context, sc auth.Scope, f OutputFilter) ([]Group, error) {
	return s.groupBy(ctx, sc, f, `a.pmks_category`, false)
}

// OutputReversal is the input for ReverseOutput.
type OutputReversal struct {
	OutputID       string         `json:"outputId"`
	Reason         string         `json:"reason"`
	ReversedOn     *calendar.Date `json:"reversedOn"` // default: see organization.CorrectionDate
	IdempotencyKey string         `json:"-"`
}

// ReverseOutput records the entry that cancels output in.OutputID: same
// organization, type, group, category and regency, opposite quantity and
// cost, dated when the correction is made. An output is reversed at most
// once, and a reversal is never itself reversed.
func (s *Store) ReverseOutput(ctx context.Context, sc auth.Scope, in OutputReversal) (Output, error) {
	w, apply := in.reverse(ctx)
	o, err := change.Do(ctx, s.db, sc, w, getOutput, apply)
	if err != nil {
		return Output{}, fmt.Errorf("reverse aid output %s: %w", in.OutputID, err)
	}
	return o, nil
}

// ImportOutputReversal is ReverseOutput as one row of an import, through the same checks.
func ImportOutputReversal(ctx context.Context, im *change.Import, in OutputReversal) (Output, error) {
	w, apply := in.reverse(ctx)
	return change.In(ctx, im, w, getOutput, apply)
}

// reverse describes the write that reverses in.OutputID.
func (in OutputReversal) reverse(ctx context.Context) (change.Write, func(tx *change.Tx) (change.Applied, error)) {
	w := change.Write{Mutation: "reverseAidOutput", Action: "reverse", Entity: "aid_output", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { change.CheckReversal(v, in.Reason, in.ReversedOn) }}
	return w, func(tx *change.Tx) (change.Applied, error) {
		sc := tx.Scope
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		orig, err := getOutput(ctx, tx, sc, in.OutputID)
		if errors.Is(err, fault.ErrNotFound) {
			return change.Applied{}, fault.Refuse("input.outputId", fault.Unknown, "no such aid output")
		}
		if err != nil {
			return change.Applied{}, err
		}
		if orig.ReversesID != nil {
			return change.Applied{}, fault.Refuse("input.outputId", fault.Invalid, "this entry is itself a reversal and cannot be reversed")
		}
		if orig.ReversedByID != nil {
			return change.Applied{}, fault.Refuse("input.outputId", fault.Duplicate, "this output has already been reversed")
		}
		org, err := organization.RequireWritable(ctx, tx, sc, "input.outputId", orig.OrganizationID)
		if err != nil {
			return change.Applied{}, err
		}
		on, err := organization.CorrectionDate(ctx, tx, org, "input.reversedOn", orig.DeliveredOn, in.ReversedOn)
		if err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO aid_outputs (organization_id, aid_type_id, quantity, cost, delivered_on, beneficiary_group,
				pmks_category, regency_id, recipient_institution_id, notes, reverses_id, reversal_reason)
			SELECT organization_id, aid_type_id, -quantity, -cost, $2, beneficiary_group,
				pmks_category, regency_id, recipient_institution_id, notes, id, $3
			FROM aid_outputs WHERE id = $1 RETURNING id`, orig.ID, on, in.Reason)
		if c, ok := postgres.Violation(err); ok && c == "aid_outputs_reverses_id_key" {
			return change.Applied{}, fault.Refuse("input.outputId", fault.Duplicate, "this output has already been reversed")
		}
		if c, ok := postgres.Violation(err); ok && c == "aid_outputs_allocated" {
			return change.Applied{}, fault.Refuse("input.outputId", fault.Invalid,
				"this output is funded by donations ("+postgres.Message(err)+"): release them with releaseAllocation before reversing it")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert output reversal: %w", err)
		}
		return change.Applied{ID: id, Before: orig}, nil
	}
}

// OutputsByIDs returns the outputs with the given ids within the caller's
// scope, in no set order.
func (s *Store) OutputsByIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Output, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + outputColumns + ` FROM ` + outputFrom + ` WHERE a.id::text = ANY($1) AND ` + sc.Outputs(&args, "o.path", "a.id")
	var out []Output
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get aid outputs by id: %w", err)
	}
	redact(sc, out)
	return out, nil
}
