package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// StartReplica makes opts.DataDir a streaming replica of primary (a base
// backup over the primary's socket, unless the folder already holds one) and
// starts it. The replica keeps the primary from removing rows its queries
// still read (hot_standby_feedback), so a long export is not cancelled by
// the primary's vacuum.
func StartReplica(ctx context.Context, primary *Cluster, opts ClusterOptions) (*Cluster, error) {
	bin, err := FindBinaries(opts)
	if err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("replica data folder %q: %w", opts.DataDir, err)
	}
	owner, err := clusterOwner()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		if err := prepareDir(dataDir, owner); err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_basebackup"), "-h", primary.SocketDir, "-p", "5432",
			"-U", "postgres", "-D", dataDir, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast")
		owner.apply(cmd)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("base backup of %s into %s: %w\n%s", primary.DataDir, dataDir, err, out)
		}
		// The primary's socket lock and log came with the backup; the
		// replica has its own.
		if err := os.Remove(filepath.Join(dataDir, ".s.PGSQL.5432.lock")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("replica socket lock: %w", err)
		}
		if err := os.Truncate(filepath.Join(dataDir, "server.log"), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("replica log: %w", err)
		}
		conf, err := os.OpenFile(filepath.Join(dataDir, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("replica settings: %w", err)
		}
		_, err = conf.WriteString("hot_standby_feedback = on\n")
		if cerr := conf.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("replica settings: %w", err)
		}
	}
	opts.DataDir = dataDir
	return StartCluster(ctx, opts)
}

// Replica says, for each read that may be served by a streaming replica,
// whether the replica is fit to serve it: reachable, still a replica, and no
// more than MaxLag behind the primary. It checks every few moments; reads
// go to the primary while it is not fit, and each change is logged.
type Replica struct {
	DB      *sqlx.DB // the replica's pool
	primary *sqlx.DB
	maxLag  time.Duration
	every   time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	samples []walSample // the primary's WAL position over the last maxLag
	unfit   string      // why reads go to the primary, or "" while the replica serves them
	stop    chan struct{}
	done    chan struct{}
}

const notChecked = "not checked yet"

type walSample struct {
	at  time.Time
	lsn uint64
}

// WatchReplica starts checking replica against primary every interval (the
// first check is done before it returns). Close stops it.
func WatchReplica(primary, replica *sqlx.DB, maxLag, every time.Duration, log *slog.Logger) *Replica {
	r := &Replica{DB: replica, primary: primary, maxLag: maxLag, every: every, log: log,
		unfit: notChecked, stop: make(chan struct{}), done: make(chan struct{})}
	r.check()
	go r.watch()
	return r
}

// Fit reports whether reads may go to the replica now.
func (r *Replica) Fit() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unfit == ""
}

// Unfit says why reads go to the primary, or "" when the replica serves them.
func (r *Replica) Unfit() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unfit
}

// Close stops the checks; it leaves both pools open.
func (r *Replica) Close() {
	close(r.stop)
	<-r.done
}

func (r *Replica) watch() {
	defer close(r.done)
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.check()
		}
	}
}

// check measures how far behind the replica is: the time since the primary
// was at a WAL position the replica has replayed. Sampling the primary's
// position each check turns bytes of WAL into time, and an idle primary
// (whose position does not move) never makes a replica look stale.
func (r *Replica) check() {
	ctx, cancel := context.WithTimeout(context.Background(), max(r.every, time.Second))
	defer cancel()
	now := time.Now()
	var primaryAt string
	if err := r.primary.GetContext(ctx, &primaryAt, "SELECT pg_current_wal_lsn()::text"); err == nil {
		if lsn, err := parseLSN(primaryAt); err == nil {
			r.mu.Lock()
			r.samples = append(r.samples, walSample{at: now, lsn: lsn})
			r.mu.Unlock()
		}
	}
	// A primary that cannot be asked adds no sample: the replica ages out
	// after maxLag, as it would if it stopped replaying.

	var unfit string
	var inRecovery bool
	var replayed *string
	err := r.DB.QueryRowxContext(ctx, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").Scan(&inRecovery, &replayed)
	switch {
	case err != nil:
		unfit = "replica unreachable: " + Message(err)
	case !inRecovery || replayed == nil:
		unfit = "the read database is not a streaming replica (promoted, or a primary)"
	default:
		unfit = r.lagging(now, *replayed)
	}
	r.set(unfit)
}

// lagging says whether a replica that has replayed up to replayed is more
// than maxLag behind, and drops samples too old to matter.
func (r *Replica) lagging(now time.Time, replayed string) string {
	at, err := parseLSN(replayed)
	if err != nil {
		return "replica position unreadable: " + err.Error()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Keep the samples of the last maxLag, and the newest one before them:
	// a replica that has replayed only that one is more than maxLag behind.
	cut := 0
	for cut+1 < len(r.samples) && now.Sub(r.samples[cut+1].at) > r.maxLag {
		cut++
	}
	r.samples = r.samples[cut:]
	for i := len(r.samples) - 1; i >= 0; i-- {
		if r.samples[i].lsn <= at {
			if lag := now.Sub(r.samples[i].at); lag > r.maxLag {
				return fmt.Sprintf("replica more than %s behind the primary", r.maxLag)
			}
			return ""
		}
	}
	return fmt.Sprintf("replica more than %s behind the primary", r.maxLag)
}

func (r *Replica) set(unfit string) {
	r.mu.Lock()
	was := r.unfit
	r.unfit = unfit
	r.mu.Unlock()
	switch {
	case was == unfit:
	case unfit == "" && was == notChecked:
		r.log.Info("read replica serves reports and exports", "max_lag", r.maxLag.String())
	case unfit == "":
		r.log.Info("read replica serves reports and exports again")
	default:
		r.log.Warn("read replica not used: reports and exports read the primary", "reason", unfit)
	}
}

// parseLSN reads a WAL position as PostgreSQL prints it ("16/B374D848").
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("WAL position %q", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("WAL position %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("WAL position %q: %w", s, err)
	}
	return h<<32 | l, nil
}
