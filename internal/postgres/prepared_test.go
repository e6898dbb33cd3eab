package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// TestPreparedKeepsItsStatements: a text runs through one statement
// prepared on the connection, with its own arguments each time; a text
// past the limit runs unprepared, with the same answers.
func TestPreparedKeepsItsStatements(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	db.SetMaxOpenConns(1) // one connection: its prepared statements are what pg_prepared_statements shows
	p := postgres.NewPrepared(db, 1)
	const first, second = `SELECT generate_series(1, $1::int) AS n`, `SELECT generate_series($1::int, 3) AS n`
	for _, tc := range []struct {
		query string
		arg   int
		want  []int
	}{{first, 3, []int{1, 2, 3}}, {first, 2, []int{1, 2}}, {second, 2, []int{2, 3}}, {second, 3, []int{3}}} {
		rows, err := p.QueryContext(ctx, tc.query, tc.arg)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s with %d: %v, want %v", tc.query, tc.arg, got, tc.want)
		}
	}
	var prepared []string
	if err := db.Select(&prepared, `SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%generate_series%' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prepared, []string{first}) {
		t.Errorf("prepared on the connection: %q, want only the first text", prepared)
	}
}
