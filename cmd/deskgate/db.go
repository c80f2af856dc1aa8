package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/pgparams"
	"github.com/deskgate/deskgate/migrations"
	"github.com/deskgate/deskgate/ticketing"
)

// openDB connects to $DESKGATE_DATABASE_URL.
func openDB(ctx context.Context) (*pgxpool.Pool, error) {
	url := os.Getenv("DESKGATE_DATABASE_URL")
	if url == "" {
		return nil, errors.New("DESKGATE_DATABASE_URL is not set: point it at your PostgreSQL database, e.g. postgres://deskgate@localhost/deskgate")
	}
	pool, err := pgparams.NewPool(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return pool, nil
}

// withDB runs f on a pool for $DESKGATE_DATABASE_URL, which must hold a
// deskgate schema, and closes it.
func withDB(ctx context.Context, f func(*pgxpool.Pool) error) error {
	pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	ready, err := hasSchema(ctx, pool)
	if err != nil {
		return err
	}
	if !ready {
		return errors.New("the database has no deskgate schema yet: run deskgate migrate (deskgate serve also does it at start)")
	}
	return f(pool)
}

// hasSchema reports whether the database holds a deskgate schema.
func hasSchema(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var ready bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('inbound') IS NOT NULL`).Scan(&ready); err != nil {
		return false, fmt.Errorf("database: %w", err)
	}
	return ready, nil
}

// withMigratedDB runs f on a pool for $DESKGATE_DATABASE_URL after bringing
// the schema up to date; f gets the schema version.
func withMigratedDB(ctx context.Context, log *slog.Logger, f func(*pgxpool.Pool, int64) error) error {
	pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := migrations.Up(ctx, pool, log)
	if err != nil {
		return err
	}
	if w, err := ctypeWarning(ctx, pool); err != nil {
		return err
	} else if w != "" {
		log.Warn(w)
	}
	return f(pool, v)
}

// ctypeWarning says what a database whose LC_CTYPE is not UTF-8 cannot do:
// erasure then finds a person's name ignoring the case of ASCII letters
// only (search folds case in deskgate, whatever the locale).
func ctypeWarning(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var ctype string
	if err := pool.QueryRow(ctx, `SELECT datctype FROM pg_database WHERE datname = current_database()`).Scan(&ctype); err != nil {
		return "", fmt.Errorf("database: %w", err)
	}
	if u := strings.ToUpper(ctype); strings.Contains(u, "UTF-8") || strings.Contains(u, "UTF8") {
		return "", nil
	}
	return fmt.Sprintf("the database's LC_CTYPE is %q, not UTF-8: deskgate contact erase matches names ignoring the case of ASCII letters only, "+
		"so erasing Åsa Öberg leaves åsa öberg in text (create the database with LC_CTYPE 'C.UTF-8' TEMPLATE template0, "+
		"or another UTF-8 locale, and restore into it)", ctype), nil
}

// reindexSearch rewrites the search vectors that migration 00026 left as
// PostgreSQL made them, logging its progress (about a minute per million
// messages on two cores) once it has begun, then every ten seconds.
// migrate runs it to the end; serve beside its work (rewriteSearch).
func reindexSearch(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	var done int64
	var last time.Time
	err := ticketing.ReindexSearch(ctx, pool, func(n, total int64) {
		done = n
		if time.Since(last) >= 10*time.Second {
			log.Info("rewriting search vectors", "done", n, "of", total)
			last = time.Now()
		}
	})
	if err == nil && done > 0 {
		log.Info("search vectors rewritten", "messages", done)
	}
	return err
}

// rewriteSearch is reindexSearch in serve, beside the mail: a failure is
// logged and tried again a minute later, where the rewrite stopped.
func rewriteSearch(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	for {
		err := reindexSearch(ctx, pool, log)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		log.Error("rewriting search vectors", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Minute):
		}
	}
}

func migrateCmd(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if _, err := parseArgs(fs, args, noNumber); err != nil {
		return err
	}
	return withMigratedDB(ctx, log, func(pool *pgxpool.Pool, v int64) error {
		fmt.Fprintf(stdout, "database schema at version %d\n", v)
		return reindexSearch(ctx, pool, log)
	})
}
