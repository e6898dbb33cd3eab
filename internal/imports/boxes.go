package imports

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

func init() {
	columns := append([]column{
		{key: "box", headers: []string{"kode kotak", "box code", "kotak", "box"}, required: true},
		{key: "date", headers: []string{"tanggal pembukaan", "opened on", "tanggal buka", "collected on"}, required: true, kind: date},
		{key: "amount", headers: []string{"jumlah (rp)", "amount (rp)", "jumlah", "amount"}, required: true, kind: number},
		{key: "counter1", headers: []string{"penghitung 1", "counter 1", "counted by (1)"}, required: true},
		{key: "counter2", headers: []string{"penghitung 2", "counter 2", "counted by (2)"}, required: true},
		{key: "sealRemoved", headers: []string{"segel dilepas", "seal removed"}, required: true},
		{key: "sealApplied", headers: []string{"segel dipasang", "seal applied"}},
		{key: "incident", headers: []string{"kejadian segel", "seal incident"}},
		{key: "reportedBy", headers: []string{"dilaporkan oleh", "reported by"}},
		// The box ledger's: why an opening outside its permit was kept.
		{key: "permitException", headers: []string{"pengecualian izin", "permit exception"}},
	}, ledgerColumns...)
	specs["box-collections"] = spec{columns: columns, handler: func(r *run) handler {
		return newLedgerRows(r, columns, &boxRows{r: r, refs: newRefs(r)})
	}}
}

// boxRows imports box openings, each becoming its donation as when typed.
type boxRows struct {
	r *run
	*refs
}

func (b *boxRows) date() string { return "date" }

func (b *boxRows) paths() map[string]string {
	return map[string]string{
		"input.boxId": "box", "input.collectedOn": "date", "input.amount": "amount", "input.countedBy.0": "counter1",
		"input.countedBy.1": "counter2", "input.countedBy": "counter1", "input.sealRemoved": "sealRemoved",
		"input.sealApplied": "sealApplied", "input.sealIncident.found": "incident", "input.sealIncident.reportedBy": "reportedBy",
		"input.collectionId": "reverses", "input.reason": "reason", "input.reversedOn": "date",
		"input.permitException": "permitException",
	}
}

// read keys an opening by its box and the seal it removed: one opening
// removes a seal.
func (b *boxRows) read(e *entry, v *fault.InvalidInput) string {
	c := e.cells
	amount, _ := parseRupiah(v, "amount", c["amount"])
	in := box.NewCollection{CollectedOn: e.on, Amount: amount, CountedBy: []string{c["counter1"], c["counter2"]}, SealRemoved: c["sealRemoved"]}
	if s := c["sealApplied"]; s != "" {
		in.SealApplied = &s
	}
	if c["incident"] != "" || c["reportedBy"] != "" {
		in.SealIncident = &box.Incident{Found: c["incident"], ReportedBy: c["reportedBy"]}
	}
	if s := c["permitException"]; s != "" {
		in.PermitException = &s
	}
	e.input = in
	return "seal|" + strings.ToUpper(c["box"]) + "|" + c["sealRemoved"]
}

func collectionContent(boxID string, in box.NewCollection) string {
	applied, incident := "", ""
	if in.SealApplied != nil {
		applied = *in.SealApplied
	}
	if in.SealIncident != nil {
		incident = in.SealIncident.Found + "\x1e" + in.SealIncident.ReportedBy
	}
	return contentHash("box-collection", boxID, in.CollectedOn, in.Amount, strings.ToLower(in.CountedBy[0]), strings.ToLower(in.CountedBy[1]),
		in.SealRemoved, applied, incident)
}

func (b *boxRows) resolve(e *entry) (bool, error) {
	in := e.input.(box.NewCollection)
	bx, err := b.box(e, "box", e.cells["box"])
	if err != nil || bx == nil {
		return false, err
	}
	in.BoxID = bx.ID
	e.input = in
	e.content = collectionContent(bx.ID, in)
	return true, nil
}

func (b *boxRows) stored(e *entry) (string, string, error) {
	in := e.input.(box.NewCollection)
	args, where := postgres.Args{in.BoxID, in.SealRemoved}, `c.box_id = $1 AND c.seal_removed = $2 AND c.reverses_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM box_collections r WHERE r.reverses_id = c.id)`
	if e.id != "" {
		args, where = postgres.Args{e.id}, `c.id = $1`
	}
	var s struct {
		ID       string        `db:"id"`
		BoxID    string        `db:"box_id"`
		On       calendar.Date `db:"collected_on"`
		Amount   money.Rupiah  `db:"amount"`
		By1      string        `db:"counted_by_1"`
		By2      string        `db:"counted_by_2"`
		Removed  string        `db:"seal_removed"`
		Applied  *string       `db:"seal_applied"`
		Incident *string       `db:"seal_incident"`
		Reporter *string       `db:"seal_incident_by"`
	}
	err := b.r.im.GetContext(b.r.ctx, &s, `SELECT c.id, c.box_id, c.collected_on, c.amount, c.counted_by_1, c.counted_by_2,
			c.seal_removed, c.seal_applied, c.seal_incident, c.seal_incident_by
		FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id JOIN organizations o ON o.id = b.organization_id
		WHERE `+where+` AND `+b.r.sc.Gifts(&args, "o.path", "b.host_partner_id"), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look for the box opening of key %s: %w", e.key, err)
	}
	was := box.NewCollection{CollectedOn: s.On, Amount: s.Amount, CountedBy: []string{s.By1, s.By2}, SealRemoved: s.Removed, SealApplied: s.Applied}
	if s.Incident != nil {
		was.SealIncident = &box.Incident{Found: *s.Incident, ReportedBy: deref(s.Reporter)}
	}
	return s.ID, collectionContent(s.BoxID, was), nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (b *boxRows) create(e *entry) (string, error) {
	c, err := box.ImportCollection(b.r.ctx, b.r.im, e.input.(box.NewCollection))
	return c.ID, err
}

func (b *boxRows) exists(id string) (bool, error) {
	var exists bool
	args := postgres.Args{id}
	err := b.r.im.GetContext(b.r.ctx, &exists, `SELECT EXISTS (SELECT 1 FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id
		JOIN organizations o ON o.id = b.organization_id WHERE c.id = $1 AND `+b.r.sc.Gifts(&args, "o.path", "b.host_partner_id")+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("look for box opening %s: %w", id, err)
	}
	return exists, nil
}

func (b *boxRows) reverse(original string, e *entry) (string, error) {
	on := e.on
	c, err := box.ImportCollectionReversal(b.r.ctx, b.r.im, box.CollectionReversal{CollectionID: original, Reason: e.reason, ReversedOn: &on})
	return c.ID, err
}
