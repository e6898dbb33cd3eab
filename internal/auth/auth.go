// Package auth is who may see and do what: accounts with a role, the API
// tokens they call with, and the scope each role reads and writes in. The
// scope is applied where data is read, in each domain package's SQL, from
// the Principal that the HTTP edge puts in the request's context.
package auth

import (
	"context"
	"errors"
)

// Role is what an account may do.
type Role string

// The roles.
const (
	Admin    Role = "ADMIN"    // everything
	Operator Role = "OPERATOR" // read and write within one organization's subtree
	Auditor  Role = "AUDITOR"  // read everything, write nothing
	Partner  Role = "PARTNER"  // read its own partner record and what it gave
)

// ErrForbidden reports a call the caller's role may not make at all.
var ErrForbidden = errors.New("forbidden")

// Principal is the caller of a request.
type Principal struct {
	AccountID      string
	AccountName    string
	TokenName      string
	Role           Role
	OrganizationID *string // operators: the root of their subtree
	SubtreePath    string  // operators: its path, for SQL
	PartnerID      *string // partners
}

// Name is how the audit trail names the caller: account and token.
func (p Principal) Name() string { return p.AccountName + "/" + p.TokenName }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the caller in ctx. Without one the caller is the system
// itself (the command line, the demo loader), which may do everything: the
// HTTP edge refuses every request that has no principal before it gets here.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Subtree returns, for SQL, the organization path the caller is confined
// to: an operator's subtree, or nil for everyone else.
func Subtree(ctx context.Context) any {
	if p, ok := From(ctx); ok && p.Role == Operator {
		return p.SubtreePath
	}
	return nil
}

// OwnPartner returns, for SQL, the partner a partner account is confined
// to, or nil for everyone else.
func OwnPartner(ctx context.Context) any {
	if p, ok := From(ctx); ok && p.Role == Partner && p.PartnerID != nil {
		return *p.PartnerID
	}
	return nil
}

// IsPartner reports whether the caller is a partner account, which sees
// only its own gifts and nothing of the councils' other records.
func IsPartner(ctx context.Context) bool {
	p, ok := From(ctx)
	return ok && p.Role == Partner
}

// CanWrite returns ErrForbidden for roles that never write.
func CanWrite(ctx context.Context) error {
	if p, ok := From(ctx); ok && p.Role != Admin && p.Role != Operator {
		return ErrForbidden
	}
	return nil
}

// RequireRole returns ErrForbidden unless the caller has one of roles (the
// system caller has them all).
func RequireRole(ctx context.Context, roles ...Role) error {
	p, ok := From(ctx)
	if !ok {
		return nil
	}
	for _, r := range roles {
		if p.Role == r {
			return nil
		}
	}
	return ErrForbidden
}
