package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/token"
)

// authenticator resolves the bearer token of a request to its principal.
type authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
}

// authenticate admits requests with a valid bearer token, putting the
// caller in the context for the domain's scope and the audit trail, and
// answers 401 to the rest. roles, when given, are the only ones admitted
// (others get 403).
func authenticate(a authenticator, log *slog.Logger, next http.Handler, roles ...auth.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		secret, ok := bearerToken(req)
		if !ok {
			unauthorized(w, "send an API token: Authorization: Bearer <token>")
			return
		}
		p, err := a.Authenticate(req.Context(), secret)
		if errors.Is(err, token.ErrUnauthenticated) {
			log.WarnContext(req.Context(), "refused token", "path", req.URL.Path)
			unauthorized(w, "the API token is unknown, revoked or expired")
			return
		}
		if err != nil {
			log.ErrorContext(req.Context(), "authenticate", "error", err.Error())
			http.Error(w, "authentication is unavailable; try again", http.StatusServiceUnavailable)
			return
		}
		ctx := auth.WithPrincipal(req.Context(), p)
		if len(roles) > 0 && auth.ScopeOf(p).Require(roles...) != nil {
			log.WarnContext(req.Context(), "forbidden", "path", req.URL.Path, "account", p.Name(), "role", p.Role)
			writeJSONError(w, http.StatusForbidden, "FORBIDDEN", "this account may not use "+req.URL.Path)
			return
		}
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

func unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="sinergi"`)
	writeJSONError(w, http.StatusUnauthorized, "UNAUTHENTICATED", message)
}

// writeInvalidInput answers 400 with one error per refused parameter, in
// the shape of GraphQL's: extensions.code, field and reason.
func writeInvalidInput(w http.ResponseWriter, invalid *fault.InvalidInput) {
	var errs []any
	for _, f := range invalid.Fields {
		errs = append(errs, map[string]any{"message": f.Path + ": " + f.Message,
			"extensions": map[string]any{"code": "BAD_USER_INPUT", "field": f.Path, "reason": f.Reason}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}

// writeJSONError answers an HTTP-level refusal in the shape of a GraphQL
// error, so a client reads every refusal the same way.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
