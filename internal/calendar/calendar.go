// Package calendar holds the business date: a day in a council's own time
// zone, without a clock time, stored in PostgreSQL as a date.
package calendar

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"time"

	"github.com/sinergi-id/sinergi/internal/fault"
)

// Date is a calendar day. The zero Date is not a valid day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

var shape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Parse reads a date in the form YYYY-MM-DD.
func Parse(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if shape.MatchString(s) {
			return Date{}, fmt.Errorf("date %q is not a day of the calendar", s)
		}
		return Date{}, fmt.Errorf("date %q is not of the form YYYY-MM-DD", s)
	}
	if t.Year() < 1 {
		// The calendar has no year 0; PostgreSQL would refuse it.
		return Date{}, fmt.Errorf("date %q is not a day of the calendar: years start at 0001", s)
	}
	return Of(t), nil
}

// MustParse is Parse for literals in code and tests.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Of returns the day t falls on in t's own location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// Today returns the current day in loc.
func Today(loc *time.Location) Date {
	return Of(time.Now().In(loc))
}

// New returns the date for year, month and day (normalised like time.Date).
func New(year int, month time.Month, day int) Date {
	return Of(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight of d in UTC, for arithmetic and spreadsheet cells.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays returns the date n days after d.
func (d Date) AddDays(n int) Date { return Of(d.Time().AddDate(0, 0, n)) }

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// After reports whether d comes after e.
func (d Date) After(e Date) bool { return d.Time().After(e.Time()) }

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes d as YYYY-MM-DD, as the API and the audit trail
// show dates.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written by MarshalText.
func (d *Date) UnmarshalText(b []byte) error { return d.scanString(string(b)) }

// Value stores d as a PostgreSQL date.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a PostgreSQL date.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = Of(v)
		return nil
	case nil:
		*d = Date{}
		return nil
	case []byte:
		return d.scanString(string(v))
	case string:
		return d.scanString(v)
	}
	return fmt.Errorf("scan date from %T", src)
}

func (d *Date) scanString(s string) error {
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Earliest is the first business date the ledgers accept.
var Earliest = New(2000, time.January, 1)

// Check refuses, at path, a missing or implausibly early date. The future is
// judged by each organization's own today.
func Check(v *fault.InvalidInput, path string, d Date) {
	if d.IsZero() {
		v.Add(path, fault.Required, "is required")
	} else if d.Before(Earliest) {
		v.Add(path, fault.Invalid, "must be on or after "+Earliest.String())
	}
}
