// Package idempotency makes a retried create safe: a client sends a key with
// its write, and the same key with the same input gives back the first
// result instead of writing again.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
)

// MaxKeyLength is the longest key accepted.
const MaxKeyLength = 200

// Claim reserves key for operation with input inside tx. It returns the id
// of the earlier result when the key was already used with the same
// operation and input, "" when the caller should go on and write (then run
// Completion's statement in the same transaction), and a refused-field
// error when the key was used for something else. An empty key claims
// nothing.
//
// A concurrent claim of the same key waits on the primary key until the
// first transaction ends, so two racing requests never both write.
func Claim(ctx context.Context, tx *sqlx.Tx, sc auth.Scope, key, operation string, input any) (string, error) {
	if key == "" {
		return "", nil
	}
	var v fault.InvalidInput
	v.Text("input.idempotencyKey", key, false, MaxKeyLength)
	if err := v.Err(); err != nil {
		return "", err
	}
	key = accountKey(sc, key)
	body, err := json.Marshal(input)
	if err != nil {
		return "", fmt.Errorf("hash request: %w", err)
	}
	hash := sha256.Sum256(append([]byte(operation+"\x00"), body...))

	res, err := tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (key, operation, request_hash)
		VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, operation, hash[:])
	if err != nil {
		return "", fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return "", nil
	}
	var prior struct {
		Operation   string         `db:"operation"`
		RequestHash []byte         `db:"request_hash"`
		ResultID    sql.NullString `db:"result_id"`
	}
	err = tx.GetContext(ctx, &prior, `
		SELECT operation, request_hash, result_id FROM idempotency_keys WHERE key = $1`, key)
	if err != nil {
		return "", fmt.Errorf("read idempotency key: %w", err)
	}
	if prior.Operation != operation || !bytes.Equal(prior.RequestHash, hash[:]) || !prior.ResultID.Valid {
		return "", fault.Refuse("input.idempotencyKey", fault.Duplicate,
			"this idempotency key was already used for a different request")
	}
	return prior.ResultID.String, nil
}

// Completion is the statement that records the id the write under key
// produced, to send with another one in the same transaction: its text,
// with placeholders numbered from first, and its arguments; "" for no key.
func Completion(sc auth.Scope, key, id string, first int) (string, []any) {
	if key == "" {
		return "", nil
	}
	return fmt.Sprintf(`UPDATE idempotency_keys SET result_id = $%d WHERE key = $%d`, first, first+1), []any{id, accountKey(sc, key)}
}

// accountKey makes keys per account: one caller's key never answers
// another's. The command line's keys have no account.
func accountKey(sc auth.Scope, key string) string {
	if id := sc.Principal().AccountID; id != "" {
		return id + ":" + key
	}
	return key
}
