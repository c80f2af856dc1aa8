// Package search turns text into the words full-text search indexes and
// a query into the tsquery that finds them, so that both sides of a
// search split and fold text the same way, in Go.
//
// deskgate computes each message's tsvector here rather than with
// PostgreSQL's to_tsvector: its parser took 160–210 µs of the server's CPU
// for a 2 KB message, a fifth to a quarter of what PostgreSQL spent
// ingesting one (BenchmarkIngest), where this takes about 20 µs and the
// server only reads the result (about 35 µs in tsvector's text form, 10 µs
// in its binary form, which ticketing sends).
//
// A word is a run of letters, numbers and combining marks, in lower case
// (unicode.ToLower, whatever the database's locale); anything else
// separates words. A character of a script written without blanks between
// words (Unspaced: Chinese, Japanese, Korean) is a word of its own, so that
// a query of any length in them is the phrase of its characters. Each word
// keeps its positions, which phrases need. A blank-free run of several
// words (an address, a host, a hyphenated word, a number with points) is
// also indexed whole, at its first word's position: alice@example.com is
// the words alice, example and com in a row and the word
// alice@example.com, so that it is found wherever it is, even past the
// positions a tsvector can count.
//
// Package search imports nothing of deskgate's.
package search

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of PostgreSQL's tsvector (tsearch/ts_type.h): a lexeme shorter
// than MAXSTRLEN (2,047) bytes, positions up to MAXENTRYPOS-1, at most
// MAXNUMPOS positions a lexeme. MaxRunes is how much of a message is
// indexed, so that the vector stays far below its 1 MB. MaxQuery is the
// longest query Query takes, in characters: PostgreSQL runs out of stack
// on a phrase of 20,000 words.
const (
	maxLexeme    = 1<<11 - 2
	maxPosition  = 1<<14 - 1
	maxPositions = 256
	MaxRunes     = 100000
	MaxQuery     = 1000
)

// unspacedRanges are the characters of scripts written without blanks
// between words: Hiragana and Katakana, CJK ideographs (extension A, the
// unified block, compatibility) and Hangul syllables.
var unspacedRanges = [][2]rune{{0x3040, 0x30ff}, {0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xf900, 0xfaff}, {0xac00, 0xd7af}}

// Unspaced reports whether r belongs to a script written without blanks
// between words, whose characters are indexed one by one.
func Unspaced(r rune) bool {
	if r < unspacedRanges[0][0] {
		return false
	}
	for _, rg := range unspacedRanges {
		if rg[0] <= r && r <= rg[1] {
			return true
		}
	}
	return false
}

// words calls f with each word of s's first limit characters, in lower
// case, in order, and its position, counting on from pos; it returns the
// last position and how many characters it read. It calls whole, if not
// nil, with each blank-free run of several words (compound) at its first
// word's position. A word's bytes are only valid during the call. A word
// longer than a lexeme may be is skipped, as to_tsvector skips it.
func words(s string, pos, limit int, f, whole func(word []byte, pos int)) (int, int) {
	var buf []byte
	// the blank-free run being read: where it starts, how many words it
	// holds, its first word's position, whether it holds unspaced text
	start, count, first, unspaced := 0, 0, 0, false
	emit := func() {
		if len(buf) <= maxLexeme {
			pos++
			f(buf, pos)
			if count++; count == 1 {
				first = pos
			}
		}
		buf = buf[:0]
	}
	endRun := func(end int) {
		if len(buf) > 0 {
			emit()
		}
		if whole != nil && count > 1 && !unspaced {
			if w := compound(s[start:end]); len(w) <= maxLexeme {
				whole(w, first)
			}
		}
		count, unspaced = 0, false
	}
	n, i := 0, 0
	for i < len(s) && n < limit {
		n++
		if c := s[i]; c < utf8.RuneSelf {
			switch ascii[c] {
			case asciiWord:
				buf = append(buf, c)
			case asciiUpper:
				buf = append(buf, c+'a'-'A')
			case asciiSpace:
				endRun(i)
				start = i + 1
			default:
				if len(buf) > 0 {
					emit()
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case Unspaced(r):
			if len(buf) > 0 {
				emit()
			}
			unspaced = true
			buf = utf8.AppendRune(buf, r)
			emit()
		case wordRune(r):
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		case unicode.IsSpace(r):
			endRun(i)
			start = i + size
		case len(buf) > 0:
			emit()
		}
		i += size
	}
	endRun(i)
	return pos, n
}

// compound is a blank-free run as one word: in lower case, without the
// punctuation before its first word and after its last ("(a@b.c)," is
// a@b.c).
func compound(run string) []byte {
	notWord := func(r rune) bool { return !wordRune(r) }
	run = strings.TrimRightFunc(strings.TrimLeftFunc(run, notWord), notWord)
	return []byte(strings.ToLower(strings.ToValidUTF8(run, "\uFFFD")))
}

// wordRune reports whether r belongs in a word: a letter, a number or a
// combining mark (for ASCII, what the ascii table calls a word).
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// ascii classifies the ASCII bytes for words.
var ascii = func() (t [utf8.RuneSelf]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = asciiWord
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = asciiWord, asciiUpper
	}
	// ASCII control characters end a run as blanks do, so that no compound
	// holds NUL, which neither form of a tsvector can carry
	for c := 0; c < ' '; c++ {
		t[c] = asciiSpace
	}
	t[' '], t[0x7f] = asciiSpace, asciiSpace
	return t
}()

const (
	asciiOther = iota
	asciiWord
	asciiUpper
	asciiSpace
)

// A Vec is a tsvector: its words in PostgreSQL's order (by their bytes),
// each with its positions in ascending order, as PostgreSQL stores them.
// String gives its text form; a client may send it in tsvector's binary
// form instead, which takes the words as they come: each once, in order.
type Vec []Lexeme

// A Lexeme is a word of a Vec and where it stands in the text, counting
// words from 1.
type Lexeme struct {
	Word      string
	Positions []uint16
}

// Vector is the tsvector of a message with subject and text body: its
// first MaxRunes characters, each word with its positions, in order.
func Vector(subject, body string) Vec {
	index := make(map[string]int)
	var v Vec
	add := func(w []byte, pos int) {
		p := uint16(min(pos, maxPosition))
		i, ok := index[string(w)] // no allocation for the lookup
		if !ok {
			i = len(v)
			v = append(v, Lexeme{Word: string(w)})
			index[v[i].Word] = i
		}
		l := &v[i]
		if len(l.Positions) < maxPositions && (len(l.Positions) == 0 || l.Positions[len(l.Positions)-1] != p) {
			l.Positions = append(l.Positions, p)
		}
	}
	// the body's words follow the subject's, as in one text of both with
	// a blank between them
	pos, n := words(subject, 0, MaxRunes, add, add)
	if left := MaxRunes - n - 1; left > 0 {
		words(body, pos, left, add, add)
	}
	slices.SortFunc(v, func(a, b Lexeme) int { return strings.Compare(a.Word, b.Word) })
	return v
}

// String is v in PostgreSQL's text form, as PostgreSQL itself writes it.
func (v Vec) String() string {
	size := 0
	for _, l := range v {
		size += len(l.Word) + 4 + 6*len(l.Positions)
	}
	b := make([]byte, 0, size)
	for i, l := range v {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendQuoted(b, l.Word)
		b = append(b, ':')
		for j, p := range l.Positions {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(p), 10)
		}
	}
	return string(b)
}

// Query is the tsquery, in PostgreSQL's text form, that finds q, and for
// a query in a script written without blanks the LIKE pattern that checks
// it is there as written ("" otherwise):
//   - words separated by blanks must all be there: 'printer' & 'tray';
//   - a blank-free run of several words is found whole or as their phrase,
//     so alice@example.com is ('alice@example.com' | 'alice' <-> 'example'
//     <-> 'com'), and example.com finds www.example.com too;
//   - text holding an Unspaced character is found by the phrases of its
//     runs of such characters, and checked by the pattern (LIKE: those
//     scripts have no case) with its other characters.
//
// A query with no word at all is "": it finds nothing. Bytes that are not
// UTF-8 separate words, as blanks do. A query longer than MaxQuery
// characters is refused (TooLong).
func Query(q string) (tsquery, pattern string, err error) {
	q = strings.TrimSpace(strings.ToValidUTF8(q, " "))
	if n := utf8.RuneCountInString(q); n > MaxQuery {
		return "", "", TooLong(n)
	}
	if strings.IndexFunc(q, Unspaced) >= 0 {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
		var runs []string
		var run []string
		for _, r := range q + " " {
			if Unspaced(r) {
				run = append(run, quote(string(r)))
			} else if len(run) > 0 {
				runs = append(runs, phrase(run))
				run = run[:0]
			}
		}
		return strings.Join(runs, " & "), "%" + esc + "%", nil
	}
	var all []string
	for _, field := range strings.Fields(q) {
		var ws []string
		var whole string
		words(field, 0, MaxRunes, func(w []byte, _ int) { ws = append(ws, quote(string(w))) },
			func(w []byte, _ int) { whole = quote(string(w)) })
		switch {
		case whole != "":
			all = append(all, "("+whole+" | "+phrase(ws)+")")
		case len(ws) > 0:
			all = append(all, phrase(ws))
		}
	}
	return strings.Join(all, " & "), "", nil
}

// TooLong is the error of a query of that many characters, more than
// MaxQuery.
type TooLong int

func (n TooLong) Error() string {
	return fmt.Sprintf("the search query is %d characters long; at most %d", int(n), MaxQuery)
}

func quote(w string) string { return string(appendQuoted(nil, w)) }

// appendQuoted appends w quoted as a tsvector's or tsquery's text form
// quotes a word: in ', with ' doubled and \ escaped.
func appendQuoted(b []byte, w string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(w); i++ {
		switch c := w[i]; c {
		case '\'':
			b = append(b, '\'', '\'')
		case '\\':
			b = append(b, '\\', '\\')
		default:
			b = append(b, c)
		}
	}
	return append(b, '\'')
}

func phrase(ws []string) string {
	if len(ws) == 1 {
		return ws[0]
	}
	return "(" + strings.Join(ws, " <-> ") + ")"
}
