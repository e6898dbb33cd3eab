package postgres

import "strconv"

// Args is the argument list of one SQL statement being composed: Add
// appends a value and returns its placeholder, so the parts of a statement
// (a filter, the caller's scope, a page's keyset) can be written apart
// without counting one another's parameters.
type Args []any

// Add appends v and returns its placeholder, such as "$3".
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}
