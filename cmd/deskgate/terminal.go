package main

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// terminal is the writer all the commands' output goes through (run wraps
// stdout and stderr in it), so that text from mail (bodies, subjects,
// names, reasons) cannot drive the terminal it is shown on. It escapes C0
// controls other than tab and line feed as \x1b, DEL as \x7f, C1 controls
// and Unicode bidirectional controls (which reorder what is shown) as
// \u202e, and bytes that are not UTF-8 as \xff; a carriage return before
// a line feed is dropped. encoding/json escapes C0 controls itself but
// leaves C1 and bidi controls raw; their \u escapes here keep JSON valid,
// decoding to the same text. Each Write is escaped on its own, so a rune
// split across two writes would show as escaped bytes; fmt, tabwriter,
// encoding/json and slog write whole strings.
type terminal struct{ w io.Writer }

// newTerminal wraps w, unless it is wrapped already.
func newTerminal(w io.Writer) io.Writer {
	if _, ok := w.(*terminal); ok {
		return w
	}
	return &terminal{w}
}

// rawOutput returns the writer beneath w's escaping, for output that must
// be byte for byte (quarantine show -raw, redirected to a file).
func rawOutput(w io.Writer) io.Writer {
	if t, ok := w.(*terminal); ok {
		return t.w
	}
	return w
}

func (t *terminal) Write(p []byte) (int, error) {
	clean := true
	for _, c := range p {
		if c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f {
			clean = false // a control, or a rune to look at
			break
		}
	}
	if clean {
		return t.w.Write(p)
	}
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = fmt.Appendf(out, `\x%02x`, p[i])
		case r == '\r' && i+1 < len(p) && p[i+1] == '\n':
		case r == '\t' || r == '\n':
			out = append(out, byte(r))
		case r < 0x20 || r == 0x7f:
			out = fmt.Appendf(out, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f || unicode.Is(unicode.Bidi_Control, r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, p[i:i+n]...)
		}
		i += n
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
