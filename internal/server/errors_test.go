package server_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/sinergi-id/sinergi/graph"
)

// TestInternalErrorsAreMasked breaks the database under the server and
// checks that the client gets a generic message with a request id, and no
// table, column or driver detail.
func TestInternalErrorsAreMasked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.db.Exec(`ALTER TABLE partners RENAME TO partners_moved`); err != nil {
		t.Fatal(err)
	}
	r := e.post(`{ partners { totalCount edges { node { name } } } }`, nil)
	if len(r.Errors) == 0 {
		t.Fatal("no error from a missing table")
	}
	got := r.Errors[0]
	id, _ := got.Extensions["requestId"].(string)
	if got.Extensions["code"] != "INTERNAL_SERVER_ERROR" || id == "" || !strings.Contains(got.Message, id) {
		t.Errorf("got %+v; want INTERNAL_SERVER_ERROR quoting its request id", got)
	}
	for _, leak := range []string{"partners", "relation", "pq:", "SELECT", "42P01"} {
		if strings.Contains(got.Message, leak) {
			t.Errorf("message %q leaks %q", got.Message, leak)
		}
	}
}

// TestClientCancellationIsNotAServerFault presents what the driver reports
// when a client disconnects mid-request: it is logged as a cancellation at
// info level, not as an internal error.
func TestClientCancellationIsNotAServerFault(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	present := graph.ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	for _, err := range []error{driver.ErrBadConn, errors.New("sql: transaction has already been committed or rolled back")} {
		if got := present(ctx, err); got.Extensions["code"] == "CANCELLED" {
			t.Errorf("%v before the client left: answered as a cancellation", err)
		}
	}
	logs.Reset()
	cancel()
	for _, err := range []error{driver.ErrBadConn, errors.New("sql: transaction has already been committed or rolled back")} {
		if got := present(ctx, err); got.Extensions["code"] != "CANCELLED" {
			t.Errorf("%v after the client left: %+v", err, got)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "cancelled by the client") {
		t.Errorf("logs:\n%s", logs.String())
	}
}
