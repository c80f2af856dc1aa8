package ticketing

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
)

// TestStillQueuedIsQueued: stillQueued names every outbox status but
// queued, as the table's CHECK constraint lists them.
func TestStillQueuedIsQueued(t *testing.T) {
	pool := dbtest.Pool(t)
	var check string
	err := pool.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = 'outbox'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%status%'`).Scan(&check)
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile(`'([a-z_]+)'`)
	var all, listed []string
	for _, m := range quoted.FindAllStringSubmatch(check, -1) {
		if m[1] != "queued" {
			all = append(all, m[1])
		}
	}
	for _, m := range quoted.FindAllStringSubmatch(stillQueued, -1) {
		listed = append(listed, m[1])
	}
	slices.Sort(all)
	slices.Sort(listed)
	if len(all) == 0 || !slices.Equal(all, listed) {
		t.Errorf("stillQueued excludes %q; the CHECK (%s) has %q besides queued", listed, check, all)
	}
}
