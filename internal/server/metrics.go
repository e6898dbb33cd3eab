package server

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sinergi-id/sinergi/graph"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// metrics are the server's Prometheus series, in a registry of its own.
type metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	operations *prometheus.CounterVec
	opLatency  *prometheus.HistogramVec
	errors     *prometheus.CounterVec
}

func newMetrics(db *sqlx.DB) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sinergi_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sinergi_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sinergi_graphql_operations_total", Help: "GraphQL operations by type and first root field.",
		}, []string{"operation"}),
		opLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sinergi_graphql_operation_duration_seconds", Help: "GraphQL operation latency by type and first root field.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sinergi_graphql_errors_total", Help: "GraphQL errors answered, by extensions.code.",
		}, []string{"code"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.operations, m.opLatency, m.errors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(db.DB, "sinergi"))
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// route counts and times the requests of one route.
func (m *metrics) route(name string, next http.Handler) http.Handler {
	labels := prometheus.Labels{"route": name}
	return promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(labels),
		promhttp.InstrumentHandlerDuration(m.latency.MustCurryWith(labels), next))
}

// readReplica answers, once per request, the stores reports read: over the
// replica while it is fit, else over the primary. It counts each choice and
// shows the replica's fitness as a gauge.
func (m *metrics) readReplica(replica *postgres.Replica, primary, onReplica *graph.Resolver) func() *graph.Resolver {
	reads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sinergi_report_reads_total", Help: "Reports and workbook exports by the database that served them (replica or primary).",
	}, []string{"database"})
	m.registry.MustRegister(reads, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sinergi_read_replica_fit", Help: "1 while the read replica serves reports and exports, 0 while they fall back to the primary.",
	}, func() float64 {
		if replica.Fit() {
			return 1
		}
		return 0
	}))
	m.registry.MustRegister(collectors.NewDBStatsCollector(replica.DB.DB, "sinergi_replica"))
	fromReplica, fromPrimary := reads.WithLabelValues("replica"), reads.WithLabelValues("primary")
	return func() *graph.Resolver {
		if replica.Fit() {
			fromReplica.Inc()
			return onReplica
		}
		fromPrimary.Inc()
		return primary
	}
}

// countResponse counts each GraphQL operation and its errors by code. The
// operation is labelled by its type and first root field ("query
// donations"), which the schema bounds, never by the client's free-form
// operation name.
func (m *metrics) countResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	op := graphql.GetOperationContext(ctx)
	label := operationLabel(op.Operation)
	m.operations.WithLabelValues(label).Inc()
	m.opLatency.WithLabelValues(label).Observe(time.Since(op.Stats.OperationStart).Seconds())
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" {
				code = "UNKNOWN"
			}
			m.errors.WithLabelValues(code).Inc()
		}
	}
	return resp
}

func operationLabel(op *ast.OperationDefinition) string {
	if op == nil {
		return "unknown"
	}
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			return string(op.Operation) + " " + f.Name
		}
	}
	return string(op.Operation)
}
