package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrNoBinaries is returned when no PostgreSQL server binaries can be found.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries found (initdb, postgres): " +
	"install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to use a running server")

// socketPathMax is the longest Unix socket path we use; the kernel limit is
// 107 bytes and PostgreSQL adds ".s.PGSQL.5432" to the folder.
const socketPathMax = 100

// ClusterOptions says where and how to run a private cluster.
type ClusterOptions struct {
	// DataDir is the cluster's data folder; created (and initdb'ed) if empty.
	DataDir string
	// Fast turns off durability (fsync, synchronous commit) for throw-away
	// test clusters. Never for data someone keeps.
	Fast bool
	// SearchPath lists folders to look for binaries in before the usual
	// places; NoDefaultSearch drops the usual places (PATH, pg_config,
	// Debian's folders), which tests use to simulate a machine without them.
	SearchPath      []string
	NoDefaultSearch bool
	// LogFile receives the server's output; default DataDir/server.log.
	LogFile string
	// SocketDir is where the server listens; default the data folder, or a
	// short temporary folder when that path is too long. A restart passes
	// the first start's, so connection strings stay valid.
	SocketDir string
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	DataDir   string
	SocketDir string
	bin       string
	cmd       *exec.Cmd
	tempSock  bool
	done      chan error
}

// FindBinaries returns the folder holding initdb and postgres.
func FindBinaries(opts ClusterOptions) (string, error) {
	candidates := slices.Clone(opts.SearchPath)
	if !opts.NoDefaultSearch {
		if p, err := exec.LookPath("postgres"); err == nil {
			candidates = append(candidates, filepath.Dir(resolve(p)))
		}
		if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
			candidates = append(candidates, strings.TrimSpace(string(out)))
		}
		versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		slices.SortFunc(versioned, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
		candidates = append(candidates, versioned...)
	}
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// StartCluster initialises the data folder if needed and starts a server on
// a Unix socket (no TCP port). It returns once the server accepts
// connections. As root the server runs as the "postgres" OS user, since
// PostgreSQL refuses to run as root.
func StartCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	bin, err := FindBinaries(opts)
	if err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data folder %q: %w", opts.DataDir, err)
	}
	owner, err := clusterOwner()
	if err != nil {
		return nil, err
	}
	if err := prepareDir(dataDir, owner); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(ctx, bin, dataDir, owner, opts.Fast); err != nil {
			return nil, err
		}
	}
	if err := clearStalePID(dataDir); err != nil {
		return nil, err
	}

	c := &Cluster{DataDir: dataDir, SocketDir: dataDir, bin: bin, done: make(chan error, 1)}
	if opts.SocketDir != "" && opts.SocketDir != dataDir {
		if err := os.MkdirAll(opts.SocketDir, 0o700); err != nil {
			return nil, fmt.Errorf("make socket folder: %w", err)
		}
		if err := owner.chown(opts.SocketDir); err != nil {
			return nil, err
		}
		c.SocketDir, c.tempSock = opts.SocketDir, true
	} else if len(filepath.Join(dataDir, ".s.PGSQL.5432")) > socketPathMax {
		// A deep checkout makes the socket path too long: use a short folder.
		dir, err := os.MkdirTemp("/tmp", "sinergi-")
		if err != nil {
			return nil, fmt.Errorf("make socket folder: %w", err)
		}
		if err := owner.chown(dir); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.SocketDir, c.tempSock = dir, true
	}

	logPath := opts.LogFile
	if logPath == "" {
		logPath = filepath.Join(dataDir, "server.log")
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.removeSocketDir()
		return nil, fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close()
	// The log is the server's: a base backup reads it as the postgres user.
	if err := owner.chown(logPath); err != nil {
		c.removeSocketDir()
		return nil, err
	}

	args := []string{"-D", dataDir, "-k", c.SocketDir, "-p", "5432",
		"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700", "-c", "TimeZone=UTC",
		// PostgreSQL's defaults (128 MB of buffers, checkpoints every 1 GB
		// of WAL) suit a tiny machine; the private cluster is the machine's
		// database, so it takes an eighth of the memory, up to 2 GB.
		"-c", "shared_buffers=" + sharedBuffers(), "-c", "max_wal_size=4GB",
		// Its data sits in memory or on SSD: an index look-up costs little
		// more than a sequential read, so the planner should say so.
		"-c", "random_page_cost=1.1"}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// If this process dies without stopping the cluster, Linux sends the
	// server a fast-shutdown signal, so no orphan keeps the data folder
	// (serverProcAttr; elsewhere the next start finds the orphan running
	// and uses it).
	cmd.SysProcAttr = serverProcAttr()
	owner.apply(cmd)
	// Linux sends that signal when the thread that started the server
	// ends, not the process; and the Go runtime ends a thread whenever a
	// goroutine locked to it ends. Any such goroutine (ours or a library's)
	// could land on the starting thread and stop the cluster — it did, when
	// workbooks were tried on niced threads of their own. So the server is
	// started from a thread kept for it until it exits.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		c.removeSocketDir()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.cmd = cmd

	if err := c.waitReady(ctx, logPath); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// DSN returns a connection string for database db on the cluster's socket.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", c.SocketDir, db)
}

func (c *Cluster) waitReady(ctx context.Context, logPath string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := sqlx.Open("postgres", c.DSN("postgres"))
		if err == nil {
			err = db.PingContext(ctx)
			db.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case werr := <-c.done:
			c.done <- werr
			return fmt.Errorf("postgres exited while starting (%v); see %s:\n%s", werr, logPath, tail(logPath))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 60s: %v; see %s", err, logPath)
		}
	}
}

// Stop shuts the server down (fast shutdown: open sessions are ended,
// committed work is kept) and waits for it to exit.
func (c *Cluster) Stop() error {
	defer c.removeSocketDir()
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-c.done:
		c.done <- err
		return nil
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		return errors.New("postgres did not stop within 60s; killed")
	}
}

// PID returns the server's process id.
func (c *Cluster) PID() int { return c.cmd.Process.Pid }

func (c *Cluster) removeSocketDir() {
	if c.tempSock {
		os.RemoveAll(c.SocketDir)
	}
}

func initdb(ctx context.Context, bin, dataDir string, owner osUser, fast bool) error {
	args := []string{"-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if fast {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	owner.apply(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", dataDir, err, out)
	}
	return nil
}

// ErrAlreadyRunning reports that a live server owns the data folder.
var ErrAlreadyRunning = errors.New("a PostgreSQL server is already running on this data folder")

// Running returns the cluster that another process runs on dataDir, for
// connecting to it; its Stop leaves that cluster running.
func Running(dataDir string) (*Cluster, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("no cluster running on %s: %w", dataDir, err)
	}
	// postmaster.pid: pid, data folder, start time, port, socket folder, …
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 || strings.TrimSpace(lines[4]) == "" {
		return nil, fmt.Errorf("no cluster running on %s: postmaster.pid names no socket", dataDir)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err := syscall.Kill(pid, 0); pid <= 0 || (err != nil && !errors.Is(err, syscall.EPERM)) {
		return nil, fmt.Errorf("no cluster running on %s", dataDir)
	}
	return &Cluster{DataDir: dataDir, SocketDir: strings.TrimSpace(lines[4]), done: make(chan error, 1)}, nil
}

// clearStalePID removes a postmaster.pid left by a crash, and refuses when a
// live server still owns the data folder.
func clearStalePID(dataDir string) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", pidFile, err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	if pid > 0 {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && strings.Contains(string(cmdline), "postgres") {
			return fmt.Errorf("%w (pid %d, %s)", ErrAlreadyRunning, pid, dataDir)
		}
	}
	if err := os.Remove(pidFile); err != nil {
		return fmt.Errorf("remove stale %s: %w", pidFile, err)
	}
	return nil
}

// osUser is who the server runs as; the zero value means "this process".
type osUser struct {
	uid, gid uint32
	set      bool
}

func clusterOwner() (osUser, error) {
	if os.Geteuid() != 0 {
		return osUser{}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return osUser{}, errors.New("running as root, and PostgreSQL refuses to run as root: " +
			"create a \"postgres\" OS user (the postgresql package does), or run as another user")
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return osUser{uid: uint32(uid), gid: uint32(gid), set: true}, nil
}

func (u osUser) apply(cmd *exec.Cmd) {
	if !u.set {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "HOME=/tmp", "USER=postgres", "LOGNAME=postgres")
}

func (u osUser) chown(path string) error {
	if !u.set {
		return nil
	}
	if err := os.Chown(path, int(u.uid), int(u.gid)); err != nil {
		return fmt.Errorf("give %s to the postgres user: %w", path, err)
	}
	return nil
}

// UnreachableError reports a data folder that the server's OS user cannot
// reach because a parent folder is closed to it.
type UnreachableError struct {
	Dir, Blocker string
	Mode         os.FileMode
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the postgres OS user cannot reach the data folder %s through %s (mode %v): "+
		"choose a data folder elsewhere (--data-dir or SINERGI_DATA_DIR, e.g. /var/tmp/sinergi) or run `chmod o+x %s`",
		e.Dir, e.Blocker, e.Mode, e.Blocker)
}

// prepareDir creates the data folder with the right owner and checks that
// the server's user can reach it through every parent folder.
func prepareDir(dir string, owner osUser) error {
	// Parents we create must stay traversable for the server's user.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create data folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data folder %s: %w", dir, err)
	}
	if err := owner.chown(dir); err != nil {
		return err
	}
	if !owner.set {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("data folder parent %s: %w", p, err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		reachable := fi.Mode()&0o001 != 0 ||
			(st.Uid == owner.uid && fi.Mode()&0o100 != 0) ||
			(st.Gid == owner.gid && fi.Mode()&0o010 != 0)
		if !reachable {
			return &UnreachableError{Dir: dir, Blocker: p, Mode: fi.Mode().Perm()}
		}
		if p == "/" {
			return nil
		}
	}
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// sharedBuffers is an eighth of the machine's memory, between 128 MB and
// 2 GB, in PostgreSQL's notation.
func sharedBuffers() string {
	const mb = 1 << 20
	total := int64(0)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				total = kb * 1024
			}
		}
	}
	return strconv.FormatInt(min(max(total/8, 128*mb), 2048*mb)/mb, 10) + "MB"
}
