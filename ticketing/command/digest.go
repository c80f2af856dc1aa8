package command

import (
	"strconv"
	"strings"
	"unicode"
)

// ParseDigest reads the command block at the top of a reply to a digest,
// a mail about many tickets: each command names its ticket first, by
// number with or without "#" ("#take 123", "#status 123 pending",
// "#assign #123 me"), then takes its arguments as in Parse. #note and #fwd
// are errors there, and a #note line below the block is not a note: a
// reply to a digest relays nothing, so Text is only what followed the
// block. Otherwise it is Parse: it never fails, problems are in Errors.
func ParseDigest(text string) Parsed {
	return parse(text, true)
}

// digestLine parses one command line of a reply to a digest whose name is
// word and whose ticket number and arguments are after.
func digestLine(word, after, raw string, n int) (Command, *Error) {
	fail := func(msg string) (Command, *Error) {
		return Command{}, &Error{Line: n, Raw: raw, Msg: msg}
	}
	switch word {
	case "note":
		return fail("#note: not in a reply to a digest: reply to a mail about the ticket to write a note")
	case "fwd":
		return fail("#fwd: not in a reply to a digest: forward the mail to the desk with #fwd on top")
	}
	s, ok := lookup(word)
	if !ok {
		return parseLine(word, after, raw, n, false) // the unknown command, with its "did you mean"
	}
	usage := "; usage: " + digestUsage(s.usage)
	first, rest := cutWord(after)
	if first == "" {
		return fail("#" + word + ": missing argument: the ticket number" + usage)
	}
	digits := strings.TrimPrefix(first, "#")
	ticket, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || ticket <= 0 || digits[0] == '+' {
		return fail("#" + word + ": bad ticket number " + strconv.Quote(first) + usage)
	}
	c, e := parseLine(word, rest, raw, n, false)
	if e != nil {
		// The usage names the ticket too.
		e.Msg = strings.Replace(e.Msg, "; usage: "+s.usage, usage, 1)
		return Command{}, e
	}
	c.Ticket = ticket
	return c, nil
}

// digestUsage is a command's usage with the ticket number after its name:
// "#status <ticket number> open|pending|resolved|closed".
func digestUsage(usage string) string {
	name, args, _ := strings.Cut(usage, " ")
	return strings.TrimSpace(name + " <ticket number> " + args)
}

// cutWord splits s into its first blank-separated word and the rest.
func cutWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(s, unicode.IsSpace)
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}
