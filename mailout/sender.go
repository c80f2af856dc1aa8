package mailout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/metrics"
	"github.com/deskgate/deskgate/outage"
	"github.com/deskgate/deskgate/owner"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// Defaults applied by NewSender to zero fields of a SenderConfig.
const (
	DefaultWorkers     = 4
	DefaultLease       = 30 * time.Second
	DefaultBatch       = 16
	DefaultPoll        = time.Second
	DefaultMaxAttempts = 60
	DefaultMaxAge      = 48 * time.Hour
	DefaultRetryBase   = time.Minute
	DefaultRetryMax    = time.Hour

	// DefaultMaxRecipients bounds the recipients of one SMTP transaction.
	// Postfix takes 1000 (smtpd_recipient_limit), Microsoft 365 500 and
	// Amazon SES 50 per message; 50 fits all of them, and a server that
	// refuses the rest of a transaction (452 4.5.3) never sees enough
	// refusals in one to reach Postfix's error limit (20) and hang up.
	DefaultMaxRecipients = 50

	DefaultBreakerWindow = time.Minute
	DefaultBreakerMax    = 600
	DefaultBreakerPause  = 5 * time.Minute
)

// SenderConfig configures a Sender.
type SenderConfig struct {
	SMTP    Config
	Compose ComposeOptions
	// Workers is the number of parallel senders, each with one SMTP
	// connection; default DefaultWorkers.
	Workers int
	// Render renders the bodies of notifications claimed before they are
	// rendered (ticketing.Notification.Unrendered), and fixes them: serve
	// passes the current desk's RenderClaimed. nil: such notifications are
	// handed back unsent, with an error logged.
	Render func(ctx context.Context, db ticketing.Batcher, owner string, ns []ticketing.Notification) ([]ticketing.Notification, error)
	// Owner names this process in outbox leases; it must differ between
	// processes. Default: owner.New() (host, pid, start time and a random
	// suffix), which lets a restarted process on the same host take over
	// the claims of its dead predecessor at once.
	Owner string
	// Lease is how long a claim lasts unless renewed; default
	// DefaultLease, at least 3s. The Sender renews its claims every third
	// of it while it works on them, so a process that dies hands them
	// back within Lease (at once to its successor on the same host). No
	// SMTP I/O goes past the end of the claims as last renewed, and no
	// message is begun when renewals are more than one behind; the rest
	// of the batch is handed back.
	Lease time.Duration
	Batch int           // notifications claimed at once by a worker; default DefaultBatch
	Poll  time.Duration // how often to look for due mail without a notification; default DefaultPoll
	// MaxRecipients bounds the recipients of one SMTP transaction; an
	// email to more goes out in several, under the same Message-ID.
	// Default DefaultMaxRecipients.
	MaxRecipients int
	// A temporary failure is retried after RetryBase·2^(attempts−1), at
	// most RetryMax, ±20 % jitter; defaults DefaultRetryBase and
	// DefaultRetryMax. After MaxAttempts attempts, or when the next one
	// would come more than MaxAge after the mail was queued, it fails for
	// good; defaults DefaultMaxAttempts and DefaultMaxAge.
	MaxAttempts int
	MaxAge      time.Duration
	RetryBase   time.Duration
	RetryMax    time.Duration
	Breaker     Breaker
	// SuppressFor is how long a permanent failure naming a bad mailbox or
	// domain (5.1.x) stops automatic mail to that address; 0 never does.
	SuppressFor time.Duration
	// ShutdownGrace bounds the message in progress once Run's context is
	// done; default the smaller of 5s and SMTP.Timeout.
	ShutdownGrace time.Duration
	// Persistent is how long an SMTP or database fault lasts before it is
	// logged at ERROR (see package outage); default outage.DefaultPersistent.
	Persistent time.Duration
	// SummaryEvery is how often deferred deliveries are summarised in one
	// line; default DefaultSummaryEvery.
	SummaryEvery time.Duration
	// MaxPerMinute, when above 0, holds sending to at most that many
	// emails in any minute, across all workers of this Sender (Microsoft
	// 365 takes 30 a minute per mailbox). Mail beyond it waits in the
	// outbox, unclaimed, and is not charged an attempt. Each process has
	// its own budget: with several serve processes, divide the provider's
	// rate among them.
	MaxPerMinute int
	// Heartbeat is how often, at most, an unchanged SMTP state is
	// rewritten; default DefaultHeartbeat.
	Heartbeat time.Duration
	// Database follows database faults; nil: the sender's own. serve
	// shares one with mailbox sync and processing, so that one database
	// outage is logged once.
	Database *outage.Tracker
	// Metrics counts the server's replies; nil counts nothing.
	Metrics *metrics.Set
}

// DefaultSummaryEvery is how often deferred deliveries are summarised.
const DefaultSummaryEvery = time.Minute

// Sender delivers the outbox; see the package documentation.
type Sender struct {
	log  *slog.Logger
	pool *pgxpool.Pool
	cfg  SenderConfig
	err  error // an invalid configuration, reported by Run

	wake    wakeup
	breaker breakerState
	rate    *limiter       // nil: no MaxPerMinute
	auth    authHold       // sending paused after rejected logins
	state   *stateRecorder // the SMTP side's recorded state

	clients  []*client
	heldBy   atomic.Int64    // Unix nanoseconds: when the claims end as last renewed
	db, smtp *outage.Tracker // faults of the database and the SMTP server
	deferred *outage.Summary // deferred deliveries
}

// NewSender returns a Sender for cfg with its defaults applied. An invalid
// configuration is reported by Run.
func NewSender(log *slog.Logger, pool *pgxpool.Pool, cfg SenderConfig) *Sender {
	cfg, err := cfg.withDefaults()
	return &Sender{log: log, pool: pool, cfg: cfg, err: err,
		rate:     newLimiter(cfg.MaxPerMinute, time.Minute),
		state:    &stateRecorder{pool: pool, every: cfg.Heartbeat},
		db:       cmp.Or(cfg.Database, outage.New(log, outage.Database, cfg.Persistent)),
		smtp:     outage.New(log, outage.SMTP, cfg.Persistent),
		deferred: outage.NewSummary(log, slog.LevelWarn, outage.SMTP, "deliveries deferred", cfg.SummaryEvery)}
}

// withDefaults returns c with defaults applied, and an error if it is
// invalid.
func (c SenderConfig) withDefaults() (SenderConfig, error) {
	c.SMTP = c.SMTP.withDefaults()
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Owner == "" {
		c.Owner = owner.New()
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.SummaryEvery <= 0 {
		c.SummaryEvery = DefaultSummaryEvery
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = DefaultMaxRecipients
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.RetryMax <= 0 {
		c.RetryMax = DefaultRetryMax
	}
	c.RetryMax = max(c.RetryMax, c.RetryBase)
	if c.Breaker.Window <= 0 {
		c.Breaker.Window = DefaultBreakerWindow
	}
	if c.Breaker.Max == 0 {
		c.Breaker.Max = DefaultBreakerMax
	}
	if c.Breaker.Pause <= 0 {
		c.Breaker.Pause = DefaultBreakerPause
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = min(5*time.Second, c.SMTP.Timeout)
	}
	if c.Compose.LoopHeader == "" {
		c.Compose.LoopHeader = DefaultLoopHeader
	}
	if err := c.SMTP.validate(); err != nil {
		return c, err
	}
	if c.Lease < minLease {
		return c, fmt.Errorf("mailout: lease %v must be at least %v (it is renewed every third of it)", c.Lease, minLease)
	}
	if !validFieldName(c.Compose.LoopHeader) {
		return c, fmt.Errorf("mailout: loop header name %q is not a valid header field name", c.Compose.LoopHeader)
	}
	return c, nil
}

// minLease is the shortest Lease: renewed every second.
const minLease = 3 * time.Second

// Run sends due mail until ctx is done, then finishes the message in
// progress (within ShutdownGrace), records the results, hands back every
// claim it did not finish, closes its SMTP connections and returns nil.
// It returns an error only for an invalid configuration. Run may be
// called once.
//
// Each message's result is recorded as soon as the server has answered,
// before the worker begins the next: a crash repeats at most the one
// message per connection that the server accepted and whose result was
// not yet committed (with Workers connections, at most Workers messages).
func (s *Sender) Run(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	for range s.cfg.Workers {
		c, err := newClient(s.cfg.SMTP)
		if err != nil {
			return err
		}
		s.clients = append(s.clients, c)
	}
	// Nothing is claimed yet: whatever is claimed from now on lasts longer.
	s.hold(time.Now().Add(s.cfg.Lease))
	s.takeOver(ctx)
	kctx, stopKeeping := context.WithCancel(context.WithoutCancel(ctx))
	var keeping sync.WaitGroup
	keeping.Go(func() { s.keep(kctx) })
	keeping.Go(func() { s.deferred.Run(kctx) })
	var wg sync.WaitGroup
	wg.Go(func() { s.listen(ctx) })
	for _, c := range s.clients {
		wg.Go(func() { s.work(ctx, c) })
	}
	wg.Wait()
	stopKeeping()
	keeping.Wait()
	s.handBack(ctx)
	return nil
}

// idleClose is how long a worker keeps an unused connection open.
const idleClose = time.Minute

// Timeouts of the database statements of a worker, which run to the end
// even once Run's context is done, so that the worker learns their
// outcome: a claim cancelled half-way may commit all the same.
const (
	claimTimeout  = 10 * time.Second
	recordTimeout = 10 * time.Second
)

// work is one worker: claim a batch, send it over c, recording each
// result as it comes, and wait for more when the outbox has nothing due.
func (s *Sender) work(ctx context.Context, c *client) {
	stop := context.AfterFunc(ctx, func() { c.stopAt(time.Now().Add(s.cfg.ShutdownGrace)) })
	defer stop()
	defer c.close()
	var pending []ticketing.SendResult // results not yet recorded
	defer s.store(ctx, &pending)       // once more; handBack releases what still fails
	timer := time.NewTimer(0)
	defer timer.Stop()
	var errDelay time.Duration
	for ctx.Err() == nil {
		if d := s.paused(); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
			continue
		}
		wake := s.wake.channel() // before claiming, so no notification is missed
		full, next, err := s.round(ctx, c, &pending)
		wait := s.cfg.Poll
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			// Logged by s.db, once per fault.
			errDelay = min(max(2*errDelay, 100*time.Millisecond), max(s.cfg.Poll, time.Second), 30*time.Second)
			wait = errDelay
		case full:
			errDelay = 0
			continue // more may be due
		default:
			errDelay = 0
		}
		if !next.IsZero() {
			wait = max(min(wait, time.Until(next)), time.Millisecond)
		}
		if c.sc != nil && time.Since(c.used) > idleClose {
			c.close()
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-timer.C:
		}
	}
}

// round records the results pending from an earlier round, then claims
// one batch and delivers it. It returns whether it claimed as many
// notifications as it could take (so more may be due) and the earliest
// retry it scheduled.
func (s *Sender) round(ctx context.Context, c *client, pending *[]ticketing.SendResult) (bool, time.Time, error) {
	if err := s.store(ctx, pending); err != nil {
		return false, time.Time{}, err // claim no more while results wait
	}
	auto, err := s.automaticAllowed(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.db.Fail("mailout: reading the circuit breaker's count failed", err)
		}
		return false, time.Time{}, err
	}
	n := s.rate.reserve(s.cfg.Batch)
	defer s.rate.release(n)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimTimeout)
	ns, err := s.claim(cctx, n, auto)
	cancel()
	if err != nil {
		s.db.Fail("mailout: claiming notifications failed", err)
		return false, time.Time{}, err
	}
	s.db.OK("mailout: database reachable again")
	if len(ns) == 0 {
		return false, time.Time{}, nil
	}
	full := len(ns) == n
	ns = s.render(ctx, ns, pending)
	s.logExpired(ns)
	return full, s.deliver(ctx, c, ns, pending), nil
}

// render renders the bodies of the notifications in ns claimed before
// they were (see SenderConfig.Render) and returns those to send. Those it
// cannot render now are handed back untried, and the rest go.
func (s *Sender) render(ctx context.Context, ns []ticketing.Notification, pending *[]ticketing.SendResult) []ticketing.Notification {
	if !slices.ContainsFunc(ns, func(n ticketing.Notification) bool { return n.Unrendered() }) {
		return ns
	}
	if s.cfg.Render != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimTimeout)
		out, err := s.cfg.Render(rctx, s.pool, s.cfg.Owner, ns)
		cancel()
		if err == nil {
			return out
		}
		s.db.Fail("mailout: storing the bodies of claimed notifications failed", err)
	} else {
		s.log.Error("mailout: claimed notifications whose bodies are not rendered yet, and no templates to render them with; handed back")
	}
	var ready []ticketing.Notification
	for _, n := range ns {
		if !n.Unrendered() {
			ready = append(ready, n)
			continue
		}
		*pending = append(*pending, ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry,
			Reply: "not attempted: its bodies could not be rendered yet", Retry: time.Now(), Untried: true})
	}
	s.store(ctx, pending)
	return ready
}

// claim claims up to n due notifications (what the rate reserved for this
// worker), automatic ones only if auto. Under MaxPerMinute, mail a person
// wrote is claimed first, so that a backlog of automatic mail spending the
// rate holds back no agent's reply (as the circuit breaker holds back
// none).
func (s *Sender) claim(ctx context.Context, n int, auto bool) ([]ticketing.Notification, error) {
	ns, err := ticketing.ClaimNotifications(ctx, s.pool, s.cfg.Owner, s.cfg.Lease, n, auto && s.rate == nil)
	if err != nil || len(ns) == n || !auto || s.rate == nil {
		return ns, err
	}
	more, err := ticketing.ClaimNotifications(ctx, s.pool, s.cfg.Owner, s.cfg.Lease, n-len(ns), true)
	if err != nil && len(ns) > 0 {
		return ns, nil // send what is claimed; the next claim meets the fault again
	}
	return append(ns, more...), err
}

// logExpired says which of ns are sent again because their sender's claim
// ran out without a result.
func (s *Sender) logExpired(ns []ticketing.Notification) {
	expired := map[string]int{}
	for _, n := range ns {
		if n.Expired != "" {
			expired[n.Expired]++
		}
	}
	for o, k := range expired {
		s.log.Info("mailout: sending again emails whose claim ran out without a result; they may have been sent already",
			"emails", k, "process", o)
	}
}

// deliver sends ns over c, recording each result as it comes, and
// returns the earliest retry it scheduled. Results it cannot record stay
// in pending. A worker that cannot connect, or loses its connection twice
// in a batch, hands the rest of the batch back untried with the same
// reply, as it does once ctx is done, when its claims were not renewed in
// time, or when a result cannot be recorded (so that a crash never finds
// more than one sent message unrecorded).
func (s *Sender) deliver(ctx context.Context, c *client, ns []ticketing.Notification, pending *[]ticketing.SendResult) time.Time {
	deferred := ""
	var paused ticketing.SendResult // no login possible: the rest waits as the first does
	lost := 0
	var next time.Time
	for _, n := range ns {
		var r ticketing.SendResult
		switch {
		case paused.Untried:
			r = paused
			r.ID, r.Attempt = n.ID, n.Attempts
		case deferred != "":
			r = s.retry(n, deferred)
			r.Untried = r.Result == ticketing.ResultRetry
		case ctx.Err() != nil:
			r = ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: "not attempted: shutting down", Retry: time.Now(), Untried: true}
		case !s.rate.wait(ctx): // its turn under MaxPerMinute, before the claim is checked
			r = ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: "not attempted: shutting down", Retry: time.Now(), Untried: true}
		case time.Until(s.heldUntil()) < s.cfg.Lease/3:
			r = ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: "not attempted: claim not renewed", Retry: time.Now(), Untried: true}
		default:
			// Its files, read now: a batch holds one email's files at a time.
			if err := n.LoadAttachments(ctx, s.pool); err != nil {
				s.db.Fail("mailout: reading an email's files failed", err)
				r = ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry,
					Reply: "not attempted: reading its files failed", Retry: time.Now(), Untried: true}
				break
			}
			var err error
			r, err = s.deliverOne(ctx, c, n)
			var se *setupError
			var te *tokenError
			switch {
			case errors.As(err, &te):
				r = s.noToken(ctx, n, te)
				paused = r
			case AuthFailed(err):
				r = s.loginRejected(ctx, c, n, r.Reply)
				paused = r
				paused.Reply = "not attempted after: " + r.Reply
			case r.Result == ticketing.ResultRetry && c.sc == nil:
				s.state.failed(ctx, r.Reply, false)
				s.smtp.Fail("mailout: SMTP server unreachable", err, "server", c.addr)
				lost++
				if lost == 2 || errors.As(err, &se) {
					deferred = "not attempted after: " + r.Reply
				}
			case c.sc != nil:
				s.smtp.OK("mailout: SMTP server reachable again", "server", c.addr)
				s.auth.ok()
				s.state.ok(ctx)
			}
			if r.Result == ticketing.ResultRetry {
				s.deferred.Add(token.Redact(r.Reply))
			}
		}
		if r.Result == ticketing.ResultRetry && !r.Untried && (next.IsZero() || r.Retry.Before(next)) {
			next = r.Retry
		}
		*pending = append(*pending, r)
		if !r.Untried && deferred == "" {
			if err := s.store(ctx, pending); err != nil {
				deferred = "not attempted: recording results failed: " + flatten(err.Error())
			}
		}
	}
	s.store(ctx, pending) // the untried, handed back
	return next
}

// paused returns how long sending is still paused for want of a login.
func (s *Sender) paused() time.Duration { return s.auth.remaining() }

// loginRejected logs and records a login the server refused, pauses
// sending (see authHold), and returns n's result: handed back untried,
// due when sending resumes.
func (s *Sender) loginRejected(ctx context.Context, c *client, n ticketing.Notification, reply string) ticketing.SendResult {
	until := s.auth.fail(time.Now(), s.cfg.RetryBase, s.cfg.RetryMax)
	s.log.Error("mailout: SMTP login rejected; check the smtp credentials; sending paused",
		"source", outage.SMTP, "server", c.addr, "reply", token.Redact(reply), "retry_in", time.Until(until).Round(time.Second))
	s.state.failed(ctx, reply, true)
	return ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: reply, Retry: until, Untried: true}
}

// noToken records a login that had no OAuth2 token (the token source
// logged why and backs off), pauses sending for RetryBase (see authHold),
// and returns n's result: handed back untried, due when sending resumes,
// so that nothing is failed or charged for a refused token.
func (s *Sender) noToken(ctx context.Context, n ticketing.Notification, te *tokenError) ticketing.SendResult {
	until := s.auth.hold(time.Now().Add(s.cfg.RetryBase))
	s.state.failed(ctx, te.Error(), AuthFailed(te))
	return ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry,
		Reply: "not attempted: " + flatten(te.Error()), Retry: until, Untried: true}
}

// fail is the result of a permanent failure.
func (s *Sender) fail(n ticketing.Notification, reply string) ticketing.SendResult {
	s.logFailure(n, reply)
	return ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultFailed, Reply: reply}
}

func (s *Sender) logFailure(n ticketing.Notification, reply string) {
	s.log.Warn("mailout: notification failed", "id", n.ID, "ticket", n.TicketID, "message_id", token.Redact(n.MessageID),
		"attempts", n.Attempts, "reply", token.Redact(reply))
}

// retry is the result of a temporary failure: try again after the back-off,
// or fail when out of attempts or time.
func (s *Sender) retry(n ticketing.Notification, reply string) ticketing.SendResult {
	at, ok := s.retryAt(n)
	if !ok {
		return s.fail(n, giveUp(n, reply))
	}
	return ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: reply, Retry: at}
}

// retryAt returns when to try n again after a temporary failure, or false
// when it is out of attempts or time.
func (s *Sender) retryAt(n ticketing.Notification) (time.Time, bool) {
	delay := s.backoff(n.Attempts)
	now := time.Now()
	if n.Attempts >= s.cfg.MaxAttempts || (!n.CreatedAt.IsZero() && now.Sub(n.CreatedAt)+delay > s.cfg.MaxAge) {
		return time.Time{}, false
	}
	return now.Add(delay), true
}

func giveUp(n ticketing.Notification, reply string) string {
	return fmt.Sprintf("gave up after %d attempts: %s", n.Attempts, reply)
}

// backoff returns the delay before the attempt after attempts:
// RetryBase·2^(attempts−1), at most RetryMax, ±20 %.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
}

// store records the results in pending in one statement, fenced by owner
// and attempt (see ticketing.RecordResults), and empties it; on failure
// they stay for the next try. It runs to the end even once ctx is done.
func (s *Sender) store(ctx context.Context, pending *[]ticketing.SendResult) error {
	if len(*pending) == 0 {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	err := ticketing.RecordResults(rctx, s.pool, s.cfg.Owner, *pending, s.cfg.SuppressFor)
	cancel()
	if err != nil {
		s.db.Fail("mailout: recording delivery results failed; retrying before claiming more", err, "results", len(*pending))
		return err
	}
	s.db.OK("mailout: database reachable again")
	*pending = (*pending)[:0]
	return nil
}
