package server_test

import (
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
	"testing"
)

// BenchmarkDonationPage is the list resolver end to end over HTTP: a page
// of 50 donations with organization, its parent and partner, as a
// dashboard asks for it (demo data; the national figures are in
// docs/PERFORMANCE.md, from cmd/sinergi-load).
func BenchmarkDonationPage(b *testing.B) {
	e := newEnvOn(b, pgtest.DB(b))
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	const q = `query($o: ID!) { donations(first: 50, filter: {organizationId: $o}) { edges { node {
		id receivedOn amount source organization { name parent { name } } partner { name } } } } }`
	vars := map[string]any{"o": bali}
	for b.Loop() {
		if r := e.post(q, vars); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}
