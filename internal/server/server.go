// Package server is the HTTP edge: routes, request ids, access logs, limits,
// metrics, health checks and the GraphQL handler.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/pprof"
	"net/url"
	"regexp"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/jmoiron/sqlx"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sinergi-id/sinergi/graph"
	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/imports"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/receipt"
	"github.com/sinergi-id/sinergi/internal/request"
	"github.com/sinergi-id/sinergi/internal/token"
	"github.com/sinergi-id/sinergi/internal/web"
)

// Resolver returns the GraphQL resolver over db, sealing NIKs with the key
// of cfg.
func Resolver(db *sqlx.DB, cfg Config) *graph.Resolver {
	return &graph.Resolver{
		OrganizationStore: organization.NewStore(db),
		PartnerStore:      partner.NewStore(db),
		DonationStore:     donation.NewStore(db),
		BoxStore:          box.NewStore(db),
		AidStore:          aid.NewStore(db),
		ProgrammeStore:    programme.NewStore(db),
		MeetingStore:      meeting.NewStore(db),
		AuditStore:        audit.NewStore(db),
		FundStore:         fund.NewStore(db),
		ReceiptStore:      receipt.NewStore(db),
		RequestStore:      request.NewStore(db, cfg.NIKKey, cfg.RequestDeadlines),
		ImportJobs:        imports.NewJobStore(db),
		PermitStore:       permit.NewStore(db, cfg.PermitRules),
	}
}

// Handler returns every route of the server. Everything but the health
// checks and the GraphiQL page needs an API token. Its log lines carry the
// request id of the request they belong to.
func Handler(db *sqlx.DB, log *slog.Logger, cfg Config) http.Handler {
	var tokens authenticator = token.NewStore(db)
	if cfg.TokenCache != nil {
		tokens = cfg.TokenCache
	}
	return newHandler(db, tokens, log, cfg)
}

func newHandler(db *sqlx.DB, tokens authenticator, log *slog.Logger, cfg Config) http.Handler {
	log = slog.New(requestIDHandler{log.Handler()})
	m := newMetrics(db)
	r := Resolver(db, cfg)
	if cfg.Replica != nil {
		r.Reads = m.readReplica(cfg.Replica, r, Resolver(cfg.Replica.DB, cfg))
	}
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: r, Complexity: graph.Complexity()}))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	gql.SetParserTokenLimit(cfg.MaxTokens)
	if cfg.Development {
		gql.Use(extension.Introspection{})
	} else {
		gql.SetDisableSuggestion(true)
	}
	gql.Use(graph.QueryShape{MaxDepth: cfg.MaxDepth, MaxAliases: cfg.MaxAliases, Introspection: cfg.Development})
	gql.Use(extension.FixedComplexityLimit(cfg.MaxComplexity))
	gql.AroundRootFields(graph.GuardMutations)
	gql.AroundResponses(m.countResponse)
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.SetRecoverFunc(graph.Recover(log))

	limiter := newRateLimiter(cfg.RateLimit, cfg.RateBurst)
	gate := newExportGate(cfg)
	api := limiter.wrap(authenticate(tokens, log,
		requireJSON(limitBody(cfg.MaxBodyBytes, withDeadline(cfg.RequestTimeout, specStatus(r.WithLoaders(gql)))))))

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", web.GraphiQL())
	mux.Handle("GET /graphiql/", web.Assets("graphiql"))
	mux.Handle("GET /dashboard", web.Dashboard())
	mux.Handle("GET /dashboard/", web.Assets("dashboard"))
	mux.Handle("/graphql", m.route("/graphql", api))
	mux.Handle("GET /metrics", authenticate(tokens, log, m.handler(), auth.Admin, auth.Auditor))
	// Profiles of the running server, for admins: where its time goes under
	// load (docs/PERFORMANCE.md).
	mux.Handle("GET /debug/pprof/", authenticate(tokens, log, http.HandlerFunc(pprof.Index), auth.Admin))
	mux.Handle("GET /debug/pprof/profile", authenticate(tokens, log, http.HandlerFunc(pprof.Profile), auth.Admin))
	mux.Handle("GET /exports/audit-log.xlsx", m.route("/exports/audit-log.xlsx", limiter.wrap(authenticate(tokens, log,
		workbook(log, r.OrganizationStore, gate, "audit-log", readWith(r, func(r *graph.Resolver) writeWorkbook {
			return auditLogWorkbook(r.AuditStore)
		})), auth.Admin, auth.Auditor))))
	for name, build := range map[string]func(*graph.Resolver) writeWorkbook{
		"donations": func(r *graph.Resolver) writeWorkbook { return donationWorkbook(r.OrganizationStore, r.DonationStore) },
		"box-collections": func(r *graph.Resolver) writeWorkbook {
			return boxCollectionWorkbook(r.OrganizationStore, r.BoxStore)
		},
		"aid-outputs":  func(r *graph.Resolver) writeWorkbook { return aidOutputWorkbook(r.OrganizationStore, r.AidStore) },
		"raker":        func(r *graph.Resolver) writeWorkbook { return rakerWorkbook(rakerStores(r)) },
		"aid-requests": func(r *graph.Resolver) writeWorkbook { return aidRequestWorkbook(r.OrganizationStore, r.RequestStore) },
		"pub-report":   func(r *graph.Resolver) writeWorkbook { return permitReportWorkbook(r.PermitStore) },
		"partner-statement": func(r *graph.Resolver) writeWorkbook {
			return statementWorkbook(export.StatementStores{Funds: r.FundStore, Partners: r.PartnerStore,
				Organizations: r.OrganizationStore, Aid: r.AidStore, Receipts: r.ReceiptStore})
		},
	} {
		path := "/exports/" + name + ".xlsx"
		mux.Handle("GET "+path, m.route(path, limiter.wrap(authenticate(tokens, log, workbook(log, r.OrganizationStore, gate, name, readWith(r, build))))))
	}
	// Import templates: Indonesian headers, drop-downs of the caller's own
	// organizations, partners, aid types and boxes.
	templates := export.TemplateStores{Organizations: r.OrganizationStore, Partners: r.PartnerStore, Aid: r.AidStore, Boxes: r.BoxStore}
	for _, kind := range export.TemplateKinds {
		path := "/templates/" + kind + ".xlsx"
		mux.Handle("GET "+path, m.route(path, limiter.wrap(authenticate(tokens, log, workbook(log, r.OrganizationStore, gate, "template-"+kind,
			func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
				lang, err := export.TemplateQuery(q)
				if err != nil {
					return err
				}
				return export.Template(ctx, sc, templates, kind, lang, time.Now(), w)
			})))))
	}
	// Imports: a filled template or an exported ledger, dry run first.
	for _, kind := range imports.Kinds {
		path := "/imports/" + kind + ".xlsx"
		mux.Handle("POST "+path, m.route(path, limiter.wrap(authenticate(tokens, log,
			importWorkbook(log, db, templates, gate, kind, cfg.MaxImportBytes)))))
	}
	mux.Handle("GET /receipts/{file}", m.route("/receipts", limiter.wrap(authenticate(tokens, log, receiptPDF(log, r)))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, req *http.Request) {
		if cfg.DatabaseStatus != nil {
			if why := cfg.DatabaseStatus(); why != "" {
				http.Error(w, why, http.StatusServiceUnavailable)
				return
			}
		}
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

// writeWorkbook writes one kind of workbook for a caller and its query.
type writeWorkbook func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error

// readWith builds a workbook over the stores reports read (the replica's
// while it is fit), chosen when the download starts.
func readWith(r *graph.Resolver, build func(*graph.Resolver) writeWorkbook) writeWorkbook {
	return func(ctx context.Context, sc auth.Scope, q url.Values, w io.Writer) error {
		return build(r.ReadStores())(ctx, sc, q, w)
	}
}

func rakerStores(r *graph.Resolver) export.RakerStores {
	return export.RakerStores{Organizations: r.OrganizationStore, Partners: r.PartnerStore, Donations: r.DonationStore,
		Aid: r.AidStore, Boxes: r.BoxStore, Programmes: r.ProgrammeStore, Meetings: r.MeetingStore, Funds: r.FundStore,
		Requests: r.RequestStore}
}

// requireJSON answers 415 to a POST that is not JSON. Form posts and other
// "simple" content types are what a browser sends across sites without
// asking, so refusing them keeps a page elsewhere from forging a mutation.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost {
			mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
			if err != nil || mediaType != "application/json" {
				writeJSONError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send GraphQL requests as application/json")
				return
			}
		}
		next.ServeHTTP(w, req)
	})
}

// limitBody answers 413 to a request body over limit, before GraphQL reads
// it; the body is at most limit bytes, so reading it whole is cheap.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Body == nil || req.Method == http.MethodGet {
			next.ServeHTTP(w, req)
			return
		}
		tooLarge := func() {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", fmt.Sprintf("request body is larger than %d bytes", limit))
		}
		if req.ContentLength > limit {
			tooLarge()
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			tooLarge()
			return
		}
		if err != nil {
			http.Error(w, "could not read request body", http.StatusBadRequest)
			return
		}
		// A body that is not JSON is refused here: the transport's own
		// error would quote the body back to the client.
		if !json.Valid(body) {
			writeJSONError(w, http.StatusBadRequest, "BAD_REQUEST", "the request body is not valid JSON")
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, req)
	})
}

// withDeadline bounds a request's time; the context reaches PostgreSQL, which
// cancels a statement still running when it expires.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), d)
		defer cancel()
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

// specStatus corrects two of gqlgen's status codes to the GraphQL-over-HTTP
// specification: a well-formed request answered as application/json gets
// 200 even when the document is invalid (gqlgen says 422), and a mutation
// sent with GET gets 405 with Allow: POST (gqlgen says 406).
func specStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		next.ServeHTTP(&statusFixer{ResponseWriter: w, get: req.Method == http.MethodGet}, req)
	})
}

type statusFixer struct {
	http.ResponseWriter
	get bool
}

func (f *statusFixer) WriteHeader(status int) {
	switch {
	case status == http.StatusUnprocessableEntity && f.Header().Get("Content-Type") == "application/json":
		status = http.StatusOK
	case status == http.StatusNotAcceptable && f.get:
		f.Header().Set("Allow", "POST")
		status = http.StatusMethodNotAllowed
	}
	f.ResponseWriter.WriteHeader(status)
}

func (f *statusFixer) Unwrap() http.ResponseWriter { return f.ResponseWriter }

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequest gives each request an id of the server's own (and keeps the
// caller's X-Request-ID, when it is sane, as a correlation id), puts them
// in the context for logs and the audit trail, and logs the request when
// it ends.
func withRequest(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		// The server's own id names the request in the audit trail; what the
		// client sent is kept beside it, so that no client can make two
		// audit rows share an id.
		r := audit.Request{ID: newRequestID()}
		if c := req.Header.Get("X-Request-ID"); requestIDPattern.MatchString(c) {
			r.Correlation = c
		}
		w.Header().Set("X-Request-ID", r.ID)
		ctx := audit.WithRequest(req.Context(), r)
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

// requestIDHandler adds the request_id of the context to every record.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if req := audit.RequestFrom(ctx); req.ID != "" {
		r.AddAttrs(slog.String("request_id", req.ID))
		if req.Correlation != "" {
			r.AddAttrs(slog.String("correlation_id", req.Correlation))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
