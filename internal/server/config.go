package server

import (
	"sync"
	"time"

	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/request"
	"github.com/sinergi-id/sinergi/internal/token"
)

// Config holds the server's limits and mode. Every limit has a safe default
// (DefaultConfig) and can be changed from the command line.
type Config struct {
	// Development turns on introspection and field suggestions, which
	// GraphiQL needs; production leaves them off so the schema is not
	// handed to strangers.
	Development bool

	MaxBodyBytes   int64         // a larger request body is answered 413
	MaxImportBytes int64         // the same for a workbook uploaded to import
	MaxTokens      int           // parser token limit of one query document
	MaxComplexity  int           // summed field cost, list fields counted at their page size
	MaxDepth       int           // nesting of fields
	MaxAliases     int           // aliased fields in one operation
	RequestTimeout time.Duration // deadline of one GraphQL request, down to PostgreSQL

	// Workbook exports: at most MaxExports built at once (more are answered
	// 429), each within ExportTimeout.
	MaxExports    int
	ExportTimeout time.Duration
	// ImportJobs, if set, counts the import jobs running after their
	// request was answered, so that whoever stops the server can let them
	// finish (serve waits within its shutdown window).
	ImportJobs *sync.WaitGroup

	RateLimit float64 // requests per second per client (token, else address); 0 turns it off
	RateBurst int     // requests a client may send at once above the rate

	// NIKKey seals applicants' identity numbers; without it none can be
	// recorded or shown. RequestDeadlines are the days an aid request may
	// wait at each step before it counts as overdue.
	NIKKey           *nik.Key
	RequestDeadlines request.Deadlines
	// PermitRules are the regulation's numbers for public fundraising
	// permits (validity, extension, cost cap).
	PermitRules permit.Rules

	// TokenCache, when set, answers who a token belongs to without asking
	// the database each time (see token.Cache).
	TokenCache *token.Cache

	// Replica, when set, serves reports and workbook exports while it is
	// fit (see postgres.Replica); everything else reads the primary.
	Replica *postgres.Replica

	// DatabaseStatus, when set, says why the database is not there (the
	// private PostgreSQL restarting), or "" when it is; /readyz answers it.
	DatabaseStatus func() string

	// HTTP server timeouts: a slow client cannot hold a connection open.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:   1 << 20,
		MaxImportBytes: 32 << 20,
		MaxTokens:      15_000,
		MaxComplexity:  5_000,
		MaxDepth:       8,
		MaxAliases:     30,
		RequestTimeout: 30 * time.Second,
		MaxExports:     2,
		ExportTimeout:  4 * time.Minute, // within WriteTimeout
		RateLimit:      30,
		RateBurst:      100,

		RequestDeadlines: request.DefaultDeadlines(),
		PermitRules:      permit.DefaultRules(),

		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // workbook exports are long answers
		IdleTimeout:       2 * time.Minute,
	}
}
