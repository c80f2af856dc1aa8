package parse

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// DetectLanguage returns the BCP 47 tag of the language text is written
// in, or "" unless the detection is reliable. It runs on every inbound
// message, so it is small, allocation-free and dependency-free.
//
// Script decides first: when 10 or more Han, kana or Hangul characters
// outnumber the words of other scripts two to one, mostly Hangul means
// "ko", a tenth or more kana "ja", and Han without any kana "zh"; when
// there are about as many of both, the result is "". Otherwise the words
// are scored against the function words of English, Swedish, Danish,
// Norwegian Bokmål, German, Dutch, French, Spanish and Finnish (articles,
// pronouns, prepositions, auxiliaries, greetings and a few frequent
// helpdesk words; see profiles), with letters peculiar to some of them (å,
// ä/ö, æ/ø, ß, ñ, ...) as lighter evidence. A language is returned only
// with at least 6 of its function words, a fifth of all words its own, and
// a clear lead over every other language on the words that tell the two
// apart (see reliable). Italian and Portuguese are scored too, as guards
// against reporting their relatives, but never returned.
//
// Limits: lines quoted with ">", URLs, e-mail addresses, paths and code-
// like tokens are skipped, but a signature, disclaimer or log in another
// language still counts, and a long one makes the result "". Nynorsk is
// read as Bokmål or not at all; other languages yield "". Short texts
// ("Thanks!", "Tack, det fungerar nu") yield "".
func DetectLanguage(text string) string {
	var c langCounts
	c.scan(text)
	return c.decide()
}

// langID indexes the scored languages.
type langID uint8

const (
	langEN langID = iota
	langSV
	langDA
	langNB
	langDE
	langNL
	langFR
	langES
	langFI
	langIT // guard only
	langPT // guard only
	numLangs
)

// langTags are the tags DetectLanguage returns; "" for guard languages.
var langTags = [numLangs]string{"en", "sv", "da", "nb", "de", "nl", "fr", "es", "fi", "", ""}

// Thresholds of a reliable detection; see reliable.
const (
	minFunctionWords = 6  // function words of the winner
	minCJK           = 10 // Han, kana or Hangul characters
	minLead          = 3  // points ahead of any other language on the words that tell them apart
	minCoverage      = 5  // at least 1/minCoverage of the words are the winner's
	letterWeight     = 0.5
	maxLetterScore   = 3
)

// langCounts is what one pass over the text collects.
type langCounts struct {
	hits              [numLangs]int           // function words per language
	shared            [numLangs][numLangs]int // function words two languages share
	letters           [numLangs]float64       // evidence from peculiar letters, capped
	words             int                     // words of letters (any alphabetic script)
	han, kana, hangul int
}

// scan counts the words and CJK characters of text, skipping quoted lines
// and tokens that are URLs, addresses, paths or code.
func (c *langCounts) scan(text string) {
	lineStart := true
	quoted := false
	for i := 0; i < len(text); {
		b := text[i]
		if b == '\n' {
			lineStart, quoted = true, false
			i++
			continue
		}
		if b < utf8.RuneSelf && asciiSpace[b] {
			i++
			continue
		}
		if b >= utf8.RuneSelf {
			if r, size := utf8.DecodeRuneInString(text[i:]); unicode.IsSpace(r) {
				i += size
				continue
			}
		}
		if lineStart {
			quoted = b == '>'
			lineStart = false
		}
		// The token runs to the next white space; note on the way whether
		// it is code-like: a codeBytes byte, or a dot between letters or
		// digits (example.com, file.txt, 3.14).
		j, code := i, false
		for j < len(text) {
			b := text[j]
			if b < utf8.RuneSelf {
				if asciiSpace[b] {
					break
				}
				code = code || codeBytes[b] || b == '.' && j > i && j+1 < len(text) && isAlnum(text[j-1]) && isAlnum(text[j+1])
				j++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += size
		}
		if !quoted {
			c.token(text[i:j], code)
		}
		i = j
	}
}

// asciiSpace marks the ASCII white space bytes.
var asciiSpace = [utf8.RuneSelf]bool{' ': true, '\t': true, '\n': true, '\r': true, '\f': true, '\v': true}

// token counts the words and CJK characters of one white-space separated
// token; the words of a code-like token are not counted.
func (c *langCounts) token(tok string, skipWords bool) {
	var buf [48]byte
	n := 0          // bytes of the current word in buf
	latin := true   // the current word is all Latin letters
	long := false   // the current word overflowed buf
	digit := false  // a digit touches the current word
	var mask uint16 // languages whose peculiar letters the word has
	flush := func(nextDigit bool) {
		if n > 0 && !skipWords {
			c.word(buf[:n], latin && !long && !digit && !nextDigit, mask)
		}
		n, latin, long, digit, mask = 0, true, false, false, 0
	}
	prevDigit := false
	for k := 0; k < len(tok); {
		r, size := rune(tok[k]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(tok[k:])
		}
		k += size
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			if n == 0 {
				digit = prevDigit
			}
			if n < len(buf) {
				buf[n] = byte(r) | 0x20
				n++
			} else {
				long = true
			}
		case (r == '\'' || r == '’') && n > 0 && k < len(tok) && startsWithLetter(tok[k:]):
			if n < len(buf) {
				buf[n] = '\''
				n++
			}
		case r >= '0' && r <= '9':
			flush(true)
			prevDigit = true
			continue
		case r < utf8.RuneSelf:
			flush(false)
		case isHan(r):
			flush(false)
			c.han++
		case isKana(r):
			flush(false)
			c.kana++
		case isHangul(r):
			flush(false)
			c.hangul++
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			if n == 0 {
				digit = prevDigit
			}
			if !isLatin(r) {
				latin = false
			}
			r = toLower(r)
			mask |= letterLangs(r)
			if n+utf8.RuneLen(r) <= len(buf) {
				n += utf8.EncodeRune(buf[n:], r)
			} else {
				long = true
			}
		default:
			flush(false)
		}
		prevDigit = false
	}
	flush(false)
}

// word counts one word; only Latin words are looked up.
func (c *langCounts) word(w []byte, lookup bool, mask uint16) {
	c.words++
	if !lookup {
		return
	}
	m := functionWords.get(w)
	if m == 0 {
		// French elision ("l'ordinateur", "n'arrive", "qu'il"): the
		// article or particle and the word after it count separately.
		for k, b := range w {
			if b == '\'' {
				m = functionWords.get(w[:k+1]) | functionWords.get(w[k+1:])
				break
			}
		}
	}
	for rest := m; rest != 0; rest &= rest - 1 {
		l := bits.TrailingZeros16(rest)
		c.hits[l]++
		for others := rest & (rest - 1); others != 0; others &= others - 1 {
			k := bits.TrailingZeros16(others)
			c.shared[l][k]++
			c.shared[k][l]++
		}
	}
	for ; mask != 0; mask &= mask - 1 {
		if l := bits.TrailingZeros16(mask); c.letters[l] < maxLetterScore {
			c.letters[l] += letterWeight
		}
	}
}

// decide applies the script rule, then the function-word scores.
func (c *langCounts) decide() string {
	cjk := c.han + c.kana + c.hangul
	switch {
	case cjk >= minCJK && cjk >= 2*c.words:
		switch {
		case c.hangul*2 > cjk:
			return "ko"
		case c.kana*10 >= cjk:
			return "ja"
		case c.kana == 0 && c.han*2 > cjk:
			return "zh"
		}
		return ""
	case cjk >= minCJK && 2*cjk >= c.words:
		return "" // as much CJK as Latin: mixed
	}
	best := langID(0)
	score := func(l langID) float64 { return float64(c.hits[l]) + c.letters[l] }
	for l := langID(1); l < numLangs; l++ {
		if score(l) > score(best) {
			best = l
		}
	}
	if !c.reliable(best) {
		return ""
	}
	return langTags[best]
}

// reliable reports whether the best-scoring language is a safe answer: it
// has at least minFunctionWords function words, they are at least a fifth
// of the words (text in an unscored language shares a few words with a
// scored one, never that many), and against every other language the
// evidence that tells the two apart favours it at least two to one and by
// at least minLead points.
//
// Only the telling-apart evidence counts because most function words of
// close relatives are shared: "det", "har", "på", "kan" score for Swedish,
// Danish and Norwegian alike and say nothing about which it is. In the
// helpdesk messages of two to four sentences in detect_test.go the right
// language leads its closest relative by 3 to 10 such words when that is
// Danish against Norwegian (the hardest pair) and by 7 or more otherwise,
// with the relative having at most one word of its own, and leads every
// other language by 6 or more; a stray word of another language (a
// greeting, a name, "Thanks") gives one or two. So a lead of 3 at two to
// one accepts those messages, rejects a lead made of one or two stray
// words, and leaves a text mixing two languages about evenly undecided; a
// Norwegian message whose telling-apart words are 3 to 1 is left
// undecided rather than risked.
func (c *langCounts) reliable(best langID) bool {
	if c.hits[best] < minFunctionWords || c.hits[best]*minCoverage < c.words || langTags[best] == "" {
		return false
	}
	for l := range numLangs {
		if l == best || c.hits[l] == 0 && c.letters[l] == 0 {
			continue
		}
		own := float64(c.hits[best]-c.shared[best][l]) + max(0, c.letters[best]-c.letters[l])
		other := float64(c.hits[l]-c.shared[best][l]) + max(0, c.letters[l]-c.letters[best])
		if own-other < minLead || own < 2*other {
			return false
		}
	}
	return true
}

// codeBytes are the bytes of URLs, addresses, paths and code.
var codeBytes = func() (t [256]bool) {
	for _, c := range []byte("/\\@=_{}<>|$#`~*^[]") {
		t[c] = true
	}
	return t
}()

// startsWithLetter reports whether s starts with a letter.
func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x3134F
}

func isKana(r rune) bool {
	return r >= 0x3041 && r <= 0x309F || r >= 0x30A0 && r <= 0x30FF && r != 0x30FB || r >= 0x31F0 && r <= 0x31FF || r >= 0xFF66 && r <= 0xFF9D
}

func isHangul(r rune) bool {
	return r >= 0xAC00 && r <= 0xD7A3 || r >= 0x1100 && r <= 0x11FF || r >= 0x3130 && r <= 0x318F
}

// isLatin reports whether a letter is Latin (Latin-1 to Latin Extended
// Additional, with combining marks).
func isLatin(r rune) bool {
	return r < 0x250 || r >= 0x1E00 && r <= 0x1EFF || r >= 0x300 && r <= 0x36F
}

// toLower lower-cases a letter, quickly for Latin-1.
func toLower(r rune) rune {
	switch {
	case r >= 0xC0 && r <= 0xDE && r != 0xD7:
		return r + 0x20
	case r < 0x100:
		return r
	}
	return unicode.ToLower(r)
}

// letterLangs returns the languages among the scored ones that use a
// lower-case letter which the others do not.
func letterLangs(r rune) uint16 {
	const (
		en, sv, da, nb, de = 1 << langEN, 1 << langSV, 1 << langDA, 1 << langNB, 1 << langDE
		fr, es, fi, it, pt = 1 << langFR, 1 << langES, 1 << langFI, 1 << langIT, 1 << langPT
	)
	switch r {
	case 'æ', 'ø':
		return da | nb
	case 'å':
		return sv | da | nb
	case 'ä', 'ö':
		return sv | de | fi
	case 'ü', 'ß':
		return de
	case 'é':
		return fr | es | pt | it
	case 'è', 'ù':
		return fr | it
	case 'à':
		return fr | it | pt
	case 'â', 'ê', 'ô':
		return fr | pt
	case 'î', 'û', 'ë', 'ï', 'œ':
		return fr
	case 'ç':
		return fr | pt
	case 'ñ':
		return es
	case 'á', 'í', 'ó', 'ú':
		return es | pt
	case 'ì', 'ò':
		return it
	case 'ã', 'õ':
		return pt
	}
	return 0
}
