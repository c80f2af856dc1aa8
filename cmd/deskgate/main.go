// Command deskgate is an email-driven helpdesk gateway: it turns mail in
// the service desk's IMAP mailboxes into tickets in PostgreSQL.
//
// Usage:
//
//	deskgate serve                 sync the mailboxes and process mail until stopped
//	deskgate migrate               bring the database schema up to date
//	deskgate config check [-connect]   validate deskgate.yaml (and log in to every server)
//	deskgate status [-json]        each mailbox's state, the SMTP side, the outbox, the quarantine
//	deskgate ticket list|show N    read tickets (-json for scripts)
//	deskgate ticket set|reply|note N   change a ticket as an agent's email would
//	deskgate token create|list|revoke   API tokens
//	deskgate templates check|preview EVENT   check or show notification mail
//	deskgate rules test -message FILE | -replay N   what the rules make of mail
//	deskgate inbound list          every captured message and what became of it
//	deskgate quarantine list|show N|retry N|retry -all
//	deskgate contact language|erase ADDRESS   one person's language, or their data erased
//	deskgate report sla|volume|backlog|agents   SLA, volume, backlog and agents' work in business time
//	deskgate demo [-v]             run the whole pipeline on embedded sample mail
//	deskgate version               the version, revision and build time
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/deskgate/deskgate/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stderr := newTerminal(os.Stderr)
	err := run(ctx, os.Args[1:], os.Stdout, stderr)
	stop()
	if err != nil {
		var u usageError
		var cfgErr *config.Error
		switch {
		case errors.As(err, &u):
			fmt.Fprintln(stderr, "deskgate:", err)
			os.Exit(2)
		case errors.As(err, &cfgErr):
			fmt.Fprintln(stderr, err) // one file:line:column: problem per line
		default:
			fmt.Fprintln(stderr, "deskgate:", err)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError string

func (u usageError) Error() string { return string(u) + " (see deskgate help)" }

const usage = `deskgate - email-driven helpdesk gateway

Usage:
  deskgate serve [-config FILE]          sync the mailboxes and turn mail into tickets until stopped
  deskgate migrate                       apply database migrations and print the schema version
  deskgate config check [-connect] [-config FILE]   validate the configuration, reporting every problem;
                                         -connect also logs in to every mailbox, the SMTP server and PostgreSQL
  deskgate status [-json]                every mailbox's state, last sync, last error and messages behind; the
                                         SMTP side, the outbox's queue, the circuit breaker and the quarantine
  deskgate auth login NAME [-config FILE]   sign in for a mailbox (or smtp) with oauth2 flow: delegated;
                                         stores the refresh token encrypted with the first desk secret
  deskgate ticket list [-status S] [-limit N] [-json] [-team T] [-assignee A] [-queue Q] [-priority P] [-category C] [-requester ADDRESS] [-tag T] [-search WORDS] [-created FROM..TO] [-updated FROM..TO] [-sort ORDER] [-cursor C]
  deskgate ticket show N [-json]
  deskgate ticket set N FIELD=VALUE... [-why TEXT] [-as AGENT] [-config FILE]   status, priority, impact, urgency,
                                         category, team, assignee, tags=+a,-b; checked as email commands are
  deskgate ticket reply N TEXT|- [-attach FILE] [-as AGENT] [-config FILE]   relayed to the requester and Cc
  deskgate ticket note N TEXT|- [-as AGENT] [-config FILE]   an internal note
  deskgate ticket status N STATUS [-why TEXT] [-as AGENT] [-config FILE]   new, open, pending, resolved or closed;
                                         queues the status mail the configuration asks for
  deskgate ticket merge FROM INTO [-why TEXT] [-as AGENT] [-config FILE]   replies to either land in INTO
  deskgate ticket accept N [ADDRESS...] [-as AGENT] [-config FILE]   let the senders whose mail N holds (or those
                                         named) take part in it, as #accept does
  deskgate token create -agent ADDRESS [-scope read|write] [-expires DURATION]   an API token, printed once
  deskgate token list [-json]
  deskgate token revoke ID
  deskgate templates check [-config FILE]       render every notification template in every language
  deskgate templates preview EVENT [-lang L] [-config FILE]   print one notification as it would be sent
  deskgate contact language ADDRESS LANG        write all mail to ADDRESS in LANG ("" clears)
  deskgate contact erase ADDRESS                remove or pseudonymise one person's data (data-protection requests)
  deskgate rules test -message FILE [-mailbox NAME] [-json] [-config FILE]   what the rules make of an .eml
                                         as a new ticket; writes nothing
  deskgate rules test -replay N [-json] [-config FILE]   the last N captured messages under today's rules,
                                         against what happened
  deskgate inbound list [-status S] [-limit N] [-json]
  deskgate quarantine list [-limit N] [-json]
  deskgate quarantine show N [-raw]
  deskgate quarantine retry N | -all
  deskgate report sla [-from DATE] [-to DATE] [-by G] [-json] [-csv] [-config FILE]   per group: first
                                         response times, % within target, breaches, time paused
  deskgate report volume [-from DATE] [-to DATE] [-json] [-csv] [-config FILE]   per day: tickets, mail
                                         by class, agents' replies, notifications sent and suppressed
  deskgate report backlog [-by G] [-at-risk HOURS] [-json] [-csv] [-config FILE]   open tickets by
                                         status and age, oldest, at risk, breached
  deskgate report agents [-from DATE] [-to DATE] [-json] [-csv] [-config FILE]   replies, resolutions,
                                         first-contact resolution, reopen rate
  deskgate demo [-v] [-keep]             run the pipeline end to end on sample mail (-v: with the log;
                                         -keep: keep it running for a real mail client)
  deskgate version                       the module version, VCS revision and time this binary was built from

Lists show the newest 100 unless -limit says otherwise. The configuration file
defaults to deskgate.yaml (or $DESKGATE_CONFIG); the database comes from
$DESKGATE_DATABASE_URL.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	stdout, stderr = newTerminal(stdout), newTerminal(stderr)
	defer func() { err = printHelp(err, stdout) }() // CMD -h: its usage and flags
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("no command given")
	}
	level, err := logLevel()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cmd, rest := args[0], args[1:]
	if help, ok := groupHelp(cmd, rest); ok {
		fmt.Fprint(stdout, help)
		return nil
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return serveCmd(ctx, rest, stderr)
	case "status":
		return statusCmd(ctx, rest, stdout)
	case "migrate":
		return migrateCmd(ctx, rest, stdout, log)
	case "config":
		return configCmd(ctx, rest, stdout)
	case "auth":
		return authCmd(ctx, rest, os.Stdin, stdout, log)
	case "ticket":
		return ticketCmd(ctx, rest, stdout)
	case "token":
		return tokenCmd(ctx, rest, stdout)
	case "inbound":
		return inboundCmd(ctx, rest, stdout)
	case "quarantine":
		return quarantineCmd(ctx, rest, stdout)
	case "templates":
		return templatesCmd(rest, stdout, stderr)
	case "contact":
		return contactCmd(ctx, rest, stdout)
	case "rules":
		return rulesCmd(ctx, rest, stdout)
	case "report":
		return reportCmd(ctx, rest, stdout, time.Now)
	case "demo":
		return demoCmd(ctx, rest, stdout, log)
	case "version":
		return versionCmd(rest, stdout)
	}
	return usageError(fmt.Sprintf("unknown command %q", cmd))
}

// logLevel reads $DESKGATE_LOG_LEVEL: debug, info (the default), warn or error.
func logLevel() (slog.Level, error) {
	v := os.Getenv("DESKGATE_LOG_LEVEL")
	if v == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		return 0, fmt.Errorf("DESKGATE_LOG_LEVEL=%q: want debug, info, warn or error", v)
	}
	return l, nil
}
