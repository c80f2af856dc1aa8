// Package rules evaluates a desk's ordered rules and holds the impact ×
// urgency priority matrix. It is pure: facts in, actions out, with no
// database and no clock but the one in the facts. ticketing applies the
// actions in its own transaction.
//
// A Rule has a Name, a trigger On (ticket.created, message.received,
// ticket.updated), a condition When and actions Then, and may Stop. Compile
// checks a whole rule set at load and rejects it on any error, naming the
// rule and, for conditions, the line and column (see LoadError). Evaluate
// runs the rules for one event in order; a matching rule's actions change a
// working copy of the ticket at once, so later conditions see them.
//
// # Conditions
//
// A condition is an [expr-lang/expr] expression that must yield a bool;
// "true" matches every event. It can use these names (see Facts):
//
//	event mailbox queue subject text full_text language class weekday   string
//	from.address from.domain from.name                                  string
//	to cc                                                               []string
//	attachments (each .name .type .size)                                list
//	hour                                                                int
//	known_requester business_hours                                      bool
//	ticket.{number status category impact urgency priority team         current ticket
//	        assignee language tags}
//	previous.{…same…}                                                   before the change (ticket.updated only)
//	header("Name")                                                      first value, "" if absent; name case-insensitive
//
// and all of expr's operators and builtins except now(), date() and
// timezone(), which would read the clock or the local time zone. Examples:
//
//	from.domain in ["acme.example", "globex.example"] && subject contains "invoice"
//	any(attachments, .type == "application/pdf") && !business_hours
//	header("X-Priority") startsWith "1" || lower(subject) matches "\\burgent\\b"
//	previous.priority != ticket.priority && ticket.priority == "High"
//
// # Actions
//
// category, impact, urgency, priority, team, assignee, status and language
// set a ticket field; add_tags and remove_tags change its tags (ignoring
// case); add_cc adds Cc participants; suppress_acknowledgement stops the
// automatic reply; ignore marks the message as spam or to be ignored, with a
// reason, and ends evaluation; send sends a named template; sla selects an
// SLA policy. Values are checked against Options at load and stored in the
// spelling of the Options list.
//
// # Limits
//
// Evaluate neither derives priority from impact and urgency (use
// Matrix.Priority) nor checks status transitions: the caller does both.
// Changes made by rules are not events themselves; if the caller raises
// ticket.updated for them, it must guard against rules that undo each other
// (ticketing stops them at a depth limit). A
// condition that fails at run time, such as cc[3] on a mail with one Cc, does
// not match and its error is in the Trace. Conditions have expr's memory
// budget but no time limit. Columns in errors count characters from 1, a tab
// as one; expr reports an unfinished condition at its last character.
// Evaluate checks the leading conjuncts of most conditions in Go before
// running expr (see guard.go), which changes its speed, never its result.
//
// [expr-lang/expr]: https://expr-lang.org/docs/language-definition
package rules
