// Package templates renders deskgate's notification emails: one template per
// event and language, embedded in the binary, parsed once by [Load] and
// rendered by [Set.Render] from a [Data] value.
//
// # Files
//
// files/<lang>/<event>.txt is a text/template: {{define "subject"}} is the
// subject and everything outside it is the text body. files/<lang>/<event>.html
// is an html/template that defines "content", which files/layout.html, one
// page for all languages, shows with {{template "content" .}}. Load(dir)
// replaces any of these files with the file at the same path under dir.
//
// # Functions
//
// The same in text and HTML templates, bound to the template's language:
//
//	date t       time t as a native speaker writes it: "Friday 6 March 2026, 16:20",
//	             "fredag 6 mars 2026 kl. 16.20"; "" for the zero time
//	target sla   the length of an SLA target: "4 business hours", "2 days"; "" for none
//	quote s      plain text s quoted: "> " lines, or in HTML an escaped blockquote
//	lines s      plain text s; in HTML escaped paragraphs, line breaks as <br>
//	marker       the language's "reply above this line" marker
//	more n       the line ending a text cut n bytes short: "[… 182 KB more in the ticket]"
//	size n       a size of n bytes: "2 KB", "14 MB"
//
// # Conventions
//
// Requester mail has the subject "Re: <ticket subject> <tag>" for every
// event and language, so that mail clients keep a ticket's mail in one
// conversation and a reply can be threaded by its tag; the body says what
// happened. Agent mail has "<tag> <what happened>: <ticket subject>". Render
// puts the [Marker] line on top of the text body; layout.html shows it on
// top of the HTML body.
//
// The caller passes names, values and codes, never sentences, which it could
// not localize: the templates word an SLA target by [SLA.Kind], each invalid
// email command by [CommandError.Problem] (commands-rejected, which also
// lists the commands, with the configured names in [Commands]) and why a
// reply was not verified by [Data.Reason] (reply-unverified). A template
// may define helper templates next to "subject" or "content", as
// commands-rejected does for its problem lines.
//
// # Limits
//
// Parsing finds syntax errors only; a misspelt field shows when the template
// runs, which [Set.Check] does for every event and language. Text bodies are
// not wrapped. Dates carry no time zone name. A new language needs code as
// well as files (its marker, date words and units). Traditional Chinese is
// not supported: [Match] gives it the fallback. A new email command, problem
// or reason needs its wording in every language's template; until then an
// unknown Problem or Reason code shows a generic line, and the list of
// commands in commands-rejected lacks the new command.
package templates
