package postgres_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// TestIdentifiersAreOrderedByTime checks that every table's identifier is a
// version-7 UUID carrying the time it was made, so that inserts append to
// the id indexes instead of touching a random page of each.
func TestIdentifiersAreOrderedByTime(t *testing.T) {
	db := pgtest.DB(t)

	var random []string
	if err := db.Select(&random, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = 'public' AND column_name = 'id' AND column_default LIKE 'gen_random_uuid%'`); err != nil {
		t.Fatal(err)
	}
	if len(random) > 0 {
		t.Errorf("tables still given random ids: %v", random)
	}

	before := time.Now().UnixMilli()
	var ids []uuid.UUID
	for range 3 {
		var id uuid.UUID
		if err := db.Get(&id, `SELECT uuid_v7()`); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		time.Sleep(2 * time.Millisecond)
	}
	after := time.Now().UnixMilli()
	for i, id := range ids {
		if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
			t.Errorf("id %s: version %d, variant %s; want version 7 of RFC 4122", id, id.Version(), id.Variant())
		}
		var ms [8]byte
		copy(ms[2:], id[:6])
		// The database's clock is this machine's; allow a little for rounding.
		if at := int64(binary.BigEndian.Uint64(ms[:])); at < before-1 || at > after+1 {
			t.Errorf("id %s carries %d ms, want between %d and %d", id, at, before, after)
		}
		if i > 0 && id.String() <= ids[i-1].String() {
			t.Errorf("id %s made after %s sorts before it", id, ids[i-1])
		}
	}

	// A row inserted without an id is given one of these.
	var version int
	if err := db.Get(&version, `INSERT INTO partners (kind, name) VALUES ('RETAIL', 'Mitra uji urutan')
		RETURNING get_byte(uuid_send(id), 6) >> 4`); err != nil {
		t.Fatal(err)
	}
	if version != 7 {
		t.Errorf("a new partner's id is version %d, want 7", version)
	}
}
