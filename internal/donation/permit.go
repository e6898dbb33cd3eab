package donation

import (
	"context"
	"fmt"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/permit"
)

// appealPermit checks a gift to org on day on that names the permit of an
// appeal (its id or number): the permit must allow appeals and be org's
// council's or one above it; a gift outside its period, or received in a
// regency outside its area, is refused or kept with the council's reason
// (permit.Exception). Money a council above the regencies receives itself
// has no regency and is checked against the period only. It returns the
// permit's id and the exception to record.
func appealPermit(ctx context.Context, tx *change.Tx, v *fault.InvalidInput, ref string, org organization.Organization,
	on calendar.Date, exception *string) (*string, *string, error) {
	p, err := permit.RequireRef(ctx, tx, tx.Scope, "input.permitId", ref)
	if !v.Collect(err) {
		return nil, nil, nil
	}
	var regency []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := tx.SelectContext(ctx, &regency, `SELECT r.id, r.name FROM organizations r
		WHERE r.kind = 'REGENCY_COUNCIL' AND r.path @> (SELECT path FROM organizations WHERE id = $1)`, org.ID); err != nil {
		return nil, nil, fmt.Errorf("find the regency of %s: %w", org.Code, err)
	}
	var regencyID *string
	where := ""
	if len(regency) == 1 {
		regencyID, where = &regency[0].ID, regency[0].Name
	}
	var organiserPath string
	if err := tx.GetContext(ctx, &organiserPath, `SELECT path FROM organizations WHERE id = $1`, p.OrganizationID); err != nil {
		return nil, nil, fmt.Errorf("find the organiser of permit %s: %w", p.Number, err)
	}
	switch {
	case !p.Allows(permit.Appeal):
		v.Add("input.permitId", fault.Invalid, fmt.Sprintf("permit %s does not cover appeals", p.Number))
		return nil, nil, nil
	case !organization.PathWithin(org.Path, organiserPath):
		v.Add("input.permitId", fault.Invalid, fmt.Sprintf("permit %s was issued to a council that %s does not lie under", p.Number, org.Name))
		return nil, nil, nil
	}
	field := "input.receivedOn"
	problem := p.Problem(on, regencyID, where)
	if problem != "" && !on.Before(p.ValidFrom) && !on.After(p.ValidThrough()) {
		field = "input.organizationId"
	}
	return &p.ID, permit.Exception(v, field, problem, exception), nil
}
