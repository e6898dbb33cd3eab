// Package receipt is the tanda terima a council gives for every donation:
// a number gap-free per receiving organization and year, issued in the
// donation's own transaction; a receipt is voided by a record of its own,
// and reissued as a copy (SALINAN) with the same number.
package receipt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Receipt is one issued receipt, or a copy of one.
type Receipt struct {
	ID               string     `db:"id" json:"id"`
	Seq              int64      `db:"seq" json:"-"`
	DonationID       string     `db:"donation_id" json:"donationId"`
	OrganizationID   string     `db:"organization_id" json:"organizationId"`
	OrganizationCode string     `db:"organization_code" json:"-"`
	Year             int        `db:"year" json:"year"`
	Sequence         int        `db:"number" json:"sequence"`
	CopyOf           *string    `db:"copy_of" json:"copyOf"`
	VoidedAt         *time.Time `db:"voided_at" json:"voidedAt"`
	VoidReason       *string    `db:"void_reason" json:"voidReason"`
	CreatedAt        time.Time  `db:"created_at" json:"createdAt"`
}

// Number is the receipt's number as printed: the receiving organization's
// code, the year and the sequence, e.g. BALI/2014/000042.
func (r Receipt) Number() string {
	return fmt.Sprintf("%s/%04d/%06d", r.OrganizationCode, r.Year, r.Sequence)
}

// IsCopy reports whether the receipt is a reissue (SALINAN).
func (r Receipt) IsCopy() bool { return r.CopyOf != nil }

// Voided reports whether the receipt was voided.
func (r Receipt) Voided() bool { return r.VoidedAt != nil }

const columns = `r.id, r.seq, r.donation_id, r.organization_id, o.code AS organization_code, r.year, r.number, r.copy_of,
	v.created_at AS voided_at, v.reason AS void_reason, r.created_at`

// from joins each receipt to its donation d and the receiving organization
// o: who may see the gift may see its receipt.
const from = `receipts r JOIN donations d ON d.id = r.donation_id JOIN organizations o ON o.id = r.organization_id
	LEFT JOIN receipt_voids v ON v.receipt_id = r.id`

func scope(sc auth.Scope, a *postgres.Args) string { return sc.Gifts(a, "o.path", "d.partner_id") }

// Store reads, voids and reissues receipts; IssueWith gives them.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

func get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Receipt, error) {
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE r.id = $1 AND ` + scope(sc, &args)
	return postgres.ByID[Receipt](ctx, q, "receipt", query, id, args[1:]...)
}

// Receipt returns receipt id.
func (s *Store) Receipt(ctx context.Context, sc auth.Scope, id string) (Receipt, error) {
	return get(ctx, s.db, sc, id)
}

// ByDonationIDs returns the receipts of the given donations, copies and
// voided ones included, oldest first.
func (s *Store) ByDonationIDs(ctx context.Context, sc auth.Scope, ids []string) ([]Receipt, error) {
	args := postgres.Args{pq.Array(postgres.IDs(ids))}
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE r.donation_id::text = ANY($1) AND ` + scope(sc, &args) + ` ORDER BY r.seq`
	var out []Receipt
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get receipts by donation: %w", err)
	}
	return out, nil
}

// Current returns the receipt in force among a donation's receipts (the
// latest not voided), or the latest when every one was voided.
func Current(rs []Receipt) *Receipt {
	for i := len(rs) - 1; i >= 0; i-- {
		if !rs[i].Voided() {
			return &rs[i]
		}
	}
	if len(rs) > 0 {
		return &rs[len(rs)-1]
	}
	return nil
}

// Numbering is the receipt of a donation numbered, inserted and read back in
// the statement that inserts the donation (IssueWith): a round trip less
// per gift than a statement of its own after the insert.
type Numbering struct {
	// CTEs follow the CTE that inserts the donation (WITH d AS (…), …).
	CTEs string
	// Columns are the receipt's, named for a field tagged db:"receipt",
	// to select beside the donation's; they read the council's code from
	// o, the donation's council joined in the statement.
	Columns string
	// Join joins the receipt to the statement's FROM.
	Join string
}

// IssueWith numbers the receipt of the donation that the CTE named donation
// inserts (and returns) with the next number of organizationID's year,
// inside the donation's transaction: the council's counter row gives it,
// and its lock, held until the transaction ends, makes concurrent gifts
// take numbers in turn while a rolled-back gift gives its number back
// (gap-free). An import counts on in memory and gives the number itself:
// it issues thousands (a row that then inserts nothing refuses the import,
// which commits nothing, so the number it took leaves no gap). The receipt
// read back must be audited with Issued.
func IssueWith(ctx context.Context, tx *change.Tx, args *postgres.Args, donation, organizationID string, year int) (Numbering, error) {
	y := args.Add(year)
	counter := `n AS (INSERT INTO receipt_counters (organization_id, year, last) SELECT organization_id, ` + y + `::int, 1 FROM ` + donation + `
			` + nextNumber + `), `
	number := `n.last FROM ` + donation + `, n`
	if tx.Import != nil {
		next, err := importNumber(ctx, tx, organizationID, year)
		if err != nil {
			return Numbering{}, fmt.Errorf("next receipt number: %w", err)
		}
		counter, number = "", args.Add(next)+`::int FROM `+donation
	}
	return Numbering{
		CTEs: counter + `r AS (INSERT INTO receipts (donation_id, organization_id, year, number)
			SELECT ` + donation + `.id, ` + donation + `.organization_id, ` + y + `::int, ` + number + ` RETURNING *)`,
		// A receipt just issued has no void.
		Columns: `r.id AS "receipt.id", r.seq AS "receipt.seq", r.donation_id AS "receipt.donation_id",
			r.organization_id AS "receipt.organization_id", o.code AS "receipt.organization_code", r.year AS "receipt.year",
			r.number AS "receipt.number", r.copy_of AS "receipt.copy_of", NULL::timestamptz AS "receipt.voided_at",
			NULL::text AS "receipt.void_reason", r.created_at AS "receipt.created_at"`,
		Join: ` JOIN r ON r.donation_id = ` + donation + `.id`,
	}, nil
}

// nextNumber ends an insert of a council's year's counter at 1: a counter
// already there counts on by one instead (and its row stays locked to the
// commit, which keeps the numbers gap-free). It answers the number taken.
const nextNumber = `ON CONFLICT (organization_id, year) DO UPDATE SET last = receipt_counters.last + 1 RETURNING last`

// Issued audits a receipt read back from IssueWith's statement.
func Issued(ctx context.Context, tx *change.Tx, r Receipt) error {
	return tx.Audit(ctx, "issue", "receipt", r.ID, nil, r)
}

// importNumber is the next receipt number of a council's year within an
// import: the first is taken as any write takes it, which creates and
// locks the counter, and the import counts on from there in memory.
func importNumber(ctx context.Context, tx *change.Tx, organizationID string, year int) (int, error) {
	return tx.Import.Next(fmt.Sprintf("receipt|%s|%d", organizationID, year), func() (int, error) {
		var first int
		err := tx.GetContext(ctx, &first, `
			INSERT INTO receipt_counters (organization_id, year, last) VALUES ($1, $2, 1)
			`+nextNumber, organizationID, year)
		return first - 1, err
	}, func(last int) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO receipt_counters (organization_id, year, last) VALUES ($1, $2, $3)
			ON CONFLICT (organization_id, year) DO UPDATE SET last = EXCLUDED.last`, organizationID, year, last)
		return err
	})
}

// Void is the input for VoidReceipt.
type Void struct {
	ReceiptID      string `json:"receiptId"`
	Reason         string `json:"reason"`
	IdempotencyKey string `json:"-"`
}

// VoidReceipt voids a receipt (lost, damaged, misprinted); its number
// stays used, and ReissueReceipt gives the giver a copy.
func (s *Store) VoidReceipt(ctx context.Context, sc auth.Scope, in Void) (Receipt, error) {
	w := change.Write{Mutation: "voidReceipt", Action: "void", Entity: "receipt", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) { v.Text("input.reason", in.Reason, true, change.MaxReason) }}
	r, err := change.Do(ctx, s.db, sc, w, get, func(tx *change.Tx) (change.Applied, error) {
		if err := tx.Refused.Failed(); err != nil {
			return change.Applied{}, err
		}
		before, err := s.writable(ctx, tx, "input.receiptId", in.ReceiptID)
		if err != nil {
			return change.Applied{}, err
		}
		if before.Voided() {
			return change.Applied{}, fault.Refuse("input.receiptId", fault.Duplicate, "this receipt was voided already")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO receipt_voids (receipt_id, reason, voided_by) VALUES ($1, $2, $3)`,
			before.ID, in.Reason, sc.Principal().Name())
		if c, ok := postgres.Violation(err); ok && c == "receipt_voids_pkey" {
			return change.Applied{}, fault.Refuse("input.receiptId", fault.Duplicate, "this receipt was voided already")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("void receipt: %w", err)
		}
		return change.Applied{ID: before.ID, Before: before}, nil
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("void receipt %s: %w", in.ReceiptID, err)
	}
	return r, nil
}

// Reissue is the input for ReissueReceipt.
type Reissue struct {
	DonationID     string `json:"donationId"`
	IdempotencyKey string `json:"-"`
}

// ReissueReceipt gives a donation whose receipt was voided a copy
// (SALINAN) of it, with the same number.
func (s *Store) ReissueReceipt(ctx context.Context, sc auth.Scope, in Reissue) (Receipt, error) {
	w := change.Write{Mutation: "reissueReceipt", Action: "reissue", Entity: "receipt", Key: in.IdempotencyKey, Input: in}
	r, err := change.Do(ctx, s.db, sc, w, get, func(tx *change.Tx) (change.Applied, error) {
		var ids []string
		args := postgres.Args{in.DonationID}
		if !postgres.IsID(in.DonationID) {
			return change.Applied{}, fault.Refuse("input.donationId", fault.Unknown, "no such donation")
		}
		query := `SELECT r.id FROM ` + from + ` WHERE r.donation_id = $1 AND ` + scope(sc, &args) + ` ORDER BY r.seq`
		if err := sqlx.SelectContext(ctx, tx, &ids, query, args...); err != nil {
			return change.Applied{}, fmt.Errorf("receipts of donation %s: %w", in.DonationID, err)
		}
		if len(ids) == 0 {
			return change.Applied{}, fault.Refuse("input.donationId", fault.Unknown, "no such donation, or it has no receipt")
		}
		last, err := s.writable(ctx, tx, "input.donationId", ids[len(ids)-1])
		if err != nil {
			return change.Applied{}, err
		}
		if !last.Voided() {
			return change.Applied{}, fault.Refuse("input.donationId", fault.Invalid,
				"its receipt "+last.Number()+" is in force: void it first (voidReceipt), then reissue")
		}
		original := last.ID
		if last.CopyOf != nil {
			original = *last.CopyOf
		}
		var id string
		err = tx.GetContext(ctx, &id, `INSERT INTO receipts (donation_id, organization_id, year, number, copy_of)
			SELECT donation_id, organization_id, year, number, id FROM receipts WHERE id = $1 RETURNING id`, original)
		if err != nil {
			return change.Applied{}, fmt.Errorf("reissue receipt: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("reissue the receipt of donation %s: %w", in.DonationID, err)
	}
	return r, nil
}

// writable reads receipt id inside tx, refusing at field one the caller
// may not change: an operator changes its subtree's receipts.
func (s *Store) writable(ctx context.Context, tx *change.Tx, field, id string) (Receipt, error) {
	r, err := get(ctx, tx, tx.Scope, id)
	if errors.Is(err, fault.ErrNotFound) {
		return Receipt{}, fault.Refuse(field, fault.Unknown, "no such receipt")
	}
	if err != nil {
		return Receipt{}, err
	}
	if _, err := organization.RequireWritable(ctx, tx, tx.Scope, field, r.OrganizationID); err != nil {
		return Receipt{}, err
	}
	return r, nil
}
