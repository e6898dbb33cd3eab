package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// MaxRestarts is how many times in a row the keeper tries to start a
// cluster that stopped on its own before it gives up.
const MaxRestarts = 10

// Keeper keeps a private cluster running: when its server exits without
// having been stopped (killed, crashed, out of memory), the keeper logs it
// at once and starts it again on the same data folder and socket, with
// backoff, so the server answers again without a restart of its own.
type Keeper struct {
	opts      ClusterOptions
	log       *slog.Logger
	onRestart func()

	mu      sync.Mutex
	cluster *Cluster
	status  string // why the database is not there; "" while it runs

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Keep watches c, started with opts. onRestart runs after each restart
// (the caller drops its pooled connections to the old server).
func Keep(c *Cluster, opts ClusterOptions, log *slog.Logger, onRestart func()) *Keeper {
	opts.DataDir, opts.SocketDir = c.DataDir, c.SocketDir
	k := &Keeper{opts: opts, log: log, onRestart: onRestart, cluster: c, stop: make(chan struct{}), done: make(chan struct{})}
	go k.watch()
	return k
}

// Status says why the private PostgreSQL is not serving, or "" when it is.
func (k *Keeper) Status() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.status
}

func (k *Keeper) setStatus(s string) {
	k.mu.Lock()
	k.status = s
	k.mu.Unlock()
}

func (k *Keeper) watch() {
	defer close(k.done)
	for {
		k.mu.Lock()
		c := k.cluster
		k.mu.Unlock()
		var exit error
		select {
		case <-k.stop:
			return
		case exit = <-c.done:
			c.done <- exit // Stop reads it too
		}
		select {
		case <-k.stop:
			return // stopped on purpose
		default:
		}
		k.log.Error("the private PostgreSQL stopped unexpectedly; restarting it", "exit", fmt.Sprint(exit), "data_dir", c.DataDir)
		if !k.restart() {
			return
		}
	}
}

// restart starts the cluster again, backing off from half a second to ten
// seconds between attempts, and reports whether it succeeded.
func (k *Keeper) restart() bool {
	wait := 500 * time.Millisecond
	for attempt := 1; attempt <= MaxRestarts; attempt++ {
		k.setStatus(fmt.Sprintf("the private PostgreSQL stopped unexpectedly; restarting it (attempt %d of %d)", attempt, MaxRestarts))
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		c, err := StartCluster(ctx, k.opts)
		cancel()
		if err == nil {
			k.mu.Lock()
			k.cluster, k.status = c, ""
			k.mu.Unlock()
			if k.onRestart != nil {
				k.onRestart()
			}
			k.log.Info("the private PostgreSQL is running again", "attempt", attempt, "pid", c.PID())
			return true
		}
		k.log.Warn("restart of the private PostgreSQL failed", "attempt", attempt, "error", err.Error())
		select {
		case <-k.stop:
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
	k.setStatus(fmt.Sprintf("the private PostgreSQL stopped and did not start again after %d attempts; see its log in %s", MaxRestarts, k.opts.DataDir))
	k.log.Error("gave up restarting the private PostgreSQL", "attempts", MaxRestarts, "data_dir", k.opts.DataDir)
	return false
}

// Cluster returns the cluster running now.
func (k *Keeper) Cluster() *Cluster {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cluster
}

// Stop ends the watch, then stops the cluster. Only the first call does.
func (k *Keeper) Stop() error {
	var err error
	k.stopOnce.Do(func() {
		close(k.stop)
		<-k.done
		err = k.Cluster().Stop()
	})
	return err
}
