// Package ticketing is deskgate's domain: tickets, their messages and
// participants, and the event log that explains every decision. It holds all
// SQL for those tables and knows nothing of IMAP, SMTP or MIME: the mail
// adapters hand it plain Inbound values.
package ticketing
