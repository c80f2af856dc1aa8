package ticketing_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// TestAgentsMailRenderedForEach: a new ticket's mail to each agent of its
// team, rendered once when its templates cannot read the recipient, is
// the same for both and greets each agent by name when an override's
// template does.
func TestAgentsMailRenderedForEach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	greeting := `{{define "subject"}}{{.Ticket.Tag}} New ticket{{end}}Hi {{.Recipient.Name}}, {{.Ticket.Tag}} is new.` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "en", templates.NewTicket+".txt"), []byte(greeting), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		want func(r outboxRow) string // what the mail's text holds
	}{
		{"", func(outboxRow) string { return "wrote:" }},
		{dir, func(r outboxRow) string {
			return map[string]string{"ada@desk.example": "Hi Ada,", "bo@desk.example": "Hi Bo,"}[r.Recipient]
		}},
	} {
		pool := dbtest.Pool(t)
		desk, _ := notifyingDeskWith(t, func(nc *ticketing.NotifyConfig) {
			set, err := templates.Load(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			nc.Templates = set
		})
		receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "first@example.se", "Printer"))
		var agents []outboxRow
		for _, r := range outbox(t, pool) {
			if r.Event == templates.NewTicket {
				agents = append(agents, r)
			}
		}
		if len(agents) != 2 {
			t.Fatalf("templates %q: %d new-ticket mails, want one to each of two agents", c.dir, len(agents))
		}
		for _, r := range agents {
			if !strings.Contains(r.Text, c.want(r)) {
				t.Errorf("templates %q: new-ticket mail to %s reads %q, want %q in it", c.dir, r.Recipient, r.Text, c.want(r))
			}
		}
		if c.dir == "" && agents[0].Text != agents[1].Text {
			t.Errorf("new-ticket mails to two agents differ: %q and %q", agents[0].Text, agents[1].Text)
		}
	}
}
