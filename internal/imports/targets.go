package imports

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/programme"
)

func init() {
	columns := []column{
		{key: "org", headers: []string{"kode organisasi", "organization code"}, required: true},
		{key: "year", headers: []string{"tahun", "year"}, required: true, kind: number},
		{key: "type", headers: []string{"kode jenis bantuan", "aid type code", "jenis bantuan", "aid type"}, required: true},
		{key: "target", headers: []string{"target"}, required: true, kind: number},
		{key: "budget", headers: []string{"anggaran (rp)", "budget (rp)", "anggaran", "budget"}, required: true, kind: number},
	}
	specs["programme-targets"] = spec{columns: columns, handler: func(r *run) handler {
		return newLedgerRows(r, columns, &targetRows{r: r, refs: newRefs(r)})
	}}
}

// targetRows imports programme targets: one per organization, year and
// aid type, so that is a row's natural key; a target is set once (a
// changed one is a conflict).
type targetRows struct {
	r *run
	*refs
}

func (t *targetRows) date() string { return "" }

func (t *targetRows) paths() map[string]string {
	return map[string]string{"input.organizationId": "org", "input.year": "year", "input.aidTypeId": "type",
		"input.targetQuantity": "target", "input.budget": "budget"}
}

func (t *targetRows) read(e *entry, v *fault.InvalidInput) string {
	c := e.cells
	year, _ := parseInteger(v, "year", c["year"])
	target, ok := parseInteger(v, "target", c["target"])
	if ok && (target < 0 || target > fault.MaxQuantity) {
		v.Add("target", fault.Invalid, fmt.Sprintf("must be between 0 and %d", fault.MaxQuantity))
	}
	budget, _ := parseRupiah(v, "budget", c["budget"])
	e.input = programme.NewTarget{Year: int(max(min(year, 1<<20), -1)), TargetQuantity: int(max(min(target, 1<<40), -1)), Budget: budget}
	return fmt.Sprintf("target|%s|%d|%s", strings.ToUpper(c["org"]), year, strings.ToUpper(c["type"]))
}

func targetContent(in programme.NewTarget) string {
	return contentHash("programme-target", in.OrganizationID, in.Year, in.AidTypeID, in.TargetQuantity, in.Budget)
}

func (t *targetRows) resolve(e *entry) (bool, error) {
	c, in := e.cells, e.input.(programme.NewTarget)
	org, err := t.organization(e, "org", c["org"])
	if err != nil {
		return false, err
	}
	if org != nil {
		in.OrganizationID = org.ID
	}
	ty, err := t.aidType(e, "type", c["type"])
	if err != nil {
		return false, err
	}
	if ty != nil {
		in.AidTypeID = ty.ID
	}
	e.input = in
	e.content = targetContent(in)
	return !e.bad, nil
}

func (t *targetRows) stored(e *entry) (string, string, error) {
	in := e.input.(programme.NewTarget)
	var s struct {
		ID     string       `db:"id"`
		Target int          `db:"target_quantity"`
		Budget money.Rupiah `db:"budget"`
	}
	err := t.r.im.GetContext(t.r.ctx, &s, `SELECT id, target_quantity, budget FROM programme_targets
		WHERE organization_id = $1 AND year = $2 AND aid_type_id = $3`, in.OrganizationID, in.Year, in.AidTypeID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look for the target of key %s: %w", e.key, err)
	}
	was := in
	was.TargetQuantity, was.Budget = s.Target, s.Budget
	return s.ID, targetContent(was), nil
}

func (t *targetRows) create(e *entry) (string, error) {
	tg, err := programme.ImportTarget(t.r.ctx, t.r.im, e.input.(programme.NewTarget))
	return tg.ID, err
}

func (t *targetRows) exists(string) (bool, error) { return false, nil }

func (t *targetRows) reverse(string, *entry) (string, error) {
	return "", errors.New("programme targets are not reversed")
}
