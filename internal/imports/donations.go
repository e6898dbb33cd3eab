package imports

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

func init() {
	specs["donations"] = spec{columns: donationColumns, handler: func(r *run) handler {
		return &donationRows{run: r, refs: newRefs(r), parsed: map[rowID]*donationRow{}, fromFile: map[string]string{}, occurrences: map[string]int{}}
	}}
}

// donationColumns are read from the template and from the exported
// donation ledger alike, in Indonesian or English.
var donationColumns = []column{
	{key: "org", headers: []string{"kode organisasi", "organization code"}, required: true},
	{key: "date", headers: []string{"tanggal diterima", "received on"}, required: true, kind: date},
	{key: "source", headers: []string{"sumber", "source"}, required: true},
	{key: "kind", headers: []string{"jenis", "kind"}, required: true},
	{key: "amount", headers: []string{"jumlah (rp)", "amount (rp)", "jumlah", "amount"}, required: true, kind: number},
	{key: "partner", headers: []string{"mitra", "partner"}},
	{key: "reference", headers: []string{"nomor referensi", "reference", "no. referensi"}},
	{key: "notes", headers: []string{"catatan", "notes"}},
	{key: "id", headers: []string{"id"}},
	{key: "reverses", headers: []string{"membalik entri", "reverses entry"}},
	{key: "reason", headers: []string{"alasan pembalikan", "reversal reason"}},
}

// donationPaths puts the write's refused input fields in their columns.
var donationPaths = map[string]string{
	"input.organizationId": "org", "input.receivedOn": "date", "input.source": "source", "input.kind": "kind",
	"input.amount": "amount", "input.items": "amount", "input.partnerId": "partner", "input.reference": "reference",
	"input.notes": "notes", "input.donationId": "reverses", "input.reason": "reason", "input.reversedOn": "date",
}

type rowID struct {
	sheet string
	n     int
}

// donationRow is a row as read, before anything is looked up.
type donationRow struct {
	orgCode, partnerName, reference, notes, id, reverses, reason string
	receivedOn                                                   calendar.Date
	source                                                       donation.Source
	kind                                                         donation.Kind
	amount                                                       money.Rupiah
	key, content                                                 string
	skip                                                         string // why the row is left out, if it is
	bad                                                          bool   // refused while read
}

type donationRows struct {
	*run
	*refs
	parsed      map[rowID]*donationRow
	fromFile    map[string]string // ledger entry id in the file → the record it became
	occurrences map[string]int
	reversals   []row
}

// keys reads every row and names its natural key: the ledger entry it was
// exported as, else the council's reference, else its content and how
// many identical rows came before it in the file.
func (d *donationRows) keys(rows []row) []string {
	var keys []string
	for _, r := range rows {
		p := d.read(r)
		d.parsed[rowID{r.sheet, r.n}] = p
		if p.key != "" {
			keys = append(keys, p.key)
		}
	}
	return keys
}

func (d *donationRows) read(r row) *donationRow {
	c := r.cells
	p := &donationRow{orgCode: strings.ToUpper(c["org"]), partnerName: c["partner"], reference: c["reference"], notes: c["notes"],
		id: strings.ToLower(c["id"]), reverses: strings.ToLower(c["reverses"]), reason: c["reason"]}
	if p.id != "" && !postgres.IsID(p.id) {
		if c["org"] == "" && c["date"] == "" {
			p.skip = "the ledger's total row"
		} else {
			d.refuse(r, "id", fault.Invalid, "is not the id of a Sinergi ledger entry; leave it empty for a new record")
			p.bad = true
		}
		return p
	}
	var v fault.InvalidInput
	for _, k := range []string{"org", "date", "source", "kind", "amount"} {
		if c[k] == "" {
			d.refuse(r, k, fault.Required, "is empty")
			p.bad = true
		}
	}
	if c["date"] != "" {
		p.receivedOn = parseDate(&v, "date", c["date"])
	}
	if s := c["source"]; s != "" {
		var ok bool
		if p.source, ok = export.SourceOf(s); !ok {
			v.Add("source", fault.Invalid, "is not a source: "+joinCodes(donation.Sources))
		}
	}
	if s := c["kind"]; s != "" {
		var ok bool
		if p.kind, ok = export.KindOf(s); !ok {
			v.Add("kind", fault.Invalid, "must be MONEY or GOODS")
		}
	}
	if p.reverses != "" {
		if !postgres.IsID(p.reverses) {
			v.Add("reverses", fault.Invalid, "is not the id of a Sinergi ledger entry")
		}
		p.key = "reversal|" + p.reverses
		if p.id != "" {
			p.key = "id|" + p.id
		}
		p.content = contentHash(p.reverses, p.receivedOn, p.reason)
	} else if c["amount"] != "" {
		p.amount, _ = parseRupiah(&v, "amount", c["amount"])
	}
	for _, f := range v.Fields {
		d.refuse(r, f.Path, f.Reason, f.Message)
		p.bad = true
	}
	if p.bad || p.reverses != "" {
		return p
	}
	if p.source == donation.DonationBox && p.id != "" {
		p.skip = "box money comes in with its box collection: import the box collections ledger"
		return p
	}
	p.content = contentHash(p.orgCode, p.receivedOn, p.source, p.kind, p.amount, strings.ToLower(p.partnerName), p.notes)
	switch {
	case p.id != "":
		p.key = "id|" + p.id
	case p.reference != "":
		p.key = "ref|" + p.orgCode + "|" + p.reference
	default:
		d.occurrences[p.content]++
		p.key = "row|" + p.content + "#" + strconv.Itoa(d.occurrences[p.content])
	}
	return p
}

func joinCodes[K ~string](codes []K) string {
	var s []string
	for _, c := range codes {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

func (d *donationRows) row(r row) error {
	p := d.parsed[rowID{r.sheet, r.n}]
	switch {
	case p.bad:
		return nil
	case p.skip != "":
		d.skip(r, p.skip)
		return nil
	case p.reverses != "":
		d.reversals = append(d.reversals, r) // once every entry they may reverse is in
		return nil
	}
	in := donation.NewDonation{Source: p.source, Kind: p.kind, ReceivedOn: p.receivedOn, Notes: p.notes}
	if p.reference != "" {
		in.Reference = &p.reference
	}
	if p.kind == donation.Goods {
		// The ledger and the template carry a goods gift's value, not its
		// lines: it comes in as one line of that value.
		in.Items = []donation.NewItem{{Description: goodsLine(p.notes), Quantity: 1, Unit: "paket", EstimatedValue: p.amount}}
	} else {
		in.Amount = &p.amount
	}
	ok := true
	if org, err := d.organization(r, "org", p.orgCode); err != nil {
		return err
	} else if org == nil {
		ok = false
	} else {
		in.OrganizationID = org.ID
	}
	if p.partnerName != "" {
		if pt, err := d.partner(r, "partner", p.partnerName); err != nil {
			return err
		} else if pt == nil {
			ok = false
		} else {
			in.PartnerID = &pt.ID
		}
	}
	if !ok {
		return nil
	}
	if done, err := d.already(r, p, in.OrganizationID); done || err != nil {
		return err
	}
	created, err := donation.Import(d.ctx, d.im, in)
	if d.refused(r, err, donationPaths) {
		return nil
	}
	if err != nil {
		return err
	}
	d.wrote(p.key, p.content, created.ID)
	if p.id != "" {
		d.fromFile[p.id] = created.ID
	}
	return nil
}

// goodsLine describes the one line a goods gift comes in as.
func goodsLine(notes string) string {
	line, _, _ := strings.Cut(notes, "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "Barang (diimpor)"
	}
	return cut(line, 200)
}

// already answers a row whose natural key names a record already there:
// skipped when it says the same, a conflict when it says otherwise.
func (d *donationRows) already(r row, p *donationRow, orgID string) (bool, error) {
	if id, prior := d.seen(p.key); id != "" {
		switch {
		case prior == nil:
			d.refuse(r, keyColumn(p.key), fault.Duplicate, "the file has this entry twice")
		case prior.Content != p.content:
			d.refuse(r, "", Conflict, "an earlier import recorded this row with other values (entry "+id+"): correct that entry by reversal, then import the new row without its key")
		default:
			d.skip(r, "already imported (entry "+id+")")
		}
		return true, nil
	}
	var stored struct {
		ID      string        `db:"id"`
		Code    string        `db:"code"`
		On      calendar.Date `db:"received_on"`
		Source  string        `db:"source"`
		Kind    string        `db:"kind"`
		Amount  money.Rupiah  `db:"amount"`
		Partner *string       `db:"partner"`
		Notes   string        `db:"notes"`
	}
	query, args := "", postgres.Args{}
	switch {
	case p.id != "":
		args = postgres.Args{p.id}
		query = `d.id = $1`
	case p.reference != "":
		args = postgres.Args{orgID, p.reference}
		query = `d.organization_id = $1 AND d.reference = $2 AND d.reverses_id IS NULL`
	default:
		return false, nil
	}
	err := d.im.Tx.GetContext(d.ctx, &stored, `SELECT d.id, o.code, d.received_on, d.source, d.kind, d.amount, p.name AS partner, d.notes
		FROM donations d JOIN organizations o ON o.id = d.organization_id LEFT JOIN partners p ON p.id = d.partner_id
		WHERE `+query+` AND `+d.sc.Gifts(&args, "o.path", "d.partner_id"), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for the entry of key %s: %w", p.key, err)
	}
	partnerName := ""
	if stored.Partner != nil {
		partnerName = strings.ToLower(*stored.Partner)
	}
	if contentHash(strings.ToUpper(stored.Code), stored.On, donation.Source(stored.Source), donation.Kind(stored.Kind), stored.Amount, partnerName, stored.Notes) != p.content {
		d.refuse(r, "", Conflict, "Sinergi already has this entry ("+stored.ID+") with other values: correct it by reversal, never by import")
		return true, nil
	}
	d.skip(r, "already recorded (entry "+stored.ID+")")
	return true, nil
}

// keyColumn is the column a natural key was read from.
func keyColumn(key string) string {
	k, _, _ := strings.Cut(key, "|")
	switch k {
	case "id":
		return "id"
	case "ref":
		return "reference"
	}
	return ""
}

// finish reverses the entries whose reversals the file holds.
func (d *donationRows) finish() error {
	for _, r := range d.reversals {
		p := d.parsed[rowID{r.sheet, r.n}]
		if id, prior := d.seen(p.key); id != "" {
			if prior == nil {
				d.refuse(r, keyColumn(p.key), fault.Duplicate, "the file has this entry twice")
			} else {
				d.skip(r, "already imported (entry "+id+")")
			}
			continue
		}
		original := d.fromFile[p.reverses]
		if original == "" {
			original, _ = d.seen("id|" + p.reverses)
		}
		if original == "" {
			var exists bool
			args := postgres.Args{p.reverses}
			if err := d.im.Tx.GetContext(d.ctx, &exists, `SELECT EXISTS (SELECT 1 FROM donations d JOIN organizations o ON o.id = d.organization_id
				WHERE d.id = $1 AND `+d.sc.Gifts(&args, "o.path", "d.partner_id")+`)`, args...); err != nil {
				return fmt.Errorf("look for reversed entry %s: %w", p.reverses, err)
			}
			if exists {
				original = p.reverses
			}
		}
		if original == "" {
			d.refuse(r, "reverses", fault.Unknown, "reverses an entry that is neither in this file nor recorded before")
			continue
		}
		on := p.receivedOn
		reversal, err := donation.ImportReversal(d.ctx, d.im, donation.Reversal{DonationID: original, Reason: p.reason, ReversedOn: &on})
		if d.refused(r, err, donationPaths) {
			continue
		}
		if err != nil {
			return err
		}
		d.wrote(p.key, p.content, reversal.ID)
	}
	return nil
}

// refs looks organizations and partners up once per import.
type refs struct {
	r        *run
	orgs     map[string]*lookup[organization.Organization]
	partners map[string]*lookup[partner.Partner]
}

type lookup[T any] struct {
	found  *T
	reason string
	msg    string
}

func newRefs(r *run) *refs {
	return &refs{r: r, orgs: map[string]*lookup[organization.Organization]{}, partners: map[string]*lookup[partner.Partner]{}}
}

// organization returns the organization code names, where the caller may
// record, or nil after refusing the row's column.
func (f *refs) organization(r row, col, code string) (*organization.Organization, error) {
	k := strings.ToLower(code)
	l, ok := f.orgs[k]
	if !ok {
		l = &lookup[organization.Organization]{}
		o, err := organization.RequireRef(f.r.ctx, f.r.im.Tx, f.r.sc, col, code)
		if err == nil && !f.r.sc.Reaches(o.Path) {
			err = fault.Refuse(col, fault.Invalid, "lies outside the part of the council tree this account may record in")
		}
		if err != nil && !setRefusal(l, err) {
			return nil, err
		}
		if err == nil {
			l.found = &o
		}
		f.orgs[k] = l
	}
	if l.found == nil {
		f.r.refuse(r, col, l.reason, l.msg)
	}
	return l.found, nil
}

// partner returns the partner name names, or nil after refusing the row's
// column.
func (f *refs) partner(r row, col, name string) (*partner.Partner, error) {
	k := strings.ToLower(name)
	l, ok := f.partners[k]
	if !ok {
		l = &lookup[partner.Partner]{}
		p, err := partner.RequireName(f.r.ctx, f.r.im.Tx, f.r.sc, col, name)
		if err != nil && !setRefusal(l, err) {
			return nil, err
		}
		if err == nil {
			l.found = &p
		}
		f.partners[k] = l
	}
	if l.found == nil {
		f.r.refuse(r, col, l.reason, l.msg)
	}
	return l.found, nil
}

// setRefusal keeps err's first refused field in l, reporting whether err
// was a refusal at all.
func setRefusal[T any](l *lookup[T], err error) bool {
	var in *fault.InvalidInput
	if !errors.As(err, &in) || len(in.Fields) == 0 {
		return false
	}
	l.reason, l.msg = in.Fields[0].Reason, in.Fields[0].Message
	return true
}
