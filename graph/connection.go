package graph

import (
	"context"
	"errors"
	"sync"

	"github.com/sinergi-id/sinergi/graph/model"
	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/report"
)

// edges turns a page into GraphQL edges and page info.
func edges[T any](p page.Page[T], cursor func(T) page.Cursor) ([]model.Edge[T], model.PageInfo) {
	out := make([]model.Edge[T], len(p.Items))
	for i, item := range p.Items {
		out[i] = model.Edge[T]{Cursor: cursor(item).Encode(), Node: item}
	}
	info := model.PageInfo{HasNextPage: p.HasNext}
	if len(out) > 0 {
		info.EndCursor = &out[len(out)-1].Cursor
	}
	return out, info
}

// orNull answers a lookup by id: a missing record is null, not an error.
func orNull[T any](v T, err error) (*T, error) {
	if errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// written answers a mutation with what it wrote.
func written[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// value returns *p, or the zero value for an absent argument.
func value[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// boxCollections answers both the top-level list and a box's own list.
func (r *Resolver) boxCollections(ctx context.Context, f box.CollectionFilter, first *int, after *string) (*model.BoxCollectionConnection, error) {
	p, err := r.BoxStore.Collections(ctx, scope(ctx), f, page.Request{First: first, After: after})
	if err != nil {
		return nil, err
	}
	r.warmCollections(ctx, p.Items)
	c := &model.BoxCollectionConnection{Totals: sync.OnceValues(func() (box.CollectionTotals, error) { return r.BoxStore.CollectionTotals(ctx, scope(ctx), f) })}
	c.Edges, c.PageInfo = edges(p, func(x box.Collection) page.Cursor { return page.Cursor{Date: x.CollectedOn, Seq: x.Seq} })
	return c, nil
}

// scope is the caller's scope: what the principal the HTTP edge put in ctx
// may read and write. Without one it is the zero Scope, which sees nothing.
func scope(ctx context.Context) auth.Scope { return auth.FromContext(ctx) }

// The filters of a report's parts: the subtree and the period.
func donationsIn(s report.Spec) donation.Filter {
	return donation.Filter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}
}

func outputsIn(s report.Spec) aid.OutputFilter {
	return aid.OutputFilter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}
}

func collectionsIn(s report.Spec) box.CollectionFilter {
	return box.CollectionFilter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}
}
