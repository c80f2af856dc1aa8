// Package config reads and validates deskgate.yaml, the one file that declares a desk: its
// address, the mailboxes it reads and how it ingests mail, the SMTP server it sends through, the
// notifications it sends, and the agents and teams who work its tickets.
//
// The file is strict. Unknown keys, duplicate keys, values of the wrong type and invalid values
// are all errors, and Load reports every problem in one run, each with its line and column.
// Secrets are not written in the file but referenced as ${VAR} and taken from the environment;
// the database is not configured here at all but comes from DESKGATE_DATABASE_URL.
//
// notifications.templates_dir is the only value checked against the file system: it must be a
// directory when the file is loaded.
//
// Limits: only one YAML document is allowed; merge keys (<<) are supported, tags are ignored
// (a value is read as its text); ${VAR} is expanded in values only, never in keys, in a single
// pass (a value taken from the environment is not expanded again). A YAML syntax error stops
// decoding and is placed where yaml.v3 places it, often at the start of the enclosing block
// rather than on the faulty line.
package config

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Config is a validated deskgate.yaml with defaults applied. Each section is a field tagged
// with its key; the decoder handles structs, lists, strings, integers, booleans,
// time.Duration and ByteSize, so a new section needs only its struct and its checks.
type Config struct {
	Desk      Desk      `yaml:"desk"`      // who the desk is
	Ingest    Ingest    `yaml:"ingest"`    // how captured mail is processed
	Tickets   Tickets   `yaml:"tickets"`   // the ticket lifecycle
	Mailboxes []Mailbox `yaml:"mailboxes"` // the folders read, at least one
	// SMTP is the server notifications are sent through; required.
	SMTP          SMTP          `yaml:"smtp"`
	Notifications Notifications `yaml:"notifications"` // which mail is sent, to whom, how often
	Agents        []Agent       `yaml:"agents"`        // the people who work tickets
	Teams         []Team        `yaml:"teams"`         // resolver groups; a mailbox's queue names one
}

// SMTP is the submission server deskgate sends all its mail through.
type SMTP struct {
	Host string  `yaml:"host"` // host name or IP address; required
	Port int     `yaml:"port"` // default 465 for implicit TLS, 587 for starttls, 25 for plain
	TLS  TLSMode `yaml:"tls"`  // default starttls; plain only for loopback hosts
	// Auth is plain, login, xoauth2 or none. Default: xoauth2 with
	// OAuth2Token, plain with Password, none without Username.
	Auth        SMTPAuth      `yaml:"auth"`
	Username    string        `yaml:"username"`     // required unless Auth is none
	Password    string        `yaml:"password"`     // for plain and login
	OAuth2Token string        `yaml:"oauth2_token"` // for xoauth2
	HELO        string        `yaml:"helo"`         // host name sent in EHLO, not an IP address; default Desk.Domain
	Timeout     time.Duration `yaml:"timeout"`      // per connection and command; default 30s, at least 1s
	Workers     int           `yaml:"workers"`      // parallel senders, each with one connection, 1..64; default 4
	// MaxAttempts bounds the tries per notification (1..100, default 12)
	// and MaxAge its lifetime (at least 1m, default 48h); after either it
	// is failed. RetryBase is the first back-off (at least 1s, default 1m),
	// doubled per attempt with jitter up to RetryMax (default 1h).
	MaxAttempts int           `yaml:"max_attempts"`
	MaxAge      time.Duration `yaml:"max_age"`
	RetryBase   time.Duration `yaml:"retry_base"`
	RetryMax    time.Duration `yaml:"retry_max"`
}

// SMTPAuth is an SMTP authentication mechanism.
type SMTPAuth string

// The SMTP authentication mechanisms.
const (
	AuthPlain   SMTPAuth = "plain"
	AuthLogin   SMTPAuth = "login"
	AuthXOAuth2 SMTPAuth = "xoauth2"
	AuthNone    SMTPAuth = "none"
)

// Notifications says which automatic mail deskgate sends and guards against
// floods and loops.
type Notifications struct {
	// TemplatesDir overrides embedded templates with the files found there
	// (same names and layout as the embedded set); default: none. It must
	// be an existing directory; a relative path is taken from the working
	// directory, not from the configuration file.
	TemplatesDir string `yaml:"templates_dir"`
	// Per-recipient limits on automatic mail: at most Max per Window each,
	// each Window used once; default [{window: 10m, max: 5}, {window: 24h,
	// max: 20}]. An empty list is an error: the limits stop mail loops.
	RecipientLimits []Limit `yaml:"recipient_limits"`
	// Breaker pauses all automatic mail when more than Max were queued in
	// Window, for Pause; default {window: 1m, max: 600, pause: 5m}, each
	// field separately.
	Breaker Breaker `yaml:"breaker"`
	// BounceSuppression is how long a permanent delivery failure stops
	// automatic mail to that address; default 720h (30 days), which an
	// explicit 0 also means. It cannot be negative.
	BounceSuppression time.Duration `yaml:"bounce_suppression"`
	// Events switches each event on or off and names its recipients.
	Events Events `yaml:"events"`
}

// Limit is a number of messages per window.
type Limit struct {
	Window time.Duration `yaml:"window"` // at least 1s
	Max    int           `yaml:"max"`    // at least 1
}

// Breaker is the global circuit breaker on automatic mail.
type Breaker struct {
	Window time.Duration `yaml:"window"` // at least 1s
	Max    int           `yaml:"max"`    // at least 1
	Pause  time.Duration `yaml:"pause"`  // at least 1s
}

// Events configures each notification event; an absent event keeps its
// defaults. Notifications.Event finds one by its templates' name.
type Events struct {
	TicketReceived   Event `yaml:"ticket_received"`   // acknowledgement; default to requester
	AgentReply       Event `yaml:"agent_reply"`       // relayed reply; default to requester and cc
	StatusPending    Event `yaml:"status_pending"`    // default to requester
	StatusResolved   Event `yaml:"status_resolved"`   // default to requester
	StatusClosed     Event `yaml:"status_closed"`     // default off
	Reopened         Event `yaml:"reopened"`          // default to requester
	NewTicket        Event `yaml:"new_ticket"`        // to agents; default to team
	RequesterReplied Event `yaml:"requester_replied"` // to agents; default to assignee
	SLAWarning       Event `yaml:"sla_warning"`       // default to assignee
	SLABreach        Event `yaml:"sla_breach"`        // default to assignee and team
}

// Event is whether one event sends mail, and to whom.
type Event struct {
	// Enabled defaults to true except for StatusClosed; set by setDefaults,
	// so after Load it is always meaningful.
	Enabled bool `yaml:"enabled"`
	// To lists recipients: requester, cc (the other participants), assignee
	// (falls back to team when unassigned), team (its address, else its
	// members), or a literal bare address (never the desk's). Mail to
	// customers may not go to assignee or team, nor mail to agents (new
	// ticket, requester replied, SLA) to requester or cc. After Load it
	// holds the defaults when the file gave none; an explicit empty list is
	// an error.
	To []string `yaml:"to"`
}

// Recipient kinds of Event.To besides literal addresses.
const (
	ToRequester = "requester"
	ToCc        = "cc"
	ToAssignee  = "assignee"
	ToTeam      = "team"
)

// Agent is a person who works tickets.
type Agent struct {
	Name      string   `yaml:"name"`      // display name, required
	Addresses []string `yaml:"addresses"` // bare addr-specs, at least one, unique across agents; lower-cased by Load
	Teams     []string `yaml:"teams"`     // names of configured teams
	Role      string   `yaml:"role"`      // RoleAgent or RoleLead; default RoleAgent
}

// Team is a resolver group.
type Team struct {
	Name    string `yaml:"name"`    // unique, [a-z0-9_-]+; a mailbox queue of that name routes to it
	Address string `yaml:"address"` // optional shared address notified instead of each member; a bare addr-spec
}

// Tickets tunes the ticket lifecycle.
type Tickets struct {
	// ReopenWindow is how long after being resolved a reply reopens a
	// ticket; a later reply opens a new ticket linked to it. Default 168h.
	ReopenWindow time.Duration `yaml:"reopen_window"`
	// CloseResolvedAfter closes tickets resolved this long ago. Default 168h.
	CloseResolvedAfter time.Duration `yaml:"close_resolved_after"`
	// RequesterFromReplyTo makes the Reply-To of a ticket's first message
	// its requester, where web forms or shared mailboxes send on someone's
	// behalf. Off by default: the sender is the requester.
	RequesterFromReplyTo bool `yaml:"requester_from_reply_to"`
	// TagPrefix makes subject tags [<prefix><number>], e.g. "#" for [#1234]
	// (the default) or "HELP-" for [HELP-1234].
	TagPrefix string `yaml:"tag_prefix"`
}

// Desk identifies the help desk to its users.
type Desk struct {
	Name     string `yaml:"name"`     // display name, required
	Address  string `yaml:"address"`  // the public address, a bare addr-spec; required
	Domain   string `yaml:"domain"`   // default: the domain of Address, lower-cased
	Language string `yaml:"language"` // default language, a canonical BCP 47 tag; default "en"
	// Secrets are the keys that sign the reply tokens in deskgate's
	// Message-IDs and Reply-To addresses. The first signs; all verify, so a
	// new key goes first and an old one stays until its mail is answered.
	Secrets []Secret `yaml:"secrets"`
}

// Secret is one signing key for reply tokens.
type Secret struct {
	ID     int    `yaml:"id"`     // 1..255, carried in every token it signs
	Secret string `yaml:"secret"` // at least 32 random bytes, hex or base64; usually ${VAR}
}

// Ingest tunes how captured mail is processed.
type Ingest struct {
	Workers        int      `yaml:"workers"`          // parallel parsers, 1..256; default runtime.NumCPU()
	BatchSize      int      `yaml:"batch_size"`       // messages per transaction, 1..5000; default 200
	MaxMessageSize ByteSize `yaml:"max_message_size"` // larger mail becomes a stub; default 25MB
}

// TLSMode is how a mailbox connection is secured.
type TLSMode string

// The TLS modes of a mailbox.
const (
	TLSImplicit TLSMode = "implicit" // TLS from the first byte (IMAPS, port 993)
	TLSStartTLS TLSMode = "starttls" // STARTTLS upgrade, required to succeed (port 143)
	TLSPlain    TLSMode = "plain"    // no TLS; only allowed for loopback hosts
)

// MarkMode is what deskgate does on the server with a message once it is captured.
type MarkMode string

// The ways of marking captured messages.
const (
	MarkKeyword MarkMode = "keyword" // set the IMAP keyword Mailbox.Keyword
	MarkMove    MarkMode = "move"    // move the message to Mailbox.MoveTo
	MarkNone    MarkMode = "none"    // leave the message untouched
)

// Mailbox is one IMAP folder that deskgate reads.
type Mailbox struct {
	Name           string        `yaml:"name"`             // unique, [a-z0-9_-]+; required
	Host           string        `yaml:"host"`             // host name or IP address; required
	Port           int           `yaml:"port"`             // default 993 for implicit TLS, else 143
	TLS            TLSMode       `yaml:"tls"`              // default implicit
	Username       string        `yaml:"username"`         // required
	Password       string        `yaml:"password"`         // exactly one of Password and OAuth2Token
	OAuth2Token    string        `yaml:"oauth2_token"`     // XOAUTH2 bearer token
	Folder         string        `yaml:"folder"`           // default INBOX
	Queue          string        `yaml:"queue"`            // queue fed by this mailbox; default Name
	PollInterval   time.Duration `yaml:"poll_interval"`    // without IDLE; default 30s, at least 1s
	IdleRefresh    time.Duration `yaml:"idle_refresh"`     // restart IDLE after; default 10m, 1s..29m
	CommandTimeout time.Duration `yaml:"command_timeout"`  // default 60s, at least 1s
	Mark           MarkMode      `yaml:"mark"`             // default keyword
	Keyword        string        `yaml:"keyword"`          // default $Deskgate; only with MarkKeyword
	MoveTo         string        `yaml:"move_to"`          // required iff Mark is MarkMove
	MaxMessageSize ByteSize      `yaml:"max_message_size"` // default Ingest.MaxMessageSize
}

// Addr returns the mailbox server's address as host:port, suitable for net.Dial.
func (m *Mailbox) Addr() string {
	return net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}

// Load reads the file at path, expands ${VAR} references with env (typically os.LookupEnv; nil
// means no variable is set), decodes it strictly and validates it. If the file is invalid the
// error is an *Error listing every problem found; if it cannot be read, the error wraps the
// error from os.ReadFile.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path, env)
}

// Parse is Load for a file already read; filename is used only in error messages.
func Parse(data []byte, filename string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	d := newDecoder(env)
	var c Config
	d.document(data, &c)
	validate(d, &c)
	if len(d.problems) > 0 {
		return nil, &Error{File: filename, Problems: d.sorted()}
	}
	c.setDefaults(validator{d}.has)
	return &c, nil
}
