// Command sinergi-load measures a running Sinergi server against the floor:
// the same store calls — the same SQL — sent straight to its PostgreSQL
// from this process, in the same run, with the same number of clients.
// It prints requests per second, p50/p95/p99 and the ratio for each
// workload (see docs/PERFORMANCE.md).
//
//	go run ./cmd/sinergi-load -url http://127.0.0.1:8080 -database-url "host=/path/to/data dbname=sinergi user=postgres sslmode=disable"
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/sinergi-id/sinergi/internal/postgres"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		slog.Error("sinergi-load failed", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	var cfg config
	flag.StringVar(&cfg.url, "url", "http://127.0.0.1:8080", "the server")
	flag.StringVar(&cfg.dsn, "database-url", os.Getenv("DATABASE_URL"), "the server's PostgreSQL (for the floor, the token and the checks)")
	flag.IntVar(&cfg.clients, "clients", 10, "concurrent clients")
	flag.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long each workload runs")
	flag.IntVar(&cfg.rounds, "rounds", 4, "W1–W3 run their sides (floor, sinergi, compared) in this many turns each, alternating, so that a drifting machine weighs on each alike")
	flag.StringVar(&cfg.province, "province", "JATIM", "the province council (code) of the dashboard and list workloads")
	flag.IntVar(&cfg.year, "year", 2014, "the dashboard's year")
	flag.StringVar(&cfg.exportFrom, "export-from", "2010-01-01", "first day of the exported ledger (all councils)")
	flag.StringVar(&cfg.exportTo, "export-to", "2010-06-30", "last day of the exported ledger")
	flag.IntVar(&cfg.serverPID, "server-pid", 0, "the server's process id, to read its CPU time per request and its memory growth during exports")
	flag.StringVar(&cfg.compare, "compare", "", "GraphQL endpoint of a PostGraphile server over the same database (bench/postgraphile); W1, W2, W3 and W5 also run against it")
	workloads := flag.String("workloads", "W1,W2,W3,W4,W5", "which workloads, comma separated")
	flag.Parse()
	db, err := postgres.Open(ctx, cfg.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := newLoad(ctx, db, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("sinergi-load: %s, %d clients, %v per workload, province %s, %d donations in the database\n\n",
		cfg.url, cfg.clients, cfg.duration, cfg.province, l.donationCount)
	for _, w := range strings.Split(*workloads, ",") {
		if err := l.run(ctx, strings.TrimSpace(w)); err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
	}
	return nil
}
