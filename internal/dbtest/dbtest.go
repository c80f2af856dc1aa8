// Package dbtest gives each test its own migrated PostgreSQL database: in a
// throwaway cluster started once per test binary, or on the server named by
// DESKGATE_TEST_DATABASE_URL (which needs the CREATEDB privilege).
package dbtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/pgparams"
	"github.com/deskgate/deskgate/internal/pgtemp"
	"github.com/deskgate/deskgate/migrations"
)

var (
	once     sync.Once
	cluster  *pgtemp.Cluster
	adminURL string
	template string
	setupErr error
	counter  atomic.Int64
)

// Main runs the package's tests and stops the throwaway cluster afterwards.
// Call it from TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		cluster.Stop()
	}
	return code
}

func setup() {
	ctx := context.Background()
	adminURL = os.Getenv("DESKGATE_TEST_DATABASE_URL")
	if adminURL == "" {
		cluster, setupErr = pgtemp.Start(ctx, pgtemp.Options{})
		if setupErr != nil {
			return
		}
		adminURL = cluster.URL("postgres")
	}
	template = fmt.Sprintf("deskgate_tpl_%d", os.Getpid())
	url, err := pgtemp.CreateDatabase(ctx, adminURL, template, "")
	if err != nil {
		setupErr = err
		return
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		setupErr = err
		return
	}
	defer pool.Close()
	_, setupErr = migrations.Up(ctx, pool, nil)
}

// URL creates a fresh, migrated database for t and returns its URL. The
// database is dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	return create(t, true)
}

// EmptyURL is URL for a database without deskgate's schema.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return create(t, false)
}

func create(t testing.TB, migrated bool) string {
	t.Helper()
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("dbtest: %v", setupErr)
	}
	ctx := context.Background()
	name := fmt.Sprintf("deskgate_%d_%d_%s", os.Getpid(), counter.Add(1), sanitize(t.Name()))
	tpl := ""
	if migrated {
		tpl = template
	}
	url, err := pgtemp.CreateDatabase(ctx, adminURL, name, tpl)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		pool, err := pgxpool.New(ctx, adminURL)
		if err != nil {
			return
		}
		defer pool.Close()
		_, _ = pool.Exec(ctx, "DROP DATABASE IF EXISTS "+`"`+name+`"`+" WITH (FORCE)")
	})
	return url
}

// Pool returns a connection pool on a fresh, migrated database for t.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgparams.NewPool(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func sanitize(name string) string {
	name = strings.ToLower(name)
	b := []byte(name)
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	if len(b) > 30 {
		b = b[:30]
	}
	return string(b)
}
