// Package token signs and verifies deskgate's thread tokens: short strings
// that every outgoing mail carries in its Message-ID ("dg.<token>@domain")
// and in its plus-addressed Reply-To ("desk+<token>@domain"), and that a
// reply brings back in To, Cc, Delivered-To, X-Original-To, In-Reply-To or
// References. A token that verifies is the strongest threading evidence and
// is required before a reply may act as an agent; a token that does not
// verify is never trusted, only reported.
//
// # Layout
//
// A token is the lower-case RFC 4648 base32 encoding, without padding, of
//
//	version    1 byte   2 (1: a token without an issue time)
//	key id     1 byte   selects the secret in Keys
//	ticket     uvarint  Claims.Ticket      (1–10 bytes)
//	recipient  uvarint  Claims.Recipient   (1–10 bytes)
//	nonce      uvarint  Claims.Nonce       (1–10 bytes)
//	issued     uvarint  Claims.Issued      (1–10 bytes, not 0; version 2 only)
//	mac        10 bytes HMAC-SHA256(secret, label || all preceding bytes), truncated
//
// Sign writes version 2 for claims with an issue time and version 1, as
// before issue times existed, for claims without; Verify reads both, so
// tokens in mail sent before the issue time was added still verify. The
// version byte is under the MAC: a version-1 token cannot pass as version 2.
// where label is the fixed string "deskgate thread token" followed by a zero
// byte, so that a secret reused for another purpose cannot be made to sign
// thread tokens. The alphabet (a–z, 2–7) survives any mail transport in a
// local part or a Message-ID, and decoding ignores case because some MTAs
// lower- or upper-case local parts. Only the canonical encoding verifies:
// characters outside the alphabet, impossible lengths, non-zero trailing
// bits, non-minimal varints and trailing bytes are all ErrMalformed.
//
// A token is 24 to 84 characters long. It is at most 45 characters (so
// "desk+<token>" stays inside the 64-octet local-part limit of RFC 5321 for
// a desk local part of up to 18 octets) while Ticket and Recipient are below
// 2^28 (268 million), Nonce is below 2^35 and Issued below 2^21 (the year
// 2209); [MaxLen] states that bound; without an issue time, 40. Larger values
// still sign and verify, with longer tokens; [Keys.ReplyTo] then falls back
// to the bare desk address rather than produce a local part over 64 octets.
//
// # Why 80 bits of MAC are enough
//
// Truncating HMAC-SHA256 to 80 bits is the minimum RFC 2104 (section 5) and
// NIST SP 800-107 allow, and it is ample here: the key never leaves the
// server, so a forger has no offline test and must mail each guess to the
// desk, where it succeeds with probability 2^-80. At a million guesses a
// second that is about 38 billion years per expected success, and every
// failed guess is returned as invalid so it can be logged. Birthday bounds do
// not apply: seeing many genuine tokens does not help to forge one for other
// claims. Even a forged token would only thread mail; acting as an agent also
// needs the agent's From address and, where configured, DMARC.
//
// # Limits
//
// Tokens do not expire (Issued lets the caller limit what an old token may
// do) and are not secret from the people a mail was sent to: whoever holds a mail (or a forward of it) can reply into its ticket as
// its recipient. Removing a key id from Keys invalidates every token signed
// with it. Claims carry ids only; mapping them to tickets and participants,
// and checking that they still exist, is the caller's job.
package token
