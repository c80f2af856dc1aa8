package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/dbtest"
)

// TestReportsCompileNothing runs the SLA report's statement where every
// plan passes jit_above_cost, as a long period's does on a large desk:
// in a report's transaction nothing is JIT-compiled; outside it, it is.
func TestReportsCompileNothing(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	var available bool
	if err := pool.QueryRow(ctx, `SELECT pg_jit_available()`).Scan(&available); err != nil {
		t.Fatal(err)
	}
	if !available {
		t.Skip("this PostgreSQL has no JIT provider (llvmjit), so there is nothing to turn off")
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET jit = on; SET jit_above_cost = 0`); err != nil {
		t.Fatal(err)
	}
	compiles := func(tx pgx.Tx) bool {
		var plan string
		if err := tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+fmt.Sprintf(slaSQL, groupColumn["team"]),
			time.Now().Add(-90*24*time.Hour), time.Now()).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		return strings.Contains(plan, `"JIT"`)
	}
	plain, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !compiles(plain) {
		t.Fatal("with jit_above_cost = 0 the statement compiled nothing: this test shows nothing")
	}
	plain.Rollback(ctx)
	tx, err := begin(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if compiles(tx) {
		t.Error("a report's transaction JIT-compiled the SLA statement; want JIT off")
	}
}
