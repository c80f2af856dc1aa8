package templates

// Events: one notification each, named like its template files.
const (
	TicketReceived   = "ticket-received"   // to the requester: we have your request, ticket number, what happens next, the response target if any
	AgentReply       = "agent-reply"       // to the requester: an agent's public reply ("Agent Name via Desk"); the body is the agent's text
	StatusPending    = "status-pending"    // to the requester: we are waiting for your reply
	StatusResolved   = "status-resolved"   // to the requester: resolved; a reply within Ticket.ReopenDays reopens it
	StatusClosed     = "status-closed"     // to the requester: closed; a reply opens a new ticket
	Reopened         = "reopened"          // to the requester: your reply reopened the ticket
	NewTicket        = "new-ticket"        // to agents: a new ticket for your team, its summary and the requester's message
	RequesterReplied = "requester-replied" // to agents: the requester replied, with the new text
	SLAWarning       = "sla-warning"       // to agents: an SLA target falls due soon
	SLABreach        = "sla-breach"        // to agents: an SLA target was missed
	CommandsRejected = "commands-rejected" // to an agent: their reply's email commands had errors, so none applied and nothing was relayed; each error and the commands accepted
	ReplyUnverified  = "reply-unverified"  // to an agent: their reply could not be verified, so it was kept as ordinary correspondence; why, and how to reply
	SenderHeld       = "sender-held"       // to agents: someone who takes no part in the ticket wrote to it; their message is held as internal until an agent answers #accept
	// ConversationPaused goes to the ticket's team: mail between two
	// addresses was paused as a probable loop (Data.Pause says which,
	// why and until when).
	ConversationPaused = "conversation-paused"
	// Digest goes to one agent on their team's working days: the tickets
	// on their plate and the SLA targets falling due or missed (Data.Digest);
	// Data.Ticket is zero.
	Digest = "digest"
	// Assigned goes to a ticket's new assignee, or to the team it was
	// assigned to without a person: who or what assigned it
	// (Data.Assignment) and the ticket.
	Assigned = "assigned"
)

// Events returns every event, in the order of the constants above.
func Events() []string {
	return []string{TicketReceived, AgentReply, StatusPending, StatusResolved, StatusClosed, Reopened,
		NewTicket, RequesterReplied, SLAWarning, SLABreach, CommandsRejected, ReplyUnverified, SenderHeld, ConversationPaused, Digest, Assigned}
}

// ToAgents reports whether event is mail to agents rather than to the
// requester: true for new-ticket, requester-replied, sla-warning,
// sla-breach, commands-rejected, reply-unverified, sender-held,
// conversation-paused, digest and assigned.
func ToAgents(event string) bool {
	switch event {
	case NewTicket, RequesterReplied, SLAWarning, SLABreach, CommandsRejected, ReplyUnverified, SenderHeld, ConversationPaused, Digest, Assigned:
		return true
	}
	return false
}

// knownEvent reports whether event is one of Events.
func knownEvent(event string) bool {
	switch event {
	case TicketReceived, AgentReply, StatusPending, StatusResolved, StatusClosed, Reopened,
		NewTicket, RequesterReplied, SLAWarning, SLABreach, CommandsRejected, ReplyUnverified, SenderHeld, ConversationPaused, Digest, Assigned:
		return true
	}
	return false
}
