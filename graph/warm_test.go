package graph

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestWithinSummary: a page of donations is read with SummaryColumns only
// when every field it selects, through fragments, aliases and directives,
// is one those columns answer; any other field needs them all.
func TestWithinSummary(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	for _, c := range []struct {
		nodes string
		want  bool
	}{
		{`id receivedOn amount source organization { name parent { name } } partner { name }`, true},
		{`__typename id kind reference organization { id kind code name parent { id code parent { name } } } partner { id kind name }`, true},
		{`a: amount b: organization { n: name }`, true},
		{`...F`, true},
		{`... on Donation { organization { ...O } }`, true},
		{`id notes @include(if: $no)`, true},
		{`id`, true},
		{`id notes`, false},
		{`id createdAt`, false},
		{`organization { timeZone }`, false},
		{`organization { parent { address } }`, false},
		{`organization { parent { parent { createdAt } } }`, false},
		{`organization { children { name } }`, false},
		{`partner { notes }`, false},
		{`...G`, false},
		{`id notes @include(if: $yes)`, false},
		{`items { description }`, false},
		{`receipt { number }`, false},
	} {
		// The query declares only the variables and fragments it uses.
		var vars []string
		for _, v := range []string{"yes", "no"} {
			if strings.Contains(c.nodes, "$"+v) {
				vars = append(vars, "$"+v+": Boolean!")
			}
		}
		query := `query`
		if vars != nil {
			query += `(` + strings.Join(vars, ", ") + `)`
		}
		query += ` { donations(first: 50) { totalCount edges { cursor node { ` + c.nodes + ` } } pageInfo { hasNextPage } } }`
		for name, body := range map[string]string{"F": `on Donation { id amount partner { name } }`, "G": `on Donation { id partner { createdAt } }`, "O": `on Organization { code }`} {
			if strings.Contains(c.nodes, "..."+name) {
				query += ` fragment ` + name + ` ` + body
			}
		}
		doc, errs := gqlparser.LoadQuery(schema, query)
		if errs != nil {
			t.Fatalf("%s: %v", c.nodes, errs)
		}
		op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{"yes": true, "no": false}}
		donations := doc.Operations[0].SelectionSet[0].(*ast.Field)
		nodes := nodesUnder(op, donations.SelectionSet, "DonationConnection", "DonationEdge", "Donation")
		if got := withinSummary(op, nodes, "Donation"); got != c.want {
			t.Errorf("{ %s }: within the summary %v, want %v", c.nodes, got, c.want)
		}
	}
}
