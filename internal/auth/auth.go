// Package auth is who may see and do what: accounts with a role, the API
// tokens they call with, and the Scope each caller reads and writes in.
//
// Every store read and write takes a Scope as an argument, so a query that
// forgets the caller does not compile; the Scope's SQL conditions are the
// only way a store confines rows to a caller. The zero Scope, and the scope
// of a request without a principal, sees and does nothing.
package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/sinergi-id/sinergi/internal/postgres"
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
func (p Principal) Name() string {
	if p.TokenName == "" {
		return p.AccountName
	}
	return p.AccountName + "/" + p.TokenName
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p; the HTTP edge calls it once it has
// checked the request's token.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the caller in ctx, if the HTTP edge put one there.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// reach is how far a scope sees.
type reach int

const (
	nothing    reach = iota // the zero Scope: no caller
	everything              // admin, auditor, the system
	subtree                 // an operator: its organization's subtree
	ownPartner              // a partner account: its own gifts
)

// Scope is what one caller may read and write. Make one with ScopeOf,
// FromContext or System; the zero Scope sees nothing and writes nothing.
type Scope struct {
	p     Principal
	reach reach
	write bool
}

// ScopeOf returns the scope of p. A principal whose role is unknown, an
// operator without a subtree and a partner account without a partner get
// the zero Scope.
func ScopeOf(p Principal) Scope {
	switch {
	case p.Role == Admin:
		return Scope{p: p, reach: everything, write: true}
	case p.Role == Auditor:
		return Scope{p: p, reach: everything}
	case p.Role == Operator && p.SubtreePath != "":
		return Scope{p: p, reach: subtree, write: true}
	case p.Role == Partner && p.PartnerID != nil && *p.PartnerID != "":
		return Scope{p: p, reach: ownPartner}
	}
	return Scope{}
}

// FromContext returns the scope of the principal in ctx, or the zero Scope
// when there is none.
func FromContext(ctx context.Context) Scope {
	p, ok := From(ctx)
	if !ok {
		return Scope{}
	}
	return ScopeOf(p)
}

// System is the scope of the command line and the demo loader, which act
// for the council's administrator on the machine itself; the audit trail
// names them by name.
func System(name string) Scope {
	return Scope{p: Principal{AccountName: name, Role: Admin}, reach: everything, write: true}
}

// Principal returns the caller the scope belongs to.
func (s Scope) Principal() Principal { return s.p }

// Valid reports whether the scope belongs to a caller at all.
func (s Scope) Valid() bool { return s.reach != nothing }

// CanWrite returns ErrForbidden unless the caller may write.
func (s Scope) CanWrite() error {
	if !s.write {
		return ErrForbidden
	}
	return nil
}

// Require returns ErrForbidden unless the caller has one of roles.
func (s Scope) Require(roles ...Role) error {
	if s.reach == nothing {
		return ErrForbidden
	}
	for _, r := range roles {
		if s.p.Role == r {
			return nil
		}
	}
	return ErrForbidden
}

// IsPartner reports whether the caller is a partner account, which sees
// only its own gifts and nothing of the councils' other records.
func (s Scope) IsPartner() bool { return s.reach == ownPartner }

// Reaches reports whether the caller may write at the organization with
// the given tree path: everywhere for an admin, its subtree for an
// operator, nowhere for the others.
func (s Scope) Reaches(path string) bool {
	return s.write && s.Sees(path)
}

// Sees reports whether the caller reads records kept at the organization
// with the given tree path: everywhere for admins and auditors, its subtree
// for an operator, and for a partner account its own gifts wherever they
// went. A report or a filter on an organization the caller does not see is
// refused rather than answered with a part passed off as the whole.
func (s Scope) Sees(path string) bool {
	switch s.reach {
	case everything, ownPartner:
		return true
	case subtree:
		return path == s.p.SubtreePath || strings.HasPrefix(path, s.p.SubtreePath+".")
	}
	return false
}

// SeesPath is Sees in SQL: the condition that the tree path the SQL
// expression path names is one the caller reads records under.
func (s Scope) SeesPath(a *postgres.Args, path string) string {
	switch s.reach {
	case everything, ownPartner:
		return "TRUE"
	case subtree:
		return "(" + path + " <@ " + a.Add(s.p.SubtreePath) + "::ltree)"
	}
	return "FALSE"
}

// Tree is the SQL condition for reading the council tree: names, codes,
// kinds and parents are visible to every signed-in caller.
func (s Scope) Tree(_ *postgres.Args) string {
	if s.reach == nothing {
		return "FALSE"
	}
	return "TRUE"
}

// Council is the SQL condition for records a council keeps for itself
// (aid outputs, targets, meetings), whose organization's tree path is the
// SQL expression path: an operator's subtree; nothing for a partner.
func (s Scope) Council(a *postgres.Args, path string) string {
	switch s.reach {
	case everything:
		return "TRUE"
	case subtree:
		return "(" + path + " <@ " + a.Add(s.p.SubtreePath) + "::ltree)"
	}
	return "FALSE"
}

// Outputs is the SQL condition for aid outputs, whose id is the SQL
// expression id and whose organization's path is path: a council's records
// (an operator's subtree), and for a partner account the outputs its own
// gifts fund, net of released allocations.
func (s Scope) Outputs(a *postgres.Args, path, id string) string {
	if s.reach != ownPartner {
		return s.Council(a, path)
	}
	return `EXISTS (SELECT 1 FROM allocations fx JOIN donations fd ON fd.id = fx.donation_id
		WHERE fx.aid_output_id = ` + id + ` AND fd.partner_id = ` + a.Add(*s.p.PartnerID) + `::uuid
		GROUP BY fx.aid_output_id HAVING SUM(fx.amount) > 0)`
}

// Gifts is the SQL condition for what givers are told about: donations,
// donation boxes and their collections, owned by the organization whose
// path is the SQL expression path and given or hosted by the partner whose
// id is the SQL expression partner. An operator sees its subtree, a partner
// its own.
func (s Scope) Gifts(a *postgres.Args, path, partner string) string {
	switch s.reach {
	case everything:
		return "TRUE"
	case subtree:
		return "(" + path + " <@ " + a.Add(s.p.SubtreePath) + "::ltree)"
	case ownPartner:
		return "(" + partner + " = " + a.Add(*s.p.PartnerID) + "::uuid)"
	}
	return "FALSE"
}

// Permits is the SQL condition for reading public fundraising permits,
// whose id is the SQL expression id and whose organiser's path is path:
// everything for admins and auditors; for an operator the permits of its
// subtree and of the councils above it (a province's permit covers the
// regencies' boxes); for a partner account the permits its hosted boxes
// or its own gifts were collected under.
func (s Scope) Permits(a *postgres.Args, path, id string) string {
	switch s.reach {
	case everything:
		return "TRUE"
	case subtree:
		sub := a.Add(s.p.SubtreePath)
		return "(" + path + " <@ " + sub + "::ltree OR " + path + " @> " + sub + "::ltree)"
	case ownPartner:
		partner := a.Add(*s.p.PartnerID)
		return `(EXISTS (SELECT 1 FROM box_permits pb JOIN donation_boxes pbx ON pbx.id = pb.box_id
			WHERE pb.permit_id = ` + id + ` AND pbx.host_partner_id = ` + partner + `::uuid)
		OR EXISTS (SELECT 1 FROM donations pd WHERE pd.permit_id = ` + id + ` AND pd.partner_id = ` + partner + `::uuid))`
	}
	return "FALSE"
}

// Partners is the SQL condition for reading partner records, whose id is
// the SQL expression id: all of them for the councils' staff, its own for
// a partner account.
func (s Scope) Partners(a *postgres.Args, id string) string {
	switch s.reach {
	case everything, subtree:
		return "TRUE"
	case ownPartner:
		return "(" + id + " = " + a.Add(*s.p.PartnerID) + "::uuid)"
	}
	return "FALSE"
}

// Catalogue is the SQL condition for reading shared reference data (the
// aid types): every signed-in caller.
func (s Scope) Catalogue(_ *postgres.Args) string { return s.Tree(nil) }

// Audit is the SQL condition for reading the audit trail: admins and
// auditors only.
func (s Scope) Audit(_ *postgres.Args) string {
	if s.reach == everything {
		return "TRUE"
	}
	return "FALSE"
}
