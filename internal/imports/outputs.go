package imports

import (
	"errors"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
)

func init() {
	columns := append([]column{
		{key: "org", headers: []string{"kode organisasi", "organization code", "organisasi", "organization"}, required: true},
		{key: "type", headers: []string{"kode jenis bantuan", "aid type code", "jenis bantuan", "aid type"}, required: true},
		{key: "quantity", headers: []string{"jumlah", "quantity"}, required: true, kind: number},
		{key: "cost", headers: []string{"biaya (rp)", "cost (rp)", "biaya", "cost"}, required: true, kind: number},
		{key: "date", headers: []string{"tanggal penyaluran", "delivered on", "tanggal"}, required: true, kind: date},
		{key: "group", headers: []string{"kelompok penerima", "beneficiary group"}, required: true},
		{key: "pmks", headers: []string{"kategori pmks", "pmks category"}, required: true},
		{key: "regency", headers: []string{"kode kabupaten/kota", "regency code", "kabupaten/kota", "regency/city"}, required: true},
		{key: "institution", headers: []string{"kode lembaga penerima", "recipient institution code", "lembaga penerima", "recipient institution"}},
		{key: "notes", headers: []string{"catatan", "notes"}},
	}, ledgerColumns...)
	specs["aid-outputs"] = spec{columns: columns, handler: func(r *run) handler {
		return newLedgerRows(r, columns, &outputRows{r: r, refs: newRefs(r)})
	}}
}

// outputRows imports aid deliveries.
type outputRows struct {
	r *run
	*refs
}

func (o *outputRows) date() string { return "date" }

func (o *outputRows) paths() map[string]string {
	return map[string]string{
		"input.organizationId": "org", "input.aidTypeId": "type", "input.quantity": "quantity", "input.cost": "cost",
		"input.deliveredOn": "date", "input.beneficiaryGroup": "group", "input.pmksCategory": "pmks", "input.regencyId": "regency",
		"input.recipientInstitutionId": "institution", "input.notes": "notes",
		"input.outputId": "reverses", "input.reason": "reason", "input.reversedOn": "date",
	}
}

func (o *outputRows) read(e *entry, v *fault.InvalidInput) string {
	c := e.cells
	in := aid.NewOutput{DeliveredOn: e.on, Notes: c["notes"]}
	quantity, ok := parseInteger(v, "quantity", c["quantity"])
	if ok && (quantity < 1 || quantity > fault.MaxQuantity) {
		v.Quantity("quantity", int(min(max(quantity, 0), fault.MaxQuantity+1)))
	}
	in.Quantity = int(quantity)
	in.Cost, _ = parseRupiah(v, "cost", c["cost"])
	if in.BeneficiaryGroup, ok = export.GroupOf(c["group"]); !ok {
		v.Add("group", fault.Invalid, "is not a beneficiary group")
	}
	if in.PMKSCategory, ok = export.PMKSOf(c["pmks"]); !ok {
		v.Add("pmks", fault.Invalid, "is not a PMKS category")
	}
	e.input = in
	return ""
}

func outputContent(o aid.NewOutput) string {
	return contentHash("aid-output", o.OrganizationID, o.AidTypeID, o.Quantity, o.Cost, o.DeliveredOn, o.BeneficiaryGroup, o.PMKSCategory,
		o.RegencyID, deref(o.RecipientInstitutionID), o.Notes)
}

func (o *outputRows) resolve(e *entry) (bool, error) {
	c, in := e.cells, e.input.(aid.NewOutput)
	org, err := o.organization(e, "org", c["org"])
	if err != nil {
		return false, err
	}
	if org != nil {
		in.OrganizationID = org.ID
	}
	t, err := o.aidType(e, "type", c["type"])
	if err != nil {
		return false, err
	}
	if t != nil {
		in.AidTypeID = t.ID
	}
	reg, err := o.place(e, "regency", c["regency"], organization.RegencyCouncil, "a regency/city council")
	if err != nil {
		return false, err
	}
	if reg != nil {
		in.RegencyID = reg.ID
	}
	if ref := c["institution"]; ref != "" {
		inst, err := o.place(e, "institution", ref, organization.Institution, "an institution")
		if err != nil {
			return false, err
		}
		if inst != nil {
			in.RecipientInstitutionID = &inst.ID
		}
	}
	e.input = in
	e.content = outputContent(in)
	return !e.bad, nil
}

// stored finds the output a ledger row was exported as.
func (o *outputRows) stored(e *entry) (string, string, error) {
	if e.id == "" {
		return "", "", nil
	}
	out, err := aid.GetOutput(o.r.ctx, o.r.im, o.r.sc, e.id)
	if errors.Is(err, fault.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	return out.ID, outputContent(aid.NewOutput{OrganizationID: out.OrganizationID, AidTypeID: out.AidTypeID, Quantity: out.Quantity,
		Cost: out.Cost, DeliveredOn: out.DeliveredOn, BeneficiaryGroup: out.BeneficiaryGroup, PMKSCategory: out.PMKSCategory,
		RegencyID: out.RegencyID, RecipientInstitutionID: out.RecipientInstitutionID, Notes: out.Notes}), nil
}

func (o *outputRows) create(e *entry) (string, error) {
	out, err := aid.ImportOutput(o.r.ctx, o.r.im, e.input.(aid.NewOutput))
	return out.ID, err
}

func (o *outputRows) exists(id string) (bool, error) {
	_, err := aid.GetOutput(o.r.ctx, o.r.im, o.r.sc, id)
	if errors.Is(err, fault.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (o *outputRows) reverse(original string, e *entry) (string, error) {
	on := e.on
	out, err := aid.ImportOutputReversal(o.r.ctx, o.r.im, aid.OutputReversal{OutputID: original, Reason: e.reason, ReversedOn: &on})
	return out.ID, err
}
