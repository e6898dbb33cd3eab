// Package money holds the rupiah amount type. Money is always a whole number
// of rupiah: no floating point anywhere, not even in reports.
package money

import (
	"strconv"

	"github.com/sinergi-id/sinergi/internal/fault"
)

// Rupiah is an amount in whole Indonesian rupiah.
type Rupiah int64

// Max is the largest amount a single record may carry (Rp 5 trillion), far
// above any real gift and still exact in JSON numbers and spreadsheet cells.
const Max Rupiah = 5_000_000_000_000

// String formats r the Indonesian way: "Rp 1.250.000".
func (r Rupiah) String() string {
	s := strconv.FormatInt(int64(r), 10)
	neg := ""
	if r < 0 {
		neg, s = "-", s[1:]
	}
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, c)
	}
	return neg + "Rp " + string(out)
}

// Check refuses, at path, an amount that is not positive or is above Max.
func Check(v *fault.InvalidInput, path string, a Rupiah) {
	switch {
	case a <= 0:
		v.Add(path, fault.Invalid, "must be more than zero")
	case a > Max:
		v.Add(path, fault.Invalid, "must be at most "+Max.String())
	}
}

// CheckNonNegative refuses, at path, a negative amount or one above Max.
func CheckNonNegative(v *fault.InvalidInput, path string, a Rupiah) {
	switch {
	case a < 0:
		v.Add(path, fault.Invalid, "must not be negative")
	case a > Max:
		v.Add(path, fault.Invalid, "must be at most "+Max.String())
	}
}
