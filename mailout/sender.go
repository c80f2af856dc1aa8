package mailout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"deskgate/ticketing"
	"deskgate/ticketing/token"
)

// Defaults applied by NewSender to zero fields of a SenderConfig.
const (
	DefaultWorkers     = 4
	DefaultLease       = 2 * time.Minute
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
	// Owner names this process in outbox leases; it must differ between
	// processes. Default: host name, process id and a random suffix.
	Owner string
	// Lease is how long a claimed batch is reserved for this process;
	// default the larger of DefaultLease and 4×SMTP.Timeout. It must
	// exceed 3×SMTP.Timeout. Sending stops one Timeout before the lease
	// ends; the rest of the batch is handed back.
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
}

// Sender delivers the outbox; see the package documentation.
type Sender struct {
	log  *slog.Logger
	pool *pgxpool.Pool
	cfg  SenderConfig
	err  error // an invalid configuration, reported by Run

	wake    wakeup
	breaker breakerState
}

// NewSender returns a Sender for cfg with its defaults applied. An invalid
// configuration is reported by Run.
func NewSender(log *slog.Logger, pool *pgxpool.Pool, cfg SenderConfig) *Sender {
	cfg, err := cfg.withDefaults()
	return &Sender{log: log, pool: pool, cfg: cfg, err: err}
}

// withDefaults returns c with defaults applied, and an error if it is
// invalid.
func (c SenderConfig) withDefaults() (SenderConfig, error) {
	c.SMTP = c.SMTP.withDefaults()
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Owner == "" {
		c.Owner = defaultOwner()
	}
	if c.Lease <= 0 {
		c.Lease = max(DefaultLease, 4*c.SMTP.Timeout)
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
	if c.Lease <= 3*c.SMTP.Timeout {
		return c, fmt.Errorf("mailout: lease %v must exceed three SMTP timeouts (%v)", c.Lease, 3*c.SMTP.Timeout)
	}
	if !validFieldName(c.Compose.LoopHeader) {
		return c, fmt.Errorf("mailout: loop header name %q is not a valid header field name", c.Compose.LoopHeader)
	}
	return c, nil
}

func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Run sends due mail until ctx is done, then finishes the message in
// progress (within ShutdownGrace), records the results, closes its SMTP
// connections and returns nil. It returns an error only for an invalid
// configuration. Run may be called once.
func (s *Sender) Run(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	clients := make([]*client, s.cfg.Workers)
	for i := range clients {
		c, err := newClient(s.cfg.SMTP)
		if err != nil {
			return err
		}
		clients[i] = c
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.listen(ctx) })
	for _, c := range clients {
		wg.Go(func() { s.work(ctx, c) })
	}
	wg.Wait()
	return nil
}

// idleClose is how long a worker keeps an unused connection open.
const idleClose = time.Minute

// work is one worker: claim a batch, send it over c, record the results,
// and wait for more when the outbox has nothing due.
func (s *Sender) work(ctx context.Context, c *client) {
	stop := context.AfterFunc(ctx, func() { c.stopAt(time.Now().Add(s.cfg.ShutdownGrace)) })
	defer stop()
	defer c.close()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var errDelay time.Duration
	for ctx.Err() == nil {
		wake := s.wake.channel() // before claiming, so no notification is missed
		claimed, next, err := s.round(ctx, c)
		wait := s.cfg.Poll
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			errDelay = min(max(2*errDelay, 100*time.Millisecond), max(s.cfg.Poll, time.Second), 30*time.Second)
			s.log.Warn("mailout: claiming notifications failed", "err", err, "retry_in", errDelay)
			wait = errDelay
		case claimed == s.cfg.Batch:
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

// round claims one batch and delivers it. It returns how many
// notifications it claimed and the earliest retry it scheduled.
func (s *Sender) round(ctx context.Context, c *client) (int, time.Time, error) {
	auto, err := s.automaticAllowed(ctx)
	if err != nil {
		return 0, time.Time{}, err
	}
	start := time.Now()
	ns, err := ticketing.ClaimNotifications(ctx, s.pool, s.cfg.Owner, s.cfg.Lease, s.cfg.Batch, auto)
	if err != nil || len(ns) == 0 {
		return 0, time.Time{}, err
	}
	leaseEnd := start.Add(s.cfg.Lease)
	rs := s.deliver(ctx, c, ns, leaseEnd.Add(-s.cfg.SMTP.Timeout))
	s.record(ctx, rs, leaseEnd)
	var next time.Time
	for _, r := range rs {
		if r.Result == ticketing.ResultRetry && (next.IsZero() || r.Retry.Before(next)) {
			next = r.Retry
		}
	}
	return len(ns), next, nil
}

// deliver sends ns over c, stopping by until, and returns their results.
// A worker that cannot connect, or loses its connection twice in a batch,
// hands the rest of the batch back untried with the same reply, as it does
// once ctx is done or until is near.
func (s *Sender) deliver(ctx context.Context, c *client, ns []ticketing.Notification, until time.Time) []ticketing.SendResult {
	rs := make([]ticketing.SendResult, 0, len(ns))
	deferred := ""
	lost := 0
	var retried []int64
	for _, n := range ns {
		switch {
		case deferred != "":
			r := s.retry(n, deferred)
			r.Untried = r.Result == ticketing.ResultRetry
			rs = append(rs, r)
		case ctx.Err() != nil:
			rs = append(rs, ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: "not attempted: shutting down", Retry: time.Now(), Untried: true})
		case time.Until(until) < s.cfg.SMTP.Timeout:
			rs = append(rs, ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: "not attempted: lease running out", Retry: time.Now(), Untried: true})
		default:
			r, err := s.deliverOne(ctx, c, n, until)
			rs = append(rs, r)
			var se *setupError
			if r.Result == ticketing.ResultRetry && c.sc == nil {
				lost++
				if lost == 2 || errors.As(err, &se) {
					deferred = "not attempted after: " + r.Reply
				}
			}
		}
		if r := rs[len(rs)-1]; r.Result == ticketing.ResultRetry {
			retried = append(retried, r.ID)
		}
	}
	if len(retried) > 0 {
		first := rs[0]
		for _, r := range rs {
			if r.Result == ticketing.ResultRetry {
				first = r
				break
			}
		}
		s.log.Warn("mailout: delivery deferred", "count", len(retried), "ids", retried, "reply", token.Redact(first.Reply), "retry_at", first.Retry)
	}
	return rs
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

// record stores rs, retrying briefly: results that are not recorded send
// their mail again once the lease ends.
func (s *Sender) record(ctx context.Context, rs []ticketing.SendResult, leaseEnd time.Time) {
	bg := context.WithoutCancel(ctx)
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		rctx, cancel := context.WithTimeout(bg, 10*time.Second)
		err := ticketing.RecordResults(rctx, s.pool, s.cfg.Owner, rs, s.cfg.SuppressFor)
		cancel()
		if err == nil {
			return
		}
		if attempt == 5 || time.Now().Add(delay).After(leaseEnd) || (ctx.Err() != nil && attempt >= 2) {
			s.log.Error("mailout: recording delivery results failed; the mail will be sent again after its lease",
				"err", err, "count", len(rs))
			return
		}
		time.Sleep(delay)
		delay *= 2
	}
}
