// Package command reads the email commands an agent writes at the top of
// a reply ("#status resolved", "#assign me", "#note") and, for a mail
// forwarded with #fwd, the original sender.
//
// It checks syntax only. Whether a priority, impact, urgency, category,
// agent or team exists, and whether a status change is allowed, is for the
// caller to decide against its configuration and the ticket.
package command

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is one command line.
type Command struct {
	// Name is the canonical name: status, priority, impact, urgency,
	// category, assign, take, tag, cc, accept, merge, note or fwd. The shorthands
	// #open, #pending, #resolve(d) and #close(d) are status commands.
	Name string
	// Args are the arguments: for status the lower-case status; for
	// priority, impact and category the rest of the line, blanks collapsed;
	// for assign one word (an address, "me" or "team:<name>"); for tag and
	// cc one entry each, always with its + or - sign; for accept the
	// addresses, if any; for merge the ticket number in decimal without
	// "#"; none for take, note and fwd.
	Args []string
	// Line is the 1-based line number in the text given to Parse.
	Line int
	// Raw is the line as written, without surrounding blanks.
	Raw string
	// Ticket is, in a reply to a digest (ParseDigest), the ticket the
	// command names; 0 from Parse, whose commands are about the ticket
	// replied to.
	Ticket int64
}

// Error is a syntax error in a command line.
type Error struct {
	Line int    // 1-based line number
	Raw  string // the line as written, without surrounding blanks
	Msg  string // what is wrong, with the usage of the command
}

// Parsed is what Parse found in the new content of a reply.
type Parsed struct {
	// Commands are the valid commands, in order.
	Commands []Command
	// Text is what remains to relay: the content after the command block
	// up to a #note line, without surrounding blanks, with "\n" line
	// endings; "" when nothing remains.
	Text string
	// Note is the internal note: everything after #note (including the
	// rest of its line), without surrounding blanks; "" if none.
	Note string
	// Errors are the syntax errors, in order.
	Errors []Error
}

// arity says how a command takes its arguments.
type arity int

const (
	none    arity = iota // no argument
	one                  // exactly one word
	rest                 // the rest of the line, at least one word
	list                 // one or more entries, separated by blanks or commas
	optList              // like list, but none at all is allowed too
)

// spec describes one command name as it may be written.
type spec struct {
	name  string // canonical name
	arg   string // the fixed argument of a shorthand
	arity arity
	usage string
}

// specs are the command names in the order Help lists them.
var specs = []struct {
	word string
	spec
}{
	{"status", spec{"status", "", one, "#status open|pending|resolved|closed"}},
	{"open", spec{"status", "open", none, "#open"}},
	{"pending", spec{"status", "pending", none, "#pending"}},
	{"resolve", spec{"status", "resolved", none, "#resolve"}},
	{"resolved", spec{"status", "resolved", none, "#resolved"}},
	{"close", spec{"status", "closed", none, "#close"}},
	{"closed", spec{"status", "closed", none, "#closed"}},
	{"priority", spec{"priority", "", rest, "#priority <name>"}},
	{"impact", spec{"impact", "", rest, "#impact <level>"}},
	{"urgency", spec{"urgency", "", rest, "#urgency <level>"}},
	{"category", spec{"category", "", rest, "#category <name>"}},
	{"assign", spec{"assign", "", one, "#assign <agent address>|me|team:<name>"}},
	{"take", spec{"take", "", none, "#take"}},
	{"tag", spec{"tag", "", list, "#tag +name -name …"}},
	{"cc", spec{"cc", "", list, "#cc +address -address …"}},
	{"accept", spec{"accept", "", optList, "#accept [address …]"}},
	{"merge", spec{"merge", "", one, "#merge <ticket number>"}},
	{"note", spec{"note", "", none, "#note"}},
	{"fwd", spec{"fwd", "", none, "#fwd"}},
}

// help is the text of Help, one line per command or group of shorthands.
var help = []string{
	"#status open|pending|resolved|closed: set the status",
	"#open, #pending, #resolve or #resolved, #close or #closed: short for #status open, pending, resolved, closed",
	"#priority <name>: set the priority",
	"#impact <level>: set the impact",
	"#urgency <level>: set the urgency",
	"#category <name>: set the category",
	"#assign <agent address>|me|team:<name>: assign the ticket to an agent, yourself or a team",
	"#take: assign the ticket to yourself",
	"#tag +name -name …: add (+, or no sign) and remove (-) tags",
	"#cc +address -address …: add (+, or no sign) and remove (-) people in Cc",
	"#accept [address …]: let the senders whose mail this ticket holds (or those named) take part in it",
	"#merge <ticket number>: merge this ticket into that one",
	"#note: everything below, and the rest of this line, is an internal note never sent to the requester",
	"#fwd: as the first line of a mail you forward to the desk, open a ticket for the original sender",
}

// Help returns the one-line usage of every command, for error replies.
func Help() []string {
	return append([]string(nil), help...)
}

func lookup(word string) (spec, bool) {
	for _, s := range specs {
		if s.word == word {
			return s.spec, true
		}
	}
	return spec{}, false
}

// Parse reads the command block at the top of text, the new content of a
// reply after quote stripping. Blank lines before and between commands
// are skipped; the first other line that is not a command ends the block
// and starts the text to relay. A command is "#" and a letter at the
// start of a line (after blanks); "#1 …", "# heading" and a lone "#" are
// ordinary text. Command names are case-insensitive; an unknown one at
// the top is an error. A #note line, in the block or later, makes
// everything after it the internal Note. Parse never fails: problems are
// in Errors.
func Parse(text string) Parsed {
	return parse(text, false)
}

// parse is Parse, or with digest ParseDigest.
func parse(text string, digest bool) Parsed {
	text = normalize(text)
	var p Parsed
	lines := lineOffsets(text)
	textStart := len(text) // where the text to relay begins
	seen := false          // a command line (valid or not) came before
	i := 0
	for ; i < len(lines); i++ {
		line := text[lines[i].start:lines[i].end]
		trimmed := trimBlank(line)
		if trimmed == "" {
			continue
		}
		word, after, ok := commandWord(trimmed)
		if !ok {
			textStart = lines[i].start
			break
		}
		n := i + 1
		if digest {
			c, err := digestLine(word, after, trimmed, n)
			if err != nil {
				p.Errors = append(p.Errors, *err)
			} else {
				p.Commands = append(p.Commands, c)
			}
			continue
		}
		if word == "note" {
			p.Commands = append(p.Commands, Command{Name: "note", Line: n, Raw: trimmed})
			p.Note = strings.TrimSpace(text[suffixStart(text, lines[i], after):])
			return p
		}
		c, err := parseLine(word, after, trimmed, n, !seen)
		seen = true
		if err != nil {
			p.Errors = append(p.Errors, *err)
			continue
		}
		p.Commands = append(p.Commands, c)
	}
	// A #note line further down starts the note.
	end := len(text)
	for ; i < len(lines) && !digest; i++ {
		trimmed := trimBlank(text[lines[i].start:lines[i].end])
		if word, after, ok := commandWord(trimmed); ok && word == "note" {
			p.Commands = append(p.Commands, Command{Name: "note", Line: i + 1, Raw: trimmed})
			p.Note = strings.TrimSpace(text[suffixStart(text, lines[i], after):])
			end = lines[i].start
			break
		}
	}
	p.Text = strings.TrimSpace(text[textStart:end])
	return p
}

// parseLine parses one command line whose name is word and whose
// arguments are after. first is whether it is the first command line.
func parseLine(word, after, raw string, n int, first bool) (Command, *Error) {
	fail := func(msg string) (Command, *Error) {
		return Command{}, &Error{Line: n, Raw: raw, Msg: msg}
	}
	s, ok := lookup(word)
	if !ok {
		msg := "unknown command #" + word
		if guess := closest(word); guess != "" {
			msg += "; did you mean #" + guess + "?"
		}
		return fail(msg)
	}
	prefix := "#" + word + ": "
	usage := "; usage: " + s.usage
	args := strings.Fields(after)
	c := Command{Name: s.name, Line: n, Raw: raw}
	switch s.arity {
	case none:
		if len(args) > 0 {
			return fail(prefix + "unexpected argument " + strconv.Quote(args[0]) + usage)
		}
		if s.arg != "" {
			c.Args = []string{s.arg}
		}
		if s.name == "fwd" && !first {
			return fail(prefix + "must be the first command line of the mail" + usage)
		}
		return c, nil
	case rest:
		if len(args) == 0 {
			return fail(prefix + "missing argument" + usage)
		}
		c.Args = []string{strings.Join(args, " ")}
		return c, nil
	case one:
		if s.name == "assign" && len(args) == 2 && strings.EqualFold(args[0], "team:") {
			args = []string{args[0] + args[1]} // "#assign team: support"
		}
		if len(args) == 0 {
			return fail(prefix + "missing argument" + usage)
		}
		if len(args) > 1 {
			return fail(prefix + "unexpected argument " + strconv.Quote(args[1]) + usage)
		}
		arg, msg := oneArg(s.name, args[0])
		if msg != "" {
			return fail(prefix + msg + usage)
		}
		c.Args = []string{arg}
		return c, nil
	default: // list, optList
		entries := strings.FieldsFunc(after, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
		if len(entries) == 0 && s.arity == optList {
			return c, nil
		}
		if len(entries) == 0 {
			return fail(prefix + "missing argument" + usage)
		}
		if len(entries) > maxListEntries {
			return fail(prefix + "unexpected argument " + strconv.Quote(entries[maxListEntries]) +
				" (at most " + strconv.Itoa(maxListEntries) + " a line)" + usage)
		}
		for _, e := range entries {
			arg, msg := listEntry(s.name, e)
			if msg != "" {
				return fail(prefix + msg + usage)
			}
			c.Args = append(c.Args, arg)
		}
		return c, nil
	}
}

// maxListEntries bounds the tags or addresses of one #tag, #cc or #accept line.
const maxListEntries = 50

// oneArg checks and normalises the single argument of status, assign or
// merge; msg is non-empty when the argument is malformed.
func oneArg(name, arg string) (string, string) {
	switch name {
	case "status":
		arg = strings.ToLower(arg)
		switch arg {
		case "resolve":
			arg = "resolved"
		case "close":
			arg = "closed"
		}
		return arg, ""
	case "assign":
		if len(arg) > 2 && arg[0] == '<' && arg[len(arg)-1] == '>' {
			arg = arg[1 : len(arg)-1]
		}
		if len(arg) >= 5 && strings.EqualFold(arg[:5], "team:") {
			if arg[5:] == "" {
				return "", "missing team name after team:"
			}
			arg = "team:" + arg[5:]
		}
		return arg, ""
	default: // merge
		digits := strings.TrimPrefix(arg, "#")
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n <= 0 || digits[0] == '+' {
			return "", "bad ticket number " + strconv.Quote(arg)
		}
		return strconv.FormatInt(n, 10), ""
	}
}

// listEntry checks and normalises one entry of #tag or #cc to carry its
// sign, or of #accept (an address without sign); msg is non-empty when the
// entry is malformed.
func listEntry(name, e string) (string, string) {
	sign := "+"
	body := e
	if name == "accept" {
		sign = ""
		if len(e) > 2 && e[0] == '<' && e[len(e)-1] == '>' {
			body = e[1 : len(e)-1]
		}
	} else if e[0] == '+' || e[0] == '-' {
		sign, body = e[:1], e[1:]
	}
	if name == "tag" {
		if !isTag(body) {
			return "", "bad tag " + strconv.Quote(e) + " (a name is letters, digits and - _ . : /, with + or - before it)"
		}
		return sign + body, ""
	}
	a, err := mail.ParseAddress(body)
	if err != nil || a.Name != "" || strings.ContainsAny(body, " \t") {
		return "", "bad address " + strconv.Quote(e)
	}
	return sign + a.Address, ""
}

// isTag reports whether s is a tag name: a letter or digit, then letters,
// digits and - _ . : /.
func isTag(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case i > 0 && strings.ContainsRune("-_.:/", r):
		default:
			return false
		}
	}
	return s != ""
}

// commandWord splits a trimmed line that is a command into its lower-case
// name and the rest of the line; ok is false for a line that is not a
// command (it does not start with "#" and a letter). A ":" right after the
// name is dropped ("#note: …").
func commandWord(line string) (word, after string, ok bool) {
	// A fullwidth or small number sign (CJK input methods) counts as "#",
	// so "＃note" keeps a note internal instead of relaying it.
	for _, alt := range []string{"＃", "﹟"} {
		if strings.HasPrefix(line, alt) {
			line = "#" + line[len(alt):]
		}
	}
	if len(line) < 2 || line[0] != '#' {
		return "", "", false
	}
	r, _ := utf8.DecodeRuneInString(line[1:])
	if !unicode.IsLetter(r) {
		return "", "", false
	}
	body := line[1:]
	end := strings.IndexFunc(body, func(r rune) bool { return r == ':' || unicode.IsSpace(r) })
	if end < 0 {
		end = len(body)
	}
	word, after = body[:end], body[end:]
	after = strings.TrimPrefix(after, ":")
	return strings.ToLower(word), after, true
}

// suffixStart is the offset in text of after, a suffix of the trimmed
// line sp.
func suffixStart(text string, sp span, after string) int {
	line := text[sp.start:sp.end]
	lead := len(line) - len(strings.TrimLeftFunc(line, isBlank))
	return sp.start + lead + len(trimBlank(line)) - len(after)
}

// closest is the command name a typo of word most likely meant: within
// one edit for names of up to four letters, two for longer ones, where
// swapping two adjacent letters is one edit; "" if none is that close.
func closest(word string) string {
	if utf8.RuneCountInString(word) > 12 {
		return ""
	}
	best, bestD := "", 3
	for _, s := range specs {
		limit := 2
		if utf8.RuneCountInString(s.word) <= 4 {
			limit = 1
		}
		if d := distance(word, s.word); d <= limit && d < bestD {
			best, bestD = s.word, d
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b in
// runes (Levenshtein with adjacent transpositions), or 3 when the lengths
// alone differ by more than two.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra)-len(rb) > 2 || len(rb)-len(ra) > 2 {
		return 3
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// span is a line of the text, without its "\n".
type span struct{ start, end int }

func lineOffsets(text string) []span {
	var out []span
	start := 0
	for start <= len(text) {
		i := strings.IndexByte(text[start:], '\n')
		if i < 0 {
			out = append(out, span{start, len(text)})
			break
		}
		out = append(out, span{start, start + i})
		start += i + 1
	}
	return out
}

// normalize turns CRLF and lone CR line endings into "\n".
func normalize(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// trimBlank removes surrounding white space, byte order marks and zero
// width spaces, which rich-text editors leave at the start of a line.
func trimBlank(s string) string {
	return strings.TrimFunc(s, isBlank)
}

func isBlank(r rune) bool {
	return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b'
}
