package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/nik"
)

// CheckKey refuses a key other than the one the stored NIKs are sealed
// with, so that a server started with the wrong key says so at start
// instead of failing on the first request it shows.
func CheckKey(ctx context.Context, db *sqlx.DB, key *nik.Key) error {
	var ids []string
	if err := db.SelectContext(ctx, &ids, `SELECT DISTINCT nik_key_id FROM aid_requests WHERE nik_key_id IS NOT NULL ORDER BY 1`); err != nil {
		return fmt.Errorf("check NIK key: %w", err)
	}
	for _, id := range ids {
		if id != key.ID() {
			return fmt.Errorf("the stored NIKs are sealed with key %s, and this server was given key %s: "+
				"give it the key they were sealed with (or re-seal them: sinergi nik rotate)", strings.Join(ids, ", "), key.ID())
		}
	}
	return nil
}

// RotateKey re-seals and re-hashes every stored NIK under next, in one
// transaction: all of them or, on any failure, none. The audit trail
// records the rotation (key ids and count), never a NIK.
func RotateKey(ctx context.Context, db *sqlx.DB, sc auth.Scope, current, next *nik.Key) (int, error) {
	if err := sc.Require(auth.Admin); err != nil {
		return 0, err
	}
	n := 0
	err := change.Batch(ctx, db, sc, nil, func(tx *change.Tx) error {
		n = 0
		var rows []struct {
			ID     string `db:"id"`
			Sealed []byte `db:"nik_sealed"`
			KeyID  string `db:"nik_key_id"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT id, nik_sealed, nik_key_id FROM aid_requests WHERE nik_sealed IS NOT NULL FOR UPDATE`); err != nil {
			return fmt.Errorf("read sealed NIKs: %w", err)
		}
		for _, r := range rows {
			if r.KeyID == next.ID() {
				continue // already under the new key: a rerun after a crash does what is left
			}
			if r.KeyID != current.ID() {
				return fmt.Errorf("request %s is sealed with key %s, neither the current (%s) nor the new one", r.ID, r.KeyID, current.ID())
			}
			whole, err := current.Open(r.Sealed)
			if err != nil {
				return fmt.Errorf("request %s: %w", r.ID, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE aid_requests SET nik_sealed = $2, nik_hash = $3, nik_key_id = $4 WHERE id = $1`,
				r.ID, next.Seal(whole), next.Hash(whole), next.ID()); err != nil {
				return fmt.Errorf("re-seal NIK of request %s: %w", r.ID, err)
			}
			n++
		}
		return tx.Audit(ctx, "rotate", "nik_key", uuid.NewString(), map[string]any{"keyId": current.ID()}, map[string]any{"keyId": next.ID(), "resealed": n})
	})
	if err != nil {
		return 0, fmt.Errorf("rotate NIK key: %w", err)
	}
	return n, nil
}
