package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
)

// rulesCmd evaluates the configured rules on a message, or on the last
// captured messages, and writes nothing.
func rulesCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		return usageError("rules: want test -message FILE | -replay N")
	}
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	path := configFlag(fs)
	file := fs.String("message", "", "an .eml file to evaluate as a new ticket")
	replay := fs.Int("replay", 0, "evaluate the last N captured messages and compare with what happened")
	mailbox := fs.String("mailbox", "", "the mailbox the message arrives in; default the first configured")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseArgs(fs, args[1:], noNumber); err != nil {
		return err
	}
	if (*file == "") == (*replay == 0) {
		return usageError("rules test: want exactly one of -message FILE and -replay N")
	}
	if *replay < 0 {
		return usageError("rules test: -replay wants a positive number")
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	dc, err := deskConfig(cfg)
	if err != nil {
		return err
	}
	desk := ticketing.NewDesk(slog.New(slog.DiscardHandler), dc)
	pc := processorConfig(cfg)
	if *file != "" {
		raw, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		mb := *mailbox
		if mb == "" {
			mb = cfg.Mailboxes[0].Name
		}
		in, err := mailin.ParseMessage(raw, mb, pc)
		if err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
		e := desk.Explain(&in, false, time.Now())
		if *asJSON {
			return writeJSON(stdout, e)
		}
		printExplanation(stdout, e)
		return nil
	}
	return withDB(ctx, func(pool *pgxpool.Pool) error { return replayRules(ctx, pool, desk, pc, cfg, *replay, *asJSON, stdout) })
}

// replayed is one captured message evaluated again.
type replayed struct {
	Inbound     int64                  `json:"inbound"`
	Subject     string                 `json:"subject"`
	Status      string                 `json:"status"` // what happened: ticketed, attached, ignored, quarantined
	Ticket      *int64                 `json:"ticket"`
	Was         map[string]string      `json:"was,omitempty"`
	Would       map[string]string      `json:"would"`
	Differences []string               `json:"differences"`
	Explanation *ticketing.Explanation `json:"explanation,omitempty"`
	Error       string                 `json:"error,omitempty"`
}

func replayRules(ctx context.Context, pool *pgxpool.Pool, desk *ticketing.Desk, pc mailin.ProcessorConfig, cfg *config.Config, n int, asJSON bool, stdout io.Writer) error {
	rows, err := pool.Query(ctx, `
		SELECT i.id, i.mailbox, i.raw, i.raw_removed_by, i.status, i.subject, i.ticket_id, i.captured_at,
		    coalesce(e.detail->>'category', ''), coalesce(e.detail->>'impact', ''), coalesce(e.detail->>'urgency', ''),
		    coalesce(e.detail->>'priority', ''), coalesce(e.detail->>'team', ''), coalesce(e.detail->>'sla_policy', '')
		FROM (SELECT * FROM inbound ORDER BY id DESC LIMIT $1) i
		-- what the policy decided when the message opened its ticket, not
		-- what later changes (escalation, replies, agents) made of it
		LEFT JOIN events e ON e.inbound_id = i.id AND e.kind = 'priority.set'
		ORDER BY i.id`, n)
	if err != nil {
		return err
	}
	var out []replayed
	for rows.Next() {
		var r replayed
		var mailbox, removed string
		var raw []byte
		var at time.Time
		var was [6]string
		if err := rows.Scan(&r.Inbound, &mailbox, &raw, &removed, &r.Status, &r.Subject, &r.Ticket, &at,
			&was[0], &was[1], &was[2], &was[3], &was[4], &was[5]); err != nil {
			rows.Close()
			return err
		}
		if removed != "" {
			r.Error = "its raw bytes were removed by " + removed
			out = append(out, r)
			continue
		}
		in, perr := mailin.ParseMessage(raw, mailbox, pc)
		if perr != nil {
			r.Error = perr.Error()
			out = append(out, r)
			continue
		}
		e := desk.Explain(&in, false, at)
		t := e.Ticket
		r.Would = map[string]string{"category": t.Category, "impact": t.Impact, "urgency": t.Urgency,
			"priority": t.Priority, "team": t.Team, "sla_policy": e.Policy}
		if e.Ignore != "" {
			r.Would = map[string]string{"ignored": e.Ignore}
		}
		if r.Status == ticketing.StatusTicketed {
			r.Was = map[string]string{"category": was[0], "impact": was[1], "urgency": was[2], "priority": was[3],
				"team": was[4], "sla_policy": was[5]}
			for _, k := range []string{"category", "impact", "urgency", "priority", "team", "sla_policy", "ignored"} {
				if r.Would[k] != r.Was[k] {
					r.Differences = append(r.Differences, fmt.Sprintf("%s: %q → %q", k, r.Was[k], r.Would[k]))
				}
			}
		} else if e.Ignore == "" && r.Status == ticketing.StatusIgnored && in.Class == ticketing.ClassHuman {
			r.Differences = append(r.Differences, "was ignored; as a new message it would now open a ticket")
		}
		if asJSON {
			r.Explanation = &e
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, out)
	}
	changed := 0
	for _, r := range out {
		ticket := "-"
		if r.Ticket != nil {
			ticket = fmt.Sprintf("#%d", *r.Ticket)
		}
		switch {
		case r.Error != "":
			fmt.Fprintf(stdout, "inbound %d (%s): cannot be parsed: %s\n", r.Inbound, r.Status, r.Error)
		case r.Status != ticketing.StatusTicketed && len(r.Differences) == 0:
			fmt.Fprintf(stdout, "inbound %d (%s %s): not a new ticket; rules for new tickets do not apply\n", r.Inbound, r.Status, ticket)
		case len(r.Differences) == 0:
			fmt.Fprintf(stdout, "inbound %d (%s %s): unchanged\n", r.Inbound, r.Status, ticket)
		default:
			changed++
			fmt.Fprintf(stdout, "inbound %d (%s %s) %q would change: %s\n", r.Inbound, r.Status, ticket, clip(r.Subject, 40),
				strings.Join(r.Differences, "; "))
		}
	}
	fmt.Fprintf(stdout, "%d of %d messages would be treated differently by the current rules\n", changed, len(out))
	return nil
}

// printExplanation writes what the rules make of one message.
func printExplanation(w io.Writer, e ticketing.Explanation) {
	f := e.Facts
	fmt.Fprintf(w, "Facts\n  from %s <%s> (domain %s), mailbox %s, queue %s\n  subject %q\n  class %s, language %q, %d attachment(s), %s %02d:xx, business hours %v\n",
		f.From.Name, f.From.Address, f.From.Domain, f.Mailbox, f.Queue, f.Subject, f.Class, f.Language,
		len(f.Attachments), f.Weekday, f.Hour, f.BusinessHours)
	fmt.Fprintln(w, "\nRules (ticket.created)")
	steps := e.Rules.Trace.Steps()
	if len(steps) == 0 {
		fmt.Fprintln(w, "  (no rules for new tickets)")
	}
	for _, s := range steps {
		switch {
		case s.Err != "":
			fmt.Fprintf(w, "  ! %s: error, not matched: %s\n", s.Rule, s.Err)
		case s.Matched:
			fmt.Fprintf(w, "  ✓ %s: %s%s\n", s.Rule, strings.Join(s.Actions, ", "), map[bool]string{true: " (stop)"}[s.Stop])
		default:
			fmt.Fprintf(w, "  · %s: not matched\n", s.Rule)
		}
	}
	if e.Ignore != "" {
		fmt.Fprintf(w, "\nResult: the message would be ignored (%s); no ticket.\n", e.Ignore)
		return
	}
	t := e.Ticket
	fmt.Fprintf(w, "\nResulting ticket\n  category %q, impact %s, urgency %s, priority %s (%s)\n  team %q, assignee %q, status %s, language %s, tags %v\n  SLA policy %q\n",
		t.Category, t.Impact, t.Urgency, t.Priority, e.Priority, t.Team, t.Assignee, t.Status, t.Language, t.Tags, e.Policy)
	if e.Rules.SuppressAcknowledgement {
		fmt.Fprintf(w, "  no acknowledgement (rule %s)\n", e.Rules.SuppressRule)
	}
	for _, c := range e.Clocks {
		fmt.Fprintf(w, "  %s clock: %s\n", c.Kind, c.Explain)
	}
}
