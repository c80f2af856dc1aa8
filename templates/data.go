package templates

import "time"

// Data is everything a template may use: the value of dot in every
// template. Templates must treat each string as untrusted text (html/template
// escapes it in HTML; text/template prints it as is). Times are shown in
// their own location, so the caller converts them to the recipient's or the
// desk's time zone first.
type Data struct {
	// Desk is the service desk sending the mail.
	Desk Desk
	// Ticket is the ticket the mail is about.
	Ticket Ticket
	// Recipient is who receives this email: the requester for
	// requester-facing events, the agent (or team) for agent-facing ones.
	Recipient Person
	// Message is the message this notification is about: the requester's
	// message for ticket-received, new-ticket, requester-replied and
	// reopened; the agent's reply for agent-reply. Zero for the status and
	// SLA events.
	Message Message
	// SLA is the service-level target the mail is about: the missed or
	// nearly due target for sla-warning and sla-breach, the first-response
	// target for ticket-received. Zero when no SLA applies.
	SLA SLA
	// Language is the locale being rendered, one of Languages. Render sets
	// it; a value given by the caller is ignored.
	Language string
}

// Desk is the service desk, as configured.
type Desk struct {
	Name    string // display name, e.g. "Nordvik IT Support"
	Address string // the desk's email address, e.g. "support@nordvik.example"
}

// Person is someone with an email address.
type Person struct {
	Name    string // display name; "" when unknown (templates then use Address or a neutral greeting)
	Address string // email address
}

// Ticket is the ticket as it stands after the change that caused the mail.
type Ticket struct {
	Number int64  // the ticket number, e.g. 1234
	Tag    string // the subject tag, already formatted by the caller, e.g. "[#1234]"
	// Subject is the ticket subject as the requester wrote it, without
	// reply prefixes or our tag; "" when the requester gave none.
	Subject   string
	Status    string    // new, open, pending, resolved or closed
	Priority  string    // a configured priority name such as "High"; "" when none
	Category  string    // a configured category name; "" when none
	Team      string    // the team the ticket is routed to; "" when none
	Assignee  string    // the assigned agent's display name; "" when unassigned
	Requester Person    // who opened the ticket
	Created   time.Time // when the ticket was opened
	// ReopenDays is for status-resolved: the number of days within which a
	// reply reopens the ticket; 0 when the caller does not say.
	ReopenDays int
}

// Message is one message of the conversation.
type Message struct {
	Author Person // who wrote it: the requester or a participant, or the agent for agent-reply
	// Text is the message's new content as plain text: quoted history
	// and signatures already removed. For agent-reply it is the agent's
	// reply as written, greeting included; the template adds the agent's
	// name and the desk below it.
	Text        string
	Sent        time.Time // zero when unknown
	Attachments []string  // file names, in message order
}

// SLA is one service-level target of the ticket.
//
// Templates word the target themselves, by Kind, and show its length with
// the target function, which localizes the number and unit and says when
// the time counts business hours only ("4 business hours", "4 arbetstimmar",
// "2 days"). The caller never passes pre-formatted text, which it could not
// localize.
type SLA struct {
	// Kind is which target: "response" (the first response) or
	// "resolution"; "" when no SLA applies.
	Kind string
	// Target is the length of the target, e.g. 4 * time.Hour; zero when
	// unknown. It is rounded to the minute when shown.
	Target time.Duration
	// Business reports that Target counts business hours only (the desk's
	// calendar), rather than elapsed time.
	Business bool
	// Due is when the target falls due (or fell due, for sla-breach); zero
	// when unknown.
	Due time.Time
}
