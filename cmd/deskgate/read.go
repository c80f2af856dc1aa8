package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
)

func ticketCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("ticket: want list, show N, set N FIELD=VALUE, reply N TEXT, note N TEXT, status N STATUS, merge FROM INTO or accept N")
	}
	fs := flag.NewFlagSet("ticket "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		status := fs.String("status", "", "only tickets with this status: "+strings.Join(ticketing.TicketStatuses(), ", "))
		limit := fs.Int("limit", 100, "at most this many tickets, newest first")
		filters := addListFilters(fs)
		if _, err := parseArgs(fs, args[1:], noNumber); err != nil {
			return err
		}
		if err := checkList(*status, ticketing.TicketStatuses(), *limit); err != nil {
			return err
		}
		f, err := filters.filter(*status, *limit)
		if err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			ts, next, err := ticketing.FindTickets(ctx, pool, f)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(stdout, ts)
			}
			if err := printTickets(stdout, ts); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(stdout, "more: -cursor %s\n", next)
			}
			return nil
		})
	case "set":
		return setCmd(ctx, fs, args[1:], stdout)
	case "reply", "note":
		return postCmd(ctx, fs, args[1:], os.Stdin, stdout, args[0] == "note")
	case "show":
		asJSON := fs.Bool("json", false, "print JSON")
		n, err := parseArgs(fs, args[1:], needNumber)
		if err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			t, err := ticketing.GetTicket(ctx, pool, n)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(stdout, t)
			}
			return printTicket(stdout, t)
		})
	case "status":
		why := fs.String("why", "set by an administrator", "the reason, kept in the ticket's event log")
		path, agent := configFlag(fs), agentFlag(fs)
		nums, rest, err := positional(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if len(rest) != 1 || !slices.Contains(ticketing.TicketStatuses(), rest[0]) {
			return usageError("ticket status: want N STATUS, STATUS one of " + strings.Join(ticketing.TicketStatuses(), ", "))
		}
		desk, err := cliDesk(*path)
		if err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			if err := desk.SetStatus(ctx, pool, nums[0], rest[0], actorOf(*agent), *why); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "ticket #%d is now %s\n", nums[0], rest[0])
			return nil
		})
	case "accept":
		path, agent := configFlag(fs), agentFlag(fs)
		nums, rest, err := positional(fs, args[1:], 1)
		if err != nil {
			return err
		}
		desk, err := cliDesk(*path)
		if err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			who, err := desk.Admit(ctx, pool, nums[0], rest, actorOf(*agent))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "ticket #%d: %s now take part\n", nums[0], strings.Join(who, ", "))
			return nil
		})
	case "merge":
		why := fs.String("why", "merged by an administrator", "the reason, kept in both tickets' event logs")
		path, agent := configFlag(fs), agentFlag(fs)
		nums, rest, err := positional(fs, args[1:], 2)
		if err != nil {
			return err
		}
		if len(rest) != 0 {
			return usageError("ticket merge: want FROM INTO")
		}
		desk, err := cliDesk(*path)
		if err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			if err := desk.MergeAs(ctx, pool, nums[0], nums[1], *agent, *why); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "ticket #%d merged into #%d; replies to either now land in #%d\n", nums[0], nums[1], nums[1])
			return nil
		})
	}
	return usageError(fmt.Sprintf("ticket: unknown subcommand %q", args[0]))
}

// positional parses fs's flags, which may stand anywhere, and returns the
// first n arguments as numbers and the rest as they are.
func positional(fs *flag.FlagSet, args []string, n int) ([]int64, []string, error) {
	fs.SetOutput(io.Discard)
	var rest []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, nil, helpRequested{fs}
		} else if err != nil {
			return nil, nil, usageError(fs.Name() + ": " + err.Error())
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) < n {
		return nil, nil, usageError(fmt.Sprintf("%s: want %d number(s)", fs.Name(), n))
	}
	nums := make([]int64, n)
	for i := range n {
		v, err := number(fs, rest[i])
		if err != nil {
			return nil, nil, err
		}
		nums[i] = v
	}
	return nums, rest[n:], nil
}

// number reads a ticket or message number, with or without a leading #.
func number(fs *flag.FlagSet, s string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || v <= 0 {
		return 0, usageError(fmt.Sprintf("%s: %q is not a number", fs.Name(), s))
	}
	return v, nil
}

func inboundCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return usageError("inbound: want list")
	}
	fs := flag.NewFlagSet("inbound list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	status := fs.String("status", "", "only messages with this status: "+strings.Join(mailin.InboundStatuses(), ", "))
	limit := fs.Int("limit", 100, "at most this many messages, newest first")
	if _, err := parseArgs(fs, args[1:], noNumber); err != nil {
		return err
	}
	if err := checkList(*status, mailin.InboundStatuses(), *limit); err != nil {
		return err
	}
	return listInbound(ctx, stdout, *status, *limit, *asJSON)
}

func listInbound(ctx context.Context, stdout io.Writer, status string, limit int, asJSON bool) error {
	return withDB(ctx, func(pool *pgxpool.Pool) error {
		rs, err := mailin.ListInbound(ctx, pool, status, limit)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(stdout, rs)
		}
		return printInbound(stdout, rs)
	})
}

func quarantineCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("quarantine: want list, show N or retry N|-all")
	}
	fs := flag.NewFlagSet("quarantine "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		limit := fs.Int("limit", 100, "at most this many messages, newest first")
		if _, err := parseArgs(fs, args[1:], noNumber); err != nil {
			return err
		}
		if err := checkList("", nil, *limit); err != nil {
			return err
		}
		return listInbound(ctx, stdout, ticketing.StatusQuarantined, *limit, *asJSON)
	case "show":
		raw := fs.Bool("raw", false, "print the message's raw bytes exactly as captured")
		n, err := parseArgs(fs, args[1:], needNumber)
		if err != nil {
			return err
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			r, body, err := mailin.GetInbound(ctx, pool, n)
			if err != nil {
				return err
			}
			if *raw {
				_, err := rawOutput(stdout).Write(body)
				return err
			}
			fmt.Fprintf(stdout, "inbound %d  %s  mailbox %s  uidvalidity %d  uid %d  %d bytes  sha256 %s\nreason: %s\n\n",
				r.ID, r.Status, r.Mailbox, r.UIDValidity, r.UID, r.Size, r.SHA256, r.Reason)
			if r.RawRemoved != "" {
				fmt.Fprintf(stdout, "its raw bytes were removed by %s on %s\n", r.RawRemoved, r.RawRemovedAt.Local().Format("2006-01-02 15:04"))
				return nil
			}
			_, err = stdout.Write(firstLines(body, 40))
			return err
		})
	case "retry":
		all := fs.Bool("all", false, "retry every quarantined message")
		id, err := parseArgs(fs, args[1:], maybeNumber)
		if err != nil {
			return err
		}
		if (id == 0) == !*all {
			return usageError("quarantine retry: give one message number or -all")
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			if id != 0 {
				if _, _, err := mailin.GetInbound(ctx, pool, id); err != nil {
					return err
				}
			}
			n, err := mailin.RetryQuarantined(ctx, pool, id)
			if err != nil {
				return err
			}
			if n == 0 && id != 0 {
				return fmt.Errorf("inbound message %d is not quarantined", id)
			}
			fmt.Fprintf(stdout, "%d message(s) queued for processing again; a running deskgate serve picks them up within a second\n", n)
			return nil
		})
	}
	return usageError(fmt.Sprintf("quarantine: unknown subcommand %q", args[0]))
}

// numberArg says whether a command takes one number (a ticket or message).
type numberArg int

const (
	noNumber numberArg = iota
	needNumber
	maybeNumber
)

// parseArgs parses fs's flags, which may stand before or after the number
// the command takes. It returns the number (0 if none); anything else left
// over is a usage error.
func parseArgs(fs *flag.FlagSet, args []string, want numberArg) (int64, error) {
	_, rest, err := positional(fs, args, 0)
	if err != nil {
		return 0, err
	}
	var n int64
	switch {
	case want != noNumber && len(rest) > 0:
		if n, err = number(fs, rest[0]); err != nil {
			return 0, err
		}
		rest = rest[1:]
	case want == needNumber:
		return 0, usageError(fs.Name() + ": missing number")
	}
	if len(rest) > 0 {
		return 0, usageError(fmt.Sprintf("%s: unexpected argument %q", fs.Name(), rest[0]))
	}
	return n, nil
}

// checkList validates the -status and -limit of a list command.
func checkList(status string, statuses []string, limit int) error {
	if status != "" && !slices.Contains(statuses, status) {
		return usageError(fmt.Sprintf("unknown status %q: want one of %s", status, strings.Join(statuses, ", ")))
	}
	if limit < 1 {
		return usageError(fmt.Sprintf("-limit %d: want at least 1", limit))
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printTickets(w io.Writer, ts []ticketing.TicketSummary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TICKET\tSTATUS\tPRIORITY\tQUEUE\tREQUESTER\tMSGS\tRECEIVED\tSUBJECT")
	for _, t := range ts {
		fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", t.Number, t.Status, orDash(t.Priority), t.Queue, t.Requester.Address,
			t.Messages, t.ReceivedAt.Local().Format("2006-01-02 15:04"), clip(t.Subject, 60))
	}
	return tw.Flush()
}

func printTicket(w io.Writer, t *ticketing.Ticket) error {
	fmt.Fprintf(w, "Ticket #%d  [%s]  queue %s\nSubject:   %s\nRequester: %s\nReceived:  %s\n",
		t.Number, t.Status, t.Queue, t.Subject, formatAddr(t.Requester), t.ReceivedAt.Local().Format("2006-01-02 15:04:05"))
	if t.Priority != "" {
		fmt.Fprintf(w, "Priority:  %s (impact %s, urgency %s)  category %q  team %q  tags %v\n", t.Priority, t.Impact, t.Urgency,
			t.Category, t.Team, t.Tags)
	}
	for _, c := range t.Clocks {
		state := "met"
		switch {
		case c.Running && c.Due != nil:
			state = "due " + c.Due.Local().Format("Mon 2 Jan 15:04")
		case c.Running:
			state = "running"
		case c.Stopped == nil:
			state = "paused"
		}
		if c.Breached != nil {
			state += ", BREACHED " + c.Breached.Local().Format("Mon 2 Jan 15:04")
		}
		fmt.Fprintf(w, "SLA:       %-13s target %s (%s hours), used %s: %s\n", c.Kind, c.Target, c.Calendar, c.Used, state)
	}
	for _, m := range t.Thread {
		who := formatAddr(m.From)
		if m.Agent != "" {
			who += " (agent)"
		}
		switch {
		case m.Held:
			who += ", HELD: takes no part in the ticket; 'deskgate ticket accept' or #accept admits them"
		case m.Visibility == "internal":
			who += ", INTERNAL: never sent to the requester"
		}
		fmt.Fprintf(w, "\n--- message %d (%s, %s) from %s\n", m.ID, m.Direction, m.Class, who)
		fmt.Fprintf(w, "Subject: %s\n", m.Subject)
		for _, a := range m.Attachments {
			fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
		}
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(m.Text))
	}
	if len(t.Notifications) > 0 {
		fmt.Fprintln(w, "\nMail sent about it:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, n := range t.Notifications {
			detail := n.Reason
			if detail == "" {
				detail = n.Reply
			}
			status := n.Status
			if n.Status == ticketing.OutboxQueued && n.Delivered {
				status += " (delivered to " + n.To + "; others wait)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", n.QueuedAt.Local().Format("2006-01-02 15:04:05"), n.Event, n.To,
				status, n.Language, clip(detail, 70))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\nEvents:")
	for _, e := range t.Events {
		fmt.Fprintf(w, "  %s  %-18s %s  %s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Kind, e.Actor, e.Detail)
	}
	return nil
}

func printInbound(w io.Writer, rs []mailin.Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMAILBOX\tUID\tCLASS\tSTATUS\tTICKET\tFROM\tSUBJECT\tREASON")
	for _, r := range rs {
		ticket := "-"
		if r.Ticket != nil {
			ticket = fmt.Sprintf("#%d", *r.Ticket)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Mailbox, r.UID, orDash(r.Class), r.Status,
			ticket, orDash(r.From.Address), clip(r.Subject, 40), clip(r.Reason, 70))
	}
	return tw.Flush()
}

func formatAddr(a ticketing.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return fmt.Sprintf("%s <%s>", a.Name, a.Address)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLines(b []byte, n int) []byte {
	for i, c := range b {
		if c == '\n' {
			if n--; n == 0 {
				return append(b[:i+1:i+1], "[… use -raw for the whole message]\n"...)
			}
		}
	}
	return b
}

// cliDesk is the desk of the configuration at path, for commands that
// change tickets: the configuration says what mail a change sends and how
// its SLA clocks count. The mailboxes' and the SMTP server's secrets need
// not be set (loadTicketConfig).
func cliDesk(path string) (*ticketing.Desk, error) {
	cfg, err := loadTicketConfig(path, true)
	if err != nil {
		return nil, err
	}
	dc, err := deskConfig(cfg)
	if err != nil {
		return nil, err
	}
	return ticketing.NewDesk(slog.New(slog.DiscardHandler), dc), nil
}
