package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// Error codes clients see in extensions.code.
const (
	CodeBadUserInput = "BAD_USER_INPUT"
	CodeNotFound     = "NOT_FOUND"
	CodeInternal     = "INTERNAL_SERVER_ERROR"
	CodeTimeout      = "REQUEST_TIMEOUT"
	CodeForbidden    = "FORBIDDEN"
	CodeCancelled    = "CANCELLED" // the client went away; nobody reads it
)

// ErrorPresenter turns errors into GraphQL errors. Domain errors pass with
// their code and, for refused input, the field path; anything else (driver
// errors, constraint names, panics) becomes a generic message quoting the
// request id, and the detail goes to the log only. Every error carries the
// request id in extensions.requestId.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if invalid, ok := errors.AsType[*fault.InvalidInput](err); ok && len(invalid.Fields) > 1 {
			err = splitInvalidInput(ctx, err, invalid)
		}
		out := present(ctx, log, err)
		if out.Extensions == nil {
			out.Extensions = map[string]any{}
		}
		out.Extensions["requestId"] = audit.RequestFrom(ctx).ID
		return out
	}
}

// present maps err to what the client may see.
func present(ctx context.Context, log *slog.Logger, err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Err == nil {
		// Parse and validation errors, written by gqlgen for the client.
		// A copy: gqlgen may hand the same error to concurrent requests.
		out := *gqlErr
		out.Extensions = maps.Clone(gqlErr.Extensions)
		out.Message = maskNIKs(out.Message)
		return &out
	}
	out := graphql.DefaultErrorPresenter(ctx, err)
	var invalid *fault.InvalidInput
	switch {
	case errors.As(err, &invalid) && len(invalid.Fields) > 0:
		f := invalid.Fields[0]
		if f.Path == "" {
			f.Path = argumentPath(out.Path)
		}
		out.Message = f.Message
		if f.Path != "" {
			out.Message = f.Path + ": " + f.Message
		}
		out.Extensions = map[string]any{"code": CodeBadUserInput, "field": f.Path, "reason": f.Reason}
		// Logged, so that a write refused for an id outside the caller's
		// scope (answered like an unknown id) is on record.
		if p, ok := auth.From(ctx); ok {
			log.InfoContext(ctx, "input refused", "account", p.Name(), "field", f.Path, "reason", f.Reason)
		}
	case errors.Is(err, auth.ErrForbidden):
		p, _ := auth.From(ctx)
		log.WarnContext(ctx, "forbidden", "account", p.Name(), "role", p.Role, "path", out.Path.String())
		out.Message = "this account may not do this"
		out.Extensions = map[string]any{"code": CodeForbidden}
	case errors.Is(err, fault.ErrNotFound):
		out.Message = "not found"
		out.Extensions = map[string]any{"code": CodeNotFound}
	case errors.Is(ctx.Err(), context.Canceled):
		// The client went away mid-request: whatever the driver then
		// reported ("bad connection", a rolled-back transaction) is not a
		// fault of the server. Nobody reads this answer.
		log.InfoContext(ctx, "request cancelled by the client", "path", out.Path.String())
		out.Message = "the request was cancelled"
		out.Extensions = map[string]any{"code": CodeCancelled}
	case postgres.Canceled(err):
		out.Message = "the request took too long and was stopped; ask for less (a shorter period, a smaller page)"
		out.Extensions = map[string]any{"code": CodeTimeout}
	default:
		id := audit.RequestFrom(ctx).ID
		log.ErrorContext(ctx, "request failed", "error", err.Error(), "path", out.Path.String())
		out.Message = fmt.Sprintf("internal error; quote request id %s when reporting it", id)
		out.Extensions = map[string]any{"code": CodeInternal}
	}
	return out
}

// GuardMutations refuses every mutation to roles that never write, before
// any input is read: auditors and partner accounts get FORBIDDEN. It runs
// around root fields only, so the fields beneath them (fifty rows of a page
// and their names) pass through no middleware of ours.
func GuardMutations(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	if root := graphql.GetRootFieldContext(ctx); root != nil && root.Object == "Mutation" {
		if err := scope(ctx).CanWrite(); err != nil {
			// The field's own context is made after this; the error still
			// names the field and its place in the query.
			fc := graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: root.Object, Field: root.Field})
			graphql.AddError(fc, graphql.AddFieldLocationToError(fc, err))
			return graphql.Null
		}
	}
	return next(ctx)
}

// MaxFieldErrors is the most refused fields one answer lists; the last
// error then says how many more there were.
const MaxFieldErrors = 100

// splitInvalidInput answers one GraphQL error per refused field, so a form
// can put each message beside its field, at most MaxFieldErrors of them: it
// adds all but the last to the response and returns the last, for the
// presenter to present as the error it was given.
func splitInvalidInput(ctx context.Context, err error, invalid *fault.InvalidInput) error {
	fields := invalid.Fields
	if len(fields) > MaxFieldErrors {
		more := len(fields) - (MaxFieldErrors - 1)
		fields = append(fields[:MaxFieldErrors-1:MaxFieldErrors-1], fault.Field{
			Path: "input", Reason: fault.Invalid,
			Message: fmt.Sprintf("and %d more refused fields not listed here", more)})
	}
	var at gqlerror.Error // where the field is: its path and place in the query
	if e, ok := errors.AsType[*gqlerror.Error](err); ok {
		at.Path, at.Locations = e.Path, e.Locations
	}
	one := func(f fault.Field) *gqlerror.Error {
		e := &fault.InvalidInput{Fields: []fault.Field{f}}
		return &gqlerror.Error{Err: e, Message: e.Error(), Path: at.Path, Locations: at.Locations}
	}
	last := len(fields) - 1
	for _, f := range fields[:last] {
		graphql.AddError(ctx, one(f))
	}
	return one(fields[last])
}

// Recover turns a resolver panic into an internal error and logs the stack;
// the server goes on serving.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	}
}

// argumentPath turns the path gqlgen reports for a value it could not read
// (the field, then the argument and its fields) into the input path a form
// uses: ["recordDonation", "input", "receivedOn"] becomes "input.receivedOn".
func argumentPath(p ast.Path) string {
	var parts []string
	for i, elem := range p {
		if i == 0 {
			continue // the field the argument belongs to
		}
		switch e := elem.(type) {
		case ast.PathName:
			parts = append(parts, string(e))
		case ast.PathIndex:
			parts = append(parts, strconv.Itoa(int(e)))
		}
	}
	return strings.Join(parts, ".")
}

// sixteenDigits finds what may be a NIK in a message.
var sixteenDigits = regexp.MustCompile(`\b[0-9]{16}\b`)

// maskNIKs masks what may be a NIK in a message that quotes the query: a
// NIK typed as a number literal is refused with the literal repeated.
func maskNIKs(msg string) string {
	return sixteenDigits.ReplaceAllStringFunc(msg, nik.Mask)
}
