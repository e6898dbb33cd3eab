package postgres

import (
	"context"
	"database/sql/driver"
)

// A write sends the same few statements every time (claim the key, read
// and lock the council, read the closed period, insert, number the
// receipt, audit and complete the key). Sent unnamed, PostgreSQL parses and
// plans each of them anew: on the national data that was two thirds of the
// time a gift's statements took inside PostgreSQL (pgbench of the write's
// statements, six clients: 450–520 writes/s unnamed, 680–890 prepared). So
// a connection keeps the statements sent with a context from
// WithPreparedStatements prepared under their own names, as pgx does by
// default; other statements (reports, lists, whose plans depend on their
// arguments) are sent unnamed as before.

// maxPrepared bounds the statements one connection keeps prepared (each
// holds its plan in the server's memory). A text past it takes the place
// of one chosen at random: a statement that runs often is soon prepared
// again, one that ran once is not.
const maxPrepared = 200

type preparedKey struct{}

// WithPreparedStatements returns ctx marked so that the statements sent
// with it run prepared, once per connection.
func WithPreparedStatements(ctx context.Context) context.Context {
	if prepared(ctx) {
		return ctx
	}
	return context.WithValue(ctx, preparedKey{}, true)
}

func prepared(ctx context.Context) bool {
	on, _ := ctx.Value(preparedKey{}).(bool)
	return on
}

// preparingConnector makes connections that keep statements prepared.
type preparingConnector struct{ driver.Connector }

func (c preparingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &preparingConn{conn: conn, stmts: map[string]driver.Stmt{}}, nil
}

// preparingConn is a driver connection (lib/pq's) that runs the statements
// of a marked context through statements it prepared on itself. A
// connection is used by one goroutine at a time, so stmts needs no lock.
type preparingConn struct {
	conn  driver.Conn
	stmts map[string]driver.Stmt
}

// stmt returns query prepared on c.
func (c *preparingConn) stmt(ctx context.Context, query string) (driver.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	for text, st := range c.stmts { // a map's order is unspecified; in practice random
		if len(c.stmts) < maxPrepared {
			break
		}
		delete(c.stmts, text)
		if err := st.Close(); err != nil {
			return nil, err
		}
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *preparingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if prepared(ctx) {
		st, err := c.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		switch st := st.(type) {
		case driver.StmtQueryContext:
			return st.QueryContext(ctx, args)
		case driver.Stmt:
			return st.Query(values(args)) // a statement without the context methods
		}
	}
	if q, ok := c.conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip // database/sql prepares it then
}

func (c *preparingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if prepared(ctx) {
		st, err := c.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		switch st := st.(type) {
		case driver.StmtExecContext:
			return st.ExecContext(ctx, args)
		case driver.Stmt:
			return st.Exec(values(args)) // a statement without the context methods
		}
	}
	if e, ok := c.conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

// The rest is the connection underneath as it is (lib/pq's, or a test's
// wrapper of it). Closing the connection ends its session, and the
// statements with it.

func (c *preparingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }
func (c *preparingConn) Close() error                              { return c.conn.Close() }
func (c *preparingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *preparingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.conn.Prepare(query)
}

func (c *preparingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.conn.Begin()
}

func (c *preparingConn) Ping(ctx context.Context) error {
	if p, ok := c.conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *preparingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *preparingConn) IsValid() bool {
	if v, ok := c.conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *preparingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func values(args []driver.NamedValue) []driver.Value {
	v := make([]driver.Value, len(args))
	for i, a := range args {
		v[i] = a.Value
	}
	return v
}
