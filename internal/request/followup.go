package request

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// asOf is, for each request, its last event on or before the date $2: the
// state it stood in then, the council handling it then and since when.
const asOf = `SELECT DISTINCT ON (e.request_id) e.request_id, e.to_state, e.handler_id, e.happened_on
	FROM aid_request_events e WHERE e.happened_on <= $2
	ORDER BY e.request_id, e.happened_on DESC, e.seq DESC`

// Step is how many requests wait at one open state of a council, and how
// many of them longer than the step's deadline.
type Step struct {
	State        State `db:"state"`
	Waiting      int   `db:"waiting"`
	Overdue      int   `db:"overdue"`
	OldestDays   int   `db:"oldest_days"`
	DeadlineDays int   `db:"-"`
}

// Backlog is what waits at one council on a date, and how fast it decides.
type Backlog struct {
	OrganizationID string
	Steps          []Step // one per open state, in the order of Open
	// Decided counts the approvals and rejections the council made up to
	// the date; MedianDaysToDecision is the median of their days from
	// receipt, nil when there were none.
	Decided              int
	MedianDaysToDecision *float64
}

// Backlog returns, for each council in the subtree of orgID that handles
// or has decided requests, what waits there on the date on (default: today
// in orgID's time zone) and how long its decisions took. Ages count from
// the day a request reached its step.
func (s *Store) Backlog(ctx context.Context, sc auth.Scope, orgID string, day *calendar.Date) ([]Backlog, error) {
	under, err := organization.SubtreePath(ctx, s.db, sc, "organizationId", &orgID)
	if err != nil {
		return nil, err
	}
	var on calendar.Date
	if day != nil {
		on = *day
	} else {
		org, err := organization.Get(ctx, s.db, sc, orgID)
		if err != nil {
			return nil, err
		}
		on = calendar.Today(org.Location())
	}
	args := postgres.Args{under, on}
	var waiting []struct {
		OrganizationID string `db:"organization_id"`
		Step
	}
	err = s.db.SelectContext(ctx, &waiting, `
		WITH last AS (`+asOf+`)
		SELECT l.handler_id AS organization_id, l.to_state AS state, count(*) AS waiting,
			count(*) FILTER (WHERE $2::date - l.happened_on > CASE l.to_state WHEN 'SUBMITTED' THEN `+args.Add(s.deadlines[Submitted])+`::int
				WHEN 'VERIFIED' THEN `+args.Add(s.deadlines[Verified])+`::int WHEN 'FORWARDED' THEN `+args.Add(s.deadlines[Forwarded])+`::int
				ELSE `+args.Add(s.deadlines[Approved])+`::int END) AS overdue,
			max($2::date - l.happened_on) AS oldest_days
		FROM last l JOIN `+from+` ON r.id = l.request_id JOIN organizations lh ON lh.id = l.handler_id
		WHERE lh.path <@ $1::ltree AND l.to_state IN ('SUBMITTED', 'VERIFIED', 'FORWARDED', 'APPROVED') AND `+scope(sc, &args)+`
		GROUP BY 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("aid request backlog: %w", err)
	}
	dargs := postgres.Args{under, on}
	var decided []struct {
		OrganizationID string   `db:"organization_id"`
		Decided        int      `db:"decided"`
		Median         *float64 `db:"median"`
	}
	err = s.db.SelectContext(ctx, &decided, `
		SELECT e.handler_id AS organization_id, count(*) AS decided,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY e.happened_on - r.received_on) AS median
		FROM aid_request_events e JOIN `+from+` ON r.id = e.request_id JOIN organizations eh ON eh.id = e.handler_id
		WHERE eh.path <@ $1::ltree AND e.happened_on <= $2 AND e.to_state IN ('APPROVED', 'REJECTED') AND `+scope(sc, &dargs)+`
		GROUP BY 1`, dargs...)
	if err != nil {
		return nil, fmt.Errorf("aid request decisions: %w", err)
	}
	byOrg := map[string]*Backlog{}
	var order []string
	at := func(id string) *Backlog {
		if b, ok := byOrg[id]; ok {
			return b
		}
		b := &Backlog{OrganizationID: id}
		for _, st := range Open {
			b.Steps = append(b.Steps, Step{State: st, DeadlineDays: s.deadlines[st]})
		}
		byOrg[id] = b
		order = append(order, id)
		return b
	}
	for _, w := range waiting {
		b := at(w.OrganizationID)
		for i := range b.Steps {
			if b.Steps[i].State == w.State {
				w.Step.DeadlineDays = b.Steps[i].DeadlineDays
				b.Steps[i] = w.Step
			}
		}
	}
	for _, d := range decided {
		b := at(d.OrganizationID)
		b.Decided, b.MedianDaysToDecision = d.Decided, d.Median
	}
	// Councils in tree order, so a report reads province first.
	paths := map[string]string{}
	if len(order) > 0 {
		orgs, err := organization.NewStore(s.db).ByIDs(ctx, sc, order)
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			paths[o.ID] = o.Path
		}
	}
	out := make([]Backlog, 0, len(order))
	for _, id := range order {
		out = append(out, *byOrg[id])
	}
	slices.SortStableFunc(out, func(a, b Backlog) int { return strings.Compare(paths[a.OrganizationID], paths[b.OrganizationID]) })
	return out, nil
}

// Figures are the requests of one regency (the applicant's) over a period:
// received in it; approved, rejected, fulfilled and cancelled in it; and
// still waiting at its end.
type Figures struct {
	RegencyID string `db:"regency_id"`
	Received  int    `db:"received"`
	Approved  int    `db:"approved"`
	Rejected  int    `db:"rejected"`
	Fulfilled int    `db:"fulfilled"`
	Cancelled int    `db:"cancelled"`
	Waiting   int    `db:"waiting"`
}

// ByRegency returns the Figures of the requests received or handled in the
// subtree of orgID, per applicant's regency, between start and end.
func (s *Store) ByRegency(ctx context.Context, sc auth.Scope, orgID string, start, end calendar.Date) ([]Figures, error) {
	under, err := organization.SubtreePath(ctx, s.db, sc, "organizationId", &orgID)
	if err != nil {
		return nil, err
	}
	args := postgres.Args{under, end, start}
	var out []Figures
	err = s.db.SelectContext(ctx, &out, `
		WITH last AS (`+asOf+`),
		moved AS (
			SELECT e.request_id,
				count(*) FILTER (WHERE e.to_state = 'APPROVED') AS approved,
				count(*) FILTER (WHERE e.to_state = 'REJECTED') AS rejected,
				count(*) FILTER (WHERE e.to_state = 'FULFILLED') AS fulfilled,
				count(*) FILTER (WHERE e.to_state = 'CANCELLED') AS cancelled
			FROM aid_request_events e WHERE e.happened_on BETWEEN $3 AND $2 GROUP BY 1)
		SELECT r.regency_id,
			count(*) FILTER (WHERE r.received_on >= $3) AS received,
			COALESCE(SUM(m.approved), 0) AS approved, COALESCE(SUM(m.rejected), 0) AS rejected,
			COALESCE(SUM(m.fulfilled), 0) AS fulfilled, COALESCE(SUM(m.cancelled), 0) AS cancelled,
			count(*) FILTER (WHERE l.to_state IN ('SUBMITTED', 'VERIFIED', 'FORWARDED', 'APPROVED')) AS waiting
		FROM `+from+` JOIN last l ON l.request_id = r.id LEFT JOIN moved m ON m.request_id = r.id
		WHERE (rb.path <@ $1::ltree OR h.path <@ $1::ltree) AND `+scope(sc, &args)+`
		GROUP BY r.regency_id
		HAVING count(*) FILTER (WHERE r.received_on >= $3) + COALESCE(SUM(m.approved + m.rejected + m.fulfilled + m.cancelled), 0)
			+ count(*) FILTER (WHERE l.to_state IN ('SUBMITTED', 'VERIFIED', 'FORWARDED', 'APPROVED')) > 0`, args...)
	if err != nil {
		return nil, fmt.Errorf("aid requests by regency: %w", err)
	}
	return out, nil
}
