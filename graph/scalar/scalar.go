// Package scalar reads and writes the API's custom scalars: Rupiah (whole
// rupiah as a JSON number) and Date (YYYY-MM-DD).
package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
)

// MarshalRupiah writes r as a JSON number; every amount the ledger accepts
// is exact in a JavaScript number.
func MarshalRupiah(r money.Rupiah) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.FormatInt(int64(r), 10))
	})
}

// UnmarshalRupiah reads a whole number of rupiah from a JSON number or a
// string of digits. Fractions are refused: there are no sen.
func UnmarshalRupiah(v any) (money.Rupiah, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	case int:
		return money.Rupiah(x), nil
	case int64:
		return money.Rupiah(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, invalid("Rupiah must be a whole number of rupiah")
		}
		return money.Rupiah(x), nil
	default:
		return 0, invalid(fmt.Sprintf("Rupiah must be a whole number, not %T", v))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, invalid(fmt.Sprintf("Rupiah must be a whole number of rupiah, not %q", s))
	}
	return money.Rupiah(n), nil
}

// MarshalDate writes d as "YYYY-MM-DD".
func MarshalDate(d calendar.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDate reads "YYYY-MM-DD".
func UnmarshalDate(v any) (calendar.Date, error) {
	s, ok := v.(string)
	if !ok {
		return calendar.Date{}, invalid(fmt.Sprintf("Date must be a string YYYY-MM-DD, not %T", v))
	}
	d, err := calendar.Parse(s)
	if err != nil {
		return calendar.Date{}, invalid(err.Error())
	}
	return d, nil
}

// invalid is a refused value; the error presenter fills in the field path
// from where gqlgen met it.
func invalid(message string) error {
	return fault.Refuse("", fault.Invalid, message)
}

// MarshalTime writes t in RFC 3339 with its offset.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 instant, which must carry its offset.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalid(fmt.Sprintf("Time must be an RFC 3339 string, not %T", v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(fmt.Sprintf("time %q is not RFC 3339, e.g. 2014-07-17T09:00:00+08:00", s))
	}
	if t.UTC().Year() < 1 || t.UTC().Year() > 9999 {
		return time.Time{}, invalid(fmt.Sprintf("time %q is outside the years 0001 to 9999", s))
	}
	return t, nil
}
