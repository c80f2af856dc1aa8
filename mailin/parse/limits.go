package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limits bound the work of parsing one message; a zero field takes its
// default. enmime reads a part nested n levels deep through n boundary
// readers, byte by byte, so its time grows with depth times size (a 707 KB
// message nested 10,000 deep took 48 s): depth and part count are checked
// by a linear scan before enmime reads anything, and the time limit stops
// whatever else turns out slow.
type Limits struct {
	// MaxDepth is how deeply multiparts may nest; default 64, as mail
	// servers allow.
	MaxDepth int
	// MaxParts is how many MIME parts a message may have, at all levels;
	// default 1000. Ordinary mail has a handful, a mailing-list digest or
	// a folder of scans some hundreds; each part costs a tree node, its
	// header and an attachment row.
	MaxParts int
	// Timeout is how long parsing one message may take; default 10s.
	Timeout time.Duration
}

// The default limits.
const (
	DefaultMaxDepth = 64
	DefaultMaxParts = 1000
	DefaultTimeout  = 10 * time.Second
)

// ErrLimit is wrapped by the error Message returns for mail over one of
// its Limits; the error text names the limit and its setting.
var ErrLimit = errors.New("over a parsing limit")

// WithDefaults returns l with its zero fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// TimeoutError is the error of a message whose parsing took longer than
// timeout; the processor also uses it when it stops waiting.
func TimeoutError(timeout time.Duration) error {
	return fmt.Errorf("parse: %w: parsing took longer than %s (ingest.parse_timeout)", ErrLimit, timeout)
}

// checkStructure scans msg once, line by line, for the multipart structure
// enmime would read, and fails if it nests deeper or has more parts than
// lim allows. It errs on the side of seeing more: a boundary counts
// anywhere in a line, as in enmime's search between parts, and an outer
// boundary closes the inner ones, as in enmime's chain of readers. Its
// time, at worst the open boundaries times the bytes, counts against b.
func checkStructure(msg []byte, lim Limits, b budget) error {
	var open [][]byte // "--boundary" of each open multipart, outermost first
	inHeader := true  // reading a header block (the message's, or a part's)
	var ctype []byte  // the Content-Type of that header, unfolded
	inCtype := false  // the last header line read was Content-Type
	parts := 0
	for n, rest := 0, msg; len(rest) > 0; n++ {
		if n%4096 == 4095 {
			if err := b.spent(); err != nil {
				return err
			}
		}
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if i, closing := delimiterOf(line, open); i >= 0 {
			if closing {
				open, inHeader = open[:i], false
				continue
			}
			if parts++; parts > lim.MaxParts {
				return fmt.Errorf("parse: %w: more than %d MIME parts (ingest.max_mime_parts)", ErrLimit, lim.MaxParts)
			}
			open, inHeader, ctype, inCtype = open[:i+1], true, nil, false
			continue
		}
		if !inHeader {
			continue
		}
		switch {
		case len(line) == 0: // the end of the header
			inHeader = false
			if bound := boundary(ctype, len(open) == 0); bound != "" {
				if len(open) == lim.MaxDepth {
					return fmt.Errorf("parse: %w: MIME parts nested deeper than %d levels (ingest.max_mime_depth)", ErrLimit, lim.MaxDepth)
				}
				open = append(open, []byte("--"+bound))
			}
			if len(open) == 0 {
				return nil // a single part: nothing can follow
			}
		case line[0] == ' ' || line[0] == '\t':
			if inCtype {
				ctype = append(ctype[:len(ctype):len(ctype)], line...) // a copy, never into msg
			}
		default:
			name, value, ok := bytes.Cut(line, []byte(":"))
			inCtype = ok && ctype == nil && bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Type"))
			if inCtype {
				ctype = value[:len(value):len(value)]
			}
		}
	}
	return nil
}

// delimiterOf returns the index in open of the outermost boundary whose
// delimiter ("--b" followed by white space or the end of the line) or
// close delimiter ("--b--") line contains, or -1.
func delimiterOf(line []byte, open [][]byte) (i int, closing bool) {
	if len(open) == 0 || !bytes.Contains(line, []byte("--")) {
		return -1, false
	}
	for i, b := range open {
		for rest := line; ; {
			k := bytes.Index(rest, b)
			if k < 0 {
				break
			}
			rest = rest[k+len(b):]
			switch {
			case bytes.HasPrefix(rest, []byte("--")):
				return i, true
			case len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\v' || rest[0] == '\f':
				return i, false
			}
		}
	}
	return -1, false
}

// boundary returns the boundary of a Content-Type value, or "" when enmime
// would not read its part as a multipart: the message itself needs a
// multipart type, a part only a boundary parameter (enmime then reads it as
// a multipart, whatever its type, unless it looks like text or data).
func boundary(ctype []byte, message bool) string {
	if !containsFold(ctype, "boundary") {
		return "" // parsed only when it may have one
	}
	mtype, params, _, _ := parseMediaType(string(ctype))
	if message && !strings.HasPrefix(strings.ToLower(mtype), "multipart/") {
		return ""
	}
	return params["boundary"]
}

// containsFold reports whether s contains the lower-case ASCII word, in any case.
func containsFold[T string | []byte](s T, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == word[0] && equalFoldASCII(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether s equals the lower-case ASCII word,
// ignoring the case of ASCII letters.
func equalFoldASCII[T string | []byte](s T, word string) bool {
	for j := 0; j < len(word); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != word[j] {
			return false
		}
	}
	return true
}

// budget is the time a message's parsing may take.
type budget struct {
	deadline time.Time
	timeout  time.Duration
}

func newBudget(timeout time.Duration) budget {
	return budget{deadline: time.Now().Add(timeout), timeout: timeout}
}

// spent returns a TimeoutError once the deadline has passed, else nil.
func (b budget) spent() error {
	if time.Now().After(b.deadline) {
		return TimeoutError(b.timeout)
	}
	return nil
}

// budgetReader fails its reads once the budget is spent, so that enmime
// gives up on a message whose parsing takes too long.
type budgetReader struct {
	r *bytes.Reader
	b budget
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if err := r.b.spent(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
