// Package metrics owns every Prometheus series deskgate defines, each
// prefixed deskgate_: the counters and histograms that mailin, mailout and
// ticketing move where things happen (a Set, built once in main and passed
// in), and the gauges read from the database at each scrape (State).
//
// Labels are bounded: a mailbox's or a rule's name from the configuration,
// a message class, an outcome, an SMTP reply class and enhanced status code,
// a suppression reason from a fixed list. Never an address, a subject or a
// ticket number. Every method of a nil *Set does nothing, so code built
// without metrics (tests, one-off commands) needs no stand-in.
package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Def is one series as the documentation lists it.
type Def struct {
	Name   string
	Type   string // counter, gauge or histogram
	Labels []string
	Help   string
}

// Set holds the series that code moves as things happen.
type Set struct {
	captured        *prometheus.CounterVec
	processed       *prometheus.CounterVec
	quarantined     prometheus.Counter
	batch           *prometheus.HistogramVec
	parse           prometheus.Observer
	arrival         prometheus.Observer
	imapConnects    *prometheus.CounterVec
	imapReconnects  *prometheus.CounterVec
	imapAuthFailed  *prometheus.CounterVec
	imapIdleWakeups *prometheus.CounterVec
	smtpResults     *prometheus.CounterVec
	suppressed      *prometheus.CounterVec
	slaWarnings     prometheus.Counter
	slaBreaches     prometheus.Counter
	rulesFired      *prometheus.CounterVec
}

// Series of a Set, in the order the documentation lists them.
var setDefs = []Def{
	{"deskgate_messages_captured_total", "counter", []string{"mailbox"}, "Messages captured from IMAP and stored raw."},
	{"deskgate_messages_processed_total", "counter", []string{"class", "outcome"}, "Captured messages processed, by class (human, auto_reply, bounce, list, loop; unparsed when it could not be parsed) and outcome (ticketed, attached, ignored, quarantined)."},
	{"deskgate_messages_quarantined_total", "counter", nil, "Messages quarantined because they cannot be processed."},
	{"deskgate_batch_duration_seconds", "histogram", []string{"stage"}, "Duration of one batch: capture (stored in one transaction) or process (turned into tickets and committed)."},
	{"deskgate_parse_duration_seconds", "histogram", nil, "Duration of parsing and classifying one message."},
	{"deskgate_arrival_to_ticket_seconds", "histogram", nil, "From a message's INTERNALDATE (its arrival in the mailbox) to its ticket's commit."},
	{"deskgate_imap_connects_total", "counter", []string{"mailbox"}, "IMAP sessions that logged in and selected the folder."},
	{"deskgate_imap_reconnects_total", "counter", []string{"mailbox"}, "IMAP sessions that ended with an error and are retried."},
	{"deskgate_imap_auth_failures_total", "counter", []string{"mailbox"}, "IMAP logins the server refused."},
	{"deskgate_imap_idle_wakeups_total", "counter", []string{"mailbox"}, "IDLE ended by news from the server (new mail)."},
	{"deskgate_smtp_results_total", "counter", []string{"class", "code"}, "SMTP replies to deskgate's transactions and recipients, by reply class (2xx, 4xx, 5xx, or network) and enhanced status code (\"\" when none)."},
	{"deskgate_notifications_suppressed_total", "counter", []string{"reason"}, "Notifications recorded as suppressed instead of queued, by reason."},
	{"deskgate_sla_warnings_total", "counter", nil, "SLA warnings fired by the escalation sweep."},
	{"deskgate_sla_breaches_total", "counter", nil, "SLA breaches fired by the escalation sweep."},
	{"deskgate_rules_fired_total", "counter", []string{"rule"}, "Rules that matched and acted, by rule name."},
}

// New builds a Set and registers it with reg.
func New(reg prometheus.Registerer) *Set {
	s := &Set{}
	c := func(i int) *prometheus.CounterVec { return counterVec(reg, setDefs[i]) }
	s.captured, s.processed = c(0), c(1)
	s.quarantined = c(2).WithLabelValues()
	s.batch = histogramVec(reg, setDefs[3], []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30})
	s.parse = histogramVec(reg, setDefs[4], []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}).WithLabelValues()
	s.arrival = histogramVec(reg, setDefs[5], []float64{1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600}).WithLabelValues()
	s.imapConnects, s.imapReconnects, s.imapAuthFailed, s.imapIdleWakeups = c(6), c(7), c(8), c(9)
	s.smtpResults, s.suppressed = c(10), c(11)
	s.slaWarnings, s.slaBreaches = c(12).WithLabelValues(), c(13).WithLabelValues()
	s.rulesFired = c(14)
	return s
}

func counterVec(reg prometheus.Registerer, d Def) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: d.Name, Help: d.Help}, d.Labels)
	reg.MustRegister(v)
	return v
}

func histogramVec(reg prometheus.Registerer, d Def, buckets []float64) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: d.Name, Help: d.Help, Buckets: buckets}, d.Labels)
	reg.MustRegister(v)
	return v
}

// Defs lists every series deskgate defines, a Set's and State's.
func Defs() []Def { return append(append([]Def(nil), setDefs...), stateDefs...) }

// Captured counts n messages captured from mailbox.
func (s *Set) Captured(mailbox string, n int) {
	if s != nil && n > 0 {
		s.captured.WithLabelValues(mailbox).Add(float64(n))
	}
}

// Processed counts one processed message of class (empty: not parsed)
// with its outcome, the inbound status it was given.
func (s *Set) Processed(class, outcome string) {
	if s == nil {
		return
	}
	if class == "" {
		class = "unparsed"
	}
	s.processed.WithLabelValues(class, outcome).Inc()
	if outcome == "quarantined" {
		s.quarantined.Inc()
	}
}

// Batch records the duration of one batch of stage (capture or process).
func (s *Set) Batch(stage string, d time.Duration) {
	if s != nil {
		s.batch.WithLabelValues(stage).Observe(d.Seconds())
	}
}

// Parsed records the duration of parsing one message.
func (s *Set) Parsed(d time.Duration) {
	if s != nil {
		s.parse.Observe(d.Seconds())
	}
}

// Ticketed records the time from a message's arrival to its ticket.
func (s *Set) Ticketed(since time.Duration) {
	if s != nil {
		s.arrival.Observe(max(since, 0).Seconds())
	}
}

// IMAPConnected counts a session of mailbox that selected its folder.
func (s *Set) IMAPConnected(mailbox string) {
	if s != nil {
		s.imapConnects.WithLabelValues(mailbox).Inc()
	}
}

// IMAPFailed counts a session of mailbox that ended with an error; auth
// says the server refused the login.
func (s *Set) IMAPFailed(mailbox string, auth bool) {
	if s == nil {
		return
	}
	s.imapReconnects.WithLabelValues(mailbox).Inc()
	if auth {
		s.imapAuthFailed.WithLabelValues(mailbox).Inc()
	}
}

// IdleWakeup counts an IDLE of mailbox ended by news.
func (s *Set) IdleWakeup(mailbox string) {
	if s != nil {
		s.imapIdleWakeups.WithLabelValues(mailbox).Inc()
	}
}

// SMTPReply counts one SMTP reply, given as "250 2.0.0 text", or an error
// that carries no reply (class network).
func (s *Set) SMTPReply(reply string) {
	if s != nil {
		class, code := ReplyLabels(reply)
		s.smtpResults.WithLabelValues(class, code).Inc()
	}
}

// ReplyLabels returns the class (2xx, 4xx, 5xx; network when reply does
// not start with a reply code) and the enhanced status code of an SMTP
// reply, "" when it has none: bounded labels whatever the server says.
func ReplyLabels(reply string) (class, code string) {
	if len(reply) < 3 || reply[0] < '2' || reply[0] > '5' || !digit(reply[1]) || !digit(reply[2]) ||
		(len(reply) > 3 && reply[3] != ' ' && reply[3] != '-') {
		return "network", ""
	}
	class = reply[:1] + "xx"
	f := strings.Fields(reply[min(len(reply), 4):])
	if len(f) > 0 && enhanced(f[0], reply[0]) {
		code = f[0]
	}
	return class, code
}

func digit(b byte) bool { return b >= '0' && b <= '9' }

// enhanced reports whether f is an RFC 3463 status code of class c:
// c.subject.detail, each of one to three digits.
func enhanced(f string, c byte) bool {
	parts := strings.Split(f, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0][0] != c {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// The reasons a notification is suppressed, as labels.
var suppressReasons = []struct{ prefix, label string }{
	{"rate limit", "rate_limit"},
	{"conversation paused", "conversation_paused"},
	{"automatic mail to this address is suppressed", "address_suppressed"},
	{"never mail deskgate", "own_address"},
	{"the message that caused it is", "automatic_mail"},
	{"already told", "once"},
}

// Suppressed counts a suppressed notification; reason is the text
// recorded on its outbox row, reduced to a fixed label.
func (s *Set) Suppressed(reason string) {
	if s == nil {
		return
	}
	label := "other"
	for _, r := range suppressReasons {
		if strings.HasPrefix(reason, r.prefix) {
			label = r.label
			break
		}
	}
	s.suppressed.WithLabelValues(label).Inc()
}

// Escalated counts an SLA warning (breach false) or breach.
func (s *Set) Escalated(breach bool) {
	switch {
	case s == nil:
	case breach:
		s.slaBreaches.Inc()
	default:
		s.slaWarnings.Inc()
	}
}

// RuleFired counts one rule that matched and acted.
func (s *Set) RuleFired(rule string) {
	if s != nil {
		s.rulesFired.WithLabelValues(rule).Inc()
	}
}
