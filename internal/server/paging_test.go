package server_test

import (
	"encoding/json"
	"testing"
)

// TestEveryListPagesThroughOnce walks every connection of the API page by
// page: each record comes exactly once, and as many as totalCount says.
func TestEveryListPagesThroughOnce(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	for _, list := range []struct{ field, args string }{
		{"organizations", ""}, {"partners", ""}, {"donations", ", filter: {from: \"2014-06-01\", to: \"2014-08-31\"}"},
		{"donationBoxes", ""}, {"boxCollections", ", filter: {from: \"2014-06-01\", to: \"2014-07-31\"}"}, {"aidOutputs", ""},
		{"programmeTargets", ""}, {"auditLog", ", filter: {entity: \"work_meeting\"}"}, {"allocations", ", filter: {from: \"2014-06-01\", to: \"2014-09-30\"}"},
	} {
		seen := map[string]bool{}
		var after *string
		total := -1
		for pages := 0; ; pages++ {
			if pages > 200 {
				t.Fatalf("%s: no end after 200 pages", list.field)
			}
			r := admin.post(`query($after: String) { l: `+list.field+`(first: 7, after: $after`+list.args+`) {
				totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`, map[string]any{"after": after})
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %+v", list.field, r.Errors)
			}
			var got struct {
				L struct {
					TotalCount int
					PageInfo   struct {
						HasNextPage bool
						EndCursor   *string
					}
					Edges []struct{ Node struct{ ID string } }
				}
			}
			json.Unmarshal(r.Data, &got)
			total = got.L.TotalCount
			for _, e := range got.L.Edges {
				if seen[e.Node.ID] {
					t.Errorf("%s: %s comes twice", list.field, e.Node.ID)
				}
				seen[e.Node.ID] = true
			}
			if !got.L.PageInfo.HasNextPage {
				break
			}
			after = got.L.PageInfo.EndCursor
		}
		if len(seen) != total || total == 0 {
			t.Errorf("%s: %d records paged through, totalCount %d", list.field, len(seen), total)
		}
	}
}
