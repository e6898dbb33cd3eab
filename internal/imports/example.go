package imports

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
)

// example is the template's example row, as column key → value.
type example map[string]string

// exampleRows are the example rows of the caller's templates of kind in
// both languages, so that a template sent back with its example still in
// does not import it as a record.
func exampleRows(ctx context.Context, sc auth.Scope, st Stores, kind string) ([]example, error) {
	var out []example
	for _, lang := range []export.Language{export.Indonesian, export.English} {
		_, fields, err := export.TemplateFields(ctx, sc, st, kind, lang)
		if err != nil {
			return nil, err
		}
		ex := example{}
		for _, fd := range fields {
			for _, c := range specs[kind].columns {
				if containsString(c.headers, normalHeader(fd.Header)) {
					ex[c.key] = exampleValue(fd.Example)
				}
			}
		}
		out = append(out, ex)
	}
	return out, nil
}

func exampleValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case money.Rupiah:
		return strconv.FormatInt(int64(x), 10)
	case int:
		return strconv.Itoa(x)
	case calendar.Date:
		return x.String()
	}
	return fmt.Sprint(v)
}

// isExample reports whether r holds exactly one of the examples.
func isExample(r row, columns []column, examples []example) bool {
	for _, ex := range examples {
		same := len(ex) > 0
		for _, c := range columns {
			if normalValue(c, r.cells[c.key]) != ex[c.key] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// normalValue is a cell as an example compares: dates and numbers read.
func normalValue(c column, s string) string {
	var v fault.InvalidInput
	switch c.kind {
	case date:
		if s == "" {
			return ""
		}
		if d := parseDate(&v, "", s); v.Err() == nil {
			return d.String()
		}
	case number:
		if s == "" {
			return ""
		}
		if n, ok := parseInteger(&v, "", s); ok {
			return strconv.FormatInt(n, 10)
		}
	}
	return s
}
