package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/page"
)

// A list resolver knows every key its page's nested fields will ask for, so
// it hands them to the loaders at once. Loaders otherwise gather keys for a
// short time window, which a busy machine can split into several batches;
// warming makes a page cost one query per nested type, whatever the load.

// nodeFields returns the names of the fields selected under
// edges { node { … } } of the connection being resolved.
func nodeFields(ctx context.Context, connection, edge, node string) map[string]bool {
	return names(nodeSelection(ctx, connection, edge, node))
}

// names returns the names of fields.
func names(fields []graphql.CollectedField) map[string]bool {
	out := map[string]bool{}
	for _, f := range fields {
		out[f.Name] = true
	}
	return out
}

// nodeSelection returns the fields selected under edges { node { … } } of
// the connection being resolved.
func nodeSelection(ctx context.Context, connection, edge, node string) []graphql.CollectedField {
	return nodesUnder(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections, connection, edge, node)
}

// nodesUnder returns the fields selected under edges { node { … } } in
// sel, the selection of a connection.
func nodesUnder(op *graphql.OperationContext, sel ast.SelectionSet, connection, edge, node string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, e := range graphql.CollectFields(op, sel, []string{connection}) {
		if e.Name != "edges" {
			continue
		}
		for _, n := range graphql.CollectFields(op, e.Selections, []string{edge}) {
			if n.Name == "node" {
				out = append(out, graphql.CollectFields(op, n.Selections, []string{node})...)
			}
		}
	}
	return out
}

// summaryFields are the fields that a donation read with
// donation.SummaryColumns answers, by type, each with the type of what it
// selects in turn ("" for a scalar). Any other field needs AllColumns.
var summaryFields = map[string]map[string]string{
	"Donation": {"__typename": "", "id": "", "receivedOn": "", "source": "", "kind": "", "amount": "", "reference": "",
		"organization": "Organization", "partner": "Partner"},
	"Organization": {"__typename": "", "id": "", "kind": "", "code": "", "name": "", "parent": "Organization"},
	"Partner":      {"__typename": "", "id": "", "kind": "", "name": ""},
}

// withinSummary says whether fields (of type typ), and all they select,
// are summaryFields.
func withinSummary(op *graphql.OperationContext, fields []graphql.CollectedField, typ string) bool {
	for _, f := range fields {
		sub, ok := summaryFields[typ][f.Name]
		if !ok {
			return false
		}
		if sub != "" && !withinSummary(op, graphql.CollectFields(op, f.Selections, []string{sub}), sub) {
			return false
		}
	}
	return true
}

// warmer gathers keys per loader and loads them all concurrently.
type warmer struct {
	thunks []func()
}

func warm[T any](w *warmer, ctx context.Context, l *dataloadgen.Loader[string, T], keys []*string) {
	seen := map[string]bool{}
	var unique []string
	for _, k := range keys {
		if k != nil && !seen[*k] {
			seen[*k] = true
			unique = append(unique, *k)
		}
	}
	if len(unique) > 0 {
		thunk := l.LoadAllThunk(ctx, unique)
		w.thunks = append(w.thunks, func() { thunk() }) // errors surface from the nested resolvers
	}
}

func (w *warmer) wait() {
	for _, t := range w.thunks {
		t()
	}
}

// donationPage reads a page of the ledger for the donations list. When the
// page shows councils or partners, they (and each council's parent) come
// in the page's own statement and ride on the donations, so their
// resolvers need no loader: a page with its names costs one statement,
// not one per kind of name. A page that asks only what a list shows reads
// only those columns (donation.SummaryColumns).
func (r *Resolver) donationPage(ctx context.Context, f donation.Filter, req page.Request) (page.Page[donation.Donation], error) {
	nodes := nodeSelection(ctx, "DonationConnection", "DonationEdge", "Donation")
	fields := names(nodes)
	var p page.Page[donation.Donation]
	var err error
	switch {
	case withinSummary(graphql.GetOperationContext(ctx), nodes, "Donation"):
		p, err = r.DonationStore.ListWithNames(ctx, scope(ctx), f, req, donation.SummaryColumns)
	case fields["organization"] || fields["partner"]:
		p, err = r.DonationStore.ListWithNames(ctx, scope(ctx), f, req, donation.AllColumns)
	default:
		p, err = r.DonationStore.List(ctx, scope(ctx), f, req)
	}
	if err != nil {
		return p, err
	}
	if fields["items"] {
		var w warmer
		ids := make([]*string, len(p.Items))
		for i := range p.Items {
			ids[i] = &p.Items[i].ID
		}
		warm(&w, ctx, r.loaders(ctx).items, ids)
		w.wait()
	}
	return p, nil
}

func (r *Resolver) warmAidOutputs(ctx context.Context, items []aid.Output) {
	f := nodeFields(ctx, "AidOutputConnection", "AidOutputEdge", "AidOutput")
	l := r.loaders(ctx)
	var w warmer
	var orgs, types []*string
	for i := range items {
		o := &items[i]
		if f["organization"] {
			orgs = append(orgs, &o.OrganizationID)
		}
		if f["regency"] {
			orgs = append(orgs, &o.RegencyID)
		}
		if f["recipientInstitution"] {
			orgs = append(orgs, o.RecipientInstitutionID)
		}
		types = append(types, &o.AidTypeID)
	}
	warm(&w, ctx, l.organization, orgs)
	if f["aidType"] {
		warm(&w, ctx, l.aidType, types)
	}
	w.wait()
}

func (r *Resolver) warmBoxes(ctx context.Context, items []box.Box) {
	f := nodeFields(ctx, "DonationBoxConnection", "DonationBoxEdge", "DonationBox")
	l := r.loaders(ctx)
	var w warmer
	var orgs, hosts []*string
	for i := range items {
		b := &items[i]
		if f["organization"] {
			orgs = append(orgs, &b.OrganizationID)
		}
		if f["regency"] {
			orgs = append(orgs, &b.RegencyID)
		}
		hosts = append(hosts, &b.HostPartnerID)
	}
	warm(&w, ctx, l.organization, orgs)
	if f["host"] {
		warm(&w, ctx, l.partner, hosts)
	}
	w.wait()
}

func (r *Resolver) warmCollections(ctx context.Context, items []box.Collection) {
	f := nodeFields(ctx, "BoxCollectionConnection", "BoxCollectionEdge", "BoxCollection")
	l := r.loaders(ctx)
	var w warmer
	var boxes, donations []*string
	for i := range items {
		c := &items[i]
		boxes = append(boxes, &c.BoxID)
		donations = append(donations, &c.DonationID)
	}
	if f["box"] {
		warm(&w, ctx, l.box, boxes)
	}
	if f["donation"] {
		warm(&w, ctx, l.donation, donations)
	}
	w.wait()
}
