package ticketing

import "time"

// Class says what kind of sender produced a message; only human mail may
// open a ticket or receive an automatic reply.
type Class string

// Message classes, in the order classification decides them.
const (
	ClassHuman     Class = "human"
	ClassAutoReply Class = "auto_reply" // out-of-office, vacation, challenge/response, receipts
	ClassBounce    Class = "bounce"     // delivery status notifications and non-delivery reports
	ClassList      Class = "list"       // mailing lists, newsletters, bulk mail
	ClassLoop      Class = "loop"       // deskgate's own mail coming back
)

// Address is a mailbox with an optional display name, both decoded.
type Address struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Attachment is an attached or inline part, fully decoded.
type Attachment struct {
	Filename    string
	ContentType string
	ContentID   string // without angle brackets; set for inline parts referenced by cid:
	Inline      bool
	Data        []byte
}

// Inbound is one received email, parsed and classified, as the mail
// adapter hands it to the domain. Every string is valid UTF-8.
type Inbound struct {
	// CaptureID is the inbound record the message was captured as.
	CaptureID int64
	// Mailbox is the configured name of the desk mailbox it arrived in, and
	// Queue the queue or team that mailbox feeds.
	Mailbox string
	Queue   string

	MessageID  string   // without angle brackets; "" when absent
	InReplyTo  []string // without angle brackets
	References []string // without angle brackets, oldest first
	// ThreadRoot is Outlook's conversation root from Thread-Index (base64 of
	// its first 22 bytes), or "".
	ThreadRoot string
	From       Address
	ReplyTo    []Address
	To         []Address
	Cc         []Address
	// EnvelopeTo are the addresses of Delivered-To and X-Original-To, where
	// a reply to a plus-address keeps its token when To is rewritten.
	EnvelopeTo []string
	Subject    string
	Date       time.Time // zero when absent or unparseable

	Text        string // text/plain body, or a text rendering of an HTML-only body
	NewText     string // Text without quoted history and signatures: what this message adds
	HTML        string // sanitised HTML body; cid: image references kept
	Attachments []Attachment

	Class Class
	// ClassReason names the signal that decided Class, e.g.
	// "Auto-Submitted: auto-replied" or "multipart/report delivery-status".
	ClassReason string
	// OriginalMessageID is, for a bounce or auto-reply, the Message-ID of the
	// message it reports on, when the report names one.
	OriginalMessageID string

	// Headers are the message's top-level header fields by lower-cased
	// name, the first value of each, decoded; for rules.
	Headers map[string]string
	// AuthResults are the message's Authentication-Results header fields,
	// topmost (most recently added) first.
	AuthResults []AuthResult
	// Languages are the languages the sender declared, from
	// Content-Language and then Accept-Language, as BCP 47 tags in order of
	// preference; nil when neither header is present or valid.
	Languages []string
	// DetectedLanguage is the BCP 47 tag of the language NewText is written
	// in, set only when detection is reliable; "" otherwise.
	DetectedLanguage string
	// Deliveries are, for a delivery status notification, the per-recipient
	// reports it carries (RFC 3464, or read from the text of a non-standard
	// bounce); nil for other mail.
	Deliveries []Delivery

	// OnBehalfOf is, for an agent's "#fwd" mail, the original sender the
	// ticket is for; ticketing sets it, adapters leave it nil.
	OnBehalfOf *Address

	// Quiet, when set, says why the message is handled quietly (it was in
	// the mailbox before deskgate was connected, or it is older than the
	// desk answers): it is ticketed and threaded as any other, but causes
	// no mail at all, starts no SLA clock, and an agent's commands in it
	// are not applied (see quiet.go).
	Quiet string

	// Truncated is set when the message was over the size limit and only its
	// header was captured; Text then explains what happened.
	Truncated bool

	derived derived // see Derive
}

// Delivery is one recipient's fate in a delivery status notification.
type Delivery struct {
	Recipient  string `json:"recipient"`  // the failed address, lower-cased; "" when not named
	Action     string `json:"action"`     // failed, delayed, delivered, relayed or expanded (RFC 3464), lower case
	Status     string `json:"status"`     // enhanced status code such as 5.1.1; "" when none
	Diagnostic string `json:"diagnostic"` // the remote server's reply, e.g. "550 5.1.1 user unknown"
}

// Permanent reports whether the delivery failed for good: a failed action
// or a 5.x.x status.
func (d Delivery) Permanent() bool {
	return d.Action == "failed" || len(d.Status) > 0 && d.Status[0] == '5'
}

// AuthResult is one Authentication-Results header field (RFC 8601): who
// added it and what it says about DMARC and DKIM.
type AuthResult struct {
	// ServID is the authserv-id, lower-cased; "" when the field has none
	// (Microsoft 365 writes it so).
	ServID string `json:"authserv_id"`
	// DMARC is the dmarc result (pass, fail, none, …), lower case; "" when
	// absent. DMARCFrom is its header.from, lower-cased.
	DMARC     string `json:"dmarc"`
	DMARCFrom string `json:"dmarc_from"`
	// DKIMPass lists the domains (header.d, lower-cased) of dkim=pass
	// results.
	DKIMPass []string `json:"dkim_pass"`
}
