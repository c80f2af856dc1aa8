// Package config reads and validates deskgate.yaml, the one file that declares a desk: its
// address, the mailboxes it reads and how it ingests mail, the SMTP server it sends through, the
// notifications it sends, and the agents and teams who work its tickets.
//
// The file is strict. Unknown keys, duplicate keys, values of the wrong type and invalid values
// are all errors, and Load reports every problem in one run, each with its line and column.
// Secrets are not written in the file but referenced as ${VAR} and taken from the environment,
// or from a file (${file:PATH}, or NAME_FILE for ${NAME}); the database is not configured here
// at all but comes from DESKGATE_DATABASE_URL.
//
// notifications.templates_dir is the only value checked against the file system (besides the
// secret files references name): it must be a
// directory when the file is loaded. Calendar time zones are checked with time.LoadLocation,
// so against the machine's time zone database unless the program embeds time/tzdata.
//
// Rule conditions (rules[].when) are only checked for being present: cmd compiles them with the
// rules engine, which reports their syntax. Likewise Load checks calendars[].holidays against
// the countries of rickar/cal it knows, and cmd builds the calendars with ticketing/sla, which
// has the last word; config imports no domain package.
//
// Limits: only one YAML document is allowed; merge keys (<<) are supported, tags are ignored
// (a value is read as its text); ${VAR} is expanded in values only, never in keys, in a single
// pass (a value taken from the environment is not expanded again). A YAML syntax error stops
// decoding and is placed where yaml.v3 places it, often at the start of the enclosing block
// rather than on the faulty line.
package config

import (
	"cmp"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Config is a validated deskgate.yaml with defaults applied. Each section is a field tagged
// with its key; the decoder handles structs, lists, strings, integers, decimal numbers,
// booleans, time.Duration and ByteSize, so a new section needs only its struct and its checks.
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
	// Categories are the ticket categories rules may set; empty: any.
	Categories []Category `yaml:"categories"`
	Priorities Priorities `yaml:"priorities"` // the impact × urgency matrix
	Calendars  []Calendar `yaml:"calendars"`  // business hours; default one Mon–Fri 08:00–17:00 in UTC
	SLA        SLA        `yaml:"sla"`        // response and resolution targets, escalation
	Rules      []Rule     `yaml:"rules"`      // routing and prioritising, in order
	// Verification says how an agent's reply is proven to be theirs.
	Verification Verification `yaml:"verification"`
	// Digest configures agents' daily digests (digest.go).
	Digest    Digest    `yaml:"digest"`
	Retention Retention `yaml:"retention"` // what is removed of old tickets
	HTTP      HTTP      `yaml:"http"`      // serve's health, readiness and metrics endpoints
	Log       Log       `yaml:"log"`       // serve's log format and level
	// Webhooks are the endpoints told of the desk's events.
	Webhooks []Webhook `yaml:"webhooks"`

	warnings []string // set by Load
}

// Verification configures how agents' replies are verified. A reply acts
// as an agent's only with a valid reply token issued to that agent for
// that ticket; with RequireDMARC, also only when the topmost
// Authentication-Results field added by a trusted server shows dmarc=pass
// or an aligned dkim=pass.
type Verification struct {
	RequireDMARC bool `yaml:"require_dmarc"`
	// TrustedAuthServIDs are the authserv-ids of the receiving servers
	// whose Authentication-Results count, e.g. mx.google.com.
	TrustedAuthServIDs []string `yaml:"trusted_authserv_ids"`
	// TrustUnnamed trusts Authentication-Results without an authserv-id,
	// as Microsoft 365 writes them; only where the receiving server
	// removes such fields from incoming mail.
	TrustUnnamed bool `yaml:"trust_unnamed"`
	// CommandsExpireAfter is how long after a mail was sent its reply token
	// still lets the agent it was sent to command; an older token only
	// threads the reply. At least 1h (tokens count whole hours); default 720h.
	CommandsExpireAfter time.Duration `yaml:"commands_expire_after"`
}

// Category is one ticket category with its defaults. Config.Category finds one by name.
type Category struct {
	Name    string `yaml:"name"`    // required, unique (case-insensitive)
	Impact  string `yaml:"impact"`  // default impact of its tickets; "" keeps the mailbox's
	Urgency string `yaml:"urgency"` // default urgency of its tickets; "" keeps the mailbox's
	SLA     string `yaml:"sla"`     // SLA policy of its tickets; "" the default policy
}

// Priorities is the impact × urgency → priority matrix; Cell looks a priority up.
//
// Level names compare case-insensitively everywhere in the file, and Load spells every
// reference to a level (in mailboxes, categories, SLA targets and rules) as its list does.
type Priorities struct {
	// Impacts and Urgencies list the levels, lowest first; Levels the
	// priorities from highest. Default: Low, Medium, High; Low, Normal,
	// High, Urgent; High, Normal, Medium, Low. Each list, when given, is
	// not empty, has at most 20 names and no name twice.
	Impacts   []string `yaml:"impacts"`
	Urgencies []string `yaml:"urgencies"`
	Levels    []string `yaml:"levels"`
	// Matrix sets every impact × urgency cell; default the service desk's
	// matrix (see docs/rules-and-sla.md), which is only available, and then
	// required, while the three lists have their default names. Given at
	// all, it must have every cell exactly once.
	Matrix []Cell `yaml:"matrix"`
	// DefaultImpact and DefaultUrgency apply when neither a mailbox, a
	// category nor a rule sets them; default Low and Normal, or the lowest
	// level when there is no level of that name.
	DefaultImpact  string `yaml:"default_impact"`
	DefaultUrgency string `yaml:"default_urgency"`
	// HeaderRaisesUrgency lets the sender's Importance: high or X-Priority
	// 1–2 raise urgency one level; off by default (senders overuse it).
	HeaderRaisesUrgency bool `yaml:"header_raises_urgency"`
}

// Cell is one cell of the priority matrix: the priority of tickets with its impact and urgency.
type Cell struct {
	Impact   string `yaml:"impact"`   // one of Priorities.Impacts
	Urgency  string `yaml:"urgency"`  // one of Priorities.Urgencies
	Priority string `yaml:"priority"` // one of Priorities.Levels
}

// Calendar is a business-hours calendar. Config.Calendar finds one by name; Days returns its
// working hours by weekday.
type Calendar struct {
	Name     string `yaml:"name"`      // required, unique, [a-z0-9_-]+
	TimeZone string `yaml:"time_zone"` // IANA name such as Europe/Stockholm, not Local; default UTC
	// Hours per weekday: "08:00-17:00", or several spans "08:00-12:00,
	// 13:00-17:00", each HH:MM-HH:MM within 00:00-24:00, in order and not
	// overlapping; an absent or empty day is closed. Default Mon–Fri
	// 08:00-17:00 when no day is given; a calendar whose days are all
	// closed is an error. Load rewrites each day without spaces, as
	// "08:00-12:00,13:00-17:00".
	Mon string `yaml:"mon"`
	Tue string `yaml:"tue"`
	Wed string `yaml:"wed"`
	Thu string `yaml:"thu"`
	Fri string `yaml:"fri"`
	Sat string `yaml:"sat"`
	Sun string `yaml:"sun"`
	// Holidays are country codes whose public holidays are closed: the
	// countries of rickar/cal v2.1.13 with a national list (se, dk, no, de,
	// gb, us, …; not cn, which it lacks, nor au, which it has by state
	// only). Any case; Load lower-cases them.
	Holidays []string `yaml:"holidays"`
	Closed   []string `yaml:"closed"` // extra closed dates, YYYY-MM-DD
	// Open lists extra working dates (make-up days), YYYY-MM-DD, none of
	// them also closed. One is worked with the hours of its weekday, or
	// Monday's when that day is closed; one of the two must have hours.
	Open []string `yaml:"open"`
}

// SLA holds the policies and escalation. Config.Policy finds a policy by name.
type SLA struct {
	// Policies name targets per priority; the first is the default unless
	// Default names another. Default: one policy "standard" on the first
	// calendar with the default targets, which only the default level
	// names have: with other levels the policies are required. Given, the
	// list may not be empty.
	Policies []SLAPolicy `yaml:"policies"`
	// Default names the policy of tickets that no category or rule gives
	// one; after Load always set.
	Default string `yaml:"default"`
	// WarnAt is the share of a target at which the warning fires, more
	// than 0 and less than 1; default 0.8.
	WarnAt float64 `yaml:"warn_at"`
	// RemindOutsideHours sends warnings (not breaches) outside the
	// calendar's hours too; default false: they wait for the next opening.
	RemindOutsideHours bool       `yaml:"remind_outside_hours"`
	Escalation         Escalation `yaml:"escalation"`
}

// SLAPolicy is one set of targets; Target finds the target of a priority.
type SLAPolicy struct {
	Name     string `yaml:"name"`     // required, unique (case-insensitive)
	Calendar string `yaml:"calendar"` // default the first calendar
	// Targets has at most one target per priority level. With the default
	// level names, an absent level, or an absent response or resolution,
	// takes the default (response/resolution High 1h/4h, Normal 2h/8h,
	// Medium 4h/16h, Low 8h/40h); with other names every level needs a
	// target with both. After Load there is one per level, in the order of
	// Priorities.Levels.
	Targets []SLATarget `yaml:"targets"`
}

// SLATarget is the business time allowed for one priority.
type SLATarget struct {
	Priority     string        `yaml:"priority"`      // one of Priorities.Levels; required
	Response     time.Duration `yaml:"response"`      // first response; at least 1m, at most Resolution
	Resolution   time.Duration `yaml:"resolution"`    // until resolved; at least 1m
	NextResponse time.Duration `yaml:"next_response"` // after each requester reply; 0: none
}

// Escalation says what happens at the warning and at the breach.
type Escalation struct {
	Warning EscalationLevel `yaml:"warning"` // default notify [assignee]
	Breach  EscalationLevel `yaml:"breach"`  // default notify [assignee, team]
}

// EscalationLevel is one level's actions.
type EscalationLevel struct {
	// Notify lists assignee (the team when unassigned), team, or bare
	// addresses (escalation contacts, not the desk's), each once; an
	// explicit empty list notifies nobody.
	Notify        []string `yaml:"notify"`
	RaisePriority bool     `yaml:"raise_priority"` // one level up the matrix
	Reassign      string   `yaml:"reassign"`       // a team name; "" keeps the team
}

// Rule is one routing rule; see docs/rules-and-sla.md for the facts and actions.
type Rule struct {
	Name string `yaml:"name"` // required, unique (case-insensitive)
	On   string `yaml:"on"`   // ticket.created (default), message.received or ticket.updated
	// When is an expr condition; "true" matches every event. Load only
	// requires it; cmd compiles it with the rules engine.
	When string `yaml:"when"`
	Then Then   `yaml:"then"` // at least one action
	Stop bool   `yaml:"stop"` // stop evaluating further rules when this one matches
}

// Then is what a rule does; every field is optional, but a rule has at least one action.
// Values from a list (levels, categories, policies, statuses, languages, events) compare
// case-insensitively, and Load spells them as the list does.
type Then struct {
	Category string `yaml:"category"` // one of Config.Categories, or any when there are none
	Impact   string `yaml:"impact"`   // one of Priorities.Impacts
	Urgency  string `yaml:"urgency"`  // one of Priorities.Urgencies
	Priority string `yaml:"priority"` // one of Priorities.Levels; overrides the matrix
	Team     string `yaml:"team"`     // one of Config.Teams
	Assignee string `yaml:"assignee"` // an agent's address; lower-cased by Load
	Status   string `yaml:"status"`   // new, open, pending, resolved or closed
	Language string `yaml:"language"` // en, sv, da or zh: a language of the templates
	// AddTags and RemoveTags change the ticket's tags, none twice and none
	// in both (case-insensitive).
	AddTags    []string `yaml:"add_tags"`
	RemoveTags []string `yaml:"remove_tags"`
	// AddCc adds participants in Cc: bare addresses, not the desk's.
	AddCc                   []string `yaml:"add_cc"`
	SuppressAcknowledgement bool     `yaml:"suppress_acknowledgement"`
	// Ignore marks the message as spam or ignored, with this reason. An
	// ignored message opens no ticket, so Ignore takes no other action
	// (Rule.Stop is allowed), and not on ticket.updated.
	Ignore string `yaml:"ignore"`
	Send   string `yaml:"send"` // a notification event name (see Notifications.Event) to send to the requester
	SLA    string `yaml:"sla"`  // an SLA policy name
}

// SMTP is the submission server deskgate sends all its mail through.
type SMTP struct {
	Host string  `yaml:"host"` // host name or IP address; required
	Port int     `yaml:"port"` // default 465 for implicit TLS, 587 for starttls, 25 for plain
	TLS  TLSMode `yaml:"tls"`  // default starttls; plain only for loopback hosts
	// Auth is plain, login, xoauth2 or none. Default: xoauth2 with
	// OAuth2 or OAuth2Token, plain with Password, none without Username.
	Auth        SMTPAuth      `yaml:"auth"`
	Username    string        `yaml:"username"`     // required unless Auth is none
	Password    string        `yaml:"password"`     // for plain and login
	OAuth2      OAuth2        `yaml:"oauth2"`       // for xoauth2: tokens obtained and renewed by deskgate
	OAuth2Token string        `yaml:"oauth2_token"` // for xoauth2: a fixed bearer token, renewed by someone else
	HELO        string        `yaml:"helo"`         // host name sent in EHLO, not an IP address; default Desk.Domain
	Timeout     time.Duration `yaml:"timeout"`      // per connection and command; default 30s, at least 1s
	Workers     int           `yaml:"workers"`      // parallel senders, each with one connection, 1..64; default 4
	// MaxRecipients bounds the recipients of one SMTP transaction
	// (1..1000, default 50); an email to more goes out in several.
	MaxRecipients int `yaml:"max_recipients"`
	// MaxPerMinute holds sending to at most this many emails in any
	// minute per serve process (0..10000, default 0: unlimited); mail
	// beyond it waits. Microsoft 365 takes 30 a minute per mailbox.
	MaxPerMinute int `yaml:"max_per_minute"`
	// MaxAttempts bounds the tries per notification (1..100, default 60)
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
	// TicketLimits bound the mail of every kind about one ticket to one
	// address (relayed replies and mail to agents included); RelayLimits
	// the relayed agent replies to one customer address. Same form as
	// RecipientLimits; default [{window: 10m, max: 15}, {window: 24h, max:
	// 60}] and [{window: 10m, max: 15}, {window: 24h, max: 100}].
	TicketLimits []Limit `yaml:"ticket_limits"`
	RelayLimits  []Limit `yaml:"relay_limits"`
	// Conversation pauses the mail between two addresses (the mail one's
	// messages cause to the other, both ways) for Pause when more than Max
	// passed in Window, and tells the ticket's team; default {window: 10m,
	// max: 20, pause: 1h}, each field separately; window at least 1m.
	Conversation Breaker `yaml:"conversation"`
	// Breaker pauses all automatic mail when more than Max were queued in
	// Window, for Pause; default {window: 1m, max: 600, pause: 5m}, each
	// field separately.
	Breaker Breaker `yaml:"breaker"`
	// BounceSuppression is how long a permanent delivery failure stops
	// automatic mail to that address; default 720h (30 days), which an
	// explicit 0 also means. It cannot be negative.
	BounceSuppression time.Duration `yaml:"bounce_suppression"`
	// TextBudget bounds the message text one notification quotes (the
	// requester's text in mail to agents, an agent's relayed text); the
	// rest is replaced by "[… N KB more in the ticket]". 1KB..10MB,
	// default 64KB.
	TextBudget ByteSize `yaml:"text_budget"`
	// AttachmentBudget bounds the files one notification carries (an
	// agent's files relayed to the requester, the requester's files in
	// mail to agents); files beyond it are listed by name and size
	// instead. 1KB..1GB, default 10MB.
	AttachmentBudget ByteSize `yaml:"attachment_budget"`
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
	SenderHeld       Event `yaml:"sender_held"`       // to agents: a stranger's mail was held; default to assignee
	// ConversationPaused tells agents of a conversation paused as a
	// probable mail loop; default to team.
	ConversationPaused Event `yaml:"conversation_paused"`
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
	// Language is the language of the agent's mail: en, sv, da or zh (any
	// case; Load spells it so). It wins over a language set for their
	// addresses with `deskgate contact language`; "" (the default): that
	// setting, else desk.language.
	Language string `yaml:"language"`
	Digest   bool   `yaml:"digest"` // a daily digest (Config.Digest); default false
}

// Team is a resolver group.
type Team struct {
	Name    string `yaml:"name"`    // unique, [a-z0-9_-]+; a mailbox queue of that name routes to it
	Address string `yaml:"address"` // optional shared address notified instead of each member; a bare addr-spec
	// Calendar is the business-hours calendar of the team's SLA clocks;
	// "" (also after Load): the SLA policy's.
	Calendar string `yaml:"calendar"`
	// Escalation lists addresses told of the team's SLA breaches: bare
	// addresses, not the desk's, each once.
	Escalation []string `yaml:"escalation"`
	// Digest sends each member a daily digest (Config.Digest); default false.
	Digest bool `yaml:"digest"`
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
	// TrustRequesterDomain lets people at the requester's own domain join
	// a ticket by replying to its mail (In-Reply-To, References,
	// Thread-Index), as colleagues do. Off by default: such mail from
	// someone who takes no part is held until an agent admits them.
	// Public mail providers' domains (gmail.com, outlook.com, …) never count.
	TrustRequesterDomain bool `yaml:"trust_requester_domain"`
	// MaxParticipants bounds the people a ticket gains from the To and Cc
	// of its mail; the rest are recorded in its events. Default 50.
	MaxParticipants int `yaml:"max_participants"`
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
	Workers        int      `yaml:"workers"`          // parallel parsers, 1..256; default GOMAXPROCS-1 (the CPUs Go may use, less one), at least 1
	BatchSize      int      `yaml:"batch_size"`       // messages per transaction, 1..5000; default 200
	MaxMessageSize ByteSize `yaml:"max_message_size"` // larger mail becomes a stub; default 25MB
	// Parsing budgets: mail over any of them is kept and quarantined with
	// the reason, and the rest of its batch goes on.
	MaxMIMEDepth int           `yaml:"max_mime_depth"` // multipart nesting levels, 1..1000; default 64
	MaxMIMEParts int           `yaml:"max_mime_parts"` // MIME parts at all levels, 1..100000; default 1000
	ParseTimeout time.Duration `yaml:"parse_timeout"`  // time to parse one message, 1s..10m; default 10s
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
	Password       string        `yaml:"password"`         // exactly one of Password, OAuth2 and OAuth2Token
	OAuth2         OAuth2        `yaml:"oauth2"`           // XOAUTH2 tokens obtained and renewed by deskgate
	OAuth2Token    string        `yaml:"oauth2_token"`     // a fixed XOAUTH2 bearer token, renewed by someone else
	Folder         string        `yaml:"folder"`           // default INBOX
	Queue          string        `yaml:"queue"`            // queue fed by this mailbox; default Name
	PollInterval   time.Duration `yaml:"poll_interval"`    // without IDLE; default 30s, at least 1s
	IdleRefresh    time.Duration `yaml:"idle_refresh"`     // restart IDLE after; default 10m, 1s..29m
	CommandTimeout time.Duration `yaml:"command_timeout"`  // default 60s, at least 1s
	Mark           MarkMode      `yaml:"mark"`             // default keyword
	Keyword        string        `yaml:"keyword"`          // default $Deskgate; only with MarkKeyword
	MoveTo         string        `yaml:"move_to"`          // required iff Mark is MarkMove
	MaxMessageSize ByteSize      `yaml:"max_message_size"` // default Ingest.MaxMessageSize
	Impact         string        `yaml:"impact"`           // impact of its tickets; default Priorities.DefaultImpact
	Urgency        string        `yaml:"urgency"`          // urgency of its tickets; default Priorities.DefaultUrgency
	// ExistingMail is what becomes of the mail already in the folder when
	// deskgate first connects to it; default quiet.
	ExistingMail ExistingMail `yaml:"existing_mail"`
	// MaxAgeToAnswer: mail older than this (by INTERNALDATE) when it is
	// captured, as after downtime, is handled quietly; default 24h, at
	// least 1m.
	MaxAgeToAnswer time.Duration `yaml:"max_age_to_answer"`
}

// ExistingMail is what becomes of the mail a folder already holds when
// deskgate first connects to it.
type ExistingMail string

// The ways of handling existing mail.
const (
	// ExistingQuiet captures it and opens tickets, but sends no mail about
	// it and starts no SLA clock.
	ExistingQuiet ExistingMail = "quiet"
	// ExistingNormal treats it as new mail.
	ExistingNormal ExistingMail = "normal"
	// ExistingSkip captures it without tickets.
	ExistingSkip ExistingMail = "skip"
)

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
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, literal, unworkable, err := parse(data, path, env)
	if err != nil {
		return nil, err
	}
	c.warnings = unworkable
	if w := cmp.Or(exposureWarning(path, info.Mode(), literal), plaintextWarning(path, literal)); w != "" {
		c.warnings = append(c.warnings, w)
	}
	return c, nil
}

// Parse is Load for a file already read; filename is used only in error messages.
func Parse(data []byte, filename string, env func(string) (string, bool)) (*Config, error) {
	c, _, _, err := parse(data, filename, env)
	return c, err
}

// parse is Parse, also returning the keys whose secret the file writes out ("path (line N)")
// and what cannot work as written (see unworkable).
func parse(data []byte, filename string, env func(string) (string, bool)) (*Config, []string, []string, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	d := newDecoder(env)
	var c Config
	d.document(data, &c)
	validate(d, &c)
	if len(d.problems) > 0 {
		return nil, nil, nil, &Error{File: filename, Problems: d.sorted()}
	}
	v := validator{d}
	c.setDefaults(v.has)
	return &c, d.literal, c.unworkable(v.has, v.line), nil
}
