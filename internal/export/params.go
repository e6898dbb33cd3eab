package export

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/report"
)

// A workbook's parameters come as URL query values, from HTTP or from the
// command line's flags, and are read by one parser for both.

// MaxParam is the longest parameter value a workbook takes.
const MaxParam = 500

// checkParams refuses, by name, a parameter value that no parameter takes:
// NUL or invalid UTF-8 (which PostgreSQL cannot hold), or a very long one.
func checkParams(q url.Values) error {
	var v fault.InvalidInput
	for _, name := range slices.Sorted(maps.Keys(q)) {
		for _, value := range q[name] {
			v.Text(name, value, false, MaxParam)
		}
	}
	return v.Err()
}

// yearParam reads year, if given.
func yearParam(v *fault.InvalidInput, q url.Values) *int {
	s := q.Get("year")
	if s == "" {
		return nil
	}
	y, err := strconv.Atoi(s)
	if err != nil {
		v.Add("year", fault.Invalid, "must be a year such as 2014")
	}
	return &y
}

// dateRange reads from and to as YYYY-MM-DD, from not after to.
func dateRange(v *fault.InvalidInput, q url.Values) (from, to *calendar.Date) {
	read := func(name string) *calendar.Date {
		s := q.Get(name)
		if s == "" {
			return nil
		}
		d, err := calendar.Parse(s)
		if err != nil {
			v.Add(name, fault.Invalid, err.Error())
			return nil
		}
		return &d
	}
	from, to = read("from"), read("to")
	if from != nil && to != nil && to.Before(*from) {
		v.Add("to", fault.Invalid, "must not be before from")
	}
	return from, to
}

// ledgerRange reads a ledger's period: from and to, or a whole year; a
// ledger named for a year holds that year only.
func ledgerRange(v *fault.InvalidInput, q url.Values) (from, to *calendar.Date) {
	from, to = dateRange(v, q)
	year := yearParam(v, q)
	switch {
	case year == nil:
	case from != nil || to != nil:
		v.Add("year", fault.Invalid, "give year, or from and to, not both")
	case *year < 1 || *year > 9999:
		v.Add("year", fault.Invalid, "must be a year such as 2014")
	default:
		first, last := calendar.New(*year, time.January, 1), calendar.New(*year, time.December, 31)
		from, to = &first, &last
	}
	return from, to
}

// DonationQuery reads the parameters of the donation ledger: from and to
// or year, org, source (comma-separated), partner, kind, lang.
func DonationQuery(ctx context.Context, sc auth.Scope, orgs *organization.Store, q url.Values) (donation.Filter, Language, error) {
	if err := checkParams(q); err != nil {
		return donation.Filter{}, "", err
	}
	var f donation.Filter
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return f, "", err
	}
	var v fault.InvalidInput
	f.From, f.To = ledgerRange(&v, q)
	if s := q.Get("source"); s != "" {
		for _, src := range strings.Split(s, ",") {
			src := donation.Source(strings.ToUpper(strings.TrimSpace(src)))
			if _, ok := sourceLabels[src]; !ok {
				v.Add("source", fault.Invalid, "is not a donation source: "+string(src))
			}
			f.Sources = append(f.Sources, src)
		}
	}
	if s := q.Get("kind"); s != "" {
		k := donation.Kind(strings.ToUpper(s))
		if _, ok := kindLabels[k]; !ok {
			v.Add("kind", fault.Invalid, "must be MONEY or GOODS")
		}
		f.Kind = &k
	}
	if s := q.Get("partner"); s != "" {
		f.PartnerID = &s
	}
	if err := v.Err(); err != nil {
		return f, "", err
	}
	if f.OrganizationID, err = orgParam(ctx, sc, orgs, q, "org"); err != nil {
		return f, "", err
	}
	return f, lang, nil
}

// AuditQuery reads the parameters of the audit trail: from and to (a date,
// UTC, or an RFC 3339 time; "to" a date means the end of that day),
// entity, actor, lang.
func AuditQuery(q url.Values) (audit.Filter, Language, error) {
	if err := checkParams(q); err != nil {
		return audit.Filter{}, "", err
	}
	var f audit.Filter
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return f, "", err
	}
	var v fault.InvalidInput
	f.From = instantParam(&v, q, "from", false)
	f.To = instantParam(&v, q, "to", true)
	if q.Get("year") != "" {
		// The file would be named for a year it does not hold.
		v.Add("year", fault.Invalid, "the audit trail takes from and to, not year")
	}
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		v.Add("to", fault.Invalid, "must not be before from")
	}
	if s := q.Get("entity"); s != "" {
		f.Entity = &s
	}
	if s := q.Get("actor"); s != "" {
		f.Actor = &s
	}
	return f, lang, v.Err()
}

func instantParam(v *fault.InvalidInput, q url.Values, name string, endOfDay bool) *time.Time {
	s := q.Get(name)
	if s == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil && t.UTC().Year() >= 1 && t.UTC().Year() <= 9999 {
		return &t
	}
	d, err := calendar.Parse(s)
	if err != nil {
		v.Add(name, fault.Invalid, "must be a date (2014-07-17) or an RFC 3339 time")
		return nil
	}
	t := d.Time()
	if endOfDay {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return &t
}

// orgParam reads the parameter name as an organization id or code.
func orgParam(ctx context.Context, sc auth.Scope, orgs *organization.Store, q url.Values, name string) (*string, error) {
	ref := q.Get(name)
	if ref == "" {
		return nil, nil
	}
	if uuid.Validate(ref) == nil {
		return &ref, nil // checked with the rest of the filter
	}
	o, err := orgs.ByCode(ctx, sc, ref)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, fault.Refuse(name, fault.Unknown, "no organization has this id or code")
	}
	if err != nil {
		return nil, err
	}
	return &o.ID, nil
}

func optional(q url.Values, name string) *string {
	if s := q.Get(name); s != "" {
		return &s
	}
	return nil
}

// BoxCollectionQuery reads the parameters of the box-collection ledger:
// from and to or year, org, box, host (a partner id), regency (id or
// code), lang.
func BoxCollectionQuery(ctx context.Context, sc auth.Scope, orgs *organization.Store, q url.Values) (box.CollectionFilter, Language, error) {
	if err := checkParams(q); err != nil {
		return box.CollectionFilter{}, "", err
	}
	var f box.CollectionFilter
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return f, "", err
	}
	var v fault.InvalidInput
	f.From, f.To = ledgerRange(&v, q)
	if err := v.Err(); err != nil {
		return f, "", err
	}
	f.BoxID, f.HostPartnerID = optional(q, "box"), optional(q, "host")
	if f.OrganizationID, err = orgParam(ctx, sc, orgs, q, "org"); err != nil {
		return f, "", err
	}
	if f.RegencyID, err = orgParam(ctx, sc, orgs, q, "regency"); err != nil {
		return f, "", err
	}
	return f, lang, nil
}

// AidOutputQuery reads the parameters of the aid-output ledger: from and to
// or year, org, type (id or code), group, pmks, regency (id or code), lang.
func AidOutputQuery(ctx context.Context, sc auth.Scope, orgs *organization.Store, types *aid.Store, q url.Values) (aid.OutputFilter, Language, error) {
	if err := checkParams(q); err != nil {
		return aid.OutputFilter{}, "", err
	}
	var f aid.OutputFilter
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return f, "", err
	}
	var v fault.InvalidInput
	f.From, f.To = ledgerRange(&v, q)
	if s := q.Get("group"); s != "" {
		g := aid.BeneficiaryGroup(strings.ToUpper(s))
		if _, ok := groupLabels[g]; !ok {
			v.Add("group", fault.Invalid, "is not a beneficiary group")
		}
		f.BeneficiaryGroup = &g
	}
	f.PMKSCategory = pmksParam(&v, q)
	if err := v.Err(); err != nil {
		return f, "", err
	}
	if ref := q.Get("type"); ref != "" {
		if uuid.Validate(ref) == nil {
			f.AidTypeID = &ref
		} else {
			t, err := types.TypeByCode(ctx, sc, strings.ToUpper(ref))
			if errors.Is(err, fault.ErrNotFound) {
				return f, "", fault.Refuse("type", fault.Unknown, "no aid type has this id or code")
			}
			if err != nil {
				return f, "", err
			}
			f.AidTypeID = &t.ID
		}
	}
	if f.OrganizationID, err = orgParam(ctx, sc, orgs, q, "org"); err != nil {
		return f, "", err
	}
	if f.RegencyID, err = orgParam(ctx, sc, orgs, q, "regency"); err != nil {
		return f, "", err
	}
	return f, lang, nil
}

// RakerQuery reads the parameters of the Raker book: org (id or code), from
// and to, or year, and lang. Partner accounts, which see none of the
// councils' own records, may not have it.
func RakerQuery(ctx context.Context, sc auth.Scope, orgs *organization.Store, q url.Values) (report.Spec, Language, error) {
	if err := checkParams(q); err != nil {
		return report.Spec{}, "", err
	}
	if sc.IsPartner() {
		return report.Spec{}, "", auth.ErrForbidden
	}
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return report.Spec{}, "", err
	}
	var v fault.InvalidInput
	from, to := dateRange(&v, q)
	year := yearParam(&v, q)
	if q.Get("org") == "" {
		v.Add("org", fault.Required, "give the organization (id or code) whose book this is")
	}
	if err := v.Err(); err != nil {
		return report.Spec{}, "", err
	}
	org, err := orgParam(ctx, sc, orgs, q, "org")
	if err != nil {
		return report.Spec{}, "", err
	}
	s, err := report.Resolve(ctx, sc, orgs, *org, from, to, year)
	return s, lang, err
}

// pmksParam reads pmks, a PMKS category, if given.
func pmksParam(v *fault.InvalidInput, q url.Values) *aid.PMKS {
	s := q.Get("pmks")
	if s == "" {
		return nil
	}
	c := aid.PMKS(strings.ToUpper(s))
	if !c.Valid() {
		v.Add("pmks", fault.Invalid, "is not a PMKS category")
	}
	return &c
}
