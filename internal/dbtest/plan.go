package dbtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Reads is what one run of a statement read from a table, from its plan.
type Reads struct {
	// Rows counts the rows and index entries that the scans of the table
	// and of its indexes returned, and those their filters then dropped:
	// a scan that looks at every row to keep none still read them all.
	Rows int
	// Sorts is whether the plan sorts anything.
	Sorts bool
}

// Beginner is a *pgx.Conn, or a pgx.Tx to run in a savepoint of.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// PlanReads runs the prepared statement name on conn under EXPLAIN
// ANALYZE with args, rolled back, and returns what it read from table.
// pgx prepares every statement, and after five runs PostgreSQL may keep a
// generic plan made with the statistics of that moment, so a test prepares
// the statement itself to choose when it is planned.
func PlanReads(t testing.TB, conn Beginner, table, name string, args ...any) Reads {
	t.Helper()
	statement := "EXECUTE " + name // a statement without parameters takes no parentheses
	if len(args) > 0 {
		params := make([]string, len(args))
		for i := range args {
			params[i] = fmt.Sprintf("$%d", i+1)
		}
		statement += "(" + strings.Join(params, ", ") + ")"
	}
	return explain(t, conn, table, statement, append([]any{pgx.QueryExecModeSimpleProtocol}, args...))
}

// QueryReads runs query on conn under EXPLAIN ANALYZE with args as an
// unnamed statement, planned for these values as pgx's
// QueryExecModeDescribeExec plans it, rolled back, and returns what it
// read from table.
func QueryReads(t testing.TB, conn Beginner, table, query string, args ...any) Reads {
	t.Helper()
	return explain(t, conn, table, query, append([]any{pgx.QueryExecModeDescribeExec}, args...))
}

// explain runs EXPLAIN ANALYZE of statement with args, rolled back, and
// reads its plan. PostgreSQL rounds the rows of a node run in loops to
// whole rows per loop, so a lookup that finds a row in one loop of
// hundreds counts none; a scan of a whole table per loop counts in full.
func explain(t testing.TB, conn Beginner, table, statement string, args []any) Reads {
	t.Helper()
	ctx := context.Background()
	var out []byte
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+statement, args...).Scan(&out)
		if err == nil {
			err = errRollback
		}
		if os.Getenv("DBTEST_PLANS") != "" {
			t.Logf("%s:\n%s", statement, out)
		}
		return err
	})
	if err != errRollback {
		t.Fatal(err)
	}
	var plans []struct{ Plan map[string]any }
	if err := json.Unmarshal(out, &plans); err != nil {
		t.Fatal(err)
	}
	var r Reads
	// A bitmap index scan names no table: it reads for the bitmap heap
	// scan above it, perhaps through a BitmapAnd or BitmapOr.
	var walk func(p map[string]any, parent string)
	walk = func(p map[string]any, parent string) {
		node, _ := p["Node Type"].(string)
		rel, _ := p["Relation Name"].(string)
		if rel == "" && (node == "Bitmap Index Scan" || node == "BitmapAnd" || node == "BitmapOr") {
			rel = parent
		}
		if node == "Sort" || node == "Incremental Sort" {
			r.Sorts = true
		}
		if strings.Contains(node, "Scan") && rel == table {
			loops, _ := p["Actual Loops"].(float64)
			for _, k := range []string{"Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck"} {
				n, _ := p[k].(float64) // per loop
				r.Rows += int(n * loops)
			}
		}
		kids, _ := p["Plans"].([]any)
		for _, k := range kids {
			walk(k.(map[string]any), rel)
		}
	}
	walk(plans[0].Plan, "")
	return r
}

var errRollback = errors.New("dbtest: rolled back")
