// Package mailout sends the outbox: it claims due notifications, composes
// each as a MIME message (go-mail), sends it over SMTP and records the
// outcome, retrying temporary failures with exponential back-off.
//
// A [Sender] runs a few workers, each holding one SMTP connection that it
// reuses for many messages. Workers claim batches of rows with a lease
// (ticketing.ClaimNotifications), so any number of deskgate processes can
// share one outbox; they wake on the outbox's PostgreSQL notification
// channel and poll as a fallback. [Compose] builds the message from the row
// alone, so a retry sends the same bytes under the same Message-ID.
//
// Outcomes follow the SMTP reply: 2xx is sent, 4xx, network errors and
// timeouts are retried, 5xx fails the notification for good (see [Config]
// for the exceptions). A circuit breaker stops automatic mail, but not mail
// a person wrote, when more automatic mail was queued recently than a mail
// loop-free desk would produce.
//
// Recipients count one by one: an email goes out in transactions of at most
// SenderConfig.MaxRecipients, and in more when the server takes fewer
// (452 4.5.3). A recipient refused for good is left out, one refused for
// now waits for the next attempt, which goes only to those not reached yet
// (ticketing stores them, also between transactions). An email the server
// refuses for its size goes out as a smaller version (see Compose).
//
// Limits: delivery is at least once. A crash (or a lost connection to
// PostgreSQL) after the server accepted a message but before the result is
// recorded sends it again when the lease runs out, with the same
// Message-ID, which lets receivers drop the duplicate; with several
// transactions, only the last one's recipients.
package mailout
