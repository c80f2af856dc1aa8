package ticketing

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A backlog grows inbound, tickets, messages and contacts far faster than
// autovacuum analyzes them, so during one PostgreSQL plans with the
// statistics of nearly empty tables. The ingest transaction looks a batch's
// rows up by key (tickets by id, messages by Message-ID, contacts by
// address, 200 keys at a time); planned that way, each lookup read its
// whole table every batch, and ingest slowed as the tables grew
// (TestIngestLookupsReadOnlyTheirRows). Two things keep it to the rows it
// needs:

// KeyLookupsSQL makes the statements planned after it in its transaction
// read tables through their indexes, and not JIT-compiled: a plan that
// cannot avoid a sequential scan now looks costly enough to compile, which
// took longer than running it. Only plans made while it holds obey it.
const KeyLookupsSQL = `SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)`

// freshPlans runs its statements with a plan made for their values, as
// unnamed statements (pgx.QueryExecModeDescribeExec). A prepared statement
// gets a generic plan after five runs, made once, perhaps while the tables
// were empty or by another path without KeyLookupsSQL, and kept. Forcing
// custom plans through plan_cache_mode instead made PostgreSQL plan every
// foreign-key check afresh: a third more CPU. Batches keep their prepared
// statements: each was written to read only its rows under any plan.
type freshPlans struct{ pgx.Tx }

// fresh prepends the execution mode to args unless they choose one.
func fresh(args []any) []any {
	if len(args) > 0 {
		if _, ok := args[0].(pgx.QueryExecMode); ok {
			return args
		}
	}
	return append([]any{pgx.QueryExecModeDescribeExec}, args...)
}

func (t freshPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.Tx.Query(ctx, sql, fresh(args)...)
}

func (t freshPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.Tx.QueryRow(ctx, sql, fresh(args)...)
}

func (t freshPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.Tx.Exec(ctx, sql, fresh(args)...)
}

// Begin starts a savepoint whose statements are planned afresh too.
func (t freshPlans) Begin(ctx context.Context) (pgx.Tx, error) {
	sp, err := t.Tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return freshPlans{sp}, nil
}
