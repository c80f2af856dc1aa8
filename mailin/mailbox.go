package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/deskgate/deskgate/metrics"
)

// TLSMode says how the IMAP connection is secured.
type TLSMode string

// TLS modes. TLSPlain sends the password in clear and is refused unless the
// host is a loopback address.
const (
	TLSImplicit TLSMode = "implicit" // TLS from the first byte, usually port 993
	TLSStartTLS TLSMode = "starttls" // plain connection upgraded with STARTTLS, usually port 143
	TLSPlain    TLSMode = "plain"    // no TLS at all; loopback hosts only
)

// Defaults applied by NewSyncer to zero fields of a Mailbox.
const (
	DefaultFolder         = "INBOX"
	DefaultPollInterval   = 30 * time.Second
	DefaultIdleRefresh    = 10 * time.Minute
	DefaultCommandTimeout = 60 * time.Second
	DefaultMarkKeyword    = "$Deskgate"
	DefaultMaxMessageSize = 25 << 20
	DefaultBatchSize      = 200
	DefaultLeaseTTL       = 10 * time.Second
	DefaultExistingMail   = HandleQuiet
	DefaultMaxAgeToAnswer = 24 * time.Hour

	maxBatchBytes   = 32 << 20
	maxIdleRefresh  = 29 * time.Minute
	headerSizeGuess = 16 << 10 // what an oversize stub counts against maxBatchBytes
)

// TokenSource hands out OAuth 2.0 access tokens (oauth.Source does).
type TokenSource interface {
	// Token returns a token valid for a while yet, or an error that
	// errors.As finds an *oauth.RefreshError in when the provider refused.
	Token(ctx context.Context) (string, error)
}

// renewer is a TokenSource that tells when it will renew the token it
// holds (oauth.Source does): a session ends itself before then.
type renewer interface {
	RenewAt() time.Time
}

// renewAt is when the session's token is renewed, zero when never.
func (mb *Mailbox) renewAt() time.Time {
	if r, ok := mb.OAuth2.(renewer); ok {
		return r.RenewAt()
	}
	return time.Time{}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Mailbox is the configuration of one desk mailbox.
type Mailbox struct {
	// Handoff, when set, passes what is captured to this process's
	// Processor (ProcessorConfig.Handoff), which then need not read it back.
	Handoff *Handoff

	Name      string  // configured name; the primary key of table mailboxes
	Addr      string  // host:port
	TLS       TLSMode // default TLSImplicit
	TLSConfig *tls.Config

	// Username is required, and exactly one of Password, OAuth2 (the
	// source of XOAUTH2 bearer tokens for Microsoft 365 or Gmail; one is
	// taken at each login) and OAuth2Token (a fixed bearer token, for
	// those who renew tokens themselves).
	Username, Password string
	OAuth2             TokenSource
	OAuth2Token        string

	Folder string // default "INBOX"
	Queue  string // the queue or team this mailbox feeds

	PollInterval   time.Duration // how often to poll when the server lacks IDLE; default 30s
	IdleRefresh    time.Duration // re-issue IDLE at least this often; default 10m, must be < 29m
	CommandTimeout time.Duration // the connection is dropped after this long without data from the server; default 60s

	// MarkKeyword is set on each message once it is captured. It defaults to
	// "$Deskgate" unless MoveTo is set, in which case "" means move only.
	MarkKeyword string
	// MoveTo, when set, is the folder captured messages are moved to; it
	// needs the MOVE capability, without which only the keyword is set.
	MoveTo string
	// MarkNone leaves captured mail untouched on the server: no keyword, no
	// move. It excludes MarkKeyword and MoveTo.
	MarkNone bool

	MaxMessageSize int64         // larger messages are captured as a header-only stub; default 25 MiB
	BatchSize      int           // messages per capture transaction; default 200 (and at most ~32 MiB)
	LeaseTTL       time.Duration // default 10s

	// ExistingMail is how mail already in the folder at the first
	// successful SELECT is handled: HandleQuiet (the default), HandleNormal
	// or HandleSkip.
	ExistingMail Handling
	// MaxAgeToAnswer: mail whose INTERNALDATE is older than this when it
	// is captured (after downtime) is handled quietly; default 24h.
	MaxAgeToAnswer time.Duration

	Metrics *metrics.Set // counts captures, sessions and IDLE wake-ups; nil counts nothing

	// progressEvery is how often a long catch-up logs its progress;
	// default 10s, tests lower it.
	progressEvery time.Duration
}

// withDefaults returns mb with zero fields set to their defaults.
func (mb Mailbox) withDefaults() Mailbox {
	if mb.TLS == "" {
		mb.TLS = TLSImplicit
	}
	if mb.Folder == "" {
		mb.Folder = DefaultFolder
	}
	if mb.PollInterval <= 0 {
		mb.PollInterval = DefaultPollInterval
	}
	if mb.IdleRefresh <= 0 {
		mb.IdleRefresh = DefaultIdleRefresh
	}
	if mb.CommandTimeout <= 0 {
		mb.CommandTimeout = DefaultCommandTimeout
	}
	if mb.MarkKeyword == "" && mb.MoveTo == "" && !mb.MarkNone {
		mb.MarkKeyword = DefaultMarkKeyword
	}
	if mb.MaxMessageSize <= 0 {
		mb.MaxMessageSize = DefaultMaxMessageSize
	}
	if mb.BatchSize <= 0 {
		mb.BatchSize = DefaultBatchSize
	}
	if mb.LeaseTTL <= 0 {
		mb.LeaseTTL = DefaultLeaseTTL
	}
	if mb.ExistingMail == "" {
		mb.ExistingMail = DefaultExistingMail
	}
	if mb.MaxAgeToAnswer <= 0 {
		mb.MaxAgeToAnswer = DefaultMaxAgeToAnswer
	}
	if mb.progressEvery <= 0 {
		mb.progressEvery = catchUpLogEvery
	}
	return mb
}

// Validate reports the first problem with mb's configuration, after
// defaults are applied.
func (mb Mailbox) Validate() error {
	mb = mb.withDefaults()
	if mb.Name == "" {
		return errors.New("mailin: mailbox name is empty")
	}
	host, _, err := net.SplitHostPort(mb.Addr)
	if err != nil {
		return fmt.Errorf("mailin: mailbox %q: address %q: %w", mb.Name, mb.Addr, err)
	}
	switch mb.TLS {
	case TLSImplicit, TLSStartTLS:
	case TLSPlain:
		if !isLoopback(host) {
			return fmt.Errorf("mailin: mailbox %q: tls %q is allowed only for loopback hosts, not %q: use %q or %q",
				mb.Name, TLSPlain, host, TLSImplicit, TLSStartTLS)
		}
	default:
		return fmt.Errorf("mailin: mailbox %q: unknown tls mode %q (want %q, %q or %q)",
			mb.Name, mb.TLS, TLSImplicit, TLSStartTLS, TLSPlain)
	}
	if mb.Username == "" {
		return fmt.Errorf("mailin: mailbox %q: username is empty", mb.Name)
	}
	if n := btoi(mb.Password != "") + btoi(mb.OAuth2Token != "") + btoi(mb.OAuth2 != nil); n != 1 {
		return fmt.Errorf("mailin: mailbox %q: set exactly one of password, oauth2 token source and oauth2 token", mb.Name)
	}
	if mb.IdleRefresh >= maxIdleRefresh {
		return fmt.Errorf("mailin: mailbox %q: idle refresh %v must be below %v", mb.Name, mb.IdleRefresh, maxIdleRefresh)
	}
	if mb.MarkNone && (mb.MarkKeyword != "" || mb.MoveTo != "") {
		return fmt.Errorf("mailin: mailbox %q: mark none excludes a keyword and a move-to folder", mb.Name)
	}
	if mb.MoveTo != "" && strings.EqualFold(mb.MoveTo, mb.Folder) {
		return fmt.Errorf("mailin: mailbox %q: move-to folder %q is the synced folder", mb.Name, mb.MoveTo)
	}
	if !slices.Contains(Handlings(), mb.ExistingMail) {
		return fmt.Errorf("mailin: mailbox %q: unknown existing mail handling %q (want %q, %q or %q)",
			mb.Name, mb.ExistingMail, HandleQuiet, HandleNormal, HandleSkip)
	}
	if strings.ContainsAny(mb.MarkKeyword, " ()[]{%*\"\\") {
		return fmt.Errorf("mailin: mailbox %q: keyword %q is not an IMAP atom", mb.Name, mb.MarkKeyword)
	}
	return nil
}

// isLoopback reports whether host is "localhost" or a loopback IP address.
// Names other than localhost are not resolved: a name can change address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
