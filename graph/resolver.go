package graph

import (
	"context"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/imports"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/receipt"
	"github.com/sinergi-id/sinergi/internal/request"
)

// Resolver holds the domain stores the resolvers call, and nothing else.
type Resolver struct {
	OrganizationStore *organization.Store
	PartnerStore      *partner.Store
	DonationStore     *donation.Store
	BoxStore          *box.Store
	AidStore          *aid.Store
	ProgrammeStore    *programme.Store
	MeetingStore      *meeting.Store
	AuditStore        *audit.Store
	FundStore         *fund.Store
	ReceiptStore      *receipt.Store
	RequestStore      *request.Store
	ImportJobs        *imports.JobStore
	PermitStore       *permit.Store

	// Reads, when set, answers the stores that reports read: those over a
	// read replica while it is fit, else these. It is asked once per
	// request, so one answer never mixes the two.
	Reads func() *Resolver
}

// reads returns the stores this request's reports read.
func (r *Resolver) reads(ctx context.Context) *Resolver {
	return r.loaders(ctx).reads()
}

// ReadStores returns the stores reports and workbooks read, asking Reads.
func (r *Resolver) ReadStores() *Resolver {
	if r.Reads == nil {
		return r
	}
	return r.Reads()
}

// organizationByIDOrCode answers organization(id:, code:): exactly one of
// the two names it.
// byIDOr answers a query for one record by its id or by another reference
// (its code, its name), one of the two; not found is null.
func byIDOr[T any](ctx context.Context, what, other string, id, ref *string,
	byID, byRef func(context.Context, auth.Scope, string) (T, error)) (*T, error) {
	switch {
	case (id == nil) == (ref == nil):
		return nil, fault.Refuse("id", fault.Invalid, "give the "+what+"'s id or its "+other+", one of the two")
	case ref != nil:
		return orNull(byRef(ctx, scope(ctx), *ref))
	}
	return orNull(byID(ctx, scope(ctx), *id))
}

func (r *Resolver) organizationByIDOrCode(ctx context.Context, id, code *string) (*organization.Organization, error) {
	return byIDOr(ctx, "organization", "code", id, code, r.OrganizationStore.Organization, r.OrganizationStore.ByCodeAnyCase)
}
