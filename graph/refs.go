package graph

import (
	"context"

	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// inputRefs turns what a person gives for the records an input names — a
// council's or an aid type's or a box's code, a partner's name — into
// their ids, refusing unknown ones with the nearest; ids pass as they are.
// The write then checks the ids as it always does.
type inputRefs struct {
	ctx context.Context
	r   *Resolver
	v   fault.InvalidInput
}

// codes resolves, with resolve, the references an input gives as codes or
// names, before the write: the refusal of every unknown one, or nil.
func (r *Resolver) codes(ctx context.Context, resolve func(in *inputRefs)) error {
	// Who may not write is told so, not that a code is unknown to it.
	if err := scope(ctx).CanWrite(); err != nil {
		return err
	}
	in := &inputRefs{ctx: ctx, r: r}
	resolve(in)
	return in.v.Failed()
}

// resolve replaces *ref, when it is not an id, by the id find gives.
func (in *inputRefs) resolve(field string, ref *string, find func(field, ref string) (string, error)) {
	if ref == nil || postgres.IsID(*ref) {
		return
	}
	id, err := find(field, *ref)
	if in.v.Collect(err) {
		*ref = id
	}
}

func (in *inputRefs) organization(field string, ref *string) {
	in.resolve(field, ref, func(field, ref string) (string, error) {
		o, err := in.r.OrganizationStore.Resolve(in.ctx, scope(in.ctx), field, ref)
		return o.ID, err
	})
}

func (in *inputRefs) aidType(field string, ref *string) {
	in.resolve(field, ref, func(field, ref string) (string, error) {
		t, err := in.r.AidStore.ResolveType(in.ctx, scope(in.ctx), field, ref)
		return t.ID, err
	})
}

func (in *inputRefs) box(field string, ref *string) {
	in.resolve(field, ref, func(field, ref string) (string, error) {
		b, err := in.r.BoxStore.Resolve(in.ctx, scope(in.ctx), field, ref)
		return b.ID, err
	})
}

func (in *inputRefs) partner(field string, ref *string) {
	in.resolve(field, ref, func(field, ref string) (string, error) {
		p, err := in.r.PartnerStore.Resolve(in.ctx, scope(in.ctx), field, ref)
		return p.ID, err
	})
}

func (in *inputRefs) permit(field string, ref *string) {
	in.resolve(field, ref, func(field, ref string) (string, error) {
		p, err := in.r.PermitStore.Resolve(in.ctx, scope(in.ctx), field, ref)
		return p.ID, err
	})
}
