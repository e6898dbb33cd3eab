package server_test

import (
	"strings"
	"testing"
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
