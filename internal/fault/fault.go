// Package fault defines the errors that domain packages return and that the
// API edges turn into answers: not found, and invalid input with the path of
// each offending field, so a form can show it beside the field.
package fault

import (
	"errors"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrNotFound reports that a record does not exist (or is not visible).
var ErrNotFound = errors.New("not found")

// Reasons a field can be refused; the API passes them on as they are.
const (
	Required   = "REQUIRED"
	Invalid    = "INVALID"
	Unknown    = "UNKNOWN"
	TooLong    = "TOO_LONG"
	FutureDate = "FUTURE_DATE"
	Duplicate  = "DUPLICATE"
	// ClosedPeriod refuses a date inside a period whose books are closed.
	ClosedPeriod = "CLOSED_PERIOD"
)

// Field is one refused input field.
type Field struct {
	Path    string // e.g. "input.amount" or "input.items.2.quantity"
	Reason  string // one of the reason constants
	Message string // a sentence for a person
}

// InvalidInput collects the refused fields of one input. Its zero value is ready
// to use; Err returns nil while nothing has been added.
type InvalidInput struct {
	Fields []Field
	fatal  error // the first error that is not about the input, see Collect
}

// Collect adds the refused fields of err, when err refuses input, so that
// every refused field of one input is answered at once. It reports whether
// err is nil, that is whether checks that depend on the value just checked
// can go on. Any other error is kept for Failed.
func (v *InvalidInput) Collect(err error) bool {
	if err == nil {
		return true
	}
	var in *InvalidInput
	if errors.As(err, &in) {
		v.Fields = append(v.Fields, in.Fields...)
	} else if v.fatal == nil {
		v.fatal = err
	}
	return false
}

// Failed returns the first error Collect kept that is not about the input,
// else the refused fields, else nil.
func (v *InvalidInput) Failed() error {
	if v.fatal != nil {
		return v.fatal
	}
	return v.Err()
}

// MaxQuantity is the largest count of anything (aid delivered, goods
// received, a target) that one record carries: PostgreSQL's integer.
const MaxQuantity = 1<<31 - 1

// Quantity refuses, at path, a count that is not between 1 and MaxQuantity.
func (v *InvalidInput) Quantity(path string, n int) {
	switch {
	case n <= 0:
		v.Add(path, Invalid, "must be more than zero")
	case n > MaxQuantity:
		v.Add(path, Invalid, "must be at most "+itoa(MaxQuantity))
	}
}

// Add records a refused field.
func (v *InvalidInput) Add(path, reason, message string) {
	v.Fields = append(v.Fields, Field{Path: path, Reason: reason, Message: message})
}

// Err returns v as an error, or nil when no field was refused.
func (v *InvalidInput) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *InvalidInput) Error() string {
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		parts[i] = f.Path + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Refuse returns an error for a single refused field.
func Refuse(path, reason, message string) error {
	return &InvalidInput{Fields: []Field{{Path: path, Reason: reason, Message: message}}}
}

// Text checks a free-text field: required or not, at most max characters,
// and storable: PostgreSQL text holds no NUL character.
func (v *InvalidInput) Text(path, value string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(value) == "":
		v.Add(path, Required, "must not be empty")
	case utf8.RuneCountInString(value) > max:
		v.Add(path, TooLong, "must be at most "+itoa(max)+" characters")
	case !Storable(value):
		v.Add(path, Invalid, "must be valid UTF-8 text without NUL characters")
	}
}

// Storable reports whether s can be stored as PostgreSQL text.
func Storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// OptionalText checks an optional free-text field.
func (v *InvalidInput) OptionalText(path string, value *string, max int) {
	if value != nil {
		v.Text(path, *value, false, max)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Nearest returns up to n of candidates that look like what a person meant
// by s: those containing it or contained in it, and those a few typing
// slips away (case aside), nearest first.
func Nearest(s string, candidates []string, n int) []string {
	type scored struct {
		name string
		d    int
	}
	want := strings.ToLower(s)
	limit := max(2, utf8.RuneCountInString(want)/4)
	var near []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(want, lc)
		if d > limit && !(len(want) >= 3 && (strings.Contains(lc, want) || strings.Contains(want, lc))) {
			continue
		}
		near = append(near, scored{c, d})
	}
	slices.SortStableFunc(near, func(a, b scored) int { return a.d - b.d })
	var out []string
	for i := 0; i < len(near) && i < n; i++ {
		out = append(out, near[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
