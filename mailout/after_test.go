package mailout

import (
	"context"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// TestWaitsForAcceptedRelay: an email that waits for another (a status
// mail for the agent's reply relayed by the same email, outbox.after_id)
// is not handed to SMTP while the server defers the other, and goes once
// the server has accepted it, or refused it for good.
func TestWaitsForAcceptedRelay(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		fault smtpmem.Fault
		relay string // the relay's final status
	}{
		{"deferred", smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "karin@example.com", Code: 451, Enhanced: "4.2.0", Times: 3}, ticketing.OutboxSent},
		{"refused", smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "karin@example.com", Code: 550, Enhanced: "5.7.1"}, ticketing.OutboxFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, smtpmem.Options{})
			e.srv.AddFault(c.fault)
			karin := []ticketing.Address{{Name: "Karin", Address: "karin@example.com"}}
			ids := e.insert(row{messageID: "relay@desk.example", to: karin, subject: "Re: Printer [#1]"},
				row{messageID: "status@desk.example", to: []ticketing.Address{{Address: "status@example.com"}}, automatic: true, subject: "Resolved [#1]"})
			if _, err := e.pool.Exec(context.Background(), `UPDATE outbox SET after_id = $1 WHERE id = $2`, ids[0], ids[1]); err != nil {
				t.Fatal(err)
			}
			cfg := e.config()
			cfg.RetryBase, cfg.RetryMax = 10*time.Millisecond, 20*time.Millisecond
			e.start(cfg)
			e.waitStatus(ids[1], ticketing.OutboxSent, 10*time.Second)
			if got := e.row(ids[0]).Status; got != c.relay {
				t.Fatalf("relay status = %s once the status mail went, want %s", got, c.relay)
			}
			var order []string
			for _, m := range e.srv.Messages() {
				order = append(order, messageID(m.Data))
			}
			want := []string{"relay@desk.example", "status@desk.example"}
			if c.relay == ticketing.OutboxFailed {
				want = want[1:]
			}
			if len(order) != len(want) || order[0] != want[0] {
				t.Errorf("messages at the server = %q, want %q: the status mail waits for the relay", order, want)
			}
		})
	}
}
