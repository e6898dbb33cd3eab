package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/request"
)

// Codes of refused query shapes; like validation errors they are the
// client's fault and answered before anything runs.
const (
	CodeTooDeep             = "QUERY_TOO_DEEP"
	CodeTooManyAliases      = "TOO_MANY_ALIASES"
	CodeIntrospectionClosed = "INTROSPECTION_DISABLED"
)

func init() {
	for _, code := range []string{CodeTooDeep, CodeTooManyAliases, CodeIntrospectionClosed} {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
}

// pageCost is how many items a list field may return: the requested page
// size, so a client asking for 100 pays for 100.
func pageCost(child int, first *int) int {
	n := page.Default
	if first != nil && *first > 0 {
		n = *first
	}
	return (child + 1) * n
}

// Complexity returns the cost of each list field for the complexity limit:
// a page costs its size times what each item selects; unpaged lists cost a
// fixed typical length.
func Complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Organizations = func(child int, _ *organization.Filter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Partners = func(child int, _ *partner.Filter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Donations = func(child int, _ *donation.Filter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.DonationBoxes = func(child int, _ *box.Filter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.BoxCollections = func(child int, _ *box.CollectionFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.AidOutputs = func(child int, _ *aid.OutputFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.ProgrammeTargets = func(child int, _ *programme.Filter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.WorkMeetings = func(child int, _ *meeting.Filter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.AidRequests = func(child int, _ *request.Filter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Report = func(child int, _ string, from, to *calendar.Date, year *int) int {
		return (child + 1) * quartersSpanned(from, to, year)
	}
	c.DonationBox.Collections = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	fixed := func(n int) func(int) int { return func(child int) int { return (child + 1) * n } }
	c.Query.AidTypes = fixed(10)
	c.Organization.Children = fixed(20)
	c.Organization.Ancestors = fixed(4)
	c.Donation.Items = fixed(10)
	c.AidOutputConnection.ByAidType = fixed(10)
	c.AidOutputConnection.QuantityByUnit = fixed(10)
	c.WorkMeeting.Attendance = fixed(7)
	return c
}

// quartersSpanned is how many calendar quarters a report's period touches:
// its rollups scan that much of the ledger, so a ten-year report costs ten
// times a one-year one. An open end counts as a year.
func quartersSpanned(from, to *calendar.Date, year *int) int {
	if year != nil || from == nil || to == nil {
		return 4
	}
	months := (to.Year-from.Year)*12 + int(to.Month) - int(from.Month) + 1
	return max(1, min((months+2)/3, 4*200))
}

// QueryShape refuses, before anything runs, operations nested deeper than
// MaxDepth fields, using more than MaxAliases aliases, or asking for the
// schema (__schema, __type) unless Introspection is allowed. Introspection
// fields do not count towards the depth, so GraphiQL works where allowed.
type QueryShape struct {
	MaxDepth      int
	MaxAliases    int
	Introspection bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = QueryShape{}

// ExtensionName names the extension for gqlgen.
func (QueryShape) ExtensionName() string { return "QueryShape" }

// Validate accepts every schema.
func (QueryShape) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation about to run.
func (q QueryShape) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	var m measurement
	depth := m.measure(op.Operation.SelectionSet, map[string]bool{})
	aliases := m.aliases
	if m.introspection && !q.Introspection {
		err := gqlerror.Errorf("introspection is disabled on this server")
		errcode.Set(err, CodeIntrospectionClosed)
		return err
	}
	if q.MaxDepth > 0 && depth > q.MaxDepth {
		err := gqlerror.Errorf("query is %d fields deep; at most %d are allowed", depth, q.MaxDepth)
		errcode.Set(err, CodeTooDeep)
		return err
	}
	if q.MaxAliases > 0 && aliases > q.MaxAliases {
		err := gqlerror.Errorf("query uses %d aliases; at most %d are allowed", aliases, q.MaxAliases)
		errcode.Set(err, CodeTooManyAliases)
		return err
	}
	return nil
}

// measurement gathers what measure finds besides the depth.
type measurement struct {
	aliases       int
	introspection bool
}

// measure returns the depth of set in fields, counting aliases and noting
// introspection as it goes. A fragment is measured once per path;
// validation has already refused fragment cycles, and seen guards against
// them all the same.
func (m *measurement) measure(set ast.SelectionSet, seen map[string]bool) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				m.introspection = m.introspection || s.Name != "__typename"
				continue
			}
			if s.Alias != "" && s.Alias != s.Name {
				m.aliases++
			}
			d = 1 + m.measure(s.SelectionSet, seen)
		case *ast.InlineFragment:
			d = m.measure(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			d = m.measure(s.Definition.SelectionSet, seen)
			delete(seen, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}
