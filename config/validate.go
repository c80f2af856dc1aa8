package config

import (
	"cmp"
	"fmt"
	"net/mail"
	"net/netip"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/language"

	"github.com/deskgate/deskgate/ticketing/token"
)

// Defaults, applied after validation to keys that are absent.
const (
	defaultLanguage = "en"
	// defaultCommandsExpireAfter is how long a reply token gives command
	// rights: 30 days.
	defaultCommandsExpireAfter = 720 * time.Hour
	defaultBatchSize           = 200
	defaultMaxMessageSize      = 25 * 1000 * 1000 // 25MB
	defaultMaxMIMEDepth        = 64
	defaultMaxMIMEParts        = 1000
	defaultParseTimeout        = 10 * time.Second
	defaultFolder              = "INBOX"
	defaultTLS                 = TLSImplicit
	defaultPollInterval        = 30 * time.Second
	defaultIdleRefresh         = 10 * time.Minute
	defaultCommandTimeout      = 60 * time.Second
	defaultMark                = MarkKeyword
	defaultKeyword             = "$Deskgate"
	defaultExistingMail        = ExistingQuiet
	defaultMaxAgeToAnswer      = 24 * time.Hour
	defaultLifecycle           = 7 * 24 * time.Hour
)

// Limits.
const (
	maxWorkers     = 256
	maxBatchSize   = 5000
	minMessageSize = 1 << 10 // 1KiB
	maxMessageSize = 1 << 30 // 1GiB
	maxIdleRefresh = 29 * time.Minute
	maxMIMEDepth   = 1000
	maxMIMEParts   = 100000
	maxParseTime   = 10 * time.Minute
)

// validator checks a decoded Config. Each check names the key it is about; the problem is
// placed at that key's value, or at the nearest enclosing key present in the file.
type validator struct{ d *decoder }

func (v validator) errorf(path, format string, args ...any) {
	v.errorAt(path, path, format, args...)
}

// errorAt is errorf for a problem with path placed at the value of another key, where the
// cause is written.
func (v validator) errorAt(where, path, format string, args ...any) {
	for p := path; ; p = parent(p) {
		if v.d.bad[p] {
			return // already reported as undecodable
		}
		if p == "" {
			break
		}
	}
	at := position{}
	for p := where; ; p = parent(p) {
		if pos, ok := v.d.pos[p]; ok {
			at = pos
			break
		}
		if p == "" {
			break
		}
	}
	v.d.problem(at.line, at.col, path, format, args...)
}

// has reports whether the key at path is present in the file, even with an empty value.
func (v validator) has(path string) bool {
	_, ok := v.d.pos[path]
	return ok
}

func (v validator) line(path string) int { return v.d.pos[path].line }

// parent returns the path enclosing path: mailboxes[1].tls → mailboxes[1] → mailboxes → "".
func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		return path[:strings.LastIndexByte(path, '[')]
	}
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return ""
	}
	return path[:i]
}

// required reports a missing or empty string.
func (v validator) required(path, s string) bool {
	switch {
	case !v.has(path):
		v.errorf(path, "is required")
	case s == "":
		v.errorf(path, "must not be empty")
	default:
		return true
	}
	return false
}

// notEmpty reports a key that is present with an empty value.
func (v validator) notEmpty(path, s string) bool {
	if v.has(path) && s == "" {
		v.errorf(path, "must not be empty")
		return false
	}
	return true
}

func (v validator) intRange(path string, n, lo, hi int) {
	if v.has(path) && (n < lo || n > hi) {
		v.errorf(path, "must be between %d and %d", lo, hi)
	}
}

func (v validator) size(path string, n ByteSize) {
	v.sizeRange(path, n, minMessageSize, maxMessageSize)
}

// sizeRange reports a size outside lo..hi.
func (v validator) sizeRange(path string, n, lo, hi ByteSize) {
	if v.has(path) && (n < lo || n > hi) {
		v.errorf(path, "must be between %v and %v", lo, hi)
	}
}

// minDuration reports a duration shorter than lo; it returns whether d is valid or absent.
func (v validator) minDuration(path string, d, lo time.Duration) bool {
	if v.has(path) && d < lo {
		v.errorf(path, "must be at least %s", shortDuration(lo))
		return false
	}
	return true
}

// shortDuration formats d as it would be written in the file: 1m rather than 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// minInt reports a number smaller than lo.
func (v validator) minInt(path string, n, lo int) {
	if v.has(path) && n < lo {
		v.errorf(path, "must be at least %d", lo)
	}
}

// requiredKey reports a missing key whose value is not a string.
func (v validator) requiredKey(path string) bool {
	if !v.has(path) {
		v.errorf(path, "is required")
		return false
	}
	return true
}

// defaultMaxParticipants is tickets.max_participants unless set: enough
// for a team on Cc, few enough that one message cannot make a mailing list.
const defaultMaxParticipants = 50

func validate(d *decoder, c *Config) {
	v := validator{d}
	v.desk(&c.Desk)
	v.ingest(&c.Ingest)
	v.retention(&c.Retention)
	v.http(&c.HTTP, &c.Log)
	v.minDuration("tickets.reopen_window", c.Tickets.ReopenWindow, time.Minute)
	v.minDuration("tickets.close_resolved_after", c.Tickets.CloseResolvedAfter, time.Minute)
	if v.has("tickets.close_resolved_after") && cmp.Or(c.Tickets.CloseResolvedAfter, defaultLifecycle) < cmp.Or(c.Tickets.ReopenWindow, defaultLifecycle) {
		v.errorf("tickets.close_resolved_after", "must be at least tickets.reopen_window, or tickets would close while replies may still reopen them")
	}
	if p := c.Tickets.TagPrefix; v.notEmpty("tickets.tag_prefix", p) && p != "" &&
		(len(p) > 16 || strings.ContainsAny(p, "[]［］ \t") || unicode.IsDigit(rune(p[len(p)-1]))) {
		v.errorf("tickets.tag_prefix", "must be 1 to 16 characters without brackets or spaces, not ending in a digit, such as # or HELP-")
	}
	v.intRange("tickets.max_participants", c.Tickets.MaxParticipants, 1, 1000)
	v.mailboxes(c.Mailboxes)
	v.smtp(&c.SMTP)
	v.delegatedLogins(c)
	v.notifications(&c.Notifications, c.Desk.Address)
	teams := v.teams(c.Teams, c.Desk.Address)
	v.agents(c.Agents, teams, c.Desk.Address)
	v.verification(&c.Verification)
	v.digest(&c.Digest)
	v.webhooks(c.Webhooks)

	r := refs{levelSets: v.priorities(&c.Priorities), teams: teams}
	r.calendars, r.defaultCalendar = v.calendars(c.Calendars), !v.has("calendars")
	v.sla(&c.SLA, &r, c.Desk.Address)
	v.teamsSLA(c.Teams, r, c.Desk.Address)
	r.categories = v.categories(c.Categories, r)
	v.mailboxLevels(c.Mailboxes, r.levelSets)
	v.rules(c, r)
}

// refs are the names that keys refer to, collected while validating. Each set is nil when its
// list could not be read: references to it are then not checked, so that one problem is not
// reported many times.
type refs struct {
	levelSets
	calendars  *names
	policies   *names
	categories *names          // also nil when no categories are configured: any is allowed
	teams      map[string]bool // as returned by validator.teams

	// defaultCalendar and defaultPolicy are set when the file lists no calendars or no
	// policies, which are then the defaults office and standard.
	defaultCalendar, defaultPolicy bool
}

func (v validator) desk(d *Desk) {
	v.required("desk.name", d.Name)
	if v.required("desk.address", d.Address) {
		v.addrSpec("desk.address", d.Address, "help@example.com", "the display name is desk.name")
	}
	if v.notEmpty("desk.domain", d.Domain) && d.Domain != "" && !validHost(d.Domain) {
		v.errorf("desk.domain", "must be a domain name such as example.com")
	}
	if v.notEmpty("desk.language", d.Language) && d.Language != "" {
		if _, err := language.Parse(d.Language); err != nil {
			v.errorf("desk.language", "must be a BCP 47 language tag such as en, de or pt-BR")
		}
	}
	ids := map[int]bool{}
	for i, s := range d.Secrets {
		path := fmt.Sprintf("desk.secrets[%d]", i)
		if v.has(path+".id") && (s.ID < 1 || s.ID > 255) {
			v.errorf(path+".id", "must be between 1 and 255")
		} else if !v.has(path + ".id") {
			v.errorf(path+".id", "is required")
		} else if ids[s.ID] {
			v.errorf(path+".id", "is used by another secret")
		}
		ids[s.ID] = true
		if v.required(path+".secret", s.Secret) {
			if _, err := token.ParseSecret(s.Secret); err != nil {
				v.errorf(path+".secret", "must be at least %d random bytes, written in hex or base64 (for example: openssl rand -hex 32)", token.MinSecretLen)
			}
		}
	}
}

func (v validator) ingest(in *Ingest) {
	v.intRange("ingest.workers", in.Workers, 1, maxWorkers)
	v.intRange("ingest.batch_size", in.BatchSize, 1, maxBatchSize)
	v.size("ingest.max_message_size", in.MaxMessageSize)
	v.intRange("ingest.max_mime_depth", in.MaxMIMEDepth, 1, maxMIMEDepth)
	v.intRange("ingest.max_mime_parts", in.MaxMIMEParts, 1, maxMIMEParts)
	if v.has("ingest.parse_timeout") && (in.ParseTimeout < time.Second || in.ParseTimeout > maxParseTime) {
		v.errorf("ingest.parse_timeout", "must be between 1s and %s", shortDuration(maxParseTime))
	}
}

var namePattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

func (v validator) mailboxes(ms []Mailbox) {
	if len(ms) == 0 {
		v.errorf("mailboxes", "at least one mailbox is required")
		return
	}
	names := map[string]string{}    // name → path of its first use
	accounts := map[string]string{} // host, port, user, folder → path of its first use
	for i := range ms {
		m := &ms[i]
		p := fmt.Sprintf("mailboxes[%d]", i)
		v.mailbox(p, m)
		if m.Name != "" && namePattern.MatchString(m.Name) {
			if first, dup := names[m.Name]; dup {
				v.errorf(p+".name", "duplicate mailbox name (first at line %d)", v.line(first+".name"))
			} else {
				names[m.Name] = p
			}
		}
		if m.Host != "" && m.Username != "" && !v.d.bad[p+".port"] {
			folder := cmp.Or(m.Folder, defaultFolder)
			if strings.EqualFold(folder, "INBOX") {
				folder = "INBOX" // RFC 3501: INBOX is case-insensitive
			}
			key := fmt.Sprintf("%s\x00%d\x00%s\x00%s", strings.ToLower(m.Host), m.port(), m.Username, folder)
			if first, dup := accounts[key]; dup {
				v.errorf(p, "reads the same folder of the same account as %s (line %d); a folder must be read by one mailbox only", first, v.line(first))
			} else {
				accounts[key] = p
			}
		}
	}
}

func (v validator) mailbox(p string, m *Mailbox) {
	if v.required(p+".name", m.Name) && !namePattern.MatchString(m.Name) {
		v.errorf(p+".name", "must be 1 to 64 of a-z, 0-9, _ and -")
	}
	if v.required(p+".host", m.Host) && !validHost(m.Host) {
		v.errorf(p+".host", "must be a host name or IP address, without a port (use port:)")
	}
	v.intRange(p+".port", m.Port, 1, 65535)
	switch m.TLS {
	case "", TLSImplicit, TLSStartTLS:
		v.notEmpty(p+".tls", string(m.TLS))
	case TLSPlain:
		if m.Host != "" && !isLoopback(m.Host) {
			v.errorf(p+".tls", "plain is only allowed for loopback hosts (localhost, 127.0.0.0/8, ::1); use implicit or starttls")
		}
	default:
		v.errorf(p+".tls", "must be one of implicit, starttls, plain")
	}
	v.required(p+".username", m.Username)
	switch hasPw, hasTok, hasOAuth := v.has(p+".password"), v.has(p+".oauth2_token"), v.has(p+".oauth2"); {
	case hasOAuth && (hasPw || hasTok):
		v.errorf(p+".oauth2", "oauth2 and %s are mutually exclusive; set only one", pick(hasPw, "password", "oauth2_token"))
	case hasPw && hasTok:
		v.errorf(p+".oauth2_token", "password and oauth2_token are mutually exclusive; set only one")
	case !hasPw && !hasTok && !hasOAuth:
		v.errorf(p+".password", "one of password, oauth2 or oauth2_token is required")
	case hasOAuth:
		if m.Name == "smtp" {
			v.errorf(p+".name", "smtp names the SMTP server in deskgate auth login; a mailbox with oauth2 needs another name")
		}
		v.oauth2(p+".oauth2", &m.OAuth2)
	default:
		v.notEmpty(p+".password", m.Password)
		v.notEmpty(p+".oauth2_token", m.OAuth2Token)
	}
	v.notEmpty(p+".folder", m.Folder)
	if v.notEmpty(p+".queue", m.Queue) && m.Queue != "" && !namePattern.MatchString(m.Queue) {
		v.errorf(p+".queue", "must be 1 to 64 of a-z, 0-9, _ and -")
	}
	v.minDuration(p+".poll_interval", m.PollInterval, time.Second)
	if v.has(p+".idle_refresh") && (m.IdleRefresh < time.Second || m.IdleRefresh >= maxIdleRefresh) {
		v.errorf(p+".idle_refresh", "must be at least 1s and less than 29m (servers may drop an IDLE after 30 minutes)")
	}
	v.minDuration(p+".command_timeout", m.CommandTimeout, time.Second)
	v.size(p+".max_message_size", m.MaxMessageSize)
	switch m.ExistingMail {
	case "":
		v.notEmpty(p+".existing_mail", "")
	case ExistingQuiet, ExistingNormal, ExistingSkip:
	default:
		v.errorf(p+".existing_mail", "must be one of quiet, normal, skip")
	}
	v.minDuration(p+".max_age_to_answer", m.MaxAgeToAnswer, time.Minute)

	mark := m.Mark
	switch mark {
	case "":
		if !v.notEmpty(p+".mark", "") {
			return
		}
		mark = defaultMark
	case MarkKeyword, MarkMove, MarkNone:
	default:
		v.errorf(p+".mark", "must be one of keyword, move, none")
		return
	}
	if mark == MarkKeyword {
		if v.notEmpty(p+".keyword", m.Keyword) && m.Keyword != "" {
			switch {
			case strings.HasPrefix(m.Keyword, `\`):
				v.errorf(p+".keyword", `must be a keyword such as $Deskgate, not a system flag such as \Seen`)
			case !validAtom(m.Keyword):
				v.errorf(p+".keyword", `must be an IMAP atom: printable ASCII without spaces or any of ( ) { %% * " \ ]`)
			}
		}
	} else if v.has(p + ".keyword") {
		v.errorf(p+".keyword", "is only used with mark: keyword")
	}
	if mark == MarkMove {
		switch {
		case !v.has(p + ".move_to"):
			v.errorAt(p+".mark", p+".move_to", "is required when mark is move")
		case m.MoveTo == "":
			v.errorf(p+".move_to", "must not be empty")
		case m.MoveTo == cmp.Or(m.Folder, defaultFolder):
			v.errorf(p+".move_to", "must differ from folder")
		}
	} else if v.has(p + ".move_to") {
		v.errorf(p+".move_to", "is only used with mark: move")
	}
}

// port returns the configured port or the default for the TLS mode.
func (m *Mailbox) port() int {
	switch {
	case m.Port != 0:
		return m.Port
	case m.TLS == TLSStartTLS || m.TLS == TLSPlain:
		return 143
	}
	return 993
}

// addrSpec reports whether s is a bare address (an RFC 5322 addr-spec whose domain is a host
// name or IP address), and reports a problem at path if not. The message shows example and, for
// an address with a display name, ends with hint in parentheses.
func (v validator) addrSpec(path, s, example, hint string) bool {
	a, err := mail.ParseAddress(s)
	switch {
	case err != nil || !validHost(domainOf(a.Address)):
		v.errorf(path, "must be an email address such as %s", example)
	case a.Address != s:
		v.errorf(path, "must be a bare address such as %s (%s)", example, hint)
	default:
		return true
	}
	return false
}

// bareAddress checks s, at path, as a bare address that is not the desk's, with example in the
// messages.
func (v validator) bareAddress(path, s, example, deskAddress string) bool {
	switch {
	case s == "":
		v.errorf(path, "must not be empty")
	case !v.addrSpec(path, s, example, "without a display name"):
	case isDeskAddress(s, deskAddress):
		v.errorf(path, "must not be the desk address or a plus-address of it")
	default:
		return true
	}
	return false
}

// isDeskAddress reports whether addr is desk or one of its plus-addresses (the Reply-To
// addresses that carry reply tokens), compared case-insensitively. Mail sent there comes back
// to the desk as new mail.
func isDeskAddress(addr, desk string) bool {
	i, j := strings.LastIndexByte(addr, '@'), strings.LastIndexByte(desk, '@')
	if i < 0 || j < 0 || !strings.EqualFold(addr[i+1:], desk[j+1:]) {
		return false
	}
	local, deskLocal := addr[:i], desk[:j]
	return strings.EqualFold(local, deskLocal) ||
		len(local) > len(deskLocal) && strings.EqualFold(local[:len(deskLocal)+1], deskLocal+"+")
}

func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

// validHost reports whether s is an IP address or a host name of letters, digits and hyphens.
func validHost(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// isLoopback reports whether host is localhost or a loopback address (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// validAtom reports whether s is an IMAP atom (RFC 3501 section 9): one or more ASCII
// characters other than controls, space and ( ) { % * " \ ].
func validAtom(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// setDefaults fills in absent values; it runs only on a valid Config. has reports whether a key
// was present in the file, for values whose zero is also a valid setting (a false boolean).
func (c *Config) setDefaults(has func(path string) bool) {
	d := &c.Desk
	if d.Domain == "" {
		d.Domain = strings.ToLower(domainOf(d.Address))
	}
	if d.Language == "" {
		d.Language = defaultLanguage
	} else {
		d.Language = language.Make(d.Language).String()
	}
	for i := range c.Webhooks {
		c.Webhooks[i].setDefaults()
	}
	c.Retention.setDefaults()
	c.Tickets.ReopenWindow = cmp.Or(c.Tickets.ReopenWindow, defaultLifecycle)
	c.Verification.CommandsExpireAfter = cmp.Or(c.Verification.CommandsExpireAfter, defaultCommandsExpireAfter)
	c.Tickets.TagPrefix = cmp.Or(c.Tickets.TagPrefix, "#")
	c.Tickets.MaxParticipants = cmp.Or(c.Tickets.MaxParticipants, defaultMaxParticipants)
	c.Tickets.CloseResolvedAfter = cmp.Or(c.Tickets.CloseResolvedAfter, defaultLifecycle)
	in := &c.Ingest
	if in.Workers == 0 {
		// One core is left to the transaction that applies batches in
		// order (see mailin.ProcessorConfig.Workers).
		in.Workers = max(1, min(runtime.GOMAXPROCS(0)-1, maxWorkers))
	}
	if in.BatchSize == 0 {
		in.BatchSize = defaultBatchSize
	}
	if in.MaxMessageSize == 0 {
		in.MaxMessageSize = defaultMaxMessageSize
	}
	in.MaxMIMEDepth = cmp.Or(in.MaxMIMEDepth, defaultMaxMIMEDepth)
	in.MaxMIMEParts = cmp.Or(in.MaxMIMEParts, defaultMaxMIMEParts)
	in.ParseTimeout = cmp.Or(in.ParseTimeout, defaultParseTimeout)
	for i := range c.Mailboxes {
		m := &c.Mailboxes[i]
		if m.TLS == "" {
			m.TLS = defaultTLS
		}
		m.Port = m.port()
		m.Folder = cmp.Or(m.Folder, defaultFolder)
		m.Queue = cmp.Or(m.Queue, m.Name)
		if m.PollInterval == 0 {
			m.PollInterval = defaultPollInterval
		}
		if m.IdleRefresh == 0 {
			m.IdleRefresh = defaultIdleRefresh
		}
		if m.CommandTimeout == 0 {
			m.CommandTimeout = defaultCommandTimeout
		}
		if m.Mark == "" {
			m.Mark = defaultMark
		}
		if m.Mark == MarkKeyword && m.Keyword == "" {
			m.Keyword = defaultKeyword
		}
		if m.MaxMessageSize == 0 {
			m.MaxMessageSize = in.MaxMessageSize
		}
		m.ExistingMail = cmp.Or(m.ExistingMail, defaultExistingMail)
		m.MaxAgeToAnswer = cmp.Or(m.MaxAgeToAnswer, defaultMaxAgeToAnswer)
	}
	c.SMTP.setDefaults(d.Domain)
	c.Notifications.setDefaults(has)
	for i := range c.Agents {
		c.Agents[i].setDefaults()
	}
	c.Digest.setDefaults()
	c.setRoutingDefaults(has)
}

// setRoutingDefaults fills in the priorities, calendars, SLA and rules, and spells every
// reference to a level, calendar, policy or category as the name it refers to is spelt.
func (c *Config) setRoutingDefaults(has func(path string) bool) {
	r := refs{levelSets: c.Priorities.setDefaults()}
	if len(c.Calendars) == 0 {
		c.Calendars = []Calendar{{Name: defaultCalendar}}
	}
	var list []string
	for i := range c.Calendars {
		c.Calendars[i].setDefaults(fmt.Sprintf("calendars[%d]", i), has)
		list = append(list, c.Calendars[i].Name)
	}
	r.calendars = newNames(list...)
	r.policies = c.SLA.setDefaults(has, r)
	list = nil
	for i := range c.Categories {
		cat := &c.Categories[i]
		cat.Impact, cat.Urgency = r.impacts.canon(cat.Impact), r.urgencies.canon(cat.Urgency)
		cat.SLA = r.policies.canon(cat.SLA)
		list = append(list, cat.Name)
	}
	if len(list) > 0 {
		r.categories = newNames(list...)
	}
	for i := range c.Mailboxes {
		m := &c.Mailboxes[i]
		m.Impact = defaultLevel(r.impacts, m.Impact, c.Priorities.DefaultImpact)
		m.Urgency = defaultLevel(r.urgencies, m.Urgency, c.Priorities.DefaultUrgency)
	}
	for i := range c.Teams {
		c.Teams[i].Calendar = r.calendars.canon(c.Teams[i].Calendar)
	}
	for i := range c.Rules {
		c.Rules[i].setDefaults(r)
	}
}

// broken reports whether the value at path, or a value enclosing it, could not be decoded; its
// problem is reported already.
func (v validator) broken(path string) bool {
	for p := path; ; p = parent(p) {
		if v.d.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// unique reports key, at path, as a duplicate ("duplicate what (first at line N)") if seen has
// it, and otherwise remembers path as its first use. It returns whether key was new.
func (v validator) unique(seen map[string]string, key, path, what string) bool {
	if first, dup := seen[key]; dup {
		v.errorf(path, "duplicate %s (first at line %d)", what, v.line(first))
		return false
	}
	seen[key] = path
	return true
}

// names is a list of configured names that other keys refer to, such as the priority levels,
// matched case-insensitively. A nil *names is a list that could not be read (its problem is
// reported already): every reference to it is accepted.
type names struct {
	list  []string          // as written, in order
	index map[string]string // lower-cased → as written
}

func newNames(list ...string) *names {
	n := &names{index: map[string]string{}}
	for _, s := range list {
		if _, dup := n.index[strings.ToLower(s)]; !dup {
			n.list = append(n.list, s)
			n.index[strings.ToLower(s)] = s
		}
	}
	return n
}

// find returns the configured spelling of s.
func (n *names) find(s string) (string, bool) {
	if n == nil {
		return s, true
	}
	c, ok := n.index[strings.ToLower(s)]
	return c, ok
}

// canon returns the configured spelling of s, or s itself when it is not listed.
func (n *names) canon(s string) string {
	c, _ := n.find(s)
	return c
}

func (n *names) String() string { return strings.Join(n.list, ", ") }

// known reports, at path, a value that is present but empty or that set does not list; msg
// says what it must be instead. It returns whether s is a usable reference (absent counts).
func (v validator) known(path, s string, set *names, msg string) bool {
	if !v.notEmpty(path, s) {
		return false
	}
	if s == "" {
		return true
	}
	if _, ok := set.find(s); !ok {
		v.errorf(path, "%s", msg)
		return false
	}
	return true
}

// level reports, at path, a value that is not one of the levels in set.
func (v validator) level(path, s string, set *names) bool {
	if set == nil {
		return v.notEmpty(path, s)
	}
	return v.known(path, s, set, "must be one of "+set.String())
}

// verification checks how agents' replies are verified.
func (v validator) verification(vf *Verification) {
	for i, id := range vf.TrustedAuthServIDs {
		p := fmt.Sprintf("verification.trusted_authserv_ids[%d]", i)
		if v.notEmpty(p, id) && strings.ContainsAny(id, " \t;()") {
			v.errorf(p, "must be an authserv-id such as mx.google.com, without spaces or comments")
		}
	}
	v.minDuration("verification.commands_expire_after", vf.CommandsExpireAfter, time.Hour)
	if vf.RequireDMARC && len(vf.TrustedAuthServIDs) == 0 && !vf.TrustUnnamed {
		v.errorf("verification.require_dmarc", "needs verification.trusted_authserv_ids (or trust_unnamed for Microsoft 365): whose Authentication-Results to believe")
	}
}
