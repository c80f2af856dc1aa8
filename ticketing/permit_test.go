package ticketing_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// permitKeys are the reply-token keys of the permission tests' desk.
func permitKeys(t *testing.T) *token.Keys {
	t.Helper()
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("a secret of the permission tests, 32 bytes")})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// permitDesk is agentDesk with the teams support, network, hr and sales:
// Ada, Bo and Cy are agents of support, Hal of hr, and Lea leads support
// and network.
func permitDesk(t *testing.T, keys *token.Keys, change func(*ticketing.Config)) *ticketing.Desk {
	t.Helper()
	return agentDeskWith(t, func(c *ticketing.Config) {
		c.Tokens = keys
		c.Notify.Agents = []ticketing.Agent{
			{Name: "Ada", Addresses: []string{"ada@desk.example"}, Teams: []string{"support"}},
			{Name: "Bo", Addresses: []string{"bo@desk.example"}, Teams: []string{"support"}},
			{Name: "Cy", Addresses: []string{"cy@desk.example"}, Teams: []string{"support"}},
			{Name: "Hal", Addresses: []string{"hal@desk.example"}, Teams: []string{"hr"}},
			{Name: "Lea", Addresses: []string{"lea@desk.example"}, Teams: []string{"support", "network"}, Role: "lead"}}
		c.Notify.Teams = []ticketing.Team{{Name: "support"}, {Name: "network"}, {Name: "hr"}, {Name: "sales"}}
		if change != nil {
			change(c)
		}
	})
}

// agentToken is the Reply-To of a mail about ticket issued to agent.
func agentToken(t *testing.T, pool *pgxpool.Pool, keys *token.Keys, ticket int64, agent string) string {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(), `INSERT INTO contacts (address) VALUES ($1)
		ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address RETURNING id`, agent).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return keys.ReplyTo(token.Claims{Ticket: uint64(ticket), Recipient: uint64(id), Nonce: uint64(ticket), Issued: token.Hours(time.Now())}, "help@desk.example")
}

// heldTicket inserts a ticket of team held by assignee ("" for none).
func heldTicket(t *testing.T, pool *pgxpool.Pool, team, assignee string) int64 {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(), `INSERT INTO tickets (subject, requester_addr, requester_name, received_at, team, assignee)
		VALUES ('Printer', 'asa@example.se', 'Åsa', now(), $1, $2) RETURNING id`, team, assignee).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `INSERT INTO participants (ticket_id, address, name, role) VALUES ($1, 'asa@example.se', 'Åsa', 'requester')`, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// agentSays delivers text from agent as a verified reply to ticket.
func agentSays(t *testing.T, pool *pgxpool.Pool, desk *ticketing.Desk, keys *token.Keys, uid *int, ticket int64, agent, text string) {
	t.Helper()
	*uid++
	in := human(capture(t, pool, "support", *uid), "perm-"+itoa(int64(*uid))+"@desk.example", "Re: Printer")
	in.From = ticketing.Address{Name: strings.Split(agent, "@")[0], Address: agent}
	in.To = []ticketing.Address{{Address: agentToken(t, pool, keys, ticket, agent)}}
	in.Text, in.NewText = text, text
	if o := receiveWith(t, pool, desk, in)[0]; o.TicketID != ticket {
		t.Fatalf("%s's reply joined ticket %d, want %d", agent, o.TicketID, ticket)
	}
}

// refusals are the permission problems of ticket's commands.rejected events.
func refusals(t *testing.T, pool *pgxpool.Pool, ticket int64) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT detail->'errors' FROM events WHERE ticket_id = $1 AND kind = 'commands.rejected'`, ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var errs []struct{ Problem string }
		if err := json.Unmarshal(raw, &errs); err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			out = append(out, e.Problem)
		}
	}
	return out
}

// TestPermissionTable tests every cell of the permission table of
// docs/agents.md: for an agent and a lead, each way a ticket can stand to
// them, and each action, by email.
func TestPermissionTable(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	keys := permitKeys(t)
	desk := permitDesk(t, keys, nil)
	uid := 0
	type holding struct{ team, assignee string }
	// The actions, each as a reply and how to tell that it applied.
	type action struct {
		name string
		text func(h holding) string // "" when the action does not apply to h
		done func(id int64, before holding, actor string) bool
	}
	holder := func(id int64) (h holding) {
		if err := pool.QueryRow(context.Background(), `SELECT team, assignee FROM tickets WHERE id = $1`, id).Scan(&h.team, &h.assignee); err != nil {
			t.Fatal(err)
		}
		return h
	}
	actions := []action{
		{"reply", func(holding) string { return "Hej Åsa, skrivaren fungerar nu." }, func(id int64, _ holding, _ string) bool {
			var n int
			pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE ticket_id = $1 AND event = 'agent-reply'`, id).Scan(&n)
			return n == 1
		}},
		{"change", func(holding) string { return "#priority High" }, func(id int64, _ holding, _ string) bool {
			return fields(t, pool, id).Priority == "High"
		}},
		{"take", func(holding) string { return "#take" }, func(id int64, _ holding, actor string) bool {
			return holder(id).assignee == actor
		}},
		{"release", func(h holding) string {
			if h.team == "" {
				return ""
			}
			return "#assign team:" + h.team
		}, func(id int64, before holding, _ string) bool {
			h := holder(id)
			return h.assignee == "" && h.team == before.team
		}},
		{"reassign", func(holding) string { return "#assign cy@desk.example" }, func(id int64, _ holding, _ string) bool {
			return holder(id).assignee == "cy@desk.example"
		}},
		{"move", func(holding) string { return "#assign team:network" }, func(id int64, _ holding, _ string) bool {
			return holder(id).team == "network"
		}},
		{"move out", func(holding) string { return "#assign team:sales" }, func(id int64, _ holding, _ string) bool {
			return holder(id).team == "sales"
		}},
	}
	all := "reply change take release reassign move"
	work := "reply change take release"
	for _, row := range []struct {
		actor, relation string
		h               holding
		allowed         string // the actions that apply
	}{
		{"ada@desk.example", "assigned to them", holding{"support", "ada@desk.example"}, work},
		{"ada@desk.example", "unassigned in their team", holding{"support", ""}, work},
		{"ada@desk.example", "unassigned, of no team", holding{"", ""}, work},
		{"ada@desk.example", "a colleague's in their team", holding{"support", "bo@desk.example"}, ""},
		{"ada@desk.example", "unassigned in another team", holding{"hr", ""}, ""},
		{"ada@desk.example", "assigned to them in another team", holding{"hr", "ada@desk.example"}, work},
		{"ada@desk.example", "someone's in another team", holding{"hr", "hal@desk.example"}, ""},
		{"lea@desk.example", "assigned to them", holding{"support", "lea@desk.example"}, all},
		{"lea@desk.example", "unassigned in their team", holding{"support", ""}, all},
		{"lea@desk.example", "unassigned, of no team", holding{"", ""}, all},
		{"lea@desk.example", "a colleague's in their team", holding{"support", "bo@desk.example"}, all},
		{"lea@desk.example", "unassigned in another team", holding{"hr", ""}, ""},
		{"lea@desk.example", "assigned to them in another team", holding{"hr", "lea@desk.example"}, work},
		{"lea@desk.example", "someone's in another team", holding{"hr", "hal@desk.example"}, ""},
	} {
		for _, a := range actions {
			text := a.text(row.h)
			if text == "" {
				continue
			}
			want := slices.Contains(strings.Fields(row.allowed), a.name)
			id := heldTicket(t, pool, row.h.team, row.h.assignee)
			agentSays(t, pool, desk, keys, &uid, id, row.actor, text)
			var replies int
			if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'agent.reply'`, id).Scan(&replies); err != nil {
				t.Fatal(err)
			}
			got := replies == 1 && a.done(id, row.h, row.actor)
			refused := refusals(t, pool, id)
			switch {
			case want && (!got || len(refused) > 0):
				t.Errorf("%s, ticket %s: %s = applied %v, refused %v; want applied", row.actor, row.relation, a.name, got, refused)
			case !want && (got || len(refused) != 1 || !slices.Contains([]string{templates.ProblemAssignedToOther,
				templates.ProblemOtherTeam, templates.ProblemLeadOnly}, refused[0])):
				t.Errorf("%s, ticket %s: %s = applied %v, refused %v; want refused for lack of rights", row.actor, row.relation, a.name, got, refused)
			}
		}
	}
}

// TestLeadCrossTeamAndRefusalInSwedish: a lead's #priority on a colleague's
// ticket of their team applies; an agent's is refused, with the
// explanation in the agent's configured language.
func TestLeadCrossTeamAndRefusalInSwedish(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	keys := permitKeys(t)
	desk := permitDesk(t, keys, func(c *ticketing.Config) {
		c.Notify.Events[templates.CommandsRejected] = ticketing.EventRule{Enabled: true}
		for i := range c.Notify.Agents {
			c.Notify.Agents[i].Language = "sv"
		}
	})
	// Ada's own setting says English: the file wins.
	if err := ticketing.SetContactLanguage(context.Background(), pool, "ada@desk.example", "en"); err != nil {
		t.Fatal(err)
	}
	uid := 0
	id := heldTicket(t, pool, "support", "bo@desk.example")
	agentSays(t, pool, desk, keys, &uid, id, "ada@desk.example", "#priority High")
	if p := fields(t, pool, id).Priority; p == "High" {
		t.Fatalf("Ada's #priority on Bo's ticket applied")
	}
	var got []outboxRow
	for _, r := range outbox(t, pool) {
		if r.Event == templates.CommandsRejected {
			got = append(got, r)
		}
	}
	if len(got) != 1 || got[0].Recipient != "ada@desk.example" || got[0].Language != "sv" ||
		!strings.Contains(got[0].Text, "Inte tillåtet: ärendet är tilldelat Bo") {
		t.Errorf("commands-rejected mail = %+v, want one to Ada in Swedish saying the ticket is Bo's", got)
	}
	agentSays(t, pool, desk, keys, &uid, id, "lea@desk.example", "#priority High")
	if p := fields(t, pool, id).Priority; p != "High" {
		t.Errorf("priority after the lead's #priority High = %q, want High", p)
	}
}
