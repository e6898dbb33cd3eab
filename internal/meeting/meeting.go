// Package meeting is the councils' work meetings (Raker): when and where,
// the period each evaluates, and attendance by participant group.
package meeting

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/idempotency"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Group is a group of participants counted at a meeting.
type Group string

// The participant groups of a Raker.
const (
	RegencySocialOffice    Group = "REGENCY_SOCIAL_OFFICE"
	RegencyPlanningBoard   Group = "REGENCY_PLANNING_BOARD"
	RegencyCouncil         Group = "REGENCY_COUNCIL"
	ProvinceCouncil        Group = "PROVINCE_COUNCIL"
	ProvinceGovernmentUnit Group = "PROVINCE_GOVERNMENT_UNIT"
	Institution            Group = "INSTITUTION"
	Other                  Group = "OTHER"
)

var groups = map[Group]bool{RegencySocialOffice: true, RegencyPlanningBoard: true, RegencyCouncil: true,
	ProvinceCouncil: true, ProvinceGovernmentUnit: true, Institution: true, Other: true}

// Meeting is one work meeting.
type Meeting struct {
	ID             string        `db:"id" json:"id"`
	Seq            int64         `db:"seq" json:"-"`
	OrganizationID string        `db:"organization_id" json:"organizationId"`
	Title          string        `db:"title" json:"title"`
	HeldOn         calendar.Date `db:"held_on" json:"heldOn"`
	Place          string        `db:"place" json:"place"`
	PeriodFrom     calendar.Date `db:"period_from" json:"periodFrom"`
	PeriodTo       calendar.Date `db:"period_to" json:"periodTo"`
	CreatedAt      time.Time     `db:"created_at" json:"createdAt"`
}

// Attendance is how many of one group attended.
type Attendance struct {
	MeetingID string `db:"meeting_id" json:"-"`
	Group     Group  `db:"participant_group" json:"group"`
	Attendees int    `db:"attendees" json:"attendees"`
}

const columns = `m.id, m.seq, m.organization_id, m.title, m.held_on, m.place, m.period_from, m.period_to, m.created_at`

// Store reads and writes meetings.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

func get(ctx context.Context, q sqlx.QueryerContext, id string) (Meeting, error) {
	return postgres.ByID[Meeting](ctx, q, "work meeting", `SELECT `+columns+` FROM `+meetingFrom+`
		WHERE m.id = $1 AND `+scopeSQL(2), id, auth.Subtree(ctx), auth.IsPartner(ctx))
}

// Meeting returns meeting id.
func (s *Store) Meeting(ctx context.Context, id string) (Meeting, error) { return get(ctx, s.db, id) }

// AttendanceOf returns the attendance of the given meetings.
func (s *Store) AttendanceOf(ctx context.Context, meetingIDs []string) ([]Attendance, error) {
	var out []Attendance
	err := s.db.SelectContext(ctx, &out, `
		SELECT a.meeting_id, a.participant_group, a.attendees FROM meeting_attendance a JOIN `+meetingFrom+` ON m.id = a.meeting_id
		WHERE a.meeting_id::text = ANY($1) AND `+scopeSQL(2)+`
		ORDER BY a.meeting_id, a.participant_group`, pq.Array(meetingIDs), auth.Subtree(ctx), auth.IsPartner(ctx))
	if err != nil {
		return nil, fmt.Errorf("get attendance: %w", err)
	}
	return out, nil
}

// Filter narrows a list of meetings.
type Filter struct {
	From, To       *calendar.Date
	OrganizationID *string
}

// meetingFrom and scopeSQL confine reads to an operator's subtree ($n);
// partner accounts ($n+1) see no meeting.
const meetingFrom = `work_meetings m JOIN organizations o ON o.id = m.organization_id`

func scopeSQL(n int) string {
	return fmt.Sprintf(`($%d::ltree IS NULL OR o.path <@ $%d::ltree) AND NOT $%d::bool`, n, n, n+1)
}

var filterSQL = `($1::date IS NULL OR m.held_on >= $1) AND ($2::date IS NULL OR m.held_on <= $2)
	AND ($3::ltree IS NULL OR o.path <@ $3::ltree) AND ` + scopeSQL(4)

// List returns a page of meetings in date order.
func (s *Store) List(ctx context.Context, f Filter, r page.Request) (page.Page[Meeting], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Meeting]{}, err
	}
	under, err := organization.SubtreePath(ctx, s.db, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return page.Page[Meeting]{}, err
	}
	var items []Meeting
	err = s.db.SelectContext(ctx, &items, `
		SELECT `+columns+` FROM `+meetingFrom+`
		WHERE `+filterSQL+` AND ($6::bigint IS NULL OR (m.held_on, m.seq) > ($7::date, $6::bigint))
		ORDER BY m.held_on, m.seq LIMIT $8`, f.From, f.To, under, auth.Subtree(ctx), auth.IsPartner(ctx), k.AfterSeq, k.AfterDate, k.Limit+1)
	if err != nil {
		return page.Page[Meeting]{}, fmt.Errorf("list work meetings: %w", err)
	}
	return page.Trim(items, k), nil
}

// NewMeeting is the input for Create.
type NewMeeting struct {
	OrganizationID string        `json:"organizationId"`
	Title          string        `json:"title"`
	HeldOn         calendar.Date `json:"heldOn"`
	Place          string        `json:"place"`
	PeriodFrom     calendar.Date `json:"periodFrom"`
	PeriodTo       calendar.Date `json:"periodTo"`
	Attendance     []Attendance  `json:"attendance"`
	IdempotencyKey string        `json:"-"`
}

// Create records a meeting with its attendance.
func (s *Store) Create(ctx context.Context, in NewMeeting) (Meeting, error) {
	var v fault.InvalidInput
	v.Text("input.title", in.Title, true, 200)
	v.Text("input.place", in.Place, true, 200)
	calendar.Check(&v, "input.heldOn", in.HeldOn)
	calendar.Check(&v, "input.periodFrom", in.PeriodFrom)
	calendar.Check(&v, "input.periodTo", in.PeriodTo)
	if in.PeriodTo.Before(in.PeriodFrom) {
		v.Add("input.periodTo", fault.Invalid, "must not be before periodFrom")
	}
	seen := map[Group]bool{}
	for i, a := range in.Attendance {
		p := fmt.Sprintf("input.attendance.%d.", i)
		if !groups[a.Group] {
			v.Add(p+"group", fault.Invalid, "is not a participant group")
		} else if seen[a.Group] {
			v.Add(p+"group", fault.Duplicate, "this group is already counted")
		}
		seen[a.Group] = true
		if a.Attendees < 0 || a.Attendees > 100_000 {
			v.Add(p+"attendees", fault.Invalid, "must be between 0 and 100000")
		}
	}
	if err := v.Err(); err != nil {
		return Meeting{}, err
	}
	var id string
	err := postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, in.IdempotencyKey, "createWorkMeeting", in)
		if err != nil || prior != "" {
			id = prior
			return err
		}
		if _, err := organization.Require(ctx, tx, "input.organizationId", in.OrganizationID); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &id, `
			INSERT INTO work_meetings (organization_id, title, held_on, place, period_from, period_to)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.OrganizationID, in.Title, in.HeldOn, in.Place, in.PeriodFrom, in.PeriodTo)
		if err != nil {
			return fmt.Errorf("insert work meeting: %w", err)
		}
		for _, a := range in.Attendance {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO meeting_attendance (meeting_id, participant_group, attendees) VALUES ($1, $2, $3)`,
				id, a.Group, a.Attendees); err != nil {
				return fmt.Errorf("insert attendance: %w", err)
			}
		}
		if err := audit.Record(ctx, tx, "create", "work_meeting", id, nil, in); err != nil {
			return err
		}
		return idempotency.Complete(ctx, tx, in.IdempotencyKey, id)
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("record work meeting: %w", err)
	}
	return s.Meeting(ctx, id)
}
