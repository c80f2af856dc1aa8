package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/mailin/parse"
	"github.com/deskgate/deskgate/mailout"
	"github.com/deskgate/deskgate/outage"
	"github.com/deskgate/deskgate/owner"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// shutdownGrace bounds how long serve waits for its parts to stop.
const shutdownGrace = 15 * time.Second

// loadConfig reads the configuration, explaining a missing file.
func loadConfig(path string) (*config.Config, error) {
	return loadConfigWith(path, os.LookupEnv)
}

// loadConfigWith is loadConfig with the ${VAR} values of lookup.
func loadConfigWith(path string, lookup func(string) (string, bool)) (*config.Config, error) {
	cfg, err := config.Load(path, lookup)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (copy deskgate.example.yaml to start one, or name another file with -config or $DESKGATE_CONFIG)", err)
	}
	return cfg, err
}

// unsetSecret stands in, for the commands that read or change tickets,
// for a ${VAR} of the configuration that is not set: they connect to no
// mailbox and no SMTP server, so those secrets need not be in their
// environment. It is hex of 33 bytes, so that it passes validation
// wherever it stands and loadTicketConfig can say which secret is missing.
var unsetSecret = hex.EncodeToString([]byte("deskgate: this ${VAR} is not set."))

// loadTicketConfig is loadConfig for the commands that read or change
// tickets. Every unset ${VAR} stands for unsetSecret, except in
// desk.secrets when signs: they sign the reply tokens of the mail a change
// queues, so those must be set.
func loadTicketConfig(path string, signs bool) (*config.Config, error) {
	lookup := func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		if _, ok := os.LookupEnv(name + "_FILE"); ok || strings.HasSuffix(name, "_FILE") {
			return "", false // read from the file, or an error naming it
		}
		return unsetSecret, true
	}
	cfg, err := loadConfigWith(path, lookup)
	if err != nil {
		return nil, err
	}
	for i, s := range cfg.Desk.Secrets {
		if signs && s.Secret == unsetSecret {
			return nil, fmt.Errorf("config: desk.secrets[%d].secret: its variable is not set; a change queues mail whose reply tokens it signs", i)
		}
	}
	return cfg, nil
}

func configFlag(flags *flag.FlagSet) *string {
	def := os.Getenv("DESKGATE_CONFIG")
	if def == "" {
		def = "deskgate.yaml"
	}
	return flags.String("config", def, "configuration file")
}

func serveCmd(ctx context.Context, args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := configFlag(flags)
	if _, err := parseArgs(flags, args, noNumber); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.Log)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		log.Warn("configuration: " + w)
	}
	return withMigratedDB(ctx, log, func(pool *pgxpool.Pool, v int64) error {
		log.Info("deskgate serving", "desk", cfg.Desk.Address, "mailboxes", len(cfg.Mailboxes), "schema", v)
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		return serveWith(ctx, cfg, pool, log, serveHooks{hup: hup, reload: func() (*config.Config, error) { return loadConfig(*path) }})
	})
}

// serve syncs every mailbox and processes captured mail until ctx is done.
func serve(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, log *slog.Logger) error {
	return serveWith(ctx, cfg, pool, log, serveHooks{})
}

// serveHooks are serve's optional links to its caller.
type serveHooks struct {
	listening func(addr string) // called with the HTTP server's address once it listens
	// hup asks for a reload (SIGHUP): reload re-reads the configuration,
	// whose templates and rules apply from then on.
	hup    <-chan os.Signal
	reload func() (*config.Config, error)
	// clock ticks when the agents' digests are checked; nil: every minute.
	clock func(context.Context) <-chan time.Time
}

// serveWith is serve with hooks.
func serveWith(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, log *slog.Logger, hooks serveHooks) error {
	self := owner.New() // names this process in leases; a restart takes over its dead predecessor's at once
	reg, set := newRegistry(cfg, pool, self)
	dc, err := deskConfig(cfg)
	if err != nil {
		return err
	}
	dc.Meter = set
	desk := ticketing.NewDesk(log, dc)
	var live running
	if err := live.use(cfg, desk); err != nil {
		return err
	}
	desks := &live.desks
	apiHandler, err := api.New(live.apiOptions(pool, log))
	if err != nil {
		return err
	}
	hs, err := startHTTP(ctx, cfg, pool, reg, map[string]http.Handler{"/api/v1/": apiHandler}, log)
	if err != nil {
		return err
	}
	if hs != nil {
		log.Info("http: serving /healthz, /readyz, /metrics and /api/v1", "addr", hs.Addr())
		if hooks.listening != nil {
			hooks.listening(hs.Addr())
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = hs.Shutdown(sctx)
		}()
	}
	db := outage.New(log, outage.Database, 0) // one database outage, logged once by mailbox sync and processing
	pc := processorConfig(cfg)
	pc.Database, pc.Metrics = db, set
	// What this process captures it processes from memory, a few batches
	// ahead (each held raw costs about twice its size in the heap: 64 MB
	// took peak RSS from 155 to 310 MB in BenchmarkIngest); the rest is
	// read back.
	pc.Handoff = mailin.NewHandoff(16 << 20)
	proc := mailin.NewProcessor(pool, desk, pc, log)
	sources, err := tokenSources(cfg, pool, log)
	if err != nil {
		return err
	}
	sc := senderConfig(cfg, self)
	sc.Database, sc.Metrics = db, set
	sc.Render = func(ctx context.Context, db ticketing.Batcher, owner string, ns []ticketing.Notification) ([]ticketing.Notification, error) {
		return live.desks.Load().RenderClaimed(ctx, db, owner, ns) // the templates in use now, reloaded or not
	}
	if src, ok := sources[smtpTokenName]; ok {
		sc.SMTP.OAuth2 = src
	}
	sender := mailout.NewSender(log, pool, sc)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return proc.Run(gctx) })
	g.Go(func() error { return sender.Run(gctx) })
	g.Go(func() error { return closeResolved(gctx, desks, pool, cfg.Tickets.CloseResolvedAfter, log) })
	g.Go(func() error { return escalate(gctx, desks, pool, log) })
	clock := hooks.clock
	if clock == nil {
		clock = everyMinute
	}
	g.Go(func() error { return sendDigests(gctx, desks, pool, clock(gctx), log) })
	g.Go(func() error { return retain(gctx, pool, cfg.Retention, log) })
	g.Go(func() error { return rewriteSearch(gctx, pool, log) })
	if hooks.hup != nil {
		g.Go(func() error {
			reloadOnSignal(gctx, hooks.hup, cfg, hooks.reload, func(c *config.Config, d *ticketing.Desk) error {
				if err := live.use(c, d); err != nil {
					return err
				}
				proc.SetDesk(d)
				return nil
			}, set, log)
			return nil
		})
	}
	wh, err := webhooks(ctx, cfg, pool, self, log)
	if err != nil {
		return err
	}
	g.Go(func() error { return wh.Run(gctx) })
	for _, mb := range cfg.Mailboxes {
		m := mailboxConfig(mb)
		m.Metrics, m.Handoff = set, pc.Handoff
		if src, ok := sources[mb.Name]; ok {
			m.OAuth2 = src
		}
		s := mailin.NewSyncer(pool, m, self, log, db, proc.Wake)
		g.Go(func() error { return s.Run(gctx) })
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err
	case <-time.After(shutdownGrace):
		return errors.New("shutdown timed out: some mailbox connections did not close")
	}
}

// closeResolved closes long-resolved tickets once a minute until ctx is
// done. Every process may run it: each ticket is closed once.
func closeResolved(ctx context.Context, desk *atomic.Pointer[ticketing.Desk], pool *pgxpool.Pool, after time.Duration, log *slog.Logger) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		n, err := desk.Load().CloseResolved(ctx, pool, after)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("closing resolved tickets", "err", err)
		case n > 0:
			log.Info("closed resolved tickets", "tickets", n, "resolved_for", after)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// deskConfig maps the configuration to ticketing's: the notification
// templates (parsed now, so a broken one stops the start) and the
// reply-token keys when secrets are configured.
func deskConfig(cfg *config.Config) (ticketing.Config, error) {
	dc := ticketing.Config{DeskAddresses: []string{cfg.Desk.Address}, Domain: cfg.Desk.Domain,
		ReopenWindow: cfg.Tickets.ReopenWindow, RequesterFromReplyTo: cfg.Tickets.RequesterFromReplyTo,
		TagPrefix: cfg.Tickets.TagPrefix, SuppressAfterBounce: cfg.Notifications.BounceSuppression,
		TrustRequesterDomain: cfg.Tickets.TrustRequesterDomain, MaxParticipants: cfg.Tickets.MaxParticipants,
		Verify: ticketing.VerifyConfig{RequireDMARC: cfg.Verification.RequireDMARC, TrustUnnamed: cfg.Verification.TrustUnnamed,
			CommandsExpireAfter: cfg.Verification.CommandsExpireAfter}}
	for _, id := range cfg.Verification.TrustedAuthServIDs {
		dc.Verify.Trusted = append(dc.Verify.Trusted, strings.ToLower(id))
	}
	set, err := templates.Load(cfg.Notifications.TemplatesDir)
	if err == nil {
		err = set.Check() // a template that fails only when run stops the start, not the mail
	}
	if err != nil {
		return dc, err
	}
	dc.DeskAddresses = deskAddresses(cfg)
	dc.Notify = notifyConfig(cfg, set)
	if dc.Policy, err = policyConfig(cfg); err != nil {
		return dc, err
	}
	dc.Digest = digestConfig(cfg, dc.Policy)
	first, secrets, err := deskSecrets(cfg)
	if err != nil || secrets == nil {
		return dc, err
	}
	keys, err := token.NewKeys(first, secrets)
	if err != nil {
		return dc, err
	}
	dc.Tokens = keys
	return dc, nil
}

// deskAddresses are every address that reaches the desk: its public
// address, the mailbox logins that are addresses, and the team addresses.
// None becomes a participant or receives automatic mail.
func deskAddresses(cfg *config.Config) []string {
	out := []string{cfg.Desk.Address}
	add := func(a string) {
		if strings.Contains(a, "@") && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, a) }) {
			out = append(out, a)
		}
	}
	for _, mb := range cfg.Mailboxes {
		add(mb.Username)
	}
	for _, t := range cfg.Teams {
		add(t.Address)
	}
	return out
}

// notifyConfig maps the notification settings, agents and teams.
func notifyConfig(cfg *config.Config, set *templates.Set) ticketing.NotifyConfig {
	nc := ticketing.NotifyConfig{Templates: set, DeskName: cfg.Desk.Name, Language: cfg.Desk.Language,
		Events:     map[string]ticketing.EventRule{},
		TextBudget: int(cfg.Notifications.TextBudget), AttachmentBudget: int64(cfg.Notifications.AttachmentBudget)}
	for _, name := range templates.Events() {
		if e, ok := cfg.Notifications.Event(name); ok {
			nc.Events[name] = ticketing.EventRule{Enabled: e.Enabled, To: e.To}
		}
	}
	limits := func(ls []config.Limit) []ticketing.Limit {
		var out []ticketing.Limit
		for _, l := range ls {
			out = append(out, ticketing.Limit{Window: l.Window, Max: l.Max})
		}
		return out
	}
	n := cfg.Notifications
	nc.Limits, nc.TicketLimits, nc.RelayLimits = limits(n.RecipientLimits), limits(n.TicketLimits), limits(n.RelayLimits)
	nc.Conversation = ticketing.Conversation{Window: n.Conversation.Window, Max: n.Conversation.Max, Pause: n.Conversation.Pause}
	for _, a := range cfg.Agents {
		nc.Agents = append(nc.Agents, ticketing.Agent{Name: a.Name, Addresses: a.Addresses, Teams: a.Teams, Role: a.Role, Language: a.Language})
	}
	for _, t := range cfg.Teams {
		nc.Teams = append(nc.Teams, ticketing.Team{Name: t.Name, Address: t.Address})
	}
	return nc
}

// senderConfig maps the SMTP and notification settings to the sender's.
func senderConfig(cfg *config.Config, owner string) mailout.SenderConfig {
	sm := cfg.SMTP
	b := cfg.Notifications.Breaker
	return mailout.SenderConfig{
		SMTP: mailout.Config{Host: sm.Host, Port: sm.Port, TLS: string(sm.TLS), Auth: string(sm.Auth),
			Username: sm.Username, Password: sm.Password, OAuth2Token: sm.OAuth2Token, HELO: sm.HELO, Timeout: sm.Timeout},
		Workers: sm.Workers, Owner: owner, MaxRecipients: sm.MaxRecipients, MaxPerMinute: sm.MaxPerMinute,
		MaxAttempts: sm.MaxAttempts, MaxAge: sm.MaxAge, RetryBase: sm.RetryBase, RetryMax: sm.RetryMax,
		Breaker:     mailout.Breaker{Window: b.Window, Max: b.Max, Pause: b.Pause},
		SuppressFor: cfg.Notifications.BounceSuppression,
	}
}

func processorConfig(cfg *config.Config) mailin.ProcessorConfig {
	queues := map[string]string{}
	for _, mb := range cfg.Mailboxes {
		queues[mb.Name] = mb.Queue
	}
	return mailin.ProcessorConfig{
		Parse: parse.Options{DeskAddresses: deskAddresses(cfg), Limits: parse.Limits{
			MaxDepth: cfg.Ingest.MaxMIMEDepth, MaxParts: cfg.Ingest.MaxMIMEParts, Timeout: cfg.Ingest.ParseTimeout}},
		Queues:    queues,
		Markers:   templates.Markers(),
		Workers:   cfg.Ingest.Workers,
		BatchSize: cfg.Ingest.BatchSize,
	}
}

// mailboxConfig maps a validated configuration entry to the syncer's
// settings.
func mailboxConfig(mb config.Mailbox) mailin.Mailbox {
	m := mailin.Mailbox{
		Name: mb.Name, Addr: mb.Addr(), TLS: mailin.TLSMode(mb.TLS),
		Username: mb.Username, Password: mb.Password, OAuth2Token: mb.OAuth2Token,
		Folder: mb.Folder, Queue: mb.Queue,
		PollInterval: mb.PollInterval, IdleRefresh: mb.IdleRefresh, CommandTimeout: mb.CommandTimeout,
		MaxMessageSize: int64(mb.MaxMessageSize),
		ExistingMail:   mailin.Handling(mb.ExistingMail), MaxAgeToAnswer: mb.MaxAgeToAnswer,
	}
	switch mb.Mark {
	case config.MarkKeyword:
		m.MarkKeyword = mb.Keyword
	case config.MarkMove:
		m.MoveTo = mb.MoveTo
	case config.MarkNone:
		m.MarkNone = true
	}
	return m
}
