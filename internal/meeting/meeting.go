// Package meeting is the councils' work meetings (Raker): when and where,
// the period each evaluates, and attendance by participant group.
package meeting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/fault"
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
	// Attendees is filled in only where a meeting is read for the audit
	// trail; the API reads attendance through a batched loader.
	Attendees []Attendance `db:"-" json:"attendance,omitempty"`
	// Decisions, likewise, for the audit trail of RecordDecisions.
	Decisions []Decision `db:"-" json:"decisions,omitempty"`
}

// DecisionKind says whether a meeting decided something or recommended it.
type DecisionKind string

// The kinds of decision.
const (
	Decided     DecisionKind = "DECISION"
	Recommended DecisionKind = "RECOMMENDATION"
)

// Decision is one decision or recommendation of a meeting.
type Decision struct {
	MeetingID string       `db:"meeting_id" json:"-"`
	Kind      DecisionKind `db:"kind" json:"kind"`
	Text      string       `db:"text" json:"text"`
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

// meetingFrom joins each meeting m to its organization o, whose path the
// caller's scope confines: an operator its subtree; a partner account sees
// no meeting.
const meetingFrom = `work_meetings m JOIN organizations o ON o.id = m.organization_id`

func get(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Meeting, error) {
	args := postgres.Args{id}
	query := `SELECT ` + columns + ` FROM ` + meetingFrom + ` WHERE m.id = $1 AND ` + sc.Council(&args, "o.path")
	return postgres.ByID[Meeting](ctx, q, "work meeting", query, id, args[1:]...)
}

// getWithAttendance is get with the meeting's attendance, as the audit
// trail records it.
func getWithAttendance(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Meeting, error) {
	m, err := get(ctx, q, sc, id)
	if err != nil {
		return m, err
	}
	m.Attendees, err = attendanceOf(ctx, q, sc, []string{id})
	return m, err
}

// Meeting returns meeting id.
func (s *Store) Meeting(ctx context.Context, sc auth.Scope, id string) (Meeting, error) {
	return get(ctx, s.db, sc, id)
}

// AttendanceOf returns the attendance of the given meetings.
func (s *Store) AttendanceOf(ctx context.Context, sc auth.Scope, meetingIDs []string) ([]Attendance, error) {
	return attendanceOf(ctx, s.db, sc, meetingIDs)
}

func attendanceOf(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, meetingIDs []string) ([]Attendance, error) {
	args := postgres.Args{pq.Array(postgres.IDs(meetingIDs))}
	query := `SELECT a.meeting_id, a.participant_group, a.attendees FROM meeting_attendance a JOIN ` + meetingFrom + ` ON m.id = a.meeting_id
		WHERE a.meeting_id::text = ANY($1) AND ` + sc.Council(&args, "o.path") + `
		ORDER BY a.meeting_id, a.participant_group`
	out := []Attendance{}
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get attendance: %w", err)
	}
	return out, nil
}

// DecisionsOf returns the decisions and recommendations of the given
// meetings, in the order each meeting took them.
func (s *Store) DecisionsOf(ctx context.Context, sc auth.Scope, meetingIDs []string) ([]Decision, error) {
	return decisionsOf(ctx, s.db, sc, meetingIDs)
}

func decisionsOf(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, meetingIDs []string) ([]Decision, error) {
	args := postgres.Args{pq.Array(postgres.IDs(meetingIDs))}
	query := `SELECT d.meeting_id, d.kind, d.text FROM meeting_decisions d JOIN ` + meetingFrom + ` ON m.id = d.meeting_id
		WHERE d.meeting_id::text = ANY($1) AND ` + sc.Council(&args, "o.path") + `
		ORDER BY d.meeting_id, d.seq`
	out := []Decision{}
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, fmt.Errorf("get decisions: %w", err)
	}
	return out, nil
}

// getWithDecisions is get with the meeting's decisions, as the audit trail
// records them.
func getWithDecisions(ctx context.Context, q sqlx.QueryerContext, sc auth.Scope, id string) (Meeting, error) {
	m, err := get(ctx, q, sc, id)
	if err != nil {
		return m, err
	}
	m.Decisions, err = decisionsOf(ctx, q, sc, []string{id})
	return m, err
}

// MaxDecisions bounds the decisions recorded at once.
const MaxDecisions = 100

// NewDecisions is the input for RecordDecisions.
type NewDecisions struct {
	MeetingID      string     `json:"meetingId"`
	Decisions      []Decision `json:"decisions"`
	IdempotencyKey string     `json:"-"`
}

// RecordDecisions adds decisions and recommendations to a meeting, after
// those it has. A meeting held in a closed period has its book settled.
func (s *Store) RecordDecisions(ctx context.Context, sc auth.Scope, in NewDecisions) (Meeting, error) {
	w := change.Write{Mutation: "recordMeetingDecisions", Action: "decide", Entity: "work_meeting", Key: in.IdempotencyKey, Input: in,
		Check: func(v *fault.InvalidInput) {
			if len(in.Decisions) == 0 || len(in.Decisions) > MaxDecisions {
				v.Add("input.decisions", fault.Invalid, fmt.Sprintf("give between 1 and %d decisions", MaxDecisions))
				return
			}
			for i, d := range in.Decisions {
				p := fmt.Sprintf("input.decisions.%d.", i)
				if d.Kind != Decided && d.Kind != Recommended {
					v.Add(p+"kind", fault.Invalid, "must be DECISION or RECOMMENDATION")
				}
				v.Text(p+"text", d.Text, true, 2000)
			}
		}}
	m, err := change.Do(ctx, s.db, sc, w, getWithDecisions, func(tx *change.Tx) (change.Applied, error) {
		v := &tx.Refused
		m, err := getWithDecisions(ctx, tx, sc, in.MeetingID)
		if errors.Is(err, fault.ErrNotFound) {
			err = fault.Refuse("input.meetingId", fault.Unknown, "no such work meeting")
		}
		if v.Collect(err) {
			org, err := organization.RequireWritable(ctx, tx, sc, "input.meetingId", m.OrganizationID)
			if v.Collect(err) {
				v.Collect(organization.CheckOpen(ctx, tx, org, "input.meetingId", m.HeldOn))
			}
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		for _, d := range in.Decisions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meeting_decisions (meeting_id, kind, text, recorded_by) VALUES ($1, $2, $3, $4)`,
				m.ID, d.Kind, d.Text, sc.Principal().Name()); err != nil {
				return change.Applied{}, fmt.Errorf("insert decision: %w", err)
			}
		}
		return change.Applied{ID: m.ID, Before: m}, nil
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("record decisions of meeting %s: %w", in.MeetingID, err)
	}
	m.Decisions = nil
	return m, nil
}

// Filter narrows a list of meetings.
type Filter struct {
	From, To       *calendar.Date
	OrganizationID *string
}

// List returns a page of meetings in date order.
func (s *Store) List(ctx context.Context, sc auth.Scope, f Filter, r page.Request) (page.Page[Meeting], error) {
	k, err := r.Keyset()
	if err != nil {
		return page.Page[Meeting]{}, err
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return page.Page[Meeting]{}, err
	}
	var a postgres.Args
	from, to, u := a.Add(f.From), a.Add(f.To), a.Add(under)
	query := `SELECT ` + columns + ` FROM ` + meetingFrom + `
		WHERE (` + from + `::date IS NULL OR m.held_on >= ` + from + `) AND (` + to + `::date IS NULL OR m.held_on <= ` + to + `)
		  AND (` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree) AND ` + sc.Council(&a, "o.path") + `
		  ` + k.Clause(&a, "m.held_on", "m.seq")
	var items []Meeting
	if err := s.db.SelectContext(ctx, &items, query, a...); err != nil {
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

// MaxAttendanceGroups bounds an attendance list: there are only so many
// participant groups.
const MaxAttendanceGroups = 50

// Create records a meeting with its attendance.
func (s *Store) Create(ctx context.Context, sc auth.Scope, in NewMeeting) (Meeting, error) {
	w := change.Write{Mutation: "createWorkMeeting", Action: "create", Entity: "work_meeting", Key: in.IdempotencyKey, Input: in,
		Check: in.validate}
	m, err := change.Do(ctx, s.db, sc, w, getWithAttendance, func(tx *change.Tx) (change.Applied, error) {
		v := &tx.Refused
		org, err := organization.RequireWritable(ctx, tx, sc, "input.organizationId", in.OrganizationID)
		if v.Collect(err) && !in.HeldOn.IsZero() {
			v.Collect(organization.CheckOpen(ctx, tx, org, "input.heldOn", in.HeldOn))
		}
		if err := v.Failed(); err != nil {
			return change.Applied{}, err
		}
		var id string
		err = tx.GetContext(ctx, &id, `
			INSERT INTO work_meetings (organization_id, title, held_on, place, period_from, period_to)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.OrganizationID, in.Title, in.HeldOn, in.Place, in.PeriodFrom, in.PeriodTo)
		if err != nil {
			return change.Applied{}, fmt.Errorf("insert work meeting: %w", err)
		}
		for _, a := range in.Attendance {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO meeting_attendance (meeting_id, participant_group, attendees) VALUES ($1, $2, $3)`,
				id, a.Group, a.Attendees); err != nil {
				return change.Applied{}, fmt.Errorf("insert attendance: %w", err)
			}
		}
		return change.Applied{ID: id}, nil
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("record work meeting: %w", err)
	}
	m.Attendees = nil
	return m, nil
}

func (in NewMeeting) validate(v *fault.InvalidInput) {
	v.Text("input.title", in.Title, true, 200)
	v.Text("input.place", in.Place, true, 200)
	calendar.Check(v, "input.heldOn", in.HeldOn)
	calendar.Check(v, "input.periodFrom", in.PeriodFrom)
	calendar.Check(v, "input.periodTo", in.PeriodTo)
	if in.PeriodTo.Before(in.PeriodFrom) {
		v.Add("input.periodTo", fault.Invalid, "must not be before periodFrom")
	}
	if len(in.Attendance) > MaxAttendanceGroups {
		v.Add("input.attendance", fault.TooLong, fmt.Sprintf("at most %d participant groups", MaxAttendanceGroups))
		return
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
}
