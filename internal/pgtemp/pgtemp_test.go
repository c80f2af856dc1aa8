package pgtemp

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestRestartKeepsCommittedData stops the server in each mode, starts it
// again and finds what was committed before, on the same URL.
func TestRestartKeepsCommittedData(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx, Options{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	url := c.URL("postgres")
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE TABLE kept (mode text)")
	for _, mode := range []StopMode{Smart, Fast, Immediate} {
		exec("INSERT INTO kept VALUES ('" + mode.String() + "')")
		if err := c.StopServer(mode); err != nil {
			t.Fatalf("StopServer(%v) = %v", mode, err)
		}
		if conn, err := pgx.Connect(ctx, url); err == nil {
			conn.Close(ctx)
			t.Fatalf("after StopServer(%v) the server still takes connections", mode)
		}
		if err := c.Restart(ctx); err != nil {
			t.Fatalf("Restart after %v = %v", mode, err)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM kept").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("rows after three restarts = %d, want 3", n)
	}
}
