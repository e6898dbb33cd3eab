package imports

import (
	"errors"
	"strings"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
)

// refs looks up what rows name — organizations, partners, boxes, aid
// types — once per import, however many rows name them.
type refs struct {
	r     *run
	found map[string]*lookup
}

// lookup is what one name was found to be, or why it was refused.
type lookup struct {
	found          any
	reason, refuse string
}

func newRefs(r *run) *refs { return &refs{r: r, found: map[string]*lookup{}} }

// cached returns what ref names, finding it once; nil after refusing the
// row's column col with why it was not found.
func cached[T any](f *refs, e *entry, col, what, ref string, find func() (T, error)) (*T, error) {
	k := what + "|" + strings.ToLower(ref)
	l, ok := f.found[k]
	if !ok {
		l = &lookup{}
		v, err := find()
		var in *fault.InvalidInput
		switch {
		case err == nil:
			l.found = &v
		case errors.As(err, &in) && len(in.Fields) > 0:
			l.reason, l.refuse = in.Fields[0].Reason, in.Fields[0].Message
		default:
			return nil, err
		}
		f.found[k] = l
	}
	if l.found == nil {
		f.r.refuse(e.row, col, l.reason, l.refuse)
		e.bad = true
		return nil, nil
	}
	return l.found.(*T), nil
}

// organization returns the organization a code names, where the caller
// may record.
func (f *refs) organization(e *entry, col, code string) (*organization.Organization, error) {
	return cached(f, e, col, "org", code, func() (organization.Organization, error) {
		o, err := organization.RequireRefOrName(f.r.ctx, f.r.im, f.r.sc, col, code)
		if err == nil && !f.r.sc.Reaches(o.Path) {
			err = fault.Refuse(col, fault.Invalid, "lies outside the part of the council tree this account may record in")
		}
		return o, err
	})
}

// place returns the organization a code or name names, of kind.
func (f *refs) place(e *entry, col, ref string, kind organization.Kind, says string) (*organization.Organization, error) {
	return cached(f, e, col, "place|"+string(kind), ref, func() (organization.Organization, error) {
		o, err := organization.RequireRefOrName(f.r.ctx, f.r.im, f.r.sc, col, ref)
		if err == nil && o.Kind != kind {
			err = fault.Refuse(col, fault.Invalid, "is not "+says)
		}
		return o, err
	})
}

// partner returns the partner a name names.
func (f *refs) partner(e *entry, col, name string) (*partner.Partner, error) {
	return cached(f, e, col, "partner", name, func() (partner.Partner, error) {
		return partner.RequireName(f.r.ctx, f.r.im, f.r.sc, col, name)
	})
}

// box returns the donation box a code names.
func (f *refs) box(e *entry, col, code string) (*box.Box, error) {
	return cached(f, e, col, "box", code, func() (box.Box, error) {
		return box.RequireRef(f.r.ctx, f.r.im, f.r.sc, col, code)
	})
}

// aidType returns the aid type a code or name names.
func (f *refs) aidType(e *entry, col, ref string) (*aid.Type, error) {
	return cached(f, e, col, "aid-type", ref, func() (aid.Type, error) {
		return aid.RequireTypeRef(f.r.ctx, f.r.im, f.r.sc, col, ref)
	})
}
