// Package model holds the GraphQL types that are not domain types: the
// connections around lists and the small shapes resolvers assemble.
package model

import (
	"maps"
	"slices"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/report"
	"github.com/sinergi-id/sinergi/internal/request"
)

// PageInfo tells whether more pages follow.
type PageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

// Edge is one item of a page with its cursor.
type Edge[T any] struct {
	Cursor string
	Node   T
}

// Earmark is a donation's restriction.
type Earmark struct {
	Programme *string
	AidTypeID *string
	RegencyID *string
}

// OrganizationConnection is a page of organizations.
type OrganizationConnection struct {
	Edges    []OrganizationEdge
	PageInfo PageInfo
	Count    func() (int, error)
}

// TotalCount counts every organization the filter matches.
func (c *OrganizationConnection) TotalCount() (int, error) { return c.Count() }

// OrganizationEdge is one organization of a page.
type OrganizationEdge = Edge[organization.Organization]

// PartnerConnection is a page of partners.
type PartnerConnection struct {
	Edges    []PartnerEdge
	PageInfo PageInfo
	Count    func() (int, error)
}

// TotalCount counts every partner the filter matches.
func (c *PartnerConnection) TotalCount() (int, error) { return c.Count() }

// PartnerEdge is one partner of a page.
type PartnerEdge = Edge[partner.Partner]

// DonationConnection is a page of the donation ledger.
type DonationConnection struct {
	Edges    []DonationEdge
	PageInfo PageInfo
	Totals   func() (donation.Totals, error)
}

// TotalCount counts every entry the filter matches.
func (c *DonationConnection) TotalCount() (int, error) {
	t, err := c.Totals()
	return t.Count, err
}

// Sum adds up every entry the filter matches.
func (c *DonationConnection) Sum() (money.Rupiah, error) {
	t, err := c.Totals()
	return t.Amount, err
}

// DonationEdge is one ledger entry of a page.
type DonationEdge = Edge[donation.Donation]

// DonationBoxConnection is a page of boxes.
type DonationBoxConnection struct {
	Edges    []DonationBoxEdge
	PageInfo PageInfo
	Count    func() (int, error)
}

// TotalCount counts every box the filter matches.
func (c *DonationBoxConnection) TotalCount() (int, error) { return c.Count() }

// DonationBoxEdge is one box of a page.
type DonationBoxEdge = Edge[box.Box]

// PermitConnection is a page of public fundraising permits.
type PermitConnection struct {
	Edges    []PermitEdge
	PageInfo PageInfo
	Count    func() (int, error)
}

// TotalCount counts every permit the filter matches.
func (c *PermitConnection) TotalCount() (int, error) { return c.Count() }

// PermitEdge is one permit of a page.
type PermitEdge = Edge[permit.Permit]

// BoxCollectionConnection is a page of box collections.
type BoxCollectionConnection struct {
	Edges    []BoxCollectionEdge
	PageInfo PageInfo
	Totals   func() (box.CollectionTotals, error)
}

// TotalCount counts every collection the filter matches.
func (c *BoxCollectionConnection) TotalCount() (int, error) {
	t, err := c.Totals()
	return t.Count, err
}

// Sum adds up every collection the filter matches.
func (c *BoxCollectionConnection) Sum() (money.Rupiah, error) {
	t, err := c.Totals()
	return t.Amount, err
}

// BoxCollectionEdge is one collection of a page.
type BoxCollectionEdge = Edge[box.Collection]

// AidOutputConnection is a page of aid outputs.
type AidOutputConnection struct {
	Edges    []AidOutputEdge
	PageInfo PageInfo
	Totals   func() (aid.OutputTotals, error)
	ByType   func() ([]AidTypeTotal, error)
}

// TotalCount counts every output the filter matches.
func (c *AidOutputConnection) TotalCount() (int, error) {
	t, err := c.Totals()
	return t.Count, err
}

// TotalQuantity adds up the quantity of every output the filter matches.
func (c *AidOutputConnection) TotalQuantity() (int64, error) {
	t, err := c.Totals()
	return t.Quantity, err
}

// TotalCost adds up the cost of every output the filter matches.
func (c *AidOutputConnection) TotalCost() (money.Rupiah, error) {
	t, err := c.Totals()
	return t.Cost, err
}

// ByAidType sums the matching outputs per aid type.
func (c *AidOutputConnection) ByAidType() ([]AidTypeTotal, error) { return c.ByType() }

// UnitQuantity is a quantity of aid in one unit.
type UnitQuantity struct {
	Unit     string
	Quantity int64
}

// QuantityByUnit sums the matching outputs' quantities per unit, from the
// same sums as ByAidType (so the two always agree), units in order.
func (c *AidOutputConnection) QuantityByUnit() ([]UnitQuantity, error) {
	types, err := c.ByType()
	if err != nil {
		return nil, err
	}
	sums := map[string]int64{}
	for _, t := range types {
		sums[t.AidType.Unit] += t.Quantity
	}
	out := make([]UnitQuantity, 0, len(sums))
	for _, unit := range slices.Sorted(maps.Keys(sums)) {
		out = append(out, UnitQuantity{Unit: unit, Quantity: sums[unit]})
	}
	return out, nil
}

// AidOutputEdge is one output of a page.
type AidOutputEdge = Edge[aid.Output]

// ProgrammeTargetConnection is a page of programme targets.
type ProgrammeTargetConnection struct {
	Edges    []ProgrammeTargetEdge
	PageInfo PageInfo
	Count    func() (int, error)
}

// TotalCount counts every target the filter matches.
func (c *ProgrammeTargetConnection) TotalCount() (int, error) { return c.Count() }

// ProgrammeTargetEdge is one target of a page.
type ProgrammeTargetEdge = Edge[programme.Target]

// WorkMeetingConnection is a page of work meetings.
type WorkMeetingConnection struct {
	Edges    []WorkMeetingEdge
	PageInfo PageInfo
}

// WorkMeetingEdge is one meeting of a page.
type WorkMeetingEdge = Edge[meeting.Meeting]

// Viewer is the caller of a request.
type Viewer struct {
	Account        string
	Token          string
	Role           auth.Role
	OrganizationID *string
	PartnerID      *string
}

// AuditEntryConnection is a page of the audit trail.
type AuditEntryConnection struct {
	Edges    []AuditEntryEdge
	PageInfo PageInfo
	Count    func() (int, error)
}

// TotalCount counts every entry the filter matches.
func (c *AuditEntryConnection) TotalCount() (int, error) { return c.Count() }

// AuditEntryEdge is one entry of a page.
type AuditEntryEdge = Edge[audit.Entry]

// BoxReport is the donation-box part of a report; its openings, total and
// average share one query.
type BoxReport struct {
	Spec   report.Spec
	Totals func() (box.CollectionTotals, error)
}

// AllocationConnection is a page of allocations.
type AllocationConnection struct {
	Edges    []AllocationEdge
	PageInfo PageInfo
	Totals   func() (fund.Totals, error)
}

// TotalCount counts every allocation the filter matches.
func (c *AllocationConnection) TotalCount() (int, error) {
	t, err := c.Totals()
	return t.Count, err
}

// Sum adds up every allocation the filter matches, releases netted.
func (c *AllocationConnection) Sum() (money.Rupiah, error) {
	t, err := c.Totals()
	return t.Amount, err
}

// AllocationEdge is one allocation of a page.
type AllocationEdge = Edge[fund.Allocation]

// AidRequestConnection is a page of aid requests.
type AidRequestConnection struct {
	Edges    []AidRequestEdge
	PageInfo PageInfo
	Count    func() (int, error)
}

// TotalCount counts every request the filter matches.
func (c *AidRequestConnection) TotalCount() (int, error) { return c.Count() }

// AidRequestEdge is one request of a page.
type AidRequestEdge = Edge[request.Request]

// The rows of a report's tables carry what they name (an aid type, a
// regency) already loaded: their resolver loads the names of every row in
// one batch, and each row then marshals without a resolver of its own —
// gqlgen runs every resolved field of every row in a goroutine, which on a
// dashboard of a few hundred rows cost more CPU than its SQL.

// AidTypeTotal is outputs summed for one aid type.
type AidTypeTotal struct {
	aid.TypeTotals
	AidType *aid.Type
}

// AidTypeRegencyTotal is outputs summed for one aid type in one regency.
type AidTypeRegencyTotal struct {
	aid.Group
	AidType *aid.Type
	Regency *organization.Organization
}

// SourceMonthTotal is gifts summed for one source in one month.
type SourceMonthTotal struct {
	Source    donation.Source
	Month     calendar.Date
	Donations int
	Amount    money.Rupiah
}
