package mailout

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// TestUnrenderedMailWaitsForItsBodies: an email queued before its bodies
// are rendered is sent only once they are (SenderConfig.Render). A sender
// that cannot render it (no templates, or storing the bodies fails) hands
// it back untried, logs why, and still sends the rest of its claim.
func TestUnrenderedMailWaitsForItsBodies(t *testing.T) {
	for _, c := range []struct {
		name   string
		render func(context.Context, ticketing.Batcher, string, []ticketing.Notification) ([]ticketing.Notification, error)
		log    string
	}{
		{"no templates", nil, "mailout: claimed notifications whose bodies are not rendered yet"},
		{"storing fails", func(context.Context, ticketing.Batcher, string, []ticketing.Notification) ([]ticketing.Notification, error) {
			return nil, errors.New("connection reset")
		}, "mailout: storing the bodies of claimed notifications failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, smtpmem.Options{})
			ids := e.insert(row{}, row{})
			if _, err := e.pool.Exec(context.Background(), `UPDATE outbox SET render_data = '{}', text_body = '' WHERE id = $1`, ids[0]); err != nil {
				t.Fatal(err)
			}
			cfg := e.config()
			cfg.Workers, cfg.Render = 1, c.render
			_, stop := e.start(cfg)
			e.waitStatus(ids[1], ticketing.OutboxSent, 10*time.Second)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if r := e.row(ids[0]); r.Status != ticketing.OutboxQueued || r.Attempts != 0 || r.LeaseOwner != nil {
				t.Errorf("the unrendered email = %+v, want queued, untried and unclaimed", r)
			}
			if len(e.srv.Messages()) != 1 {
				t.Errorf("%d emails reached the server, want only the rendered one", len(e.srv.Messages()))
			}
			if !strings.Contains(e.text.String(), c.log) {
				t.Errorf("log does not say %q:\n%s", c.log, e.text.String())
			}
		})
	}
}
