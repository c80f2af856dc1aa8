// Package mailin brings mail in: IMAP sync, raw capture, parsing and
// classification, and hands each message to ticketing.
//
// A [Syncer] keeps one IMAP connection per configured [Mailbox], guarded by a
// lease row in the mailboxes table so that only one deskgate process syncs a
// mailbox at a time. It waits in IDLE (or polls when the server lacks IDLE),
// fetches new messages by UID with BODY.PEEK[] and records each one, raw, in
// the inbound table together with the mailbox cursor, one transaction per
// batch. Only after that commit is a message flagged or moved on the server;
// the cursor, not the server's flags, is the truth.
//
// Limits: a message larger than Mailbox.MaxMessageSize is captured as its
// header only (truncated). A message expunged by someone else between the
// size scan and the body fetch is skipped with a warning. Within one mailbox
// a message whose raw bytes are identical to an already captured one is not
// captured again, which is what makes a UIDVALIDITY change safe.
package mailin
