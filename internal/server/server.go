// Package server is the HTTP edge: routes, request ids, access logs, health
// checks and the GraphQL handler.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/jmoiron/sqlx"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sinergi-id/sinergi/graph"
	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/programme"
)

// MaxBodyBytes bounds a GraphQL request body.
const MaxBodyBytes = 1 << 20

// Resolver returns the GraphQL resolver over db.
func Resolver(db *sqlx.DB) *graph.Resolver {
	return &graph.Resolver{
		OrganizationStore: organization.NewStore(db),
		PartnerStore:      partner.NewStore(db),
		DonationStore:     donation.NewStore(db),
		BoxStore:          box.NewStore(db),
		AidStore:          aid.NewStore(db),
		ProgrammeStore:    programme.NewStore(db),
		MeetingStore:      meeting.NewStore(db),
	}
}

// Handler returns every route of the server.
func Handler(db *sqlx.DB, log *slog.Logger) http.Handler {
	r := Resolver(db)
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: r}))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	gql.Use(extension.Introspection{})
	gql.AroundFields(graph.SplitInvalidInput)
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.SetRecoverFunc(graph.Recover(log))

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", playground.Handler("Sinergi", "/graphql"))
	mux.Handle("/graphql", http.MaxBytesHandler(r.WithLoaders(gql), MaxBodyBytes))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "error", err.Error())
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	return withRequest(log, mux)
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequest gives each request an id (the caller's X-Request-ID when it
// is sane), puts it in the context for logs and the audit trail, and logs
// the request when it ends.
func withRequest(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		id := req.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		ctx := audit.WithActor(req.Context(), audit.Actor{Name: "anonymous", RequestID: id})
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, req.WithContext(ctx))
		log.InfoContext(ctx, "request", "method", req.Method, "path", req.URL.Path,
			"status", rec.status, "duration_ms", time.Since(start).Milliseconds())
	})
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// LogHandler wraps h so that every record logged with a request's context
// carries its request_id.
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := audit.ActorFrom(ctx).RequestID; id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
