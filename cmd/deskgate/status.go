package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/mailout"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/webhook"
)

// status is what `deskgate status -json` prints: a stable contract, fields
// are only ever added (see docs/operations.md). Times never recorded are null.
type status struct {
	Mailboxes   []mailboxStatus `json:"mailboxes"`
	SMTP        smtpStatus      `json:"smtp"`
	Breaker     breakerStatus   `json:"breaker"`
	Quarantined int64           `json:"quarantined"`
	// Webhooks are the configured endpoints' deliveries.
	Webhooks []webhook.Backlog `json:"webhooks"`
}

type mailboxStatus struct {
	Name        string     `json:"name"`
	State       string     `json:"state"`
	Since       *time.Time `json:"since"`
	Updated     *time.Time `json:"updated"`
	LastSync    *time.Time `json:"last_sync"`
	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
	Behind      int64      `json:"behind"`
	Owner       string     `json:"owner"`
}

type smtpStatus struct {
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
	AuthFailed  bool       `json:"auth_failed"`
	Queued      int        `json:"queued"`
	Deferred    int        `json:"deferred"`
	OldestDue   *time.Time `json:"oldest_due"`
}

type breakerStatus struct {
	Open  bool       `json:"open"`
	Since *time.Time `json:"since"`
	Until *time.Time `json:"until"`
}

// orNull returns t, or nil for the zero time.
func orNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func statusCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseArgs(fs, args, noNumber); err != nil {
		return err
	}
	return withDB(ctx, func(pool *pgxpool.Pool) error {
		st, err := readStatus(ctx, pool)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, st)
		}
		return printStatus(stdout, st, time.Now())
	})
}

// readStatus reads every mailbox's state, the SMTP side's, the outbox's
// queue and the quarantine.
func readStatus(ctx context.Context, pool *pgxpool.Pool) (status, error) {
	st := status{Mailboxes: []mailboxStatus{}}
	mbs, err := mailin.MailboxStates(ctx, pool)
	if err != nil {
		return st, err
	}
	for _, m := range mbs {
		st.Mailboxes = append(st.Mailboxes, mailboxStatus{Name: m.Name, State: string(m.State), Since: orNull(m.Since),
			Updated: orNull(m.Updated), LastSync: orNull(m.LastSync), LastError: m.LastError,
			LastErrorAt: orNull(m.LastErrorAt), Behind: m.Behind, Owner: m.Owner})
	}
	sm, err := mailout.ReadSMTPState(ctx, pool)
	if err != nil {
		return st, err
	}
	b, err := ticketing.OutboxBacklog(ctx, pool)
	if err != nil {
		return st, err
	}
	st.SMTP = smtpStatus{LastSuccess: orNull(sm.LastOK), LastError: sm.LastError, LastErrorAt: orNull(sm.LastErrorAt),
		AuthFailed: sm.AuthFailed, Queued: b.Queued, Deferred: b.Deferred, OldestDue: orNull(b.OldestDue)}
	st.Breaker = breakerStatus{Open: sm.BreakerOpen, Since: orNull(sm.BreakerSince), Until: orNull(sm.BreakerUntil)}
	if st.Quarantined, err = mailin.CountQuarantined(ctx, pool); err != nil {
		return st, err
	}
	st.Webhooks, err = webhook.Backlogs(ctx, pool)
	if st.Webhooks == nil {
		st.Webhooks = []webhook.Backlog{}
	}
	return st, err
}

// stateWords are the mailbox states as the table shows them.
var stateWords = map[string]string{
	string(mailin.StateNever): "never synced", string(mailin.StateCatchingUp): "catching up",
	string(mailin.StateAuthFailed): "AUTHENTICATION FAILED", string(mailin.StateUnreachable): "UNREACHABLE",
}

// printStatus prints st as aligned tables; now is for the ages.
func printStatus(w io.Writer, st status, now time.Time) error {
	at := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04:05") + " (" + ago(now.Sub(*t)) + ")"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MAILBOX\tSTATE\tSINCE\tLAST SYNC\tBEHIND\tLAST ERROR")
	for _, m := range st.Mailboxes {
		state := m.State
		if s, ok := stateWords[state]; ok {
			state = s
		}
		if m.Owner == "" && m.State != string(mailin.StateNever) && m.State != string(mailin.StateStopped) {
			state += " (as last recorded; no process holds it now)"
		}
		lastErr := "-"
		if m.LastError != "" {
			lastErr = at(m.LastErrorAt) + " " + clip(m.LastError, 200)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", m.Name, state, at(m.Since), at(m.LastSync), m.Behind, lastErr)
	}
	if len(st.Mailboxes) == 0 {
		fmt.Fprintln(tw, "(none yet: serve records each mailbox when it starts)")
	}
	tw.Flush()
	fmt.Fprintln(w)
	s := st.SMTP
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "smtp last success\t%s\n", at(s.LastSuccess))
	lastErr := "-"
	if s.LastError != "" {
		lastErr = at(s.LastErrorAt) + " " + clip(s.LastError, 200)
		if s.AuthFailed {
			lastErr = "AUTHENTICATION FAILED " + lastErr
		}
	}
	fmt.Fprintf(tw, "smtp last error\t%s\n", lastErr)
	fmt.Fprintf(tw, "outbox queued\t%d (%d deferred after a failed attempt)\n", s.Queued, s.Deferred)
	fmt.Fprintf(tw, "outbox oldest due\t%s\n", at(s.OldestDue))
	breaker := "closed"
	if st.Breaker.Open {
		breaker = "OPEN: automatic mail held back since " + at(st.Breaker.Since) + ", checked again " + at(st.Breaker.Until)
	}
	fmt.Fprintf(tw, "circuit breaker\t%s\n", breaker)
	fmt.Fprintf(tw, "quarantined\t%d\n", st.Quarantined)
	for _, b := range st.Webhooks {
		last := "-"
		if b.LastError != "" {
			last = clip(b.LastError, 200)
		}
		fmt.Fprintf(tw, "webhook %s\t%d queued (oldest %s), %d sent (last %s), %d given up; last error %s\n",
			b.Endpoint, b.Queued, at(b.Oldest), b.Sent, at(b.LastSent), b.GivenUp, last)
	}
	return tw.Flush()
}

// ago says roughly how long ago d was ("5s ago", "3m ago", "2h ago",
// "4d ago"), or how far ahead ("in 3m").
func ago(d time.Duration) string {
	ahead := d < 0
	d = d.Abs()
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		s = fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	if ahead {
		return "in " + s
	}
	return s + " ago"
}
