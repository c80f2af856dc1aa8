// Package search turns text into the words full-text search indexes and
// a query into the tsquery that finds them, so that both sides of a
// search split and fold text the same way, in Go.
//
// deskgate computes each message's tsvector here rather than with
// PostgreSQL's to_tsvector: its parser took 160–210 µs of the server's CPU
// for a 2 KB message, a quarter of what PostgreSQL spent ingesting one
// (BenchmarkIngest), where this takes a few microseconds and the server
// only reads the result (tsvector's input, about 30 µs).
//
// A word is a run of letters, numbers and combining marks, folded to lower
// case (Unicode's simple folding, whatever the database's locale); anything
// else separates words, so alice@example.com is the words alice, example
// and com in a row. A character of a script written without blanks between
// words (Unspaced: Chinese, Japanese, Korean) is a word of its own, so that
// a query of any length in them is the phrase of its characters. Each word
// keeps its positions, which phrases need.
//
// Package search imports nothing of deskgate's.
package search

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of PostgreSQL's tsvector (tsearch/ts_type.h): a lexeme of at most
// MAXSTRLEN bytes, positions up to MAXENTRYPOS-1, at most MAXNUMPOS
// positions a lexeme. MaxRunes is how much of a message is indexed, so
// that the vector stays far below its 1 MB.
const (
	maxLexeme    = 1<<11 - 1
	maxPosition  = 1<<14 - 1
	maxPositions = 256
	MaxRunes     = 100000
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

// words calls f with each word of s's first limit characters, folded, in
// order, and its position, counting on from pos; it returns the last
// position and how many characters it read. A word's bytes are only valid
// during the call. A word longer than a lexeme may be is skipped, as
// to_tsvector skips it.
func words(s string, pos, limit int, f func(word []byte, pos int)) (int, int) {
	var buf []byte
	emit := func() {
		if len(buf) <= maxLexeme {
			pos++
			f(buf, pos)
		}
		buf = buf[:0]
	}
	n := 0
	for i := 0; i < len(s) && n < limit; n++ {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch ascii[c] {
			case asciiWord:
				buf = append(buf, c)
			case asciiUpper:
				buf = append(buf, c+'a'-'A')
			default:
				if len(buf) > 0 {
					emit()
				}
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case Unspaced(r):
			if len(buf) > 0 {
				emit()
			}
			buf = utf8.AppendRune(buf, r)
			emit()
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		case len(buf) > 0:
			emit()
		}
	}
	if len(buf) > 0 {
		emit()
	}
	return pos, n
}

// ascii classifies the ASCII bytes for words.
var ascii = func() (t [utf8.RuneSelf]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = asciiWord
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = asciiWord, asciiUpper
	}
	return t
}()

const (
	asciiBlank = iota
	asciiWord
	asciiUpper
)

// Vector is the tsvector, in PostgreSQL's text form, of a message with
// subject and text body: its first MaxRunes characters, each word with its
// positions, in order. Its words hold only letters, numbers and marks, so
// none needs quoting beyond the quotes around it.
func Vector(subject, body string) string {
	type entry struct {
		word string
		pos  []uint16
	}
	index := make(map[string]int)
	var entries []entry
	add := func(w []byte, pos int) {
		p := uint16(min(pos, maxPosition))
		i, ok := index[string(w)] // no allocation for the lookup
		if !ok {
			i = len(entries)
			entries = append(entries, entry{word: string(w)})
			index[entries[i].word] = i
		}
		e := &entries[i]
		if len(e.pos) < maxPositions && (len(e.pos) == 0 || e.pos[len(e.pos)-1] != p) {
			e.pos = append(e.pos, p)
		}
	}
	// the body's words follow the subject's, as in one text of both with
	// a blank between them
	pos, n := words(subject, 0, MaxRunes, add)
	if left := MaxRunes - n - 1; left > 0 {
		words(body, pos, left, add)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.word, b.word) })
	size := 0
	for _, e := range entries {
		size += len(e.word) + 4 + 6*len(e.pos)
	}
	b := make([]byte, 0, size)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, '\'')
		b = append(b, e.word...)
		b = append(b, '\'', ':')
		for j, p := range e.pos {
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
//   - a blank-free run of several words is their phrase, so
//     alice@example.com is 'alice' <-> 'example' <-> 'com';
//   - text holding an Unspaced character is found by the phrases of its
//     runs of such characters, and checked by the pattern (LIKE: those
//     scripts have no case) with its other characters.
//
// A query with no word at all is "": it finds nothing. Bytes that are not
// UTF-8 separate words, as blanks do.
func Query(q string) (tsquery, pattern string) {
	q = strings.TrimSpace(strings.ToValidUTF8(q, " "))
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
		return strings.Join(runs, " & "), "%" + esc + "%"
	}
	var all []string
	for _, field := range strings.Fields(q) {
		var ws []string
		words(field, 0, MaxRunes, func(w []byte, _ int) { ws = append(ws, quote(string(w))) })
		if len(ws) > 0 {
			all = append(all, phrase(ws))
		}
	}
	return strings.Join(all, " & "), ""
}

func quote(w string) string { return "'" + w + "'" }

func phrase(ws []string) string {
	if len(ws) == 1 {
		return ws[0]
	}
	return "(" + strings.Join(ws, " <-> ") + ")"
}
