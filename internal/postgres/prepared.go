package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Prepared runs the statements of a hot path prepared: each query text is
// prepared once, and database/sql prepares it again on each connection it
// then runs on, so PostgreSQL parses it once per connection and, once it
// settles on a generic plan, plans it once too (lib/pq otherwise sends every
// statement unnamed, parsed and planned anew). Only statements whose text
// holds just the conditions a request uses belong here: a generic plan of
// "($1 IS NULL OR …)" would be a poor one. At most max texts are kept;
// others run unprepared.
type Prepared struct {
	db    *sqlx.DB
	max   int
	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt
}

// NewPrepared returns a Prepared on db keeping at most max statements.
func NewPrepared(db *sqlx.DB, max int) *Prepared {
	return &Prepared{db: db, max: max, stmts: map[string]*sqlx.Stmt{}}
}

// QueryContext is database/sql's QueryContext through the prepared
// statement of query (the caller scans the rows itself: the hot reads are
// scanned by hand, not by sqlx's reflection).
func (p *Prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p *Prepared) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	if len(p.stmts) >= p.max {
		return nil, nil
	}
	// Prepared under the lock: the first request of a text waits for one
	// round trip, the others for it rather than preparing it again.
	st, err := p.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	p.stmts[query] = st
	return st, nil
}
