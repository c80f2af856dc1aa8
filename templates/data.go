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
	// reopened; the agent's reply for agent-reply, commands-rejected and
	// reply-unverified (the last two show only when it was sent). Zero for
	// the status and SLA events.
	Message Message
	// SLA is the service-level target the mail is about: the missed or
	// nearly due target for sla-warning and sla-breach, the first-response
	// target for ticket-received. Zero when no SLA applies.
	SLA SLA
	// Commands is, for commands-rejected, what was wrong with the email
	// commands of the agent's reply and what the commands accept. Zero for
	// every other event.
	Commands Commands
	// Reason is, for reply-unverified, why the reply could not be verified
	// as the agent's: one of the Reason constants. "" for every other
	// event.
	Reason string
	// Pause is, for conversation-paused, the conversation paused as a
	// probable mail loop. Zero for every other event.
	Pause Pause
	// Digest is, for digest, the agent's tickets. Zero for every other
	// event.
	Digest DigestInfo
	// Assignment is, for assigned, who or what assigned the ticket and to
	// whom. Zero for every other event.
	Assignment Assignment
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
	Text string
	// More is how many bytes of the text were left out to keep the mail
	// within its budget: the templates end the text with the more
	// function's line ("[… 182 KB more in the ticket]"); 0 when none were.
	More        int
	Sent        time.Time // zero when unknown
	Attachments []string  // file names, in message order
	// Withheld are, for agent-reply, new-ticket and requester-replied, the
	// message's files left out of the mail because they exceed its
	// attachment budget, which the templates list by name and size; nil
	// when every file is attached.
	Withheld []File
	// Images are, for new-ticket and requester-replied, the message's
	// inline images the mail carries, which HTML templates show with the
	// cid function (<img src="{{cid .ContentID}}">); nil when none.
	Images []Image
}

// Image is an inline image a mail carries as a related part.
type Image struct {
	Name      string // the file name; may be ""
	ContentID string // without angle brackets
}

// Assignment is a change of a ticket's assignee, for assigned.
//
// As with SLA, the caller passes a code and names, never sentences.
type Assignment struct {
	// By is what made the change: one of the AssignedBy constants.
	By string
	// Name is the agent's display name for AssignedByAgent, the rule's
	// name for AssignedByRule; "" otherwise.
	Name string
	// Team is the team the ticket was assigned to when it was assigned to
	// a team rather than to a person (the recipient is the team); "" when
	// it was assigned to the recipient.
	Team string
}

// AssignedBy: what assigned a ticket, for Assignment.By.
const (
	AssignedByAgent   = "agent"       // an agent, by email (#assign)
	AssignedByRule    = "rule"        // a rule of the desk
	AssignedByWarning = "sla-warning" // the SLA escalation when a target fell nearly due
	AssignedByBreach  = "sla-breach"  // the SLA escalation when a target was missed
	AssignedByAdmin   = "admin"       // an administrator, with the deskgate command
)

// File is a file by name and size.
type File struct {
	Name string
	Size int64 // in bytes; shown with the size function ("2 KB", "14 MB")
}

// Pause is a conversation between two addresses that deskgate stopped
// carrying: more mail passed between them, through the desk, than people
// write.
type Pause struct {
	Between [2]string // the two addresses, such as the requester's and an agent's
	Mails   int       // how many mails passed between them
	Minutes int       // within how many minutes
	Until   time.Time // when mail between them flows again
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

// Commands is what commands-rejected reports: each invalid line of the
// email commands at the top of an agent's reply, and the names the
// commands accept, for the list of commands the mail ends with.
//
// As with SLA, the caller passes codes, names and values, never sentences:
// the templates word each problem and describe each command in their own
// language.
type Commands struct {
	// Errors are the invalid command lines, in message order. A reply with
	// any invalid line applies none of its commands, so Errors lists the
	// invalid lines only.
	Errors []CommandError
	// Priorities, Impacts, Urgencies, Categories and Teams are the names
	// that #priority, #impact, #urgency, #category and "#assign team:"
	// accept, as configured and in the configuration's order. A nil list
	// shows as a placeholder ("#category <name>"); nil Teams leaves
	// "team:" out.
	Priorities []string
	Impacts    []string
	Urgencies  []string
	Categories []string
	Teams      []string
}

// Refused reports that every error is a refusal (ProblemAssignedToOther,
// ProblemOtherTeam, ProblemLeadOnly): the commands were right, but the
// agent may not give them, so the mail does not call them invalid.
func (c Commands) Refused() bool {
	for _, e := range c.Errors {
		switch e.Problem {
		case ProblemAssignedToOther, ProblemOtherTeam, ProblemLeadOnly:
		default:
			return false
		}
	}
	return len(c.Errors) > 0
}

// CommandError is one invalid command line of an agent's reply.
type CommandError struct {
	// Line is the line's number in the reply's new content, counting from
	// 1; 0 when unknown.
	Line int
	// Text is the line as the agent wrote it, e.g. "#priority Hgh".
	Text string
	// Problem is what is wrong with the line: one of the Problem
	// constants. Templates show any other value as a plain "invalid
	// command".
	Problem string
	// Value is what Problem is about, as the agent wrote it: the command
	// for ProblemUnknownCommand ("#stauts"), the value for the others
	// ("Hgh", "bob@", "99999"); "" when there is none.
	Value string
	// Allowed is, for ProblemInvalidValue and ProblemMissingValue, the
	// values the command accepts (the statuses, or the configured
	// priorities, impacts, urgencies or categories); nil when they are not
	// a short list.
	Allowed []string
}

// Problems: what is wrong with one command line, for CommandError.Problem.
const (
	ProblemUnknownCommand  = "unknown-command"  // not a command, e.g. "#stauts resolved"
	ProblemMissingValue    = "missing-value"    // a command that needs a value has none, e.g. "#priority"
	ProblemUnexpectedValue = "unexpected-value" // a command that takes no value has one, e.g. "#take bob"
	ProblemInvalidValue    = "invalid-value"    // the value is not one the command accepts, e.g. "#priority Hgh"
	ProblemUnknownAssignee = "unknown-assignee" // #assign names no configured agent or team, e.g. "#assign bob@"
	ProblemInvalidAddress  = "invalid-address"  // #cc names something that is not an email address, e.g. "#cc +bob@"
	ProblemUnknownTicket   = "unknown-ticket"   // #merge names no other ticket this one can be merged into
	ProblemConflict        = "conflict"         // contradicts another command of the same reply, e.g. "#close" after "#open"
	// The agent may not do this to the ticket (docs/agents.md's permission
	// table); Value names who may.
	ProblemAssignedToOther = "assigned-to-other" // the ticket is assigned to someone else; Value: their name
	ProblemOtherTeam       = "other-team"        // the ticket is of a team not the agent's; Value: the team
	ProblemLeadOnly        = "lead-only"         // only a lead of the ticket's teams may do it (reassign, move); Value: the team it would move to, if any
)

// Reasons: why an agent's reply could not be verified, for Data.Reason.
const (
	ReasonNoToken      = "no-token"      // the reply carries no token: it is not a reply to a notification of this desk
	ReasonOtherAgent   = "other-agent"   // the token was issued to someone else (another agent, or a team they are not in)
	ReasonOtherTicket  = "other-ticket"  // the token is for another ticket
	ReasonInvalidToken = "invalid-token" // the token is malformed or its signature does not verify (damaged or altered)
	ReasonRetiredKey   = "retired-key"   // the token was signed with a key that has since been retired
	ReasonDMARC        = "dmarc"         // require_dmarc is set and the trusted Authentication-Results shows no DMARC pass
	ReasonExpiredToken = "expired-token" // the token is older than its command lifetime: the reply threads but does not command
)

// DigestInfo is one agent's daily digest. Each list holds at most the
// caller's cap of tickets; the caller says how many more there are.
type DigestInfo struct {
	// At is when the digest was made, in the agent's calendar's zone.
	At time.Time
	// Lead reports that the recipient leads Teams: Assigned holds every
	// assigned ticket of those teams, and the SLA lists every ticket of
	// them; otherwise Assigned holds the recipient's own tickets and the
	// SLA lists those and the unassigned ones of their teams.
	Lead  bool
	Teams []string
	// Assigned are the open tickets assigned (to the recipient, or for a
	// lead to anyone in their teams), by status in lifecycle order: new,
	// open, pending, resolved; statuses without tickets are left out.
	Assigned []DigestStatus
	// Unassigned are the open tickets of Teams assigned to nobody.
	Unassigned []DigestTicket
	// DueSoon are the running SLA targets falling due within Window, and
	// Breached those already missed, soonest or longest overdue first;
	// each ticket's SLA says which target and when.
	DueSoon  []DigestTicket
	Breached []DigestTicket
	// Window is how far ahead DueSoon looks (Target and Business set).
	Window SLA
	// More is how many tickets the lists left out to keep the mail short.
	More int
	// Errors are, in the answer to a reply to a digest whose commands
	// were not applied, the invalid command lines (as for
	// commands-rejected); nil in the daily digest.
	Errors []CommandError
}

// DigestStatus is the tickets of one status.
type DigestStatus struct {
	Status  string // new, open, pending or resolved
	Tickets []DigestTicket
}

// DigestTicket is one line of a digest.
type DigestTicket struct {
	Number   int64
	Tag      string // the subject tag, e.g. "[#1234]"
	Subject  string // "" when the requester gave none
	Status   string
	Priority string // "" when none
	Team     string // "" when none
	Assignee string // the assigned agent's display name; "" when unassigned
	SLA      SLA    // for DueSoon and Breached: the target; zero otherwise
}
