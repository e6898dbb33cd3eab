package graph

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/receipt"
	"github.com/sinergi-id/sinergi/internal/request"
)

// loaders batch the nested lookups of one request. They are made per
// request: a cache shared between requests would serve one caller's data
// to another.
type loaders struct {
	organization          *dataloadgen.Loader[string, organization.Organization]
	children              *dataloadgen.Loader[string, []organization.Organization]
	regency               *dataloadgen.Loader[string, organization.Organization]
	partner               *dataloadgen.Loader[string, partner.Partner]
	aidType               *dataloadgen.Loader[string, aid.Type]
	output                *dataloadgen.Loader[string, aid.Output]
	donation              *dataloadgen.Loader[string, donation.Donation]
	items                 *dataloadgen.Loader[string, []donation.Item]
	box                   *dataloadgen.Loader[string, box.Box]
	collection            *dataloadgen.Loader[string, box.Collection]
	collectionByDonation  *dataloadgen.Loader[string, box.Collection]
	attendance            *dataloadgen.Loader[string, []meeting.Attendance]
	allocation            *dataloadgen.Loader[string, fund.Allocation]
	allocationsByDonation *dataloadgen.Loader[string, []fund.Allocation]
	allocationsByOutput   *dataloadgen.Loader[string, []fund.Allocation]
	receipts              *dataloadgen.Loader[string, []receipt.Receipt]
	requestHistory        *dataloadgen.Loader[string, []request.Event]
	requestOutputs        *dataloadgen.Loader[string, []request.OutputLink]
	requestMatches        *dataloadgen.Loader[string, request.Matches]
	permit                *dataloadgen.Loader[string, permit.Permit]
	boxPermits            *dataloadgen.Loader[string, []box.Placement]

	reads func() *Resolver // the stores reports read, chosen once
}

// wait is how long a loader gathers keys before it queries; resolvers of one
// list run concurrently, so a short wait collects a whole page.
var wait = dataloadgen.WithWait(2 * time.Millisecond)

// newLoaders makes the loaders of one request, reading within sc.
func newLoaders(r *Resolver, sc auth.Scope) *loaders {
	return &loaders{
		reads:        sync.OnceValue(r.ReadStores),
		organization: dataloadgen.NewMappedLoader(byID(within(sc, r.OrganizationStore.ByIDs), func(o organization.Organization) string { return o.ID }), wait),
		children: dataloadgen.NewMappedLoader(groupBy(within(sc, r.OrganizationStore.ChildrenOf), func(o organization.Organization) string {
			return *o.ParentID
		}), wait),
		regency: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]organization.Organization, error) {
			rows, err := r.OrganizationStore.RegenciesOf(ctx, sc, ids)
			out := make(map[string]organization.Organization, len(rows))
			for _, p := range rows {
				out[p.ForID] = p.Organization
			}
			return out, err
		}, wait),
		partner:              dataloadgen.NewMappedLoader(byID(within(sc, r.PartnerStore.ByIDs), func(p partner.Partner) string { return p.ID }), wait),
		aidType:              dataloadgen.NewMappedLoader(byID(within(sc, r.AidStore.TypesByIDs), func(t aid.Type) string { return t.ID }), wait),
		output:               dataloadgen.NewMappedLoader(byID(within(sc, r.AidStore.OutputsByIDs), func(o aid.Output) string { return o.ID }), wait),
		donation:             dataloadgen.NewMappedLoader(byID(within(sc, r.DonationStore.ByIDs), func(d donation.Donation) string { return d.ID }), wait),
		items:                dataloadgen.NewMappedLoader(groupBy(within(sc, r.DonationStore.ItemsOf), func(i donation.Item) string { return i.DonationID }), wait),
		box:                  dataloadgen.NewMappedLoader(byID(within(sc, r.BoxStore.ByIDs), func(b box.Box) string { return b.ID }), wait),
		collection:           dataloadgen.NewMappedLoader(byID(within(sc, r.BoxStore.CollectionsByIDs), func(c box.Collection) string { return c.ID }), wait),
		collectionByDonation: dataloadgen.NewMappedLoader(byID(within(sc, r.BoxStore.ByDonationIDs), func(c box.Collection) string { return c.DonationID }), wait),
		allocation:           dataloadgen.NewMappedLoader(byID(within(sc, r.FundStore.ByIDs), func(a fund.Allocation) string { return a.ID }), wait),
		allocationsByDonation: dataloadgen.NewMappedLoader(groupBy(within(sc, r.FundStore.ByDonationIDs), func(a fund.Allocation) string {
			return a.DonationID
		}), wait),
		allocationsByOutput: dataloadgen.NewMappedLoader(groupBy(within(sc, r.FundStore.ByOutputIDs), func(a fund.Allocation) string {
			return *a.AidOutputID
		}), wait),
		attendance: dataloadgen.NewMappedLoader(groupBy(within(sc, r.MeetingStore.AttendanceOf), func(a meeting.Attendance) string { return a.MeetingID }), wait),
		receipts: dataloadgen.NewMappedLoader(groupBy(within(sc, r.ReceiptStore.ByDonationIDs), func(x receipt.Receipt) string {
			return x.DonationID
		}), wait),
		requestHistory: dataloadgen.NewMappedLoader(groupBy(within(sc, r.RequestStore.HistoryOf), func(e request.Event) string {
			return e.RequestID
		}), wait),
		requestOutputs: dataloadgen.NewMappedLoader(groupBy(within(sc, r.RequestStore.OutputsOf), func(x request.OutputLink) string {
			return x.RequestID
		}), wait),
		permit:     dataloadgen.NewMappedLoader(byID(within(sc, r.PermitStore.ByIDs), func(p permit.Permit) string { return p.ID }), wait),
		boxPermits: dataloadgen.NewMappedLoader(groupBy(within(sc, r.BoxStore.PlacementsOf), func(p box.Placement) string { return p.BoxID }), wait),
		requestMatches: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]request.Matches, error) {
			found, err := r.RequestStore.MatchesOf(ctx, sc, ids)
			out := make(map[string]request.Matches, len(ids))
			for _, id := range ids {
				out[id] = request.Matches{RequestID: id} // no other request: none seen, none elsewhere
			}
			for _, m := range found {
				out[m.RequestID] = m
			}
			return out, err
		}, wait),
	}
}

// within binds a batch read to the request's scope.
func within[T any](sc auth.Scope, fetch func(context.Context, auth.Scope, []string) ([]T, error)) func(context.Context, []string) ([]T, error) {
	return func(ctx context.Context, ids []string) ([]T, error) { return fetch(ctx, sc, ids) }
}

func byID[T any](fetch func(context.Context, []string) ([]T, error), key func(T) string) func(context.Context, []string) (map[string]T, error) {
	return func(ctx context.Context, ids []string) (map[string]T, error) {
		rows, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]T, len(rows))
		for _, row := range rows {
			out[key(row)] = row
		}
		return out, nil
	}
}

func groupBy[T any](fetch func(context.Context, []string) ([]T, error), key func(T) string) func(context.Context, []string) (map[string][]T, error) {
	return func(ctx context.Context, ids []string) (map[string][]T, error) {
		rows, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]T, len(ids))
		for _, id := range ids {
			out[id] = []T{} // a key with no rows is an empty list, not "not found"
		}
		for _, row := range rows {
			out[key(row)] = append(out[key(row)], row)
		}
		return out, nil
	}
}

type loadersKey struct{}

// WithLoaders gives each request its own loaders, and its own memo of
// the councils its filters name (organization.WithMemo).
func (r *Resolver) WithLoaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := context.WithValue(req.Context(), loadersKey{}, newLoaders(r, auth.FromContext(req.Context())))
		ctx = organization.WithMemo(ctx)
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

func (r *Resolver) loaders(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(r, auth.FromContext(ctx)) // outside an HTTP request (tests calling resolvers directly)
}

// load fetches key through l, turning "no such row" into fault.ErrNotFound.
func load[T any](ctx context.Context, l *dataloadgen.Loader[string, T], key string) (*T, error) {
	v, err := l.Load(ctx, key)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, fault.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// loadOptional is load for a reference that may be null.
func loadOptional[T any](ctx context.Context, l *dataloadgen.Loader[string, T], key *string) (*T, error) {
	if key == nil {
		return nil, nil
	}
	v, err := load(ctx, l, *key)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// loadAll loads keys through l in one batch and returns them by key. A key
// l does not find fails the whole, as load fails its one field.
func loadAll[T any](ctx context.Context, l *dataloadgen.Loader[string, T], keys []string) (map[string]*T, error) {
	unique := slices.Compact(slices.Sorted(slices.Values(keys)))
	values, err := l.LoadAll(ctx, unique)
	var missing dataloadgen.ErrorSlice
	if errors.As(err, &missing) {
		for _, e := range missing {
			if errors.Is(e, dataloadgen.ErrNotFound) {
				return nil, fault.ErrNotFound
			}
		}
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]*T, len(unique))
	for i, k := range unique {
		out[k] = &values[i]
	}
	return out, nil
}
