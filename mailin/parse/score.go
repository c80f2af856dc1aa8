package parse

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deskgate/deskgate/ticketing"
)

// The content score recognises automatic mail that carries none of the
// header signals: by the wording of its Subject and text in many
// languages, the sentences mail servers write, and senders no person uses.
// Each cue that fires adds its weight; mail that reaches scoreThreshold is
// a bounce when the bounce cues weigh more than the auto-reply cues, else
// an auto-reply. No single phrase a person might write about such mail
// ("Auto-reply not working", "I get 'user unknown' back") reaches the
// threshold alone: those weigh less than 1 and need another cue.

// Weights are in hundredths, so that sums are exact; scoreThreshold is the
// score from which mail is automatic (1).
const scoreThreshold = 100

// cueKind indexes cues.
type cueKind int

const (
	cueAutoSubject cueKind = iota
	cueAwayWord
	cueAwaySubject
	cueBounceSubject
	cueSystemSubject
	cueAutomatic
	cueAway
	cueBack
	cueUrgent
	cueBounce
	cueServer
	cueChallenge
	cueReturned
	cueNoReplySender
	cueMailerSender
	cueMailSystem
	cueChallengeSender
	cueSystemEnvelope
	cueSystemHost
	cueSystemFrom
	numCues
)

// cue is one signal of the content score.
type cue struct {
	name   string          // recorded in ClassReason
	class  ticketing.Class // "" for a machine sender, which counts for either class
	weight int             // per distinct phrase, in hundredths
	max    int             // distinct phrases counted
	desc   string
}

var cues = [numCues]cue{
	cueAutoSubject: {"subject", ticketing.ClassAutoReply, 100, 1,
		"Subject opening with an automatic reply's wording followed by a colon or nothing else, or in square brackets"},
	cueAwayWord: {"subject", ticketing.ClassAutoReply, 60, 1,
		"Subject opening with an ordinary word for absence (\"Vacation\", \"Absent\") followed by a colon or nothing else"},
	cueAwaySubject: {"subject", ticketing.ClassAutoReply, 60, 1,
		"Subject ending in a notice of absence (Lotus Notes: \"… is out of the office\")"},
	cueBounceSubject: {"subject", ticketing.ClassBounce, 60, 1,
		"Subject opening with a non-delivery report's wording followed by a colon or nothing else, or in square brackets"},
	cueSystemSubject: {"subject", "", 50, 1,
		"Subject of a system report (cron, logwatch, sudo, fail2ban, BSD periodic)"},
	cueAutomatic: {"text", ticketing.ClassAutoReply, 70, 1,
		"text saying it was sent automatically or that replies go unread"},
	cueAway: {"text", ticketing.ClassAutoReply, 40, 1,
		"text saying the writer is away"},
	cueBack: {"text", ticketing.ClassAutoReply, 30, 1,
		"text saying when the writer returns"},
	cueUrgent: {"text", ticketing.ClassAutoReply, 30, 1,
		"text naming whom to turn to meanwhile, or that mail is not forwarded"},
	cueBounce: {"text", ticketing.ClassBounce, 40, 2,
		"text saying a message could not be delivered, or giving a mail server's reason"},
	cueServer: {"text", ticketing.ClassBounce, 100, 1,
		"text opening like a mail server's or provider's non-delivery report"},
	cueChallenge: {"text", ticketing.ClassAutoReply, 50, 2,
		"text of a challenge/response system asking the sender to prove to be a person"},
	cueReturned: {"part", ticketing.ClassBounce, 40, 1,
		"a returned message or its header as a part (message/rfc822, message/global, text/rfc822-headers)"},
	cueNoReplySender: {"sender", "", 60, 1,
		"From local part saying answers go nowhere"},
	cueMailerSender: {"sender", "", 100, 1,
		"From local part naming a mail system"},
	cueMailSystem: {"sender", "", 50, 1,
		"no usable From, or a From display name naming a mail system"},
	cueChallengeSender: {"sender", ticketing.ClassAutoReply, 100, 1,
		"From a challenge/response service"},
	cueSystemEnvelope: {"sender", "", 50, 1,
		"envelope sender (Return-Path) a system account"},
	cueSystemHost: {"sender", "", 50, 1,
		"envelope sender a system account of the From address's own host (a program on that host wrote the mail)"},
	cueSystemFrom: {"sender", "", 50, 1,
		"From local part a system account"},
}

// phraseRef is a phrase of one cue.
type phraseRef struct {
	phrase string
	kind   cueKind
}

var (
	// subjectPhrases index phrases by their first token; textPhrases by
	// their lead: the text of their first two tokens ("i am" of "i am out
	// of the office"), or of the only one.
	textPhrases, subjectPhrases = map[string][]phraseRef{}, map[string][]phraseRef{}
	// leads has the bit leadBit(lead) set for every lead, so that most
	// words of a text are passed over without a map lookup.
	leads [1 << 12]uint64
	// awaySubjects by their last byte.
	awaySubjects [256][]string
	// cueSources describe where each cue's phrases come from, for Signals.
	cueSources [numCues]string
)

func init() {
	// add indexes phrases in index, or in textPhrases by their lead when
	// index is nil.
	add := func(index map[string][]phraseRef, kind cueKind, phrases []string) {
		for _, p := range phrases {
			p = normalize(p)
			into, key := index, firstToken(p)
			if index == nil { // a text phrase
				into, key = textPhrases, lead(p)
			}
			if key == "" {
				panic("parse: phrase without a word: " + p)
			}
			into[key] = append(into[key], phraseRef{p, kind})
			if index == nil {
				b := leadBit(key)
				leads[b/64] |= 1 << (b % 64)
			}
		}
	}
	count := [numCues]struct{ phrases, langs int }{}
	tally := func(kind cueKind, phrases []string) {
		if len(phrases) > 0 {
			count[kind].phrases += len(phrases)
			count[kind].langs++
		}
	}
	for _, l := range wordings {
		add(subjectPhrases, cueAutoSubject, l.autoSubject)
		add(subjectPhrases, cueAwayWord, l.awayWord)
		add(subjectPhrases, cueBounceSubject, l.bounceSubject)
		add(nil, cueAutomatic, l.automatic)
		add(nil, cueAway, l.away)
		add(nil, cueBack, l.back)
		add(nil, cueUrgent, l.urgent)
		add(nil, cueBounce, l.bounce)
		for _, p := range l.awaySubject {
			p = normalize(p)
			awaySubjects[p[len(p)-1]] = append(awaySubjects[p[len(p)-1]], p)
		}
		for kind, phrases := range map[cueKind][]string{cueAutoSubject: l.autoSubject, cueAwayWord: l.awayWord, cueAwaySubject: l.awaySubject,
			cueBounceSubject: l.bounceSubject, cueAutomatic: l.automatic, cueAway: l.away, cueBack: l.back, cueUrgent: l.urgent, cueBounce: l.bounce} {
			tally(kind, phrases)
		}
	}
	var servers []string
	for _, s := range serverBounces {
		add(nil, cueServer, s.phrases)
		tally(cueServer, s.phrases)
		servers = append(servers, s.name)
	}
	add(nil, cueChallenge, challenges)
	for kind := range numCues {
		if c := count[kind]; c.phrases > 0 {
			cueSources[kind] = fmt.Sprintf("%d phrases in %d languages", c.phrases, c.langs)
		}
	}
	names := make([]string, len(wordings))
	for i, l := range wordings {
		names[i] = l.name
	}
	cueSources[cueAutoSubject] += ": " + strings.Join(names, ", ")
	cueSources[cueServer] = fmt.Sprintf("%d phrases of %s", count[cueServer].phrases, strings.Join(servers, ", "))
	cueSources[cueChallenge] = fmt.Sprintf("%d phrases", len(challenges))
	cueSources[cueSystemSubject] = quoteList(systemSubjects)
	cueSources[cueNoReplySender] = quoteList(noReplyLocalParts) + ", alone or followed by -, _, . or +"
	cueSources[cueMailerSender] = quoteList(mailerLocalParts) + ", alone or followed by -, _, . or +"
	cueSources[cueMailSystem] = quoteList(mailSystemNames)
	cueSources[cueChallengeSender] = strings.Join(challengeDomains, ", ")
	cueSources[cueSystemEnvelope] = strings.Join(systemAccounts, ", ")
	cueSources[cueSystemFrom] = strings.Join(systemAccounts, ", ")
}

func quoteList(list []string) string {
	return "\"" + strings.Join(list, "\", \"") + "\""
}

// scoreSignals describes the cues for Signals.
func scoreSignals() []Signal {
	out := []Signal{}
	for kind, c := range cues {
		d := fmt.Sprintf("content score +%s%s: %s", formatWeight(c.weight), perPhrase(c.max), c.desc)
		if src := cueSources[kind]; src != "" {
			d += " (" + src + ")"
		}
		class := c.class
		if class == "" {
			class = "auto_reply or bounce"
		}
		out = append(out, Signal{Class: class, Description: d})
	}
	return out
}

func perPhrase(max int) string {
	if max > 1 {
		return fmt.Sprintf(" per phrase, up to %d", max)
	}
	return ""
}

// formatWeight writes a weight in hundredths as a decimal: 60 is "0.6".
func formatWeight(w int) string { return strconv.FormatFloat(float64(w)/100, 'g', -1, 64) }

// scored is what the content score found: the cues that fired with the
// phrase or value that fired each.
type scored struct {
	hits  [numCues][]string
	total int // in hundredths
}

func (s *scored) add(kind cueKind, what string) {
	h := s.hits[kind]
	if len(h) >= cues[kind].max {
		return
	}
	for _, seen := range h {
		if seen == what {
			return
		}
	}
	s.hits[kind] = append(h, what)
	s.total += cues[kind].weight
}

// class is the class the cues point to: bounce when the bounce cues weigh
// more than the auto-reply cues.
func (s *scored) class() ticketing.Class {
	var bounce, auto int
	for kind, h := range s.hits {
		w := cues[kind].weight * len(h)
		switch cues[kind].class {
		case ticketing.ClassBounce:
			bounce += w
		case ticketing.ClassAutoReply:
			auto += w
		}
	}
	if bounce > auto {
		return ticketing.ClassBounce
	}
	return ticketing.ClassAutoReply
}

// reason lists the cues that fired, with their weights.
func (s *scored) reason() string {
	var b strings.Builder
	b.WriteString("content score " + formatWeight(s.total))
	sep := ": "
	for kind, h := range s.hits {
		for _, what := range h {
			b.WriteString(sep + cues[kind].name + " \"" + what + "\" +" + formatWeight(cues[kind].weight))
			sep = ", "
		}
	}
	return b.String()
}

// contentScore scores the message's content.
func contentScore(c *context) *scored {
	s := &scored{}
	subject := normalize(c.in.Subject)
	scoreSubject(s, subject)
	if !isForward(subject) {
		scoreText(s, c.textHead())
	}
	for _, mt := range contentTypes(c.m) {
		switch mt.typ {
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
			s.add(cueReturned, mt.typ)
		}
	}
	from := localPart(c.in.From.Address)
	switch {
	case startsWithAny(from, mailerLocalParts):
		s.add(cueMailerSender, from)
	case startsWithAny(from, noReplyLocalParts):
		s.add(cueNoReplySender, from)
	}
	if name := strings.ToLower(c.in.From.Name); c.in.From.Address == "" {
		s.add(cueMailSystem, "no From")
	} else if w := firstContained(name, mailSystemNames); w != "" {
		s.add(cueMailSystem, w)
	}
	fromDomain := domainOf(c.in.From.Address)
	for _, d := range challengeDomains {
		if fromDomain == d || strings.HasSuffix(fromDomain, "."+d) {
			s.add(cueChallengeSender, fromDomain)
		}
	}
	rp := ""
	if c.m.has("Return-Path") {
		rp = strings.ToLower(firstAngle(rawHeader(c.m.header, "Return-Path")))
	}
	if lp := localPart(rp); slices.Contains(systemAccounts, lp) {
		s.add(cueSystemEnvelope, lp)
		if d := domainOf(rp); d != "" && d == fromDomain && lp != from {
			s.add(cueSystemHost, d)
		}
	}
	if slices.Contains(systemAccounts, from) {
		s.add(cueSystemFrom, from)
	}
	return s
}

// forwardPrefixes open the Subject of a forward, whose text is another
// message's, in several languages, before a colon.
var forwardPrefixes = []string{"fw", "fwd", "wg", "tr", "rv", "i", "enc", "vs", "vb", "pd", "doorst", "fs"}

// isForward reports whether a normalised Subject opens with a forward prefix.
func isForward(subject string) bool {
	word, _, ok := strings.Cut(subject, ":")
	return ok && len(word) <= 8 && slices.Contains(forwardPrefixes, strings.TrimSpace(word))
}

// scoreSubject adds the cues of a normalised Subject.
func scoreSubject(s *scored, subject string) {
	if subject == "" {
		return
	}
	if inner, _, ok := strings.Cut(subject, "]"); ok && strings.HasPrefix(inner, "[") {
		inner = strings.TrimSpace(inner[1:])
		for _, ref := range subjectPhrases[firstToken(inner)] {
			if ref.phrase == inner {
				s.add(ref.kind, ref.phrase)
			}
		}
	}
	for _, ref := range subjectPhrases[firstToken(subject)] {
		if rest, ok := strings.CutPrefix(subject, ref.phrase); ok && (rest == "" || strings.HasPrefix(rest, ":") ||
			strings.HasPrefix(rest, "：") || strings.HasPrefix(rest, " :") || strings.HasPrefix(rest, " ：")) {
			s.add(ref.kind, ref.phrase)
		}
	}
	trimmed := strings.TrimRight(subject, ". ")
	if trimmed == "" {
		return
	}
	for _, p := range awaySubjects[trimmed[len(trimmed)-1]] {
		if strings.HasSuffix(trimmed, p) && len(trimmed) > len(p) {
			s.add(cueAwaySubject, p)
			break
		}
	}
	for _, p := range systemSubjects {
		if strings.HasPrefix(subject, p) {
			s.add(cueSystemSubject, p)
			break
		}
	}
}

// scoreText adds the cues of normalised text: the phrases that start at a
// token and do not follow a quotation mark.
func scoreText(s *scored, text string) {
	match := func(start, end int) {
		if b := leadBit(text[start:end]); leads[b/64]&(1<<(b%64)) == 0 {
			return
		}
		for _, ref := range textPhrases[text[start:end]] {
			if strings.HasPrefix(text[start:], ref.phrase) && !afterQuote(text[:start]) {
				s.add(ref.kind, ref.phrase)
			}
		}
	}
	prev := -1
	forTokens(text, func(start, end int) {
		match(start, end) // phrases of one token
		if prev >= 0 {
			match(prev, end)
		}
		prev = start
	})
}

// leadBit hashes a lead to a bit of leads: its first two and last bytes
// and its length.
func leadBit(lead string) uint {
	h := uint(lead[0])*961 + uint(lead[len(lead)-1])*31 + uint(len(lead))*7919
	if len(lead) > 1 {
		h += uint(lead[1]) * 29791
	}
	return h % (64 << 12)
}

// lead returns the text of the first two tokens of normalised phrase p, or
// of its only token.
func lead(p string) string {
	n, first, end := 0, 0, 0
	forTokens(p, func(s, e int) {
		if n == 0 {
			first = s
		}
		if n < 2 {
			end = e
		}
		n++
	})
	return p[first:end]
}

// afterQuote reports whether before ends in a quotation mark (and a space):
// a phrase quoted by a person describing automatic mail.
func afterQuote(before string) bool {
	before = strings.TrimRight(before, " ")
	r, _ := utf8.DecodeLastRuneInString(before)
	return strings.ContainsRune("\"'“”„«»‘’‚‹›「『", r)
}

// normalize lower-cases s, turns typographic apostrophes into ASCII ones
// and collapses white space and control characters, in one pass.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c <= ' ' || c == 0x7f:
				space = true
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteByte(c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = true
			continue
		case r == '’':
			r = '\''
		default:
			r = unicode.ToLower(r)
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// forTokens calls f with the bounds of every token of normalised text s: a
// run of letters, digits and marks, or a single Han, kana or Thai
// character, which are written without spaces between words.
func forTokens(s string, f func(start, end int)) {
	start := -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf { // ASCII, lower-case
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				if start < 0 {
					start = i
				}
			} else if start >= 0 {
				f(start, i)
				start = -1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		word := isWordRune(r)
		single := word && isSingleRune(r)
		if start >= 0 && (!word || single) {
			f(start, i)
			start = -1
		}
		switch {
		case single:
			f(i, i+n)
		case word && start < 0:
			start = i
		}
		i += n
	}
	if start >= 0 {
		f(start, len(s))
	}
}

// isWordRune reports whether r belongs to a token (s is lower-case).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isSingleRune reports whether r is a token of its own.
func isSingleRune(r rune) bool {
	return r >= 0x0E00 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai)
}

// firstToken returns the first token of s.
func firstToken(s string) string {
	for i, r := range s {
		if isWordRune(r) {
			end := i + utf8.RuneLen(r)
			if !isSingleRune(r) {
				for j, r2 := range s[end:] {
					if !isWordRune(r2) || isSingleRune(r2) {
						return s[i : end+j]
					}
				}
				return s[i:]
			}
			return s[i:end]
		}
	}
	return ""
}

// startsWithAny reports whether local part lp is one of list or starts
// with one followed by "-", "_", "." or "+".
func startsWithAny(lp string, list []string) bool {
	for _, m := range list {
		if rest, ok := strings.CutPrefix(lp, m); ok && (rest == "" || strings.ContainsRune("-_.+", rune(rest[0]))) {
			return true
		}
	}
	return false
}

// firstContained returns the first of words that s contains, or "".
func firstContained(s string, words []string) string {
	for _, w := range words {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// domainOf returns the lower-cased domain of an address, or "".
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.Trim(addr[i+1:], "<> "))
	}
	return ""
}
