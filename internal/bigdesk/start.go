package bigdesk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/pgtemp"
	"github.com/deskgate/deskgate/migrations"
)

// Database is the name of the fixture's database in the cluster.
const Database = "desk"

// Options choose the fixture and the cluster that serves it.
type Options struct {
	Tickets    int      // default 1,000,000
	Durable    bool     // the served cluster runs with fsync on (pgtemp.Options.Durable)
	Statements bool     // pgtemp.Options.Statements
	Settings   []string // pgtemp.Options.Settings
	// Cache is the directory that keeps built fixtures; default
	// $DESKGATE_BENCH_CACHE, else deskgate/bigdesk in the user's cache
	// directory. Each fixture is a PostgreSQL data directory named by
	// Version, the ticket count and the schema, so a new migration builds
	// a new one, which replaces the one of the same size; delete the
	// directory to reclaim the space (a million tickets take about 8 GB).
	Cache string
	// Log, when set, is told what is built and how long it took.
	Log func(format string, args ...any)
}

// Start returns a throwaway cluster whose database Database holds the
// fixture, migrated to this binary's schema, and that database's URL. The
// first call for a schema builds the fixture and keeps a copy of the
// cluster's data directory in the cache; later calls start from a copy of
// that. The caller stops the cluster.
func Start(ctx context.Context, opts Options) (*pgtemp.Cluster, string, error) {
	if opts.Tickets <= 0 {
		opts.Tickets = 1_000_000
	}
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := cacheDir(opts.Cache)
	if err != nil {
		return nil, "", err
	}
	saved := filepath.Join(dir, "v"+strconv.Itoa(Version)+"-"+strconv.Itoa(opts.Tickets)+"-"+migrations.Fingerprint()[:16])
	if _, err := os.Stat(saved); err != nil {
		if err := build(ctx, opts.Tickets, saved, logf); err != nil {
			return nil, "", err
		}
	} else {
		logf("bigdesk: %d tickets from %s", opts.Tickets, saved)
	}
	cluster, err := pgtemp.Start(ctx, pgtemp.Options{Durable: opts.Durable, Statements: opts.Statements, Settings: opts.Settings, From: saved})
	if err != nil {
		return nil, "", err
	}
	url := cluster.URL(Database)
	if err := warm(ctx, url); err != nil {
		cluster.Stop()
		return nil, "", err
	}
	return cluster, url, nil
}

// warmSQL reads every index of the database into the operating system's
// cache (pg_prewarm's read mode), as a server in use holds them: a copied
// data directory starts cold, and what a benchmark on it should show is
// the cost of the data's size, not of the first reads from disk.
const warmSQL = `CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SELECT sum(pg_prewarm(i.indexrelid, 'read')) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = current_schema()::regnamespace`

func warm(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("bigdesk: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, warmSQL); err != nil {
		return fmt.Errorf("bigdesk: warming the indexes: %w", err)
	}
	return nil
}

// build seeds a fresh cluster (without fsync: a clean stop makes it
// consistent) and saves its data directory as saved.
func build(ctx context.Context, tickets int, saved string, logf func(string, ...any)) error {
	logf("bigdesk: building %d tickets into %s (once for this schema)", tickets, saved)
	cluster, err := pgtemp.Start(ctx, pgtemp.Options{})
	if err != nil {
		return err
	}
	defer cluster.Stop()
	url, err := cluster.CreateDatabase(ctx, Database, "")
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("bigdesk: %w", err)
	}
	_, err = migrations.Up(ctx, pool, nil)
	if err == nil {
		err = Seed(ctx, pool, tickets, logf)
	}
	pool.Close()
	if err != nil {
		return err
	}
	if err := cluster.StopServer(pgtemp.Fast); err != nil {
		return err
	}
	tmp := saved + ".tmp"
	os.RemoveAll(tmp)
	if err := cluster.SaveData(ctx, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, saved); err != nil {
		return fmt.Errorf("bigdesk: %w", err)
	}
	// Fixtures of the same size for other schemas are stale: one per size
	// is kept, since each takes gigabytes.
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(saved), "v*-"+strconv.Itoa(tickets)+"-*"))
	for _, dir := range stale {
		if dir != saved {
			logf("bigdesk: removing the stale fixture %s", dir)
			os.RemoveAll(dir)
		}
	}
	return nil
}

func cacheDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv("DESKGATE_BENCH_CACHE")
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("bigdesk: no cache directory (set DESKGATE_BENCH_CACHE): %w", err)
		}
		dir = filepath.Join(base, "deskgate", "bigdesk")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bigdesk: %w", err)
	}
	return dir, nil
}
