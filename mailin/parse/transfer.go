package parse

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// The MIME tree is read with enmime's RawContent option, so part content
// arrives still transfer-encoded, and decodeTransfer decodes it here. The
// reason is speed: enmime decodes base64 a few bytes at a time through its
// cleaner, which made attachments most of the cost of ingesting mail;
// base64 binaries now take one filtering pass and the standard library's
// decoder. Text parts and quoted-printable content are small and full of
// real-world breakage, so enmime's own tolerant decoders (and its charset
// conversion for text) still do them.

// decoder is parser without RawContent: it decodes one part at a time.
var decoder = enmime.NewParser(parserOptions...)

// decodeTransfer replaces every leaf part's content with its decoded bytes.
func decodeTransfer(root *enmime.Part) {
	_ = root.DepthMatchAll(func(p *enmime.Part) bool {
		if p.FirstChild != nil || strings.HasPrefix(p.ContentType, "multipart/") {
			return false
		}
		cte := strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")))
		text := strings.HasPrefix(p.ContentType, "text/")
		switch {
		case text:
			p.Content = decodeWithEnmime(p) // transfer encoding and charset, as before
		case cte == "base64":
			p.Content = decodeBase64(p.Content)
		case cte == "quoted-printable":
			p.Content = decodeWithEnmime(p)
		}
		return false
	})
}

// base64Alphabet marks the bytes of the standard base64 alphabet.
var base64Alphabet = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = true
	}
	return t
}()

// decodeBase64 decodes base64 leniently, as mail needs: line breaks,
// padding and stray bytes are skipped, and a dangling final character is
// dropped, so damaged content yields what can be recovered. Content as
// mailers write it (lines of the alphabet, padded, ending in CRLF) is
// read by the standard decoder as it stands, which gives the same bytes
// (FuzzDecodeBase64) without a filtered copy of the input.
func decodeBase64(b []byte) []byte {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	if n, err := base64.StdEncoding.Decode(out, b); err == nil {
		return out[:n]
	}
	return decodeBase64Lenient(b)
}

// decodeBase64Lenient is decodeBase64 for any input: only the alphabet's
// bytes are kept, and decoded without padding.
func decodeBase64Lenient(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if base64Alphabet[c] {
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean) // clean holds only alphabet bytes
	return out[:n]
}

// decodeWithEnmime decodes one part with enmime's tolerant decoders by
// re-reading it as a single-part entity.
func decodeWithEnmime(p *enmime.Part) []byte {
	var b bytes.Buffer
	ctype := p.Header.Get("Content-Type")
	if !strings.HasPrefix(p.ContentType, "text/") {
		// Without a type enmime would assume US-ASCII text and convert
		// it; other parts must come out as decoded bytes, untouched.
		ctype = "application/octet-stream"
	}
	b.WriteString("Content-Type: " + ctype + "\r\n")
	if v := p.Header.Get("Content-Transfer-Encoding"); v != "" {
		b.WriteString("Content-Transfer-Encoding: " + v + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(p.Content)
	part, err := decoder.ReadParts(&b)
	if err != nil || part == nil {
		return p.Content
	}
	return part.Content
}
