package graph

import (
	"context"

	"github.com/sinergi-id/sinergi/graph/model"
	"github.com/sinergi-id/sinergi/internal/request"
)

// step answers the aid request mutations that take only a date and a note.
func (r *Resolver) step(ctx context.Context, action request.Action, in model.AidRequestStepInput) (*request.Request, error) {
	return written(r.RequestStore.Transition(ctx, scope(ctx), request.Move{Action: action, RequestID: in.RequestID,
		On: in.On, Note: value(in.Note), IdempotencyKey: value(in.IdempotencyKey)}))
}
