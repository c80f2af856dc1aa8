package config

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// env is a fake environment for tests.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

var testEnv = env(map[string]string{
	"IMAP_PASSWORD": "s3cret: #not a comment",
	"SMTP_PASSWORD": "smtp-s3cret",
	"M365_TOKEN":    "eyJ0eXAi.token",
	"PORT":          "10143",
	"EMPTY":         "",
})

// minimal is the smallest valid file; the problem tests append keys to its mailbox.
const minimal = `desk:
  name: Example Desk
  address: help@example.com
smtp: {host: smtp.example.com, username: help@example.com, password: "${SMTP_PASSWORD}"}
mailboxes:
  - name: support
    host: imap.example.com
    username: help@example.com
    password: ${IMAP_PASSWORD}
`

func TestParseMinimal(t *testing.T) {
	got, err := Parse([]byte(minimal), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse(minimal) error: %v", err)
	}
	want := &Config{
		Desk: Desk{Name: "Example Desk", Address: "help@example.com", Domain: "example.com", Language: "en"},
		Ingest: Ingest{Workers: max(1, min(runtime.GOMAXPROCS(0)-1, maxWorkers)), BatchSize: 200, MaxMessageSize: 25_000_000,
			MaxMIMEDepth: 64, MaxMIMEParts: 1000, ParseTimeout: 10 * time.Second},
		Tickets: Tickets{ReopenWindow: 168 * time.Hour, CloseResolvedAfter: 168 * time.Hour, TagPrefix: "#", MaxParticipants: 50},
		Mailboxes: []Mailbox{{
			Name: "support", Host: "imap.example.com", Port: 993, TLS: TLSImplicit,
			Username: "help@example.com", Password: "s3cret: #not a comment",
			Folder: "INBOX", Queue: "support",
			PollInterval: 30 * time.Second, IdleRefresh: 10 * time.Minute, CommandTimeout: time.Minute,
			Mark: MarkKeyword, Keyword: "$Deskgate", MaxMessageSize: 25_000_000,
			Impact: "Low", Urgency: "Normal", ExistingMail: ExistingQuiet, MaxAgeToAnswer: 24 * time.Hour,
		}},
		SMTP: SMTP{
			Host: "smtp.example.com", Port: 587, TLS: TLSStartTLS, Auth: AuthPlain,
			Username: "help@example.com", Password: "smtp-s3cret", HELO: "example.com",
			Timeout: 30 * time.Second, Workers: 4, MaxRecipients: 50, MaxAttempts: 60, MaxAge: 48 * time.Hour,
			RetryBase: time.Minute, RetryMax: time.Hour,
		},
		Notifications: defaultNotifications(),
		Priorities:    defaultPriorities(),
		Calendars:     []Calendar{defaultOffice()},
		SLA:           defaultSLA(),
		Verification:  Verification{CommandsExpireAfter: 720 * time.Hour},
		Digest:        Digest{Time: "08:00", DueWithin: 4 * time.Hour},
		Retention:     Retention{WebhookDeliveriesAfter: 720 * time.Hour},
		HTTP:          HTTP{Listen: DefaultListen},
		Log:           Log{Format: "text", Level: "info"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(minimal) =\n%+v, want\n%+v", got, want)
	}
	if got, want := got.SMTP.Addr(), "smtp.example.com:587"; got != want {
		t.Errorf("SMTP.Addr() = %q, want %q", got, want)
	}
	if got, want := got.Mailboxes[0].Addr(), "imap.example.com:993"; got != want {
		t.Errorf("Addr() = %q, want %q", got, want)
	}
}

// defaultNotifications is the notifications section of a file that has none, as documented.
func defaultNotifications() Notifications {
	on := func(to ...string) Event { return Event{Enabled: true, To: to} }
	return Notifications{
		RecipientLimits:   []Limit{{Window: 10 * time.Minute, Max: 5}, {Window: 24 * time.Hour, Max: 20}},
		Breaker:           Breaker{Window: time.Minute, Max: 600, Pause: 5 * time.Minute},
		TicketLimits:      []Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 60}},
		RelayLimits:       []Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 100}},
		Conversation:      Breaker{Window: 10 * time.Minute, Max: 20, Pause: time.Hour},
		BounceSuppression: 720 * time.Hour,
		TextBudget:        64 * 1000,
		AttachmentBudget:  10 * 1000 * 1000,
		Events: Events{
			TicketReceived:     on(ToRequester),
			AgentReply:         on(ToRequester, ToCc),
			StatusPending:      on(ToRequester),
			StatusResolved:     on(ToRequester),
			StatusClosed:       Event{Enabled: false, To: []string{ToRequester}},
			Reopened:           on(ToRequester),
			NewTicket:          on(ToTeam),
			RequesterReplied:   on(ToAssignee),
			SLAWarning:         on(ToAssignee),
			SLABreach:          on(ToAssignee, ToTeam),
			SenderHeld:         on(ToAssignee),
			ConversationPaused: on(ToTeam),
		},
	}
}

func TestParseFull(t *testing.T) {
	const full = `desk:
  name: Example IT Service Desk
  address: Help@Example.COM
  domain: desk.example.com
  language: pt-br
ingest:
  workers: 3
  batch_size: 5000
  max_message_size: 10MiB
  max_mime_depth: 32
  max_mime_parts: 200
  parse_timeout: 30s
mailboxes:
  - name: support
    host: "::1"
    port: ${PORT}
    tls: plain
    username: help
    password: "${IMAP_PASSWORD}"
    folder: Helpdesk/$${literal}
    queue: first-line
    poll_interval: 1s
    idle_refresh: 28m59s
    command_timeout: 2m
    mark: keyword
    keyword: $Deskgate
    max_message_size: 1024
    existing_mail: skip
    max_age_to_answer: 72h
  - name: hr_2
    host: outlook.office365.com
    tls: starttls
    username: hr@example.com
    oauth2_token: ${M365_TOKEN}
    mark: move
    move_to: Processed
  - name: quiet
    host: 127.0.0.2
    tls: plain
    username: hr@example.com
    password: x
    mark: none
smtp:
  host: localhost
  port: 2525
  tls: plain
  auth: login
  username: desk
  password: ${SMTP_PASSWORD}
  helo: desk.example.com
  timeout: 10s
  workers: 64
  max_attempts: 1
  max_age: 1m
  retry_base: 1s
  retry_max: 1s
notifications:
  templates_dir: TEMPLATES
  recipient_limits: [{window: 1h, max: 3}]
  breaker: {window: 10s, max: 1}
  bounce_suppression: 0s
  events:
    ticket_received: {enabled: false}
    agent_reply: {to: [requester, Supervisor@Example.com]}
    status_closed: {enabled: true}
    new_ticket: {to: [assignee, team, dispatch@example.net]}
    sla_breach:
      enabled: false
      to: [team]
teams:
  - name: first-line
    address: first-line@example.com
  - {name: hr_2}
agents:
  - name: Ann Example
    addresses: [Ann@Example.com, ann.example@example.net]
    teams: [first-line, hr_2]
    role: lead
  - name: Bob
    addresses: [bob@example.com]
    teams: [hr_2]
`
	dir := t.TempDir()
	got, err := Parse([]byte(strings.Replace(full, "TEMPLATES", dir, 1)), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse(full) error: %v", err)
	}
	want := &Config{
		Desk: Desk{Name: "Example IT Service Desk", Address: "Help@Example.COM", Domain: "desk.example.com", Language: "pt-BR"},
		Ingest: Ingest{Workers: 3, BatchSize: 5000, MaxMessageSize: 10 << 20,
			MaxMIMEDepth: 32, MaxMIMEParts: 200, ParseTimeout: 30 * time.Second},
		Tickets: Tickets{ReopenWindow: 168 * time.Hour, CloseResolvedAfter: 168 * time.Hour, TagPrefix: "#", MaxParticipants: 50},
		Mailboxes: []Mailbox{{
			Name: "support", Host: "::1", Port: 10143, TLS: TLSPlain,
			Username: "help", Password: "s3cret: #not a comment",
			Folder: "Helpdesk/${literal}", Queue: "first-line",
			PollInterval: time.Second, IdleRefresh: 29*time.Minute - time.Second, CommandTimeout: 2 * time.Minute,
			Mark: MarkKeyword, Keyword: "$Deskgate", MaxMessageSize: 1024,
			Impact: "Low", Urgency: "Normal", ExistingMail: ExistingSkip, MaxAgeToAnswer: 72 * time.Hour,
		}, {
			Name: "hr_2", Host: "outlook.office365.com", Port: 143, TLS: TLSStartTLS,
			Username: "hr@example.com", OAuth2Token: "eyJ0eXAi.token",
			Folder: "INBOX", Queue: "hr_2",
			PollInterval: 30 * time.Second, IdleRefresh: 10 * time.Minute, CommandTimeout: time.Minute,
			Mark: MarkMove, MoveTo: "Processed", MaxMessageSize: 10 << 20,
			Impact: "Low", Urgency: "Normal", ExistingMail: ExistingQuiet, MaxAgeToAnswer: 24 * time.Hour,
		}, {
			Name: "quiet", Host: "127.0.0.2", Port: 143, TLS: TLSPlain,
			Username: "hr@example.com", Password: "x",
			Folder: "INBOX", Queue: "quiet",
			PollInterval: 30 * time.Second, IdleRefresh: 10 * time.Minute, CommandTimeout: time.Minute,
			Mark: MarkNone, MaxMessageSize: 10 << 20,
			Impact: "Low", Urgency: "Normal", ExistingMail: ExistingQuiet, MaxAgeToAnswer: 24 * time.Hour,
		}},
		SMTP: SMTP{
			Host: "localhost", Port: 2525, TLS: TLSPlain, Auth: AuthLogin,
			Username: "desk", Password: "smtp-s3cret", HELO: "desk.example.com",
			Timeout: 10 * time.Second, Workers: 64, MaxRecipients: 50, MaxAttempts: 1, MaxAge: time.Minute,
			RetryBase: time.Second, RetryMax: time.Second,
		},
		Notifications: Notifications{
			TemplatesDir:      dir,
			RecipientLimits:   []Limit{{Window: time.Hour, Max: 3}},
			Breaker:           Breaker{Window: 10 * time.Second, Max: 1, Pause: 5 * time.Minute},
			BounceSuppression: 720 * time.Hour,
			TicketLimits:      []Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 60}},
			RelayLimits:       []Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 100}},
			Conversation:      Breaker{Window: 10 * time.Minute, Max: 20, Pause: time.Hour},
			TextBudget:        64 * 1000, AttachmentBudget: 10 * 1000 * 1000,
			Events: Events{
				TicketReceived:     Event{Enabled: false, To: []string{ToRequester}},
				AgentReply:         Event{Enabled: true, To: []string{ToRequester, "Supervisor@Example.com"}},
				StatusPending:      Event{Enabled: true, To: []string{ToRequester}},
				StatusResolved:     Event{Enabled: true, To: []string{ToRequester}},
				StatusClosed:       Event{Enabled: true, To: []string{ToRequester}},
				Reopened:           Event{Enabled: true, To: []string{ToRequester}},
				NewTicket:          Event{Enabled: true, To: []string{ToAssignee, ToTeam, "dispatch@example.net"}},
				RequesterReplied:   Event{Enabled: true, To: []string{ToAssignee}},
				SLAWarning:         Event{Enabled: true, To: []string{ToAssignee}},
				SLABreach:          Event{Enabled: false, To: []string{ToTeam}},
				SenderHeld:         Event{Enabled: true, To: []string{ToAssignee}},
				ConversationPaused: Event{Enabled: true, To: []string{ToTeam}},
			},
		},
		Teams: []Team{{Name: "first-line", Address: "first-line@example.com"}, {Name: "hr_2"}},
		Agents: []Agent{
			{Name: "Ann Example", Addresses: []string{"ann@example.com", "ann.example@example.net"}, Teams: []string{"first-line", "hr_2"}, Role: RoleLead},
			{Name: "Bob", Addresses: []string{"bob@example.com"}, Teams: []string{"hr_2"}, Role: RoleAgent},
		},
		Priorities:   defaultPriorities(),
		Calendars:    []Calendar{defaultOffice()},
		SLA:          defaultSLA(),
		Verification: Verification{CommandsExpireAfter: 720 * time.Hour},
		Digest:       Digest{Time: "08:00", DueWithin: 4 * time.Hour},
		Retention:    Retention{WebhookDeliveriesAfter: 720 * time.Hour},
		HTTP:         HTTP{Listen: DefaultListen},
		Log:          Log{Format: "text", Level: "info"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(full) =\n%+v, want\n%+v", got, want)
	}
	if got, want := got.Mailboxes[0].Addr(), "[::1]:10143"; got != want {
		t.Errorf("Addr() = %q, want %q", got, want)
	}
}

func TestExampleFile(t *testing.T) {
	c, err := Load("../deskgate.example.yaml", env(map[string]string{"IMAP_PASSWORD": "pw", "M365_CLIENT_SECRET": "cs",
		"CRM_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "DESKGATE_SECRET_1": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}))
	if err != nil {
		t.Fatalf("Load(../deskgate.example.yaml) error:\n%v", err)
	}
	if got, want := len(c.Mailboxes), 2; got != want {
		t.Errorf("Load(../deskgate.example.yaml) has %d mailboxes, want %d", got, want)
	}
	if got, want := c.SMTP.Addr(), "smtp.office365.com:587"; got != want {
		t.Errorf("Load(../deskgate.example.yaml) SMTP.Addr() = %q, want %q", got, want)
	}
	if got, want := len(c.Agents), 2; got != want {
		t.Errorf("Load(../deskgate.example.yaml) has %d agents, want %d", got, want)
	}
	if got, want := len(c.Teams), 2; got != want {
		t.Errorf("Load(../deskgate.example.yaml) has %d teams, want %d", got, want)
	}
	// The example shows the defaults of the notifications section.
	if got, want := c.Notifications, defaultNotifications(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(../deskgate.example.yaml) notifications =\n%+v, want the defaults\n%+v", got, want)
	}
	// It comments out the defaults of the priorities section.
	if got, want := c.Priorities, defaultPriorities(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(../deskgate.example.yaml) priorities =\n%+v, want the defaults\n%+v", got, want)
	}
	for _, n := range []struct {
		what      string
		got, want int
	}{
		{"categories", len(c.Categories), 3},
		{"calendars", len(c.Calendars), 2},
		{"SLA policies", len(c.SLA.Policies), 3},
		{"rules", len(c.Rules), 6},
	} {
		if n.got != n.want {
			t.Errorf("Load(../deskgate.example.yaml) has %d %s, want %d", n.got, n.what, n.want)
		}
	}
	if got := c.Calendar("stockholm").Days()[time.Monday]; got != "08:00-12:00,13:00-17:00" {
		t.Errorf("Load(../deskgate.example.yaml) Stockholm's Monday = %q, want a lunch break", got)
	}
	if got := c.Calendar("shanghai"); got == nil || len(got.Open) == 0 || len(got.Closed) == 0 {
		t.Errorf("Load(../deskgate.example.yaml) Shanghai calendar = %+v, want closed and open dates", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml", nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}
}

// smtpLine is an smtp section for tests that write their own file, to append at its end.
const smtpLine = "smtp: {host: localhost, tls: plain}\n"

// mb is minimal with extra lines appended to its mailbox, starting at line 10.
func mb(extra string) string { return minimal + extra }

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		// Structure.
		{"empty file", "", []string{
			"desk.name: is required", "desk.address: is required", "mailboxes: at least one mailbox is required",
			"smtp: is required (deskgate sends all its mail through this server)"}},
		// yaml.v3 places a parse error at the start of the enclosing block, not at the bad line.
		{"syntax error", "desk:\n  name: x\n address: y\n", []string{
			"2: did not find expected key"}},
		{"not a mapping", "- a\n- b\n", []string{
			"1:1: must be a mapping of keys to values, not a list"}},
		{"two documents", minimal + "---\ndesk: {}\n", []string{
			"10:1: only one YAML document is allowed"}},
		{"command rights shorter than an hour", minimal + "verification:\n  commands_expire_after: 30m\n", []string{
			"11:26: verification.commands_expire_after: must be at least 1h"}},
		{"unknown top-level key", "imap:\n  host: x\n" + minimal, []string{
			"1:1: imap: unknown key"}},
		{"unknown keys nested, all reported", mb("    pasword: x\n    tsl: implicit\n    colour: red\n"), []string{
			"10:5: mailboxes[0].pasword: unknown key (did you mean password?)",
			"11:5: mailboxes[0].tsl: unknown key (did you mean tls?)",
			"12:5: mailboxes[0].colour: unknown key"}},
		{"unknown key in desk", strings.Replace(minimal, "  name: Example Desk\n", "  name: Example Desk\n  adress: x\n", 1), []string{
			"3:3: desk.adress: unknown key (did you mean address?)"}},
		{"duplicate key", mb("    host: other.example.com\n"), []string{
			"10:5: mailboxes[0].host: duplicate key (first at line 7)"}},
		{"duplicate key and unknown key in one mapping", mb("    host: x\n    nope: 1\n"), []string{
			"10:5: mailboxes[0].host: duplicate key (first at line 7)",
			"11:5: mailboxes[0].nope: unknown key"}},
		{"section of the wrong kind", "desk: Example\n" + minimal[strings.Index(minimal, "smtp"):], []string{
			"1:7: desk: must be a mapping of keys to values, not a single value"}},
		{"mailboxes not a list", minimal[:strings.Index(minimal, "mailboxes")] + "mailboxes: support\n", []string{
			"5:12: mailboxes: must be a list, not a single value"}},
		{"type errors", mb("    port: banana\n    poll_interval: 30\n    max_message_size: lots\n    folder: [a, b]\n"), []string{
			"10:11: mailboxes[0].port: must be a whole number",
			"11:20: mailboxes[0].poll_interval: must be a duration such as 30s, 10m or 1h30m",
			"12:23: mailboxes[0].max_message_size: must be a size such as 25MB, 25MiB, 512KB or a number of bytes",
			"13:13: mailboxes[0].folder: must be a string, not a list"}},
		{"port out of int range", mb("    port: 99999999999999999999\n"), []string{
			"10:11: mailboxes[0].port: must be a whole number"}},

		// Secrets.
		{"unset variable", strings.Replace(minimal, "${IMAP_PASSWORD}", "${NOPE}", 1), []string{
			"9:15: mailboxes[0].password: NOPE is not set"}},
		{"two unset variables in one value", strings.Replace(minimal, "${IMAP_PASSWORD}", "${A}:${B}", 1), []string{
			"9:15: mailboxes[0].password: A is not set",
			"9:15: mailboxes[0].password: B is not set"}},
		{"variable set to empty", strings.Replace(minimal, "${IMAP_PASSWORD}", "${EMPTY}", 1), []string{
			"9:15: mailboxes[0].password: must not be empty"}},
		{"malformed reference", strings.Replace(minimal, "${IMAP_PASSWORD}", "${IMAP-PASSWORD}", 1), []string{
			"9:15: mailboxes[0].password: ${IMAP-PASSWORD} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)"}},
		{"unterminated reference", strings.Replace(minimal, "${IMAP_PASSWORD}", "${IMAP_PASSWORD", 1), []string{
			"9:15: mailboxes[0].password: unterminated ${ (write $${ for a literal ${)"}},
		{"expanded value of the wrong type", mb("    port: ${IMAP_PASSWORD}\n"), []string{
			"10:11: mailboxes[0].port: must be a whole number"}},

		// desk.
		{"desk values", "desk:\n  name: \"\"\n  address: Help Desk <help@example.com>\n  domain: exa mple.com\n  language: english-please\n" + minimal[strings.Index(minimal, "smtp"):], []string{
			"2:9: desk.name: must not be empty",
			"3:12: desk.address: must be a bare address such as help@example.com (the display name is desk.name)",
			"4:11: desk.domain: must be a domain name such as example.com",
			"5:13: desk.language: must be a BCP 47 language tag such as en, de or pt-BR"}},
		{"desk address not an address", strings.Replace(minimal, "help@example.com\nsmtp", "help.example.com\nsmtp", 1), []string{
			"3:12: desk.address: must be an email address such as help@example.com"}},
		{"desk address domain literal", strings.Replace(minimal, "help@example.com\nsmtp", "help@[192.0.2.1]\nsmtp", 1), []string{
			"3:12: desk.address: must be an email address such as help@example.com"}},

		// ingest.
		{"ingest ranges", "ingest:\n  workers: 0\n  batch_size: 5001\n  max_message_size: 2GB\n" + minimal, []string{
			"2:12: ingest.workers: must be between 1 and 256",
			"3:15: ingest.batch_size: must be between 1 and 5000",
			"4:21: ingest.max_message_size: must be between 1KiB and 1GiB"}},
		{"ingest size too small", "ingest:\n  max_message_size: 1023\n" + minimal, []string{
			"2:21: ingest.max_message_size: must be between 1KiB and 1GiB"}},
		{"parse budgets", "ingest:\n  max_mime_depth: 0\n  max_mime_parts: 100001\n  parse_timeout: 500ms\n" + minimal, []string{
			"2:19: ingest.max_mime_depth: must be between 1 and 1000",
			"3:19: ingest.max_mime_parts: must be between 1 and 100000",
			"4:18: ingest.parse_timeout: must be between 1s and 10m"}},

		// mailboxes.
		{"no mailboxes", "desk:\n  name: D\n  address: a@b.c\nmailboxes: []\n" + smtpLine, []string{
			"4:12: mailboxes: at least one mailbox is required"}},
		{"mailbox missing required keys", "desk:\n  name: D\n  address: a@b.c\nmailboxes:\n  - folder: INBOX\n" + smtpLine, []string{
			"5:5: mailboxes[0].name: is required",
			"5:5: mailboxes[0].host: is required",
			"5:5: mailboxes[0].username: is required",
			"5:5: mailboxes[0].password: one of password, oauth2 or oauth2_token is required"}},
		{"existing mail and age", minimal + "    existing_mail: ignore\n    max_age_to_answer: 30s\n", []string{
			"10:20: mailboxes[0].existing_mail: must be one of quiet, normal, skip",
			"11:24: mailboxes[0].max_age_to_answer: must be at least 1m"}},
		{"existing mail empty", minimal + "    existing_mail: \"\"\n", []string{
			"10:20: mailboxes[0].existing_mail: must not be empty"}},
		{"bad name and queue", strings.Replace(minimal, "name: support", "name: Support Desk", 1) + "    queue: First Line\n", []string{
			"6:11: mailboxes[0].name: must be 1 to 64 of a-z, 0-9, _ and -",
			"10:12: mailboxes[0].queue: must be 1 to 64 of a-z, 0-9, _ and -"}},
		{"host with port", strings.Replace(minimal, "imap.example.com", "imap.example.com:993", 1), []string{
			"7:11: mailboxes[0].host: must be a host name or IP address, without a port (use port:)"}},
		{"port range", mb("    port: 0\n"), []string{
			"10:11: mailboxes[0].port: must be between 1 and 65535"}},
		{"tls enum", mb("    tls: ssl\n"), []string{
			"10:10: mailboxes[0].tls: must be one of implicit, starttls, plain"}},
		{"tls plain remote", mb("    tls: plain\n"), []string{
			"10:10: mailboxes[0].tls: plain is only allowed for loopback hosts (localhost, 127.0.0.0/8, ::1); use implicit or starttls"}},
		{"tls plain private address", strings.Replace(minimal, "imap.example.com", "10.0.0.1", 1) + "    tls: plain\n", []string{
			"10:10: mailboxes[0].tls: plain is only allowed for loopback hosts (localhost, 127.0.0.0/8, ::1); use implicit or starttls"}},
		{"password and token", mb("    oauth2_token: ${M365_TOKEN}\n"), []string{
			"10:19: mailboxes[0].oauth2_token: password and oauth2_token are mutually exclusive; set only one"}},
		{"empty token", strings.Replace(minimal, "password: ${IMAP_PASSWORD}", "oauth2_token:", 1), []string{
			"9:18: mailboxes[0].oauth2_token: must not be empty"}},
		{"empty folder", mb("    folder: ''\n"), []string{
			"10:13: mailboxes[0].folder: must not be empty"}},
		{"durations", mb("    poll_interval: 500ms\n    idle_refresh: 29m\n    command_timeout: -1s\n"), []string{
			"10:20: mailboxes[0].poll_interval: must be at least 1s",
			"11:19: mailboxes[0].idle_refresh: must be at least 1s and less than 29m (servers may drop an IDLE after 30 minutes)",
			"12:22: mailboxes[0].command_timeout: must be at least 1s"}},
		{"mailbox max size", mb("    max_message_size: 0\n"), []string{
			"10:23: mailboxes[0].max_message_size: must be between 1KiB and 1GiB"}},
		{"mark enum", mb("    mark: flag\n"), []string{
			"10:11: mailboxes[0].mark: must be one of keyword, move, none"}},
		{"system flag keyword", mb("    keyword: \\Seen\n"), []string{
			"10:14: mailboxes[0].keyword: must be a keyword such as $Deskgate, not a system flag such as \\Seen"}},
		{"keyword not an atom", mb("    keyword: Desk gate\n"), []string{
			"10:14: mailboxes[0].keyword: must be an IMAP atom: printable ASCII without spaces or any of ( ) { % * \" \\ ]"}},
		{"keyword without mark keyword", mb("    mark: none\n    keyword: $Deskgate\n"), []string{
			"11:14: mailboxes[0].keyword: is only used with mark: keyword"}},
		{"move without move_to", mb("    mark: move\n"), []string{
			"10:11: mailboxes[0].move_to: is required when mark is move"}},
		{"move_to without move", mb("    move_to: Done\n"), []string{
			"10:14: mailboxes[0].move_to: is only used with mark: move"}},
		{"move_to same as folder", mb("    mark: move\n    move_to: INBOX\n"), []string{
			"11:14: mailboxes[0].move_to: must differ from folder"}},
		{"duplicate mailbox name", minimal + "  - name: support\n    host: imap2.example.com\n    username: u\n    password: p\n", []string{
			"10:11: mailboxes[1].name: duplicate mailbox name (first at line 6)"}},
		{"same folder twice", minimal + "  - name: other\n    host: IMAP.example.com\n    port: 993\n    username: help@example.com\n    password: p\n    folder: inbox\n", []string{
			"10:5: mailboxes[1]: reads the same folder of the same account as mailboxes[0] (line 6); a folder must be read by one mailbox only"}},

		// Many problems at once, in file order, nothing else suppressed.
		{"many problems", `desk:
  name: D
  address: nobody
ingest:
  batch_size: 0
  bogus: true
mailboxes:
  - name: a
    host: imap.example.com
    tls: plain
    username: u
    password: ${UNSET}
  - name: a
    host: imap.example.com
    username: u
    password: p
    oauth2_token: t
    idle_refresh: 30m
    mark: move
`, []string{
			"1:1: smtp: is required (deskgate sends all its mail through this server)",
			"3:12: desk.address: must be an email address such as help@example.com",
			"5:15: ingest.batch_size: must be between 1 and 5000",
			"6:3: ingest.bogus: unknown key",
			"10:10: mailboxes[0].tls: plain is only allowed for loopback hosts (localhost, 127.0.0.0/8, ::1); use implicit or starttls",
			"12:15: mailboxes[0].password: UNSET is not set",
			"13:11: mailboxes[1].name: duplicate mailbox name (first at line 8)",
			"17:19: mailboxes[1].oauth2_token: password and oauth2_token are mutually exclusive; set only one",
			"18:19: mailboxes[1].idle_refresh: must be at least 1s and less than 29m (servers may drop an IDLE after 30 minutes)",
			"19:11: mailboxes[1].move_to: is required when mark is move"}},

		// Aliases and merge keys.
		{"merge keys", `desk: {name: D, address: a@b.c}
mailboxes:
  - &common
    name: one
    host: imap.example.com
    username: u
    password: p
  - <<: *common
    name: two
    folder: Other
    colour: red
` + smtpLine, []string{
			"11:5: mailboxes[1].colour: unknown key"}},
		{"recursive alias", "desk: &d {name: *d}\n", []string{
			"1:1: mailboxes: at least one mailbox is required",
			"1:1: smtp: is required (deskgate sends all its mail through this server)",
			"1:7: desk.address: is required",
			"1:17: desk.name: must be a string, not a mapping"}},
		{"merge cycle", "desk: &d {<<: *d, name: D, address: a@b.c}\nmailboxes: []\n" + smtpLine, []string{
			"2:12: mailboxes: at least one mailbox is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.yaml, tt.want) })
	}
}

// checkProblems parses yaml with testEnv and checks that it reports exactly want (each
// Problem.String()), in order, without revealing a secret of testEnv.
func checkProblems(t *testing.T, yaml string, want []string) {
	t.Helper()
	_, err := Parse([]byte(yaml), "deskgate.yaml", testEnv)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Parse(%q) = %v, want an *Error", yaml, err)
	}
	var got []string
	for _, p := range cerr.Problems {
		got = append(got, p.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(%q) problems =\n  %s\nwant\n  %s", yaml, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "eyJ0eXAi") {
		t.Errorf("Parse(%q) error reveals a secret:\n%v", yaml, err)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{File: "deskgate.yaml", Problems: []Problem{
		{Line: 12, Column: 5, Path: "mailboxes[1].tls", Msg: "must be one of implicit, starttls, plain"},
		{Line: 3, Msg: "did not find expected key"},
		{Path: "desk.name", Msg: "is required"},
	}}
	want := "deskgate.yaml:12:5: mailboxes[1].tls: must be one of implicit, starttls, plain\n" +
		"deskgate.yaml:3: did not find expected key\n" +
		"deskgate.yaml: desk.name: is required"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("mailboxes: [&m0 {name: a}]\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "x%d: &m%d {<<: [*m%d, *m%d, *m%d, *m%d]}\n", i, i, i-1, i-1, i-1, i-1)
	}
	b.WriteString("desk: *m29\n")
	_, err := Parse([]byte(b.String()), "deskgate.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "desk: too deeply nested or too many aliases") {
		t.Errorf("Parse(alias bomb) = %v, want a problem about too many aliases", err)
	}
}

func TestSecrets(t *testing.T) {
	const key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	good := strings.Replace(minimal, "desk:\n", "desk:\n  secrets:\n    - {id: 2, secret: "+key+"}\n    - {id: 1, secret: "+key+"}\n", 1)
	c, err := Parse([]byte(good), "d.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse(two secrets) = %v", err)
	}
	if len(c.Desk.Secrets) != 2 || c.Desk.Secrets[0].ID != 2 {
		t.Errorf("Parse(two secrets) = %+v, want both, newest first", c.Desk.Secrets)
	}
	bad := strings.Replace(minimal, "desk:\n", "desk:\n  secrets:\n    - {id: 300, secret: "+key+"}\n    - {id: 1, secret: tooshort}\n    - {secret: "+key+"}\n", 1)
	_, err = Parse([]byte(bad), "d.yaml", testEnv)
	for _, want := range []string{"desk.secrets[0].id: must be between 1 and 255", "desk.secrets[1].secret: must be at least 32 random bytes", "desk.secrets[2].id: is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(bad secrets) = %v, want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "tooshort") {
		t.Errorf("Parse(bad secrets) error repeats the secret: %v", err)
	}
}

func TestTagPrefix(t *testing.T) {
	for prefix, ok := range map[string]bool{"HELP-": true, "#": true, "T1": false, "[X": false, "a b": false, "ABCDEFGHIJKLMNOPQ": false} {
		yaml := strings.Replace(minimal, "mailboxes:", "tickets:\n  tag_prefix: \""+prefix+"\"\nmailboxes:", 1)
		c, err := Parse([]byte(yaml), "d.yaml", testEnv)
		if ok && (err != nil || c.Tickets.TagPrefix != prefix) {
			t.Errorf("Parse(tag_prefix %q) = %v, want it accepted", prefix, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "tickets.tag_prefix")) {
			t.Errorf("Parse(tag_prefix %q) = %v, want a tickets.tag_prefix problem", prefix, err)
		}
	}
}

func TestCloseNotBeforeReopenWindowEnds(t *testing.T) {
	yaml := strings.Replace(minimal, "mailboxes:", "tickets:\n  reopen_window: 240h\n  close_resolved_after: 168h\nmailboxes:", 1)
	_, err := Parse([]byte(yaml), "d.yaml", testEnv)
	if err == nil || !strings.Contains(err.Error(), "tickets.close_resolved_after: must be at least tickets.reopen_window") {
		t.Errorf("Parse(close before the reopen window ends) = %v, want a problem", err)
	}
}

func TestRetention(t *testing.T) {
	for _, tc := range []struct {
		yaml     string
		want     time.Duration
		webhooks time.Duration
		err      string
	}{
		{"", 0, 720 * time.Hour, ""},
		{"retention:\n  closed_tickets_after: 0\n", 0, 720 * time.Hour, ""},
		{"retention:\n  closed_tickets_after: 2160h\n", 2160 * time.Hour, 720 * time.Hour, ""},
		{"retention:\n  closed_tickets_after: 24m\n", 0, 0, "retention.closed_tickets_after: must be at least 24h"},
		{"retention:\n  webhook_deliveries_after: 168h\n", 0, 168 * time.Hour, ""},
		{"retention:\n  webhook_deliveries_after: 24m\n", 0, 0, "retention.webhook_deliveries_after: must be at least 24h"},
		{"retention:\n  webhook_deliveries_after: 0\n", 0, 0, "retention.webhook_deliveries_after: must be at least 24h (finished deliveries are always removed in the end; the default, 720h, keeps them for 30 days)"},
	} {
		c, err := Parse([]byte(tc.yaml+minimal), "deskgate.yaml", testEnv)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Parse(%q) = %v, want %q", tc.yaml, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("Parse(%q) = %v", tc.yaml, err)
		case tc.err == "" && c.Retention.ClosedTicketsAfter != tc.want:
			t.Errorf("Parse(%q).Retention.ClosedTicketsAfter = %v, want %v", tc.yaml, c.Retention.ClosedTicketsAfter, tc.want)
		case tc.err == "" && c.Retention.WebhookDeliveriesAfter != tc.webhooks:
			t.Errorf("Parse(%q).Retention.WebhookDeliveriesAfter = %v, want %v", tc.yaml, c.Retention.WebhookDeliveriesAfter, tc.webhooks)
		}
	}
}
