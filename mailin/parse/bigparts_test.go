package parse

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/mailgen"
)

// TestBigPartsFastPathMatchesEnmime parses every fixture and corpus message
// twice: with the fast path forced onto every base64 binary part, and with
// it off. The results must be identical.
func TestBigPartsFastPathMatchesEnmime(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "eml", "*.eml"))
	if dir := corpusDir(t); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
		files = append(files, more...)
	} else {
		t.Log("corpus not present: checking fixtures and generated mail only")
	}
	raws := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raws[f] = raw
	}
	// Generated mail in seven charsets, every message with an attachment,
	// so the fast path is exercised even where the corpus is absent.
	gen := mailgen.New(mailgen.Options{Seed: 3, AttachmentEvery: 1, AttachmentSize: 3000})
	for i := range 21 {
		raws[fmt.Sprintf("mailgen-%d", i)] = gen.Message(i)
	}
	saved := bigPartMin
	defer func() { bigPartMin = saved }()
	exercised := 0
	for f, raw := range raws {
		bigPartMin = 1 << 62
		want, wantErr := Message(raw, Options{})
		bigPartMin = 1
		got, gotErr := Message(raw, Options{})
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast path = %+v, %v;\nenmime alone = %+v, %v", f, got, gotErr, want, wantErr)
		}
		if body, err := headerStart(raw); err == nil {
			if _, _, ok := slimMessage(body, false); ok {
				exercised++
			}
		}
	}
	if exercised < 20 {
		t.Errorf("the fast path applied to %d of %d messages; want at least 20 for this test to mean anything", exercised, len(raws))
	}
	t.Logf("fast path exercised on %d of %d messages", exercised, len(raws))
}

func TestBigPartsLargeAttachment(t *testing.T) {
	data := bytes.Repeat([]byte("%PDF-1.7 deskgate\x00\xff"), 10000)
	enc := base64.StdEncoding.EncodeToString(data)
	var wrapped strings.Builder
	for len(enc) > 76 {
		wrapped.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	wrapped.WriteString(enc + "\r\n")
	raw := "From: a@example.org\r\nSubject: report\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached, the report for November.\r\n--b \r\n" +
		"Content-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + wrapped.String() + "--b--\r\nepilogue\r\n"
	if _, parts, ok := slimMessage([]byte(raw), false); !ok || len(parts) != 1 || !slices.Equal(parts[0].path, []int{1}) {
		t.Fatalf("slimMessage found parts %+v (ok %v), want the PDF as part 1", parts, ok)
	}
	in, err := Message([]byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Attachments) != 1 || !bytes.Equal(in.Attachments[0].Data, data) || in.Attachments[0].Filename != "r.pdf" {
		t.Fatalf("attachments = %d (first %d bytes), want r.pdf with its %d bytes", len(in.Attachments), len(in.Attachments[0].Data), len(data))
	}
	if !strings.Contains(in.Text, "See attached, the report for November.") {
		t.Errorf("Text = %q, want the text part intact", in.Text)
	}
}

// TestEnmimeMidlineBoundary shows the enmime defect strayBoundary works
// around (docs/upstream/enmime-boundary.md): plain enmime ends a text part
// where its boundary occurs mid-line, and Message keeps the whole text. If
// plain enmime starts keeping it, the workaround can go.
func TestEnmimeMidlineBoundary(t *testing.T) {
	t.Parallel()
	const line = "the separator --XYZ appears here, and the rest of the line stays"
	raw := "From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n" +
		"--XYZ\r\nContent-Type: text/plain\r\n\r\nfirst line\r\n" + line + "\r\nlast line\r\n--XYZ--\r\n"
	root, err := parser.ReadParts(strings.NewReader(raw))
	if err != nil || root.FirstChild == nil {
		t.Fatalf("enmime ReadParts = %v, %v", root, err)
	}
	if got := string(root.FirstChild.Content); strings.Contains(got, line) {
		t.Errorf("plain enmime kept the line (%q): the defect is fixed upstream; drop strayBoundary", got)
	}
	in, err := Message([]byte(raw), Options{})
	if err != nil || !strings.Contains(in.Text, line+"\r\nlast line") && !strings.Contains(in.Text, line+"\nlast line") {
		t.Errorf("Message(mid-line boundary).Text = %q, %v; want the whole text", in.Text, err)
	}
}
