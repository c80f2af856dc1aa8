// Package quote extracts the new content of a reply: the text the sender
// wrote, without the quoted history and signatures that mail clients add.
//
// The full body of every message is kept elsewhere; the result of Text and
// HTML is only used for rules and for notifications to agents, so the
// package prefers keeping a little too much to cutting what the sender
// wrote. The rules, in order of precedence:
//
//  1. deskgate's own "reply above this line" markers (Options.Markers, one
//     per language): the first line containing any of them and everything
//     after it are cut.
//  2. For HTML, the quote structures of common clients are removed from the
//     tree (Gmail, Apple Mail, Thunderbird, Outlook desktop and web, Yahoo)
//     before the rest is rendered as text.
//  3. Text rules: an "-----Original Message-----" separator, an unquoted
//     From/Sent/To header block, or an "On <date>, <name> wrote:"
//     attribution cuts everything after it; lines quoted with ">" are
//     dropped (non-quoted lines between them are kept, for interleaved
//     replies); a "-- " signature separator and trailing mobile signatures
//     ("Sent from my iPhone") are cut. Separators, header labels and
//     attributions are recognised in English, German, French, Spanish,
//     Swedish, Danish, Dutch and Chinese (and a few close relatives).
//  4. The result is never empty for a body with text: when stripping would
//     leave nothing, the whole text is returned.
//
// Limits: forwarded messages are treated like quotes, so the new content of
// a forward is the note above it (or the whole text when there is none).
// Text quoted by a client that neither prefixes ">" nor writes a recognised
// separator, header block or attribution is kept. A "--" line without the
// trailing space only counts as a signature separator when at most ten
// non-blank lines follow it. Mobile signatures are recognised only as the
// last lines of the new content. Every line starting with ">" counts as
// quoted, so pasted ">>>" prompts are dropped too. Mailing-list footers and
// signatures without a separator are kept. HTML renders to plain text
// without link targets, images or table layout; an HTML body without any
// text yields "".
package quote
