package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	"deskgate/mailin"
	"deskgate/ticketing"
)

func ticketCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("ticket: want list or show N")
	}
	fs := flag.NewFlagSet("ticket "+args[0], flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	status := fs.String("status", "", "only tickets with this status")
	limit := fs.Int("limit", 100, "at most this many tickets")
	switch args[0] {
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return usageError(err.Error())
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			ts, err := ticketing.ListTickets(ctx, pool, *status, *limit)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(stdout, ts)
			}
			return printTickets(stdout, ts)
		})
	case "show":
		n, rest, err := numberArg(args[1:], "ticket show")
		if err != nil {
			return err
		}
		if err := fs.Parse(rest); err != nil {
			return usageError(err.Error())
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
	}
	return usageError(fmt.Sprintf("ticket: unknown subcommand %q", args[0]))
}

func inboundCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return usageError("inbound: want list")
	}
	fs := flag.NewFlagSet("inbound list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	status := fs.String("status", "", "only messages with this status: pending, ticketed, attached, ignored, quarantined")
	limit := fs.Int("limit", 100, "at most this many messages")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
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
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("quarantine list", flag.ContinueOnError)
		asJSON := fs.Bool("json", false, "print JSON")
		limit := fs.Int("limit", 100, "at most this many messages")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError(err.Error())
		}
		return listInbound(ctx, stdout, ticketing.StatusQuarantined, *limit, *asJSON)
	case "show":
		n, rest, err := numberArg(args[1:], "quarantine show")
		if err != nil {
			return err
		}
		fs := flag.NewFlagSet("quarantine show", flag.ContinueOnError)
		raw := fs.Bool("raw", false, "print the message's raw bytes exactly as captured")
		if err := fs.Parse(rest); err != nil {
			return usageError(err.Error())
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			r, body, err := mailin.GetInbound(ctx, pool, n)
			if err != nil {
				return err
			}
			if *raw {
				_, err := stdout.Write(body)
				return err
			}
			fmt.Fprintf(stdout, "inbound %d  %s  mailbox %s uid %d/%d  %d bytes  sha256 %s\nreason: %s\n\n",
				r.ID, r.Status, r.Mailbox, r.UIDValidity, r.UID, r.Size, r.SHA256, r.Reason)
			_, err = stdout.Write(firstLines(body, 40))
			return err
		})
	case "retry":
		fs := flag.NewFlagSet("quarantine retry", flag.ContinueOnError)
		all := fs.Bool("all", false, "retry every quarantined message")
		var id int64
		rest := args[1:]
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			var err error
			if id, rest, err = numberArg(rest, "quarantine retry"); err != nil {
				return err
			}
		}
		if err := fs.Parse(rest); err != nil {
			return usageError(err.Error())
		}
		if (id == 0) == !*all {
			return usageError("quarantine retry: give one message number or -all")
		}
		return withDB(ctx, func(pool *pgxpool.Pool) error {
			n, err := mailin.RetryQuarantined(ctx, pool, id)
			if err != nil {
				return err
			}
			if n == 0 && id != 0 {
				return fmt.Errorf("inbound %d is not quarantined", id)
			}
			fmt.Fprintf(stdout, "%d message(s) queued for processing again; a running deskgate serve picks them up within a second\n", n)
			return nil
		})
	}
	return usageError(fmt.Sprintf("quarantine: unknown subcommand %q", args[0]))
}

func numberArg(args []string, what string) (int64, []string, error) {
	if len(args) == 0 {
		return 0, nil, usageError(what + ": missing number")
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, nil, usageError(fmt.Sprintf("%s: %q is not a number", what, args[0]))
	}
	return n, args[1:], nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printTickets(w io.Writer, ts []ticketing.TicketSummary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TICKET\tSTATUS\tQUEUE\tREQUESTER\tMSGS\tRECEIVED\tSUBJECT")
	for _, t := range ts {
		fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%d\t%s\t%s\n", t.Number, t.Status, t.Queue, t.Requester.Address,
			t.Messages, t.ReceivedAt.Local().Format("2006-01-02 15:04"), clip(t.Subject, 60))
	}
	return tw.Flush()
}

func printTicket(w io.Writer, t *ticketing.Ticket) error {
	fmt.Fprintf(w, "Ticket #%d  [%s]  queue %s\nSubject:   %s\nRequester: %s\nReceived:  %s\n",
		t.Number, t.Status, t.Queue, t.Subject, formatAddr(t.Requester), t.ReceivedAt.Local().Format("2006-01-02 15:04:05"))
	for _, m := range t.Thread {
		fmt.Fprintf(w, "\n--- message %d (%s, %s) from %s\n", m.ID, m.Direction, m.Class, formatAddr(m.From))
		fmt.Fprintf(w, "Subject: %s\n", m.Subject)
		for _, a := range m.Attachments {
			fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
		}
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(m.Text))
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
