package organization

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// A request's memo of the councils it named and found. The sums of one
// dashboard each filter by the same council, and each would otherwise look
// it up again: six lookups of one row for one report. The memo lives for
// one request, as the request's loaders do, and answers only the scope
// that found what it holds. Councils are never updated (no statement
// rewrites a row of organizations), so what it holds cannot go stale; and
// writes do not read through it: a write reads its councils in its own
// transaction.
type memo struct {
	mu    sync.Mutex
	found map[memoKey]Organization
}

type memoKey struct {
	sc auth.Scope
	id string
}

type memoContextKey struct{}

// WithMemo returns ctx with an empty memo for one request's reads.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoContextKey{}, &memo{found: map[memoKey]Organization{}})
}

// recall returns what the request's memo holds for council id under sc.
func recall(ctx context.Context, sc auth.Scope, id string) (Organization, bool) {
	m, _ := ctx.Value(memoContextKey{}).(*memo)
	if m == nil {
		return Organization{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.found[memoKey{sc, id}]
	return o, ok
}

// remember keeps o, found under sc, for the rest of the request.
func remember(ctx context.Context, sc auth.Scope, o Organization) {
	m, _ := ctx.Value(memoContextKey{}).(*memo)
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.found[memoKey{sc, o.ID}] = o
}

// requireRead is RequireRef for a read: through the request's memo.
func requireRead(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, field, ref string) (Organization, error) {
	if o, ok := recall(ctx, sc, ref); ok { // by id only: codes are looked up
		return o, nil
	}
	o, err := RequireRef(ctx, q, sc, field, ref)
	if err == nil {
		remember(ctx, sc, o)
	}
	return o, err
}
