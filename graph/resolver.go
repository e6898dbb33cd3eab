package graph

import (
	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
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
}
