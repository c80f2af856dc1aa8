package migrations

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// UpTo brings the schema to version v, for tests of one migration.
func UpTo(ctx context.Context, pool *pgxpool.Pool, v int64) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := provider(db, nil)
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, v)
	return err
}

// DownTo rolls the schema back to version v, for tests of a migration's
// Down section.
func DownTo(ctx context.Context, pool *pgxpool.Pool, v int64) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := provider(db, nil)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, v)
	return err
}
