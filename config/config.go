// Package config reads and validates deskgate.yaml, the one file that declares a desk: its
// address, the mailboxes it reads and how it ingests mail.
//
// The file is strict. Unknown keys, duplicate keys, values of the wrong type and invalid values
// are all errors, and Load reports every problem in one run, each with its line and column.
// Secrets are not written in the file but referenced as ${VAR} and taken from the environment;
// the database is not configured here at all but comes from DESKGATE_DATABASE_URL.
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
	c.setDefaults()
	return &c, nil
}
