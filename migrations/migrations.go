// Package migrations holds deskgate's database schema as numbered .sql files,
// embedded in the binary and applied by goose under its PostgreSQL advisory
// lock, so several processes may start at once.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// ErrSchemaTooNew means the database was migrated by a newer deskgate than
// this one; running would risk misreading data it does not understand.
var ErrSchemaTooNew = errors.New("migrations: database schema is newer than this deskgate")

// Up applies every pending migration and returns the resulting version. It
// refuses (ErrSchemaTooNew) a database whose version is beyond the newest
// migration embedded here.
func Up(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (int64, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := provider(db, log)
	if err != nil {
		return 0, err
	}
	if err := checkNotNewer(ctx, p); err != nil {
		return 0, err
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: reading version: %w", err)
	}
	return v, nil
}

// Latest is the newest schema version embedded in this binary.
func Latest() int64 {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	var latest int64
	for _, name := range names {
		v, err := goose.NumericComponent(name)
		if err != nil {
			panic(fmt.Sprintf("migrations: embedded file %s: %v", name, err))
		}
		latest = max(latest, v)
	}
	return latest
}

func checkNotNewer(ctx context.Context, p *goose.Provider) error {
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrations: reading version: %w", err)
	}
	if latest := Latest(); current > latest {
		return fmt.Errorf("%w: database is at version %d, this binary knows up to %d", ErrSchemaTooNew, current, latest)
	}
	return nil
}

func provider(db *sql.DB, log *slog.Logger) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker)}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Fingerprint is a digest of every embedded migration, names and contents:
// it changes whenever the schema this binary migrates to does, so data
// built from it (a cached benchmark fixture) can be keyed by it.
func Fingerprint() string {
	h := sha256.New()
	names, _ := fs.Glob(files, "*.sql") // sorted
	for _, name := range names {
		data, _ := files.ReadFile(name)
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// versionSQL reads the schema version goose recorded.
const versionSQL = `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`

// Version returns the database's schema version, for a readiness check
// against Latest.
func Version(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var v int64
	if err := pool.QueryRow(ctx, versionSQL).Scan(&v); err != nil {
		return 0, fmt.Errorf("migrations: reading the schema version: %w", err)
	}
	return v, nil
}
