package report

import (
	"cmp"
	"context"
	"slices"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
)

// The lists of a report are complete: every month of the period and every
// regency of the subtree, zeros where nothing happened, so that a table or
// a chart drawn from them has no holes and a dashboard needs no second
// request to learn what is missing.

// Months lists the first day of each month the period touches.
func Months(s Spec) []calendar.Date {
	var out []calendar.Date
	for m := calendar.New(s.From.Year, s.From.Month, 1); !m.After(s.To); m = calendar.New(m.Year, m.Month+1, 1) {
		out = append(out, m)
	}
	return out
}

// Regencies lists the regency/city councils a report's figures fall in, in
// code order: the council itself when it is one, the one above an
// institution, else every one in the subtree.
func Regencies(ctx context.Context, sc auth.Scope, orgs *organization.Store, s Spec) ([]organization.Organization, error) {
	o, err := orgs.Organization(ctx, sc, s.OrganizationID)
	if err != nil {
		return nil, err
	}
	return regenciesOf(ctx, sc, orgs, o)
}

func regenciesOf(ctx context.Context, sc auth.Scope, orgs *organization.Store, o organization.Organization) ([]organization.Organization, error) {
	switch o.Kind {
	case organization.RegencyCouncil:
		return []organization.Organization{o}, nil
	case organization.Institution:
		placed, err := orgs.RegenciesOf(ctx, sc, []string{o.ID})
		var out []organization.Organization
		for _, p := range placed {
			out = append(out, p.Organization)
		}
		return out, err
	}
	kind, all := organization.RegencyCouncil, page.Max
	p, err := orgs.List(ctx, sc, organization.Filter{Under: &o.ID, Kind: &kind}, page.Request{First: &all})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(p.Items, func(a, b organization.Organization) int { return cmp.Compare(a.Code, b.Code) })
	return p.Items, nil
}

// MonthMoney is money in during one month.
type MonthMoney struct {
	Month     calendar.Date
	Donations int
	Amount    money.Rupiah
}

// MoneyByMonth sums gifts by source and month into every month's total.
func MoneyByMonth(s Spec, bySourceMonth []donation.Group) []MonthMoney {
	out := make([]MonthMoney, 0, 12)
	for _, m := range Months(s) {
		row := MonthMoney{Month: m}
		for _, g := range bySourceMonth {
			if g.Month == m {
				row.Donations += g.Count
				row.Amount += g.Amount
			}
		}
		out = append(out, row)
	}
	return out
}

// SourceMonths completes gifts by source and month: every source for every
// month, in the order of donation.Sources.
func SourceMonths(s Spec, groups []donation.Group) []donation.Group {
	var out []donation.Group
	for _, m := range Months(s) {
		for _, src := range donation.Sources {
			row := donation.Group{Key: string(src), Month: m}
			for _, g := range groups {
				if g.Key == row.Key && g.Month == m {
					row.Count, row.Amount = g.Count, g.Amount
				}
			}
			out = append(out, row)
		}
	}
	return out
}

// RegencyMoney is money in recorded within one regency/city council's part
// of the tree (the council and the institutions under it), over the period
// or one month of it. RegencyID is nil for what was recorded outside any
// regency: by councils above regency level, or institutions directly under
// them.
type RegencyMoney struct {
	RegencyID *string
	Month     *calendar.Date
	Donations int
	Amount    money.Rupiah
}

// MoneyByRegency sums a report's gifts per regency in code order, then what
// was recorded above regency level (when the report's council is above
// it); with byMonth, every regency for every month. The rows add up to the
// report's donationsTotal.
func MoneyByRegency(ctx context.Context, sc auth.Scope, orgs *organization.Store, donations *donation.Store, s Spec, byMonth bool) ([]RegencyMoney, error) {
	groups, err := donations.ByOrganizationAndMonth(ctx, sc, donation.Filter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID})
	if err != nil {
		return nil, err
	}
	o, err := orgs.Organization(ctx, sc, s.OrganizationID)
	if err != nil {
		return nil, err
	}
	regencies, err := regenciesOf(ctx, sc, orgs, o)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, g := range groups {
		ids = append(ids, g.Key)
	}
	placed, err := orgs.RegenciesOf(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	regencyOf := map[string]string{}
	for _, p := range placed {
		regencyOf[p.ForID] = p.ID
	}
	months := []*calendar.Date{nil}
	if byMonth {
		months = nil
		for _, m := range Months(s) {
			months = append(months, &m)
		}
	}
	row := func(regency *string, month *calendar.Date) RegencyMoney {
		r := RegencyMoney{RegencyID: regency, Month: month}
		for _, g := range groups {
			in, placed := regencyOf[g.Key]
			if (regency == nil && !placed || regency != nil && placed && in == *regency) && (month == nil || g.Month == *month) {
				r.Donations += g.Count
				r.Amount += g.Amount
			}
		}
		return r
	}
	var out []RegencyMoney
	for _, r := range regencies {
		for _, m := range months {
			out = append(out, row(&r.ID, m))
		}
	}
	if o.Kind == organization.ProvinceCouncil || o.Kind == organization.National {
		for _, m := range months {
			out = append(out, row(nil, m))
		}
	}
	return out, nil
}

// MonthOutputs is the aid delivered in one month: how many outputs and
// their cost (quantities of different units are not added up).
type MonthOutputs struct {
	Month   calendar.Date
	Outputs int
	Cost    money.Rupiah
}

// OutputsByMonth completes outputs by month (aid.Store.ByMonth): every
// month of the period.
func OutputsByMonth(s Spec, groups []aid.Group) []MonthOutputs {
	var out []MonthOutputs
	for _, m := range Months(s) {
		row := MonthOutputs{Month: m}
		for _, g := range groups {
			if g.Key == m.String() {
				row.Outputs, row.Cost = g.Count, g.Cost
			}
		}
		out = append(out, row)
	}
	return out
}

// TypeRegencies completes outputs by aid type and regency: every regency
// (in the order given) for each aid type in types (in that order). The
// groups are one pass over the sums (a type × regency map), since a
// national report has hundreds of rows.
func TypeRegencies(types []string, groups []aid.Group, regencies []organization.Organization) []aid.Group {
	type key struct{ aidType, regency string }
	byKey := make(map[key]aid.Group, len(groups))
	for _, g := range groups {
		byKey[key{g.Key, g.RegencyID}] = g
	}
	var out []aid.Group
	for _, t := range types {
		seen := map[string]bool{}
		for _, r := range regencies {
			row, ok := byKey[key{t, r.ID}]
			if !ok {
				row = aid.Group{Key: t, RegencyID: r.ID}
			}
			seen[r.ID] = true
			out = append(out, row)
		}
		// Outputs delivered to a regency outside the subtree (an operator's
		// to a neighbour) keep their row.
		for _, g := range groups {
			if g.Key == t && !seen[g.RegencyID] {
				out = append(out, g)
			}
		}
	}
	return out
}
