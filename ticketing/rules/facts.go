package rules

import "time"

// Triggers: the event a rule's On names. A rule runs only for its trigger.
const (
	OnCreated = "ticket.created"   // a new ticket was opened from a message
	OnMessage = "message.received" // a requester's reply was added to an existing ticket
	OnUpdated = "ticket.updated"   // a ticket's fields were changed (by an agent, a command or escalation)
)

// Facts is everything a condition can see. The name a condition uses is the
// field's expr tag; fields tagged "-" are not visible as names. The caller
// fills every field; Evaluate never looks at a clock, a database or the
// network.
type Facts struct {
	// Event is the trigger being evaluated: OnCreated, OnMessage or OnUpdated.
	Event string `expr:"event" json:"event"`
	// Mailbox is the configured name of the desk mailbox the message arrived in.
	Mailbox string `expr:"mailbox" json:"mailbox"`
	// Queue is the desk address or alias the message was sent to, as configured
	// (e.g. "billing@example.com"); "" when none matched.
	Queue string `expr:"queue" json:"queue"`
	// From is the sender of the message (for ticket.updated: the requester).
	From Person `expr:"from" json:"from"`
	// To and Cc are the message's recipients, lower-case bare addresses.
	To []string `expr:"to" json:"to"`
	Cc []string `expr:"cc" json:"cc"`
	// Subject is the decoded subject.
	Subject string `expr:"subject" json:"subject"`
	// Text is what the message adds: plain text with quoted history and
	// signature removed.
	Text string `expr:"text" json:"text"`
	// FullText is the whole plain-text body, quotes included.
	FullText string `expr:"full_text" json:"full_text"`
	// Headers maps lower-case header names to their first decoded value.
	// Conditions read it through header(name), which ignores the case of name
	// and returns "" for an absent header. Names not in lower case are
	// lower-cased once per Evaluate.
	Headers map[string]string `expr:"-" json:"headers"`
	// Attachments are the message's attachments (inline images included).
	Attachments []Attachment `expr:"attachments" json:"attachments"`
	// Language is the message's detected or declared language (e.g. "sv"); ""
	// when unknown.
	Language string `expr:"language" json:"language"`
	// Class is the sender class: "human", "auto_reply", "bounce", "list" or
	// "loop" (ticketing.Class).
	Class string `expr:"class" json:"class"`
	// KnownRequester is true when the sender already took part in an earlier
	// ticket.
	KnownRequester bool `expr:"known_requester" json:"known_requester"`
	// Now is the instant of the event, given by the caller. It is not visible
	// to conditions (they use hour, weekday and business_hours); it is kept so
	// a Result can be explained and replayed.
	Now time.Time `expr:"-" json:"now"`
	// Hour is the hour of Now (0–23) in the desk's time zone.
	Hour int `expr:"hour" json:"hour"`
	// Weekday is the day of Now in the desk's time zone: "mon", "tue", "wed",
	// "thu", "fri", "sat" or "sun" (see Weekday).
	Weekday string `expr:"weekday" json:"weekday"`
	// BusinessHours is true when Now falls inside the desk's business hours.
	BusinessHours bool `expr:"business_hours" json:"business_hours"`
	// Ticket is the ticket's current fields. During Evaluate, conditions see
	// the changes made by earlier matching rules.
	Ticket Ticket `expr:"ticket" json:"ticket"`
	// Previous is, for ticket.updated, the ticket before the change; the zero
	// Ticket for other triggers.
	Previous Ticket `expr:"previous" json:"previous"`
}

// Person is a mail address with its parts.
type Person struct {
	Address string `expr:"address" json:"address"` // lower-case bare address, e.g. "ann@example.com"
	Domain  string `expr:"domain" json:"domain"`   // lower-case domain of Address, e.g. "example.com"
	Name    string `expr:"name" json:"name"`       // decoded display name, "" if none
}

// Attachment describes one attachment of the message.
type Attachment struct {
	Name string `expr:"name" json:"name"` // file name as sent, "" if none
	Type string `expr:"type" json:"type"` // lower-case media type without parameters, e.g. "application/pdf"
	Size int64  `expr:"size" json:"size"` // decoded size in bytes
}

// Ticket is the subset of a ticket's fields that rules read and write.
type Ticket struct {
	Number   int64    `expr:"number" json:"number"`
	Status   string   `expr:"status" json:"status"`
	Category string   `expr:"category" json:"category"`
	Impact   string   `expr:"impact" json:"impact"`
	Urgency  string   `expr:"urgency" json:"urgency"`
	Priority string   `expr:"priority" json:"priority"`
	Team     string   `expr:"team" json:"team"`
	Assignee string   `expr:"assignee" json:"assignee"` // agent address, "" if unassigned
	Language string   `expr:"language" json:"language"`
	Tags     []string `expr:"tags" json:"tags"`
}

// Weekday returns the spelling Facts.Weekday uses for d: "sun", "mon", … "sat".
func Weekday(d time.Weekday) string {
	return weekdays[d%7]
}

var weekdays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
