package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sinergi-id/sinergi/graph"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// FuzzGraphQL sends generated operations, built from the schema by the
// fuzzer's bytes, to the real handler over a database with the demo data.
// Whatever the input, the server must answer a JSON GraphQL response, never
// a 5xx and never an internal error: bad input is the client's error.
func FuzzGraphQL(f *testing.F) {
	for _, seed := range [][]byte{
		{0}, {1, 2, 3, 4, 5, 6, 7, 8}, {255, 0, 255, 0, 7, 7, 7},
		[]byte("donations organizations aidOutputs"), []byte("\x01\x05\x09\x00\x02\x03\x04\x05\x06\x07\x08"),
	} {
		f.Add(seed, "2014-07-17")
		f.Add(seed, "00000000-0000-0000-0000-000000000000")
		f.Add(seed, `"; DROP TABLE donations; --`)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	e := newEnvOn(f, pgtest.DB(f))
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		g := &generator{schema: schema, data: data, text: text}
		op := g.operation()
		body, _ := json.Marshal(map[string]any{"query": op})
		req, _ := http.NewRequest("POST", e.url+"/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode >= 500 || res.StatusCode == http.StatusUnauthorized {
			t.Fatalf("status %d for %s", res.StatusCode, op)
		}
		var r response
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			t.Fatalf("answer is not JSON (%v) for %s", err, op)
		}
		for _, answer := range r.Errors {
			if answer.Extensions["code"] == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("internal error for %s", op)
			}
		}
	})
}

// generator builds a GraphQL operation from bytes: which root field, which
// sub-fields, which argument values. Text is used where a string goes.
type generator struct {
	schema *ast.Schema
	data   []byte
	pos    int
	text   string
}

func (g *generator) next() int {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[g.pos%len(g.data)]
	g.pos++
	return int(b)
}

func (g *generator) pick(n int) int {
	if n <= 1 {
		return 0
	}
	return g.next() % n
}

func (g *generator) operation() string {
	root, kind := g.schema.Query, "query"
	if g.next()%3 == 0 {
		root, kind = g.schema.Mutation, "mutation"
	}
	return kind + " { " + g.fields(root, 0) + " }"
}

func (g *generator) fields(def *ast.Definition, depth int) string {
	var out []string
	for range 1 + g.pick(3) {
		f := def.Fields[g.pick(len(def.Fields))]
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		s := fmt.Sprintf("f%d: %s", g.pos, f.Name)
		if args := g.arguments(f.Arguments); args != "" {
			s += "(" + args + ")"
		}
		if sub := g.schema.Types[f.Type.Name()]; sub.Kind == ast.Object || sub.Kind == ast.Interface {
			if depth >= 5 {
				s += " { __typename }"
			} else {
				s += " { " + g.fields(sub, depth+1) + " }"
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "__typename"
	}
	return strings.Join(out, " ")
}

func (g *generator) arguments(args ast.ArgumentDefinitionList) string {
	var out []string
	for _, a := range args {
		if !a.Type.NonNull && g.next()%2 == 0 {
			continue
		}
		out = append(out, a.Name+": "+g.value(a.Type, 0))
	}
	return strings.Join(out, ", ")
}

func (g *generator) value(t *ast.Type, depth int) string {
	if t.Elem != nil {
		return "[" + g.value(t.Elem, depth+1) + "]"
	}
	if !t.NonNull && g.next()%7 == 0 {
		return "null"
	}
	def := g.schema.Types[t.Name()]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[g.pick(len(def.EnumValues))].Name
	case ast.InputObject:
		if depth > 3 {
			return "{}"
		}
		var fields []string
		for _, f := range def.Fields {
			if f.Type.NonNull || g.next()%2 == 0 {
				fields = append(fields, f.Name+": "+g.value(f.Type, depth+1))
			}
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	switch t.Name() {
	case "Int":
		return []string{"0", "1", "-1", "20", "100", "101", "2147483647", "-2147483648"}[g.pick(8)]
	case "Rupiah":
		return []string{"0", "1", "-5", "5000000000000", "5000000000001", `"12000"`, `"9223372036854775808"`, "1.5"}[g.pick(8)]
	case "Date":
		return quote([]string{"2014-07-17", "1999-12-31", "2099-01-01", "2014-02-30", g.text}[g.pick(5)])
	case "Boolean":
		return []string{"true", "false"}[g.pick(2)]
	case "ID":
		return quote([]string{"00000000-0000-0000-0000-000000000000", "not-an-id", g.text}[g.pick(3)])
	default:
		return quote(g.text)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a valid GraphQL string
	return string(b)
}

// FuzzWorkbookParameters sends arbitrary parameter values to every
// workbook: whatever they are, the answer is a workbook or the client's
// error, never a 5xx.
func FuzzWorkbookParameters(f *testing.F) {
	for _, seed := range []string{"2014-07-17", "0000-01-01", "BALI", "\x00", "\xff", "BALI-BADUNG", "2014-02-30",
		"00000000-0000-0000-0000-000000000000", "=HYPERLINK(\"x\")", "CSR,GOVERNMENT", "en", "9999-12-31T23:59:59Z"} {
		f.Add(uint8(0), seed)
		f.Add(uint8(7), seed)
	}
	e := newEnvOn(f, pgtest.DB(f))
	workbooks := []struct {
		path   string
		params []string
	}{
		{"/exports/donations.xlsx", []string{"from", "to", "org", "source", "partner", "kind", "lang"}},
		{"/exports/box-collections.xlsx", []string{"from", "to", "org", "box", "host", "regency", "lang"}},
		{"/exports/aid-outputs.xlsx", []string{"from", "to", "org", "type", "group", "pmks", "regency", "lang"}},
		{"/exports/audit-log.xlsx", []string{"from", "to", "entity", "actor", "lang"}},
		{"/exports/raker.xlsx", []string{"org", "year", "from", "to", "lang"}},
		{"/exports/aid-requests.xlsx", []string{"from", "to", "org", "state", "pmks", "lang"}},
	}
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		w := workbooks[int(which)%len(workbooks)]
		param := w.params[int(which/8)%len(w.params)]
		q := url.Values{param: {value}}
		if w.path == "/exports/raker.xlsx" && param != "org" {
			q.Set("org", "BALI")
		}
		req, _ := http.NewRequest("GET", e.url+w.path+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("status %d for %s?%s", res.StatusCode, w.path, q.Encode())
		}
	})
}
