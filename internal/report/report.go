// Package report settles what a report covers: an organization's subtree
// over a period, a calendar year by default, and the previous period of
// equal length for comparison. The figures themselves are sums that each
// domain computes in SQL over its own tables.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
)

// MaxDays is the longest period a report covers: ten years.
const MaxDays = 3653

// Spec is what a report covers.
type Spec struct {
	OrganizationID string
	From, To       calendar.Date
}

// Resolve checks the request for a report: the organization (by id or
// code) must be within
// the caller's scope; from and to, if given, bound the period, else year
// does, else the current calendar year in the organization's time zone.
func Resolve(ctx context.Context, sc auth.Scope, orgs *organization.Store, orgID string, from, to *calendar.Date, year *int) (Spec, error) {
	org, err := orgs.Resolve(ctx, sc, "organizationId", orgID)
	if err != nil {
		return Spec{}, err
	}
	if !sc.Sees(org.Path) {
		return Spec{}, fault.Refuse("organizationId", fault.Invalid, "lies outside the part of the council tree this account may read")
	}
	f, t, err := Period(org.Location(), from, to, year)
	return Spec{OrganizationID: org.ID, From: f, To: t}, err
}

// Period settles the period of a request: from and to if given, else the
// calendar year year, else the current year in loc; at most MaxDays, not
// before calendar.Earliest, to not before from.
func Period(loc *time.Location, from, to *calendar.Date, year *int) (calendar.Date, calendar.Date, error) {
	var v fault.InvalidInput
	y := calendar.Today(loc).Year
	if year != nil {
		if *year < 2000 || *year > 2100 {
			v.Add("year", fault.Invalid, "must be between 2000 and 2100")
		}
		y = *year
	}
	f, t := calendar.New(y, time.January, 1), calendar.New(y, time.December, 31)
	if from != nil {
		f = *from
	}
	if to != nil {
		t = *to
	}
	for _, x := range []struct {
		name string
		d    *calendar.Date
	}{{"from", from}, {"to", to}} {
		if x.d != nil && x.d.Before(calendar.Earliest) {
			v.Add(x.name, fault.Invalid, "must be on or after "+calendar.Earliest.String())
		}
	}
	switch {
	case t.Before(f):
		v.Add("to", fault.Invalid, "must not be before from")
	case Days(Spec{From: f, To: t}) > MaxDays:
		v.Add("to", fault.Invalid, fmt.Sprintf("a report covers at most %d days", MaxDays))
	}
	return f, t, v.Err()
}

// Days counts the days of s, both ends included.
func Days(s Spec) int { return int(s.To.Time().Sub(s.From.Time()).Hours()/24) + 1 }

// Previous is the period of equal length just before s; for whole calendar
// years, the years before (so 2014 compares with 2013, leap days or not).
func Previous(s Spec) Spec {
	if s.From.Month == time.January && s.From.Day == 1 && s.To.Month == time.December && s.To.Day == 31 {
		years := s.To.Year - s.From.Year + 1
		return Spec{OrganizationID: s.OrganizationID,
			From: calendar.New(s.From.Year-years, time.January, 1), To: calendar.New(s.To.Year-years, time.December, 31)}
	}
	n := Days(s)
	return Spec{OrganizationID: s.OrganizationID, From: s.From.AddDays(-n), To: s.From.AddDays(-1)}
}
