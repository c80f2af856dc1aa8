// Package pgtemp starts a private, throwaway PostgreSQL cluster from the
// locally installed binaries: in a temporary directory, on a free loopback
// port, as an unprivileged user when invoked as root. Tests, the demo and the
// benchmarks use it so that nothing needs to be running beforehand.
package pgtemp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options tune the cluster.
type Options struct {
	// Durable keeps fsync and synchronous commit on, as in production.
	// Without it the cluster trades crash safety for speed, which is right
	// for tests and wrong for benchmarks that claim production figures.
	Durable bool
	// Log receives the server's output; nil discards it.
	Log func(format string, args ...any)
	// From, when set, is a data directory saved by SaveData: the cluster
	// starts from a copy of it instead of an empty initdb.
	From string
	// Statements loads pg_stat_statements, so that a database may CREATE
	// EXTENSION pg_stat_statements and see what its statements cost.
	Statements bool
	// Settings are further server settings, each "name=value", given
	// last, so they win over pgtemp's own (for example to load
	// auto_explain).
	Settings []string
}

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	dir   string
	port  int
	cmd   *exec.Cmd
	done  chan error
	usage time.Duration
	// what start needs again to restart the server
	bin, data string
	cred      *syscall.Credential
	opts      Options
}

// Start initialises and starts a cluster. Stop must be called to remove it.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, owner, err := runAs()
	if err != nil {
		return nil, err
	}
	base := ""
	if owner != nil {
		// The unprivileged server must reach its directory; $TMPDIR may be
		// private to root (e.g. under /root), /tmp never is.
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "deskgate-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtemp: %w", err)
	}
	c := &Cluster{dir: dir, bin: bin, data: filepath.Join(dir, "data"), cred: cred, opts: opts}
	ok := false
	defer func() {
		if !ok {
			c.Stop()
		}
	}()
	if owner != nil {
		if err := os.Chown(dir, owner.uid, owner.gid); err != nil {
			return nil, fmt.Errorf("pgtemp: handing %s to %s: %w", dir, owner.name, err)
		}
	}
	if opts.From != "" {
		if err := startFrom(ctx, opts.From, c.data); err != nil {
			return nil, err
		}
	} else {
		initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
			"-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8", "--no-sync")
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		initdb.Dir = dir
		if out, err := initdb.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pgtemp: initdb: %w\n%s", err, out)
		}
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err == nil {
			err = c.start(ctx, port)
		}
		if err == nil {
			break
		}
		if attempt == 3 {
			return nil, err
		}
	}
	ok = true
	return c, nil
}

// start runs the server on port and waits until it takes connections.
func (c *Cluster) start(ctx context.Context, port int) error {
	opts := c.opts
	args := []string{"-D", c.data, "-p", strconv.Itoa(port), "-k", c.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
		"-c", "shared_buffers=128MB", "-c", "logging_collector=off"}
	if opts.Statements {
		args = append(args, "-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track_planning=on")
	}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, kv := range opts.Settings {
		args = append(args, "-c", kv)
	}
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Dir = c.dir
	if opts.Log != nil {
		w := logWriter(opts.Log)
		cmd.Stdout, cmd.Stderr = w, w
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtemp: starting postgres: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	c.cmd, c.port, c.done = cmd, port, done
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case werr := <-done:
			c.cmd = nil
			return fmt.Errorf("pgtemp: postgres exited on port %d: %v", port, werr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtemp: postgres not ready after 60s: %w", err)
		}
	}
}

// URL is the connection string for database db in this cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// CreateDatabase creates database name, optionally from a template, and
// returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, name, template string) (string, error) {
	return CreateDatabase(ctx, c.URL("postgres"), name, template)
}

// CreateDatabase creates database name on the server at adminURL, optionally
// copying template, and returns the new database's URL.
func CreateDatabase(ctx context.Context, adminURL, name, template string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("pgtemp: %w", err)
	}
	defer conn.Close(ctx)
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		return "", fmt.Errorf("pgtemp: creating database %s: %w", name, err)
	}
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return "", fmt.Errorf("pgtemp: %w", err)
	}
	return withDatabase(adminURL, cfg.Database, name), nil
}

func withDatabase(url, from, to string) string {
	if i := strings.LastIndex(url, "/"+from); i >= 0 && from != "" {
		return url[:i] + "/" + to + url[i+1+len(from):]
	}
	if i := strings.Index(url, "?"); i >= 0 {
		return strings.TrimSuffix(url[:i], "/") + "/" + to + url[i:]
	}
	return strings.TrimSuffix(url, "/") + "/" + to
}

// Stop shuts the server down and removes its directory.
func (c *Cluster) Stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.halt(Fast, 10*time.Second)
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// CPUTime is the CPU time the server and its backends used, known once
// Stop has returned.
func (c *Cluster) CPUTime() time.Duration { return c.usage }

// Tool returns the path of a PostgreSQL program (pg_dump, psql) of the
// installation Start uses.
func Tool(name string) (string, error) {
	dir, err := findBinDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("pgtemp: %w", err)
	}
	return path, nil
}

// findBinDir locates initdb and postgres: on PATH, else the highest version
// under the distributions' usual directories.
func findBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	var candidates []string
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin"} {
		m, _ := filepath.Glob(pattern)
		candidates = append(candidates, m...)
	}
	sort.Slice(candidates, func(i, j int) bool { return versionOf(candidates[i]) > versionOf(candidates[j]) })
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("pgtemp: no PostgreSQL server binaries found (initdb, postgres): install the postgresql package, or set DESKGATE_TEST_DATABASE_URL")
}

func versionOf(dir string) int {
	for _, part := range strings.Split(dir, "/") {
		part = strings.TrimPrefix(strings.TrimPrefix(part, "pgsql-"), "postgresql@")
		if n, err := strconv.Atoi(part); err == nil {
			return n
		}
	}
	return 0
}

type account struct {
	name     string
	uid, gid int
}

// runAs returns the credentials to run PostgreSQL with: none when we are
// not root, else the postgres user (or nobody), since the server refuses root.
func runAs() (*syscall.Credential, *account, error) {
	if os.Geteuid() != 0 {
		return nil, nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, &account{name, uid, gid}, nil
	}
	return nil, nil, errors.New("pgtemp: running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtemp: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type logWriter func(format string, args ...any)

func (w logWriter) Write(p []byte) (int, error) {
	w("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
