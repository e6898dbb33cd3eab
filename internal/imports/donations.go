package imports

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

func init() {
	columns := append([]column{
		{key: "org", headers: []string{"kode organisasi", "organization code"}, required: true},
		{key: "date", headers: []string{"tanggal diterima", "received on"}, required: true, kind: date},
		{key: "source", headers: []string{"sumber", "source"}, required: true},
		{key: "kind", headers: []string{"jenis", "kind"}, required: true},
		{key: "amount", headers: []string{"jumlah (rp)", "amount (rp)", "jumlah", "amount"}, required: true, kind: number},
		{key: "partner", headers: []string{"mitra", "partner"}},
		{key: "reference", headers: []string{"nomor referensi", "reference", "no. referensi"}},
		{key: "notes", headers: []string{"catatan", "notes"}},
		// The ledger's: the appeal permit a gift names, and why a gift
		// outside it was kept.
		{key: "permit", headers: []string{"izin pub", "fundraising permit"}},
		{key: "permitException", headers: []string{"pengecualian izin", "permit exception"}},
	}, ledgerColumns...)
	specs["donations"] = spec{columns: columns, handler: func(r *run) handler {
		return newLedgerRows(r, columns, &donationRows{r: r, refs: newRefs(r), fileRefs: map[string][]string{}, existing: map[string]map[string]storedDonation{}})
	}}
}

// donationRows imports donations: the template's rows, or the donation
// ledger's (whose box money comes in with the box collections).
type donationRows struct {
	r *run
	*refs
	fileRefs map[string][]string                  // the file's references by organization cell
	existing map[string]map[string]storedDonation // organization id and cell → reference → entry
}

// storedDonation is a donation already there, as stored() answers it.
type storedDonation struct{ id, content string }

// donationRow is a donation row as read.
type donationRow struct {
	source donation.Source
	kind   donation.Kind
	amount money.Rupiah
}

func (d *donationRows) date() string { return "date" }

func (d *donationRows) paths() map[string]string {
	return map[string]string{
		"input.organizationId": "org", "input.receivedOn": "date", "input.source": "source", "input.kind": "kind",
		"input.amount": "amount", "input.items": "amount", "input.partnerId": "partner", "input.reference": "reference",
		"input.notes": "notes", "input.donationId": "reverses", "input.reason": "reason", "input.reversedOn": "date",
		"input.permitId": "permit", "input.permitException": "permitException",
	}
}

func (d *donationRows) read(e *entry, v *fault.InvalidInput) string {
	c := e.cells
	var p donationRow
	var ok bool
	if p.source, ok = export.SourceOf(c["source"]); !ok {
		v.Add("source", fault.Invalid, "is not a source: "+joinCodes(donation.Sources))
	}
	if p.kind, ok = export.KindOf(c["kind"]); !ok {
		v.Add("kind", fault.Invalid, "must be MONEY or GOODS")
	}
	p.amount, _ = parseRupiah(v, "amount", c["amount"])
	e.input = p
	if p.source == donation.DonationBox && e.id != "" {
		e.skip = "box money comes in with its box collection: import the box collections ledger"
	}
	if c["reference"] != "" {
		d.fileRefs[strings.ToUpper(c["org"])] = append(d.fileRefs[strings.ToUpper(c["org"])], c["reference"])
		return "ref|" + strings.ToUpper(c["org"]) + "|" + c["reference"]
	}
	return ""
}

func joinCodes[K ~string](codes []K) string {
	var s []string
	for _, c := range codes {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

// donationContent is what a donation records, for comparing a row with
// an entry already there.
func donationContent(orgID string, on calendar.Date, source donation.Source, kind donation.Kind, amount money.Rupiah, partnerID *string, notes string) string {
	partner := ""
	if partnerID != nil {
		partner = *partnerID
	}
	return contentHash("donation", orgID, on, source, kind, amount, partner, notes)
}

func (d *donationRows) resolve(e *entry) (bool, error) {
	c, p := e.cells, e.input.(donationRow)
	in := donation.NewDonation{Source: p.source, Kind: p.kind, ReceivedOn: e.on, Notes: c["notes"]}
	if ref := c["reference"]; ref != "" {
		in.Reference = &ref
	}
	if s := c["permit"]; s != "" {
		in.PermitID = &s // its number, as the ledger prints it
	}
	if s := c["permitException"]; s != "" {
		in.PermitException = &s
	}
	if p.kind == donation.Goods {
		// The ledger and the template carry a goods gift's value, not its
		// lines: it comes in as one line of that value.
		in.Items = []donation.NewItem{{Description: goodsLine(in.Notes), Quantity: 1, Unit: "paket", EstimatedValue: p.amount}}
	} else {
		in.Amount = &p.amount
	}
	org, err := d.organization(e, "org", c["org"])
	if err != nil {
		return false, err
	}
	if org != nil {
		in.OrganizationID = org.ID
	}
	if name := c["partner"]; name != "" {
		pt, err := d.partner(e, "partner", name)
		if err != nil {
			return false, err
		}
		if pt != nil {
			in.PartnerID = &pt.ID
		}
	}
	e.input = in
	e.content = donationContent(in.OrganizationID, e.on, p.source, p.kind, p.amount, in.PartnerID, in.Notes)
	return !e.bad, nil
}

// goodsLine describes the one line a goods gift comes in as.
func goodsLine(notes string) string {
	line, _, _ := strings.Cut(notes, "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "Barang (diimpor)"
	}
	return cut(line, 200)
}

// storedColumns are what stored() compares of a donation already there.
type storedColumns struct {
	ID        string          `db:"id"`
	OrgID     string          `db:"organization_id"`
	On        calendar.Date   `db:"received_on"`
	Source    donation.Source `db:"source"`
	Kind      donation.Kind   `db:"kind"`
	Amount    money.Rupiah    `db:"amount"`
	Partner   *string         `db:"partner_id"`
	Notes     string          `db:"notes"`
	Reference *string         `db:"reference"`
}

const storedSelect = `SELECT d.id, d.organization_id, d.received_on, d.source, d.kind, d.amount, d.partner_id, d.notes, d.reference
	FROM donations d JOIN organizations o ON o.id = d.organization_id WHERE `

func (s storedColumns) content() string {
	return donationContent(s.OrgID, s.On, s.Source, s.Kind, s.Amount, s.Partner, s.Notes)
}

func (d *donationRows) stored(e *entry) (string, string, error) {
	in := e.input.(donation.NewDonation)
	switch {
	case e.id != "":
		args := postgres.Args{e.id}
		var s storedColumns
		err := d.r.im.GetContext(d.r.ctx, &s, storedSelect+`d.id = $1 AND `+d.r.sc.Gifts(&args, "o.path", "d.partner_id"), args...)
		if errors.Is(err, sql.ErrNoRows) {
			return "", "", nil
		}
		if err != nil {
			return "", "", fmt.Errorf("look for donation %s: %w", e.id, err)
		}
		return s.ID, s.content(), nil
	case in.Reference != nil:
		// The references of the file's rows for one organization are
		// looked up together, the first time one is asked for.
		cell := strings.ToUpper(e.cells["org"])
		k := in.OrganizationID + "|" + cell
		byRef, ok := d.existing[k]
		if !ok {
			args := postgres.Args{in.OrganizationID, pq.Array(d.fileRefs[cell])}
			var found []storedColumns
			if err := d.r.im.SelectContext(d.r.ctx, &found, storedSelect+`d.organization_id = $1 AND d.reference = ANY($2)
				AND d.reverses_id IS NULL AND `+d.r.sc.Gifts(&args, "o.path", "d.partner_id"), args...); err != nil {
				return "", "", fmt.Errorf("look for the file's references: %w", err)
			}
			byRef = map[string]storedDonation{}
			for _, s := range found {
				byRef[*s.Reference] = storedDonation{s.ID, s.content()}
			}
			d.existing[k] = byRef
		}
		s := byRef[*in.Reference]
		return s.id, s.content, nil
	}
	return "", "", nil
}

func (d *donationRows) create(e *entry) (string, error) {
	created, err := donation.Import(d.r.ctx, d.r.im, e.input.(donation.NewDonation))
	return created.ID, err
}

func (d *donationRows) exists(id string) (bool, error) {
	var exists bool
	args := postgres.Args{id}
	err := d.r.im.GetContext(d.r.ctx, &exists, `SELECT EXISTS (SELECT 1 FROM donations d JOIN organizations o ON o.id = d.organization_id
		WHERE d.id = $1 AND `+d.r.sc.Gifts(&args, "o.path", "d.partner_id")+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("look for donation %s: %w", id, err)
	}
	return exists, nil
}

func (d *donationRows) reverse(original string, e *entry) (string, error) {
	on := e.on
	reversal, err := donation.ImportReversal(d.r.ctx, d.r.im, donation.Reversal{DonationID: original, Reason: e.reason, ReversedOn: &on})
	return reversal.ID, err
}
