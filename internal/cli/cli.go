// Package cli is the sinergi command line: it reads configuration from the
// environment and flags, and runs the chosen subcommand.
package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/postgres"
	"github.com/sinergi-id/sinergi/internal/request"
	"github.com/sinergi-id/sinergi/internal/server"
	"github.com/sinergi-id/sinergi/internal/token"
)

const usage = `sinergi: donations and aid of Indonesia's social-welfare coordinating councils.

Usage:
  sinergi serve   [flags]   run the GraphQL server (GraphiQL at /, API at /graphql)
  sinergi migrate [flags]   apply database migrations and exit
  sinergi demo    [flags]   load the Bali demo data into an empty database
  sinergi token   create|list|revoke   manage API tokens (sinergi token -h)
  sinergi nik     new-key|rotate       make a key sealing applicants' NIKs, or re-seal them under a new one
  sinergi export  raker|donations|box-collections|aid-outputs|audit-log -o FILE   write a workbook (sinergi export -h)
  sinergi template donations|box-collections|aid-outputs|programme-targets   write an import template (sinergi export -h)
  sinergi import  KIND FILE.xlsx [--dry-run]   import a filled template or an exported ledger (sinergi import -h)
  sinergi version           print the version

Without DATABASE_URL, sinergi runs a private PostgreSQL cluster from the
PostgreSQL binaries installed on this machine, in the data folder
(./.sinergi by default). Run "sinergi COMMAND -h" for a command's flags.
`

// Run runs the command line args and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], log, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], log, stderr)
	case "demo":
		err = loadDemo(ctx, args[1:], log, stdout, stderr)
	case "export":
		err = exports(ctx, args[1:], log, stderr)
	case "template":
		// sinergi template KIND … is sinergi export template-KIND ….
		rest := args[1:]
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && rest[0] != "help" {
			rest = append([]string{"template-" + rest[0]}, rest[1:]...)
		}
		err = exports(ctx, rest, log, stderr)
	case "import":
		err = importFile(ctx, args[1:], log, stdout, stderr)
	case "token":
		err = tokens(ctx, args[1:], log, stdout, stderr)
	case "nik":
		err = nikCommand(ctx, args[1:], log, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "sinergi", version())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "sinergi: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		log.Error("sinergi "+args[0]+" failed", "error", err.Error())
		return 1
	}
	return 0
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}

// dbConfig says which database to use.
type dbConfig struct {
	url              string
	dataDir          string
	statementTimeout time.Duration
	maxConns         int
	fs               *flag.FlagSet
	clusterDir       string // set by open: the private cluster's data folder, if one is used
	dsn              string // set by open: the connection string used
	// keeper restarts the private cluster when it dies (set by open when
	// this process started it); nil otherwise.
	keeper *postgres.Keeper
}

func (c *dbConfig) register(fs *flag.FlagSet) {
	c.fs = fs
	fs.StringVar(&c.url, "database-url", "", "PostgreSQL connection string; empty runs a private cluster in -data-dir")
	fs.StringVar(&c.dataDir, "data-dir", ".sinergi", "data folder of the private cluster")
	fs.DurationVar(&c.statementTimeout, "statement-timeout", time.Minute,
		"PostgreSQL cancels any statement running longer")
	fs.IntVar(&c.maxConns, "db-max-conns", postgres.MaxConns(), "most database connections at once (default: two per core and two)")
}

// dataDirChosen reports whether the data folder was set by flag or
// environment rather than left at its default.
func (c dbConfig) dataDirChosen() bool { return isSet(c.fs, "data-dir") }

// isSet reports whether flag name was given on the command line or by its
// environment variable.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// fallbackDataDir names a reachable data folder for the checkout whose
// default folder is dir; the same checkout always gets the same folder.
func fallbackDataDir(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join("/var/lib/sinergi", hex.EncodeToString(sum[:6]))
}

// describe returns the configuration for the log, with the password masked.
func (c dbConfig) describe() string {
	if c.url == "" {
		return "private cluster in " + c.dataDir
	}
	if u, err := url.Parse(c.url); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return "DATABASE_URL (key=value form, not shown)"
}

// open connects to the configured database, starting the private cluster
// when no URL is given, and applies the migrations. close stops what open
// started.
func (c *dbConfig) open(ctx context.Context, log *slog.Logger) (db *sqlx.DB, close func(), err error) {
	log.Info("database", "using", c.describe())
	dsn := c.url
	stopCluster := func() {}
	var pool atomic.Pointer[sqlx.DB] // the keeper's view of db, set once it is open
	if dsn == "" {
		cluster, err := postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: c.dataDir})
		shared := false
		if errors.Is(err, postgres.ErrAlreadyRunning) {
			// Another sinergi (a running serve) has the cluster: share it,
			// and leave it running when done.
			if running, rerr := postgres.Running(c.dataDir); rerr == nil {
				log.Info("using the private PostgreSQL already running", "data_dir", running.DataDir)
				cluster, err, shared = running, nil, true
			}
		}
		var unreachable *postgres.UnreachableError
		if errors.As(err, &unreachable) && !c.dataDirChosen() {
			// As root in a checkout under a closed folder such as /root: the
			// default folder cannot work, so use a fixed one per checkout.
			fallback := fallbackDataDir(unreachable.Dir)
			log.Warn("default data folder unreachable for the postgres OS user; using another",
				"wanted", unreachable.Dir, "blocked_by", unreachable.Blocker, "data_dir", fallback)
			cluster, err = postgres.StartCluster(ctx, postgres.ClusterOptions{DataDir: fallback})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("start private PostgreSQL: %w", err)
		}
		if !shared {
			// After a restart the pooled connections lead to the dead
			// server: drop the idle ones so the next request dials anew.
			c.keeper = postgres.Keep(cluster, postgres.ClusterOptions{}, log, func() {
				if db := pool.Load(); db != nil {
					db.SetMaxIdleConns(0)
					db.SetMaxIdleConns(postgres.MaxIdleConns)
				}
			})
			stopCluster = func() {
				if err := c.keeper.Stop(); err != nil {
					log.Error("stop private PostgreSQL", "error", err.Error())
				}
			}
			log.Info("private PostgreSQL started", "data_dir", cluster.DataDir, "socket_dir", cluster.SocketDir)
		}
		if err := postgres.EnsureDatabase(ctx, cluster.DSN("postgres"), "sinergi"); err != nil {
			stopCluster()
			return nil, nil, err
		}
		dsn = cluster.DSN("sinergi")
		c.clusterDir = cluster.DataDir
	}
	db, err = postgres.Open(ctx, dsn, postgres.StatementTimeout(c.statementTimeout))
	if err != nil {
		stopCluster()
		return nil, nil, err
	}
	if c.maxConns > 0 {
		db.SetMaxOpenConns(c.maxConns)
	}
	pool.Store(db)
	c.dsn = dsn
	if err := postgres.Migrate(ctx, db); err != nil {
		db.Close()
		stopCluster()
		return nil, nil, err
	}
	return db, func() { db.Close(); stopCluster() }, nil
}

func migrate(ctx context.Context, args []string, log *slog.Logger, stderr io.Writer) error {
	fs := flag.NewFlagSet("sinergi migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	_, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	closeDB()
	log.Info("migrations applied")
	return nil
}

func loadDemo(ctx context.Context, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sinergi demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	var nc nikConfig
	nc.register(fs)
	scale := fs.String("scale", "bali", "bali: the Bali council's 2013–2014 books; national: a synthetic national dataset for load measurement")
	size := demo.National
	fs.IntVar(&size.Donations, "donations", size.Donations, "national: donations, box collections included")
	fs.IntVar(&size.Outputs, "outputs", size.Outputs, "national: aid outputs")
	fs.IntVar(&size.Boxes, "boxes", size.Boxes, "national: donation boxes, opened monthly")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *scale != "bali" && *scale != "national" {
		return fmt.Errorf("-scale %q: want bali or national", *scale)
	}
	db, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	if *scale == "national" {
		sum, err := demo.LoadNational(ctx, db, size, func(step string, took time.Duration) {
			log.Info("national data", "step", step, "took", took.Round(time.Millisecond).String())
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, sum)
		return nil
	}
	key, err := nc.load(log, true, dbc.clusterDir)
	if err != nil {
		return err
	}
	sum, err := demo.Load(ctx, db, key)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sum)
	return nil
}

// serverGCPercent is the garbage collector's target for serve: a request's
// garbage is short-lived over a small live heap, so collecting at 200 %
// growth instead of Go's 100 % spends less CPU on it (the donations list:
// 2.73–3.76 ms of server CPU a page against 3.31–3.99; one export's peak
// 111 MB against 90 — docs/PERFORMANCE.md).
const serverGCPercent = 200

// tuneGC sets serverGCPercent unless the operator set GOGC, and reports
// what it set.
func tuneGC(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	debug.SetGCPercent(serverGCPercent)
	return serverGCPercent, true
}

func serve(ctx context.Context, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sinergi serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	var nc nikConfig
	nc.register(fs)
	addr := fs.String("addr", ":8080", "address to listen on")
	withDemo := fs.Bool("demo", false, "load the Bali demo data when the database is empty; implies -mode development unless a mode is chosen")
	mode := fs.String("mode", "production",
		"production or development; development allows introspection and field suggestions, which GraphiQL needs")
	cfg := server.DefaultConfig()
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "largest request body; larger is answered 413")
	fs.Int64Var(&cfg.MaxImportBytes, "max-import-bytes", cfg.MaxImportBytes, "largest workbook uploaded to import; larger is answered 413")
	fs.IntVar(&cfg.MaxTokens, "max-tokens", cfg.MaxTokens, "most tokens in one query document")
	fs.IntVar(&cfg.MaxComplexity, "max-complexity", cfg.MaxComplexity, "highest query cost, lists counted at their page size")
	fs.IntVar(&cfg.MaxDepth, "max-depth", cfg.MaxDepth, "deepest field nesting")
	fs.IntVar(&cfg.MaxAliases, "max-aliases", cfg.MaxAliases, "most aliases in one operation")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "deadline of one GraphQL request")
	readURL := fs.String("database-read-url", "", "PostgreSQL connection string of a streaming replica that serves reports and workbook exports; empty: the primary serves everything")
	maxLag := fs.Duration("replica-max-lag", 10*time.Second, "a replica further behind the primary than this is not used (reads fall back to the primary)")
	tokenTTL := fs.Duration("token-cache-ttl", 30*time.Second, "how long a verified token is remembered (revocations reach the cache at once); 0 turns the cache off")
	fs.IntVar(&cfg.MaxExports, "max-exports", cfg.MaxExports, "workbooks built at once; more are answered 429")
	fs.DurationVar(&cfg.ExportTimeout, "export-timeout", cfg.ExportTimeout, "deadline of one workbook export (keep it under -write-timeout)")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", cfg.RateLimit, "requests per second per client (token, else address); 0 turns the limit off")
	fs.IntVar(&cfg.RateBurst, "rate-burst", cfg.RateBurst, "requests a client may send at once above the rate")
	fs.Var(deadlinesFlag(cfg.RequestDeadlines), "request-deadlines", "days an aid request may wait at each step before it is overdue")
	fs.IntVar(&cfg.PermitRules.ValidityMonths, "permit-months", cfg.PermitRules.ValidityMonths, "months a public fundraising permit may be valid (Permensos 8/2021: 3)")
	fs.IntVar(&cfg.PermitRules.ExtensionMonths, "permit-extension-months", cfg.PermitRules.ExtensionMonths, "months an extension may add to a permit (Permensos 8/2021: 1)")
	fs.IntVar(&cfg.PermitRules.Extensions, "permit-extensions", cfg.PermitRules.Extensions, "times a permit may be extended (Permensos 8/2021: 1)")
	costCap := fs.Float64("permit-cost-cap", float64(cfg.PermitRules.CostCapBP)/100, "operating costs a permit allows, in percent of what it collected (PP 29/1980, Permensos 8/2021: 10)")
	fs.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", cfg.ReadHeaderTimeout, "time to read a request's headers")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", cfg.ReadTimeout, "time to read a whole request")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", cfg.WriteTimeout, "time to write an answer")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "time an idle keep-alive connection stays open")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *costCap < 0 || *costCap > 100 {
		return fmt.Errorf("-permit-cost-cap %v: want a percentage from 0 to 100", *costCap)
	}
	cfg.PermitRules.CostCapBP = int(math.Round(*costCap * 100))
	if err := cfg.PermitRules.Check(); err != nil {
		return err
	}
	if percent, ok := tuneGC(os.Getenv); ok {
		log.Info("garbage collection", "gogc", percent)
	}
	modeChosen := isSet(fs, "mode")
	if *withDemo && !modeChosen {
		*mode = "development"
	}
	switch *mode {
	case "production":
	case "development":
		cfg.Development = true
	default:
		return fmt.Errorf("-mode %q: want production or development", *mode)
	}
	if cfg.MaxBodyBytes < 1024 || cfg.MaxImportBytes < 1024 || cfg.MaxTokens < 100 || cfg.MaxComplexity < 100 || cfg.MaxDepth < 3 ||
		cfg.MaxAliases < 0 || cfg.RequestTimeout < time.Second || cfg.MaxExports < 1 || cfg.ExportTimeout < time.Second || cfg.RateLimit < 0 || cfg.RateBurst < 1 ||
		cfg.ReadHeaderTimeout < time.Second || cfg.ReadTimeout < time.Second || cfg.WriteTimeout < time.Second || cfg.IdleTimeout < time.Second {
		return errors.New("a limit is set too low to serve anything: see sinergi serve -h")
	}
	log.Info("configuration", "addr", *addr, "mode", *mode, "max_body_bytes", cfg.MaxBodyBytes, "max_tokens", cfg.MaxTokens,
		"max_complexity", cfg.MaxComplexity, "max_depth", cfg.MaxDepth, "max_aliases", cfg.MaxAliases,
		"request_timeout", cfg.RequestTimeout.String(), "statement_timeout", dbc.statementTimeout.String(),
		"rate_limit", cfg.RateLimit, "rate_burst", cfg.RateBurst)
	db, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	if dbc.keeper != nil {
		cfg.DatabaseStatus = dbc.keeper.Status
	}
	if *readURL != "" {
		if *maxLag <= 0 {
			return errors.New("-replica-max-lag must be positive")
		}
		readDB, err := postgres.Pool(*readURL, postgres.StatementTimeout(dbc.statementTimeout))
		if err != nil {
			return fmt.Errorf("read replica: %w", err)
		}
		defer readDB.Close()
		readDB.SetMaxOpenConns(db.Stats().MaxOpenConnections)
		// Check every second, or twice within the allowed lag.
		cfg.Replica = postgres.WatchReplica(db, readDB, *maxLag, max(10*time.Millisecond, min(time.Second, *maxLag/2)), log)
		defer cfg.Replica.Close()
	}
	if *tokenTTL > 0 {
		cache, err := token.NewCache(token.NewStore(db), dbc.dsn, *tokenTTL, log)
		if err != nil {
			return fmt.Errorf("token cache: %w", err)
		}
		defer cache.Close()
		cfg.TokenCache = cache
	}
	if cfg.NIKKey, err = nc.load(log, *withDemo, dbc.clusterDir); err != nil {
		return err
	}
	if err := request.CheckKey(ctx, db, cfg.NIKKey); err != nil {
		return err
	}
	if *withDemo {
		sum, err := demo.Load(ctx, db, cfg.NIKKey)
		switch {
		case errors.Is(err, demo.ErrNotEmpty):
			// Tokens are printed once, when the demo data is made; a
			// restart mints none.
			log.Info("demo data not loaded: the database already has data; use the tokens printed when it was loaded, or make one: sinergi token create -role admin -name NAME")
		case err != nil:
			return err
		default:
			log.Info("demo data loaded", "summary", sum.String())
			if err := demoTokens(ctx, db, stdout); err != nil {
				return err
			}
		}
	}

	var importJobs sync.WaitGroup
	cfg.ImportJobs = &importJobs
	srv := &http.Server{
		Addr:              *addr,
		Handler:           server.Handler(db, log, cfg),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", *addr, "graphiql", "http://localhost"+portOf(*addr)+"/", "graphql", "/graphql")
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", *addr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// An import already answered 202 runs on: let it finish and record its
	// result, within the same window. One cut short wrote nothing (an
	// import is one transaction) and is reported LOST.
	jobsDone := make(chan struct{})
	go func() { importJobs.Wait(); close(jobsDone) }()
	select {
	case <-jobsDone:
	case <-shutdownCtx.Done():
		log.Warn("stopped with import jobs still running: they wrote nothing and will be reported LOST; upload them again")
	}
	log.Info("stopped")
	return nil
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i:]
		}
	}
	return ""
}

// envName is the environment variable that sets flag name: DATABASE_URL
// for -database-url, as PostgreSQL tools do, else SINERGI_ and the name in
// capitals (-max-depth: SINERGI_MAX_DEPTH).
func envName(name string) string {
	switch name {
	case "database-url":
		return "DATABASE_URL"
	case "database-read-url":
		return "DATABASE_READ_URL"
	}
	return "SINERGI_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parse sets each flag from its environment variable, then from args, so
// flags override the environment. A value that does not parse is an error
// naming the variable, at start-up.
func parse(fs *flag.FlagSet, args []string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := os.Getenv(envName(f.Name)); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	if err != nil {
		return err
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "\nEach flag can also be set in the environment: -database-url as DATABASE_URL, -max-depth as SINERGI_MAX_DEPTH, and so on.")
	}
	return fs.Parse(args)
}
