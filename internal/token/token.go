// Package token keeps accounts and their API tokens: made with a role and
// scope, shown once, stored only as a hash, revocable, and resolved to the
// caller (auth.Principal) on each request.
package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// ErrUnauthenticated reports a missing, unknown, revoked or expired token.
var ErrUnauthenticated = errors.New("missing or invalid API token")

// tokenPrefix marks Sinergi tokens, so a leaked one is recognisable.
const tokenPrefix = "sng_"

// Token is an API token as listed; the secret itself is never kept.
type Token struct {
	ID               string     `db:"id" json:"id"`
	Name             string     `db:"name" json:"name"`
	AccountID        string     `db:"account_id" json:"accountId"`
	AccountName      string     `db:"account_name" json:"account"`
	Role             auth.Role  `db:"role" json:"role"`
	OrganizationCode *string    `db:"organization_code" json:"organization,omitempty"`
	PartnerName      *string    `db:"partner_name" json:"partner,omitempty"`
	ExpiresAt        *time.Time `db:"expires_at" json:"expiresAt,omitempty"`
	LastUsedAt       *time.Time `db:"last_used_at" json:"lastUsedAt,omitempty"`
	RevokedAt        *time.Time `db:"revoked_at" json:"revokedAt,omitempty"`
	CreatedAt        time.Time  `db:"created_at" json:"createdAt"`
}

const tokenColumns = `t.id, t.name, t.account_id, a.name AS account_name, a.role, o.code AS organization_code,
	p.name AS partner_name, t.expires_at, t.last_used_at, t.revoked_at, t.created_at`

const tokenFrom = `api_tokens t JOIN accounts a ON a.id = t.account_id
	LEFT JOIN organizations o ON o.id = a.organization_id LEFT JOIN partners p ON p.id = a.partner_id`

// Store keeps accounts and tokens.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// NewToken is the input for CreateToken. The account is made on first use
// with the role and scope given; later tokens for it must repeat them.
type NewToken struct {
	Account        string
	Role           auth.Role
	OrganizationID *string // operators
	PartnerID      *string // partners
	Name           string
	ExpiresAt      *time.Time
}

func (in NewToken) validate() error {
	var v fault.InvalidInput
	v.Text("account", in.Account, true, 200)
	v.Text("name", in.Name, true, 200)
	switch in.Role {
	case auth.Admin, auth.Auditor:
		if in.OrganizationID != nil || in.PartnerID != nil {
			v.Add("role", fault.Invalid, fmt.Sprintf("an %s account is not bound to an organization or a partner", in.Role))
		}
	case auth.Operator:
		if in.OrganizationID == nil || in.PartnerID != nil {
			v.Add("organization", fault.Required, "an operator account is bound to one organization (and no partner)")
		}
	case auth.Partner:
		if in.PartnerID == nil || in.OrganizationID != nil {
			v.Add("partner", fault.Required, "a partner account is bound to one partner (and no organization)")
		}
	default:
		v.Add("role", fault.Invalid, "must be ADMIN, OPERATOR, AUDITOR or PARTNER")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		v.Add("expires", fault.Invalid, "must be in the future")
	}
	return v.Err()
}

// CreateToken makes a token and returns its secret, which is shown once and
// kept only as a hash.
func (s *Store) CreateToken(ctx context.Context, sc auth.Scope, in NewToken) (string, Token, error) {
	if err := sc.Require(auth.Admin); err != nil {
		return "", Token{}, err
	}
	if err := in.validate(); err != nil {
		return "", Token{}, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, fmt.Errorf("make token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	hash := sha256.Sum256([]byte(secret))
	w := change.Write{Mutation: "createToken", Action: "create", Entity: "api_token"}
	tok, err := change.Do(ctx, s.db, sc, w, getToken, func(tx *change.Tx) (change.Applied, error) {
		var acc struct {
			ID             string    `db:"id"`
			Role           auth.Role `db:"role"`
			OrganizationID *string   `db:"organization_id"`
			PartnerID      *string   `db:"partner_id"`
		}
		err := tx.GetContext(ctx, &acc, `SELECT id, role, organization_id, partner_id FROM accounts WHERE name = $1`, in.Account)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.GetContext(ctx, &acc.ID, `
				INSERT INTO accounts (name, role, organization_id, partner_id) VALUES ($1, $2, $3, $4) RETURNING id`,
				in.Account, in.Role, in.OrganizationID, in.PartnerID)
			if c, ok := postgres.Violation(err); ok && strings.HasPrefix(c, "accounts_") {
				return change.Applied{}, fault.Refuse("account", fault.Unknown, "no such organization or partner")
			}
			if err != nil {
				return change.Applied{}, fmt.Errorf("create account: %w", err)
			}
			if err := tx.Audit(ctx, "create", "account", acc.ID, nil, map[string]any{
				"name": in.Account, "role": in.Role, "organizationId": in.OrganizationID, "partnerId": in.PartnerID}); err != nil {
				return change.Applied{}, err
			}
		case err != nil:
			return change.Applied{}, fmt.Errorf("find account: %w", err)
		case acc.Role != in.Role || !same(acc.OrganizationID, in.OrganizationID) || !same(acc.PartnerID, in.PartnerID):
			return change.Applied{}, fault.Refuse("account", fault.Invalid, fmt.Sprintf("account %q exists with another role or scope (%s)", in.Account, acc.Role))
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO api_tokens (account_id, name, token_hash, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			acc.ID, in.Name, hash[:], in.ExpiresAt)
		if c, ok := postgres.Violation(err); ok && c == "api_tokens_name_key" {
			return change.Applied{}, fault.Refuse("name", fault.Duplicate, "this account already has a token with this name")
		}
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert token: %w", err)
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", in.Name, err)
	}
	return secret, tok, nil
}

func same(a, b *string) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

// getToken reads token id: admins and auditors see the tokens.
func getToken(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Token, error) {
	args := postgres.Args{id}
	query := `SELECT ` + tokenColumns + ` FROM ` + tokenFrom + ` WHERE t.id = $1 AND ` + sc.Audit(&args)
	return postgres.ByID[Token](ctx, q, "token", query, id, args[1:]...)
}

// Tokens lists every token, newest first: admins and auditors see them.
func (s *Store) Tokens(ctx context.Context, sc auth.Scope) ([]Token, error) {
	var args postgres.Args
	query := `SELECT ` + tokenColumns + ` FROM ` + tokenFrom + ` WHERE ` + sc.Audit(&args) + ` ORDER BY t.created_at DESC, t.id`
	var out []Token
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// Revoke ends token id at once: an admin's act.
func (s *Store) Revoke(ctx context.Context, sc auth.Scope, id string) (Token, error) {
	if err := sc.Require(auth.Admin); err != nil {
		return Token{}, err
	}
	w := change.Write{Mutation: "revokeToken", Action: "revoke", Entity: "api_token"}
	tok, err := change.Do(ctx, s.db, sc, w, getToken, func(tx *change.Tx) (change.Applied, error) {
		before, err := postgres.ByID[Token](ctx, tx, "token", `SELECT `+tokenColumns+` FROM `+tokenFrom+` WHERE t.id = $1 FOR UPDATE OF t`, id)
		if err != nil {
			return change.Applied{}, err
		}
		if before.RevokedAt != nil {
			return change.Applied{}, fault.Refuse("id", fault.Invalid, "the token was already revoked")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, id); err != nil {
			return change.Applied{}, fmt.Errorf("revoke: %w", err)
		}
		// Every server's token cache drops it when this commits.
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, RevokedChannel, id); err != nil {
			return change.Applied{}, fmt.Errorf("announce revocation: %w", err)
		}
		return change.Applied{ID: id, Before: before}, nil
	})
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %s: %w", id, err)
	}
	return tok, nil
}

// Authenticate returns the principal of a token, or ErrUnauthenticated.
func (s *Store) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	p, _, err := s.authenticate(ctx, secret)
	return p, err
}

// verified is what a cache keeps of a token besides its principal.
type verified struct {
	tokenID   string
	expiresAt *time.Time
}

func (s *Store) authenticate(ctx context.Context, secret string) (auth.Principal, verified, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return auth.Principal{}, verified{}, ErrUnauthenticated
	}
	hash := sha256.Sum256([]byte(secret))
	var row struct {
		TokenID        string     `db:"token_id"`
		TokenName      string     `db:"token_name"`
		AccountID      string     `db:"account_id"`
		AccountName    string     `db:"account_name"`
		Role           auth.Role  `db:"role"`
		OrganizationID *string    `db:"organization_id"`
		SubtreePath    *string    `db:"subtree_path"`
		PartnerID      *string    `db:"partner_id"`
		LastUsedAt     *time.Time `db:"last_used_at"`
		ExpiresAt      *time.Time `db:"expires_at"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT t.id AS token_id, t.name AS token_name, a.id AS account_id, a.name AS account_name, a.role,
			a.organization_id, o.path::text AS subtree_path, a.partner_id, t.last_used_at, t.expires_at
		FROM api_tokens t JOIN accounts a ON a.id = t.account_id LEFT JOIN organizations o ON o.id = a.organization_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`, hash[:])
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Principal{}, verified{}, ErrUnauthenticated
	}
	if err != nil {
		return auth.Principal{}, verified{}, fmt.Errorf("authenticate: %w", err)
	}
	// Last use is kept to the minute: one write a minute per token, not one
	// per request.
	if row.LastUsedAt == nil || time.Since(*row.LastUsedAt) > time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, row.TokenID); err != nil {
			return auth.Principal{}, verified{}, fmt.Errorf("note token use: %w", err)
		}
	}
	p := auth.Principal{AccountID: row.AccountID, AccountName: row.AccountName, TokenName: row.TokenName,
		Role: row.Role, OrganizationID: row.OrganizationID, PartnerID: row.PartnerID}
	if row.SubtreePath != nil {
		p.SubtreePath = *row.SubtreePath
	}
	return p, verified{tokenID: row.TokenID, expiresAt: row.ExpiresAt}, nil
}
