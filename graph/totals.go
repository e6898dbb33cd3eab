package graph

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"github.com/sinergi-id/sinergi/graph/model"
	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/report"
)

// typeTotals names the aid type of each sum (see model.AidTypeTotal).
func (r *Resolver) typeTotals(ctx context.Context, totals []aid.TypeTotals) ([]model.AidTypeTotal, error) {
	keys := make([]string, len(totals))
	for i, t := range totals {
		keys[i] = t.AidTypeID
	}
	types, err := loadAll(ctx, r.loaders(ctx).aidType, keys)
	if err != nil {
		return nil, err
	}
	out := make([]model.AidTypeTotal, len(totals))
	for i, t := range totals {
		out[i] = model.AidTypeTotal{TypeTotals: t, AidType: types[t.AidTypeID]}
	}
	return out, nil
}

// typeRegencyTotals completes the sums by aid type and regency with a row
// for every regency of the report (report.TypeRegencies), the aid types in
// catalogue order, and names each row's type and regency. Regencies outside
// the report's list (an operator's delivery to a neighbour) are loaded.
func (r *Resolver) typeRegencyTotals(ctx context.Context, groups []aid.Group, regencies []organization.Organization) ([]model.AidTypeRegencyTotal, error) {
	names := make(map[string]*organization.Organization, len(regencies))
	for i := range regencies {
		names[regencies[i].ID] = &regencies[i]
	}
	var typeKeys, others []string
	for _, g := range groups {
		typeKeys = append(typeKeys, g.Key)
		if names[g.RegencyID] == nil {
			others = append(others, g.RegencyID)
		}
	}
	l := r.loaders(ctx)
	loaded := make(chan error, 1)
	var outside map[string]*organization.Organization
	go func() { // both batches asked for before either is waited on
		var err error
		if len(others) > 0 {
			outside, err = loadAll(ctx, l.organization, others)
		}
		loaded <- err
	}()
	types, err := loadAll(ctx, l.aidType, typeKeys)
	if err2 := <-loaded; err == nil {
		err = err2
	}
	if err != nil {
		return nil, err
	}
	maps.Copy(names, outside)
	order := slices.Collect(maps.Keys(types))
	slices.SortFunc(order, func(a, b string) int { return cmp.Compare(types[a].Seq, types[b].Seq) })
	rows := report.TypeRegencies(order, groups, regencies)
	out := make([]model.AidTypeRegencyTotal, len(rows))
	for i, g := range rows {
		out[i] = model.AidTypeRegencyTotal{Group: g, AidType: types[g.Key], Regency: names[g.RegencyID]}
	}
	return out, nil
}

// sourceMonthTotals reads groups keyed by source.
func sourceMonthTotals(groups []donation.Group) []model.SourceMonthTotal {
	out := make([]model.SourceMonthTotal, len(groups))
	for i, g := range groups {
		out[i] = model.SourceMonthTotal{Source: donation.Source(g.Key), Month: g.Month, Donations: g.Count, Amount: g.Amount}
	}
	return out
}
