package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Snapshot is the desk's shared state, read from the database at a scrape:
// the same in every process, so a dashboard may take any one's.
type Snapshot struct {
	Mailboxes      []Mailbox
	OutboxQueued   int       // queued, never tried
	OutboxDeferred int       // queued again after a temporary failure
	OldestDue      time.Time // the oldest due queued mail's due time; zero: none due
	BreakerOpen    bool
	SMTPAuthFailed bool // the SMTP server refused the last login
	Quarantined    int64
	Webhooks       []Webhook
}

// Webhook is one configured webhook endpoint's deliveries in a Snapshot.
type Webhook struct {
	Endpoint      string    // its configured name
	Queued        int64     // waiting, being delivered or retried
	Oldest        time.Time // when the oldest queued one was queued; zero: none
	Sent, GivenUp int64
}

// Mailbox is one mailbox in a Snapshot.
type Mailbox struct {
	Name      string
	State     string // as deskgate status shows it: idle, catching_up, auth_failed, …
	LeaseHeld bool   // by this process
	Behind    int64
	LastSync  time.Time // zero: never
}

// MailboxStates are the values of deskgate_mailbox_state's state label.
var MailboxStates = []string{"never", "connected", "catching_up", "idle", "auth_failed", "unreachable", "stopped"}

var stateDefs = []Def{
	{"deskgate_mailbox_state", "gauge", []string{"mailbox", "state"}, "1 for the mailbox's recorded state, 0 for the others."},
	{"deskgate_mailbox_lease_held", "gauge", []string{"mailbox"}, "1 when this process holds the mailbox's lease (syncs it)."},
	{"deskgate_mailbox_behind_messages", "gauge", []string{"mailbox"}, "Messages above the mailbox's cursor when last recorded."},
	{"deskgate_mailbox_last_sync_timestamp_seconds", "gauge", []string{"mailbox"}, "When a sync of the mailbox last reached the end of its folder (0: never)."},
	{"deskgate_outbox_messages", "gauge", []string{"state"}, "Mail in the outbox waiting to be sent: queued (never tried) or deferred (tried, to retry)."},
	{"deskgate_outbox_oldest_due_age_seconds", "gauge", nil, "How long the oldest due mail in the outbox has been due (0: none)."},
	{"deskgate_smtp_breaker_open", "gauge", nil, "1 while the circuit breaker holds automatic mail back."},
	{"deskgate_smtp_auth_failed", "gauge", nil, "1 when the SMTP server refused the last login."},
	{"deskgate_quarantined_messages", "gauge", nil, "Messages in the quarantine."},
	{"deskgate_webhook_queued", "gauge", []string{"endpoint"}, "Webhook deliveries waiting, being delivered or to be retried."},
	{"deskgate_webhook_oldest_queued_age_seconds", "gauge", []string{"endpoint"}, "How long the oldest waiting webhook delivery has waited (0: none)."},
	{"deskgate_webhook_deliveries", "gauge", []string{"endpoint", "outcome"}, "Webhook deliveries recorded as sent or given up (after webhooks[].max_age, or when the endpoint left the configuration) since the endpoint was first configured; removing old deliveries does not lower it."},
	{"deskgate_state_up", "gauge", nil, "1 when the last scrape read the state from the database, 0 when it could not."},
}

// state is the Collector of a Snapshot's gauges.
type state struct {
	read    func(context.Context) (Snapshot, error)
	timeout time.Duration
	descs   map[string]*prometheus.Desc
}

// RegisterState registers the gauges of the shared state with reg; each
// scrape calls read, within timeout.
func RegisterState(reg prometheus.Registerer, timeout time.Duration, read func(context.Context) (Snapshot, error)) {
	s := &state{read: read, timeout: timeout, descs: map[string]*prometheus.Desc{}}
	for _, d := range stateDefs {
		s.descs[d.Name] = prometheus.NewDesc(d.Name, d.Help, d.Labels, nil)
	}
	reg.MustRegister(s)
}

func (s *state) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.descs {
		ch <- d
	}
}

func (s *state) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	snap, err := s.read(ctx)
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(s.descs[name], prometheus.GaugeValue, v, labels...)
	}
	if err != nil {
		gauge("deskgate_state_up", 0)
		return
	}
	gauge("deskgate_state_up", 1)
	for _, m := range snap.Mailboxes {
		for _, st := range MailboxStates {
			gauge("deskgate_mailbox_state", one(st == m.State), m.Name, st)
		}
		gauge("deskgate_mailbox_lease_held", one(m.LeaseHeld), m.Name)
		gauge("deskgate_mailbox_behind_messages", float64(m.Behind), m.Name)
		gauge("deskgate_mailbox_last_sync_timestamp_seconds", unix(m.LastSync), m.Name)
	}
	gauge("deskgate_outbox_messages", float64(snap.OutboxQueued), "queued")
	gauge("deskgate_outbox_messages", float64(snap.OutboxDeferred), "deferred")
	age := 0.0
	if !snap.OldestDue.IsZero() {
		age = max(time.Since(snap.OldestDue).Seconds(), 0)
	}
	gauge("deskgate_outbox_oldest_due_age_seconds", age)
	gauge("deskgate_smtp_breaker_open", one(snap.BreakerOpen))
	gauge("deskgate_smtp_auth_failed", one(snap.SMTPAuthFailed))
	gauge("deskgate_quarantined_messages", float64(snap.Quarantined))
	for _, w := range snap.Webhooks {
		gauge("deskgate_webhook_queued", float64(w.Queued), w.Endpoint)
		oldest := 0.0
		if !w.Oldest.IsZero() {
			oldest = max(time.Since(w.Oldest).Seconds(), 0)
		}
		gauge("deskgate_webhook_oldest_queued_age_seconds", oldest, w.Endpoint)
		gauge("deskgate_webhook_deliveries", float64(w.Sent), w.Endpoint, "sent")
		gauge("deskgate_webhook_deliveries", float64(w.GivenUp), w.Endpoint, "given_up")
	}
}

func one(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
