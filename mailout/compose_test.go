package mailout

import (
	"bytes"
	"errors"
	"flag"
	"github.com/jhillyerd/enmime/v2"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gmmail "github.com/emersion/go-message/mail"

	"github.com/deskgate/deskgate/ticketing"
)

var update = flag.Bool("update", false, "rewrite testdata/compose.golden")

// goldenDate is the fixed Date of the golden message.
var goldenDate = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

// sample is a notification using every header Compose writes.
func sample() ticketing.Notification {
	return ticketing.Notification{
		ID:         42,
		TicketID:   1234,
		Event:      "ticket_received",
		Automatic:  true,
		MessageID:  "t1234.r5.abcdef0123@desk.example",
		From:       ticketing.Address{Name: "Acme Help Désk", Address: "help@Desk.Example"},
		ReplyTo:    "help+t1234.abcdef@desk.example",
		To:         []ticketing.Address{{Name: "Jürgen Weiß", Address: "juergen@example.com"}},
		Cc:         []ticketing.Address{{Name: "Bob, Jr.", Address: "bob@example.org"}, {Address: "carol@example.org"}},
		InReplyTo:  "orig-1@mail.example.com",
		References: []string{"root@a.example", "<orig-1@mail.example.com>", "not an id", ""},
		Subject:    "Re: Drucker im 2. Stock defekt [#1234] – wir kümmern uns darum, sobald ein Techniker frei ist",
		// Outlook's Thread-Index is base64.
		ThreadIndex:   "AdnVb0Lr3Mg2yEgqSPqTzr+7MxKm9g==",
		ThreadTopic:   "Drucker im 2. Stock defekt",
		AutoSubmitted: "auto-replied",
		Language:      "de",
		Text: "Hallo Jürgen,\n\nwir haben Ihre Anfrage erhalten und melden uns bald.\n" +
			".\nEine Zeile, die mit einem Punkt beginnt, und eine sehr lange Zeile, die der Quoted-Printable-Kodierer umbrechen muss, weil sie länger als sechsundsiebzig Zeichen ist.\n\n" +
			"Mit freundlichen Grüßen\nAcme Help Désk\n",
		HTML:      "<p>Hallo Jürgen,</p>\n<p>wir haben Ihre Anfrage erhalten und melden uns bald.</p>\n<p>Mit freundlichen Grüßen<br>Acme Help Désk</p>\n",
		Attempts:  1,
		CreatedAt: goldenDate.Add(-time.Hour),
	}
}

func composeSample(t *testing.T, n ticketing.Notification) []byte {
	t.Helper()
	raw, err := Compose(n, ComposeOptions{Date: goldenDate, Boundary: "deskgate-golden-boundary-0123456789"})
	if err != nil {
		t.Fatalf("Compose(%d) = %v", n.ID, err)
	}
	return raw
}

func TestComposeGolden(t *testing.T) {
	t.Parallel()
	got := composeSample(t, sample())
	path := filepath.Join("testdata", "compose.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("Compose(sample) differs from %s at line %d:\ngot  %q\nwant %q\n(run go test -update to accept)", path, i+1, g, w)
			}
		}
	}
}

// lines returns the header field names of raw, one per field, in order.
func fieldNames(t *testing.T, raw []byte) []string {
	t.Helper()
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("message has no header/body separator")
	}
	var names []string
	for _, line := range strings.Split(string(head), "\r\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name, _, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("header line %q has no colon", line)
		}
		names = append(names, name)
	}
	return names
}

func checkCRLF(t *testing.T, raw []byte) {
	t.Helper()
	for i, b := range raw {
		if b == '\n' && (i == 0 || raw[i-1] != '\r') {
			t.Fatalf("bare LF at offset %d", i)
		}
		if b == '\r' && (i+1 == len(raw) || raw[i+1] != '\n') {
			t.Fatalf("bare CR at offset %d", i)
		}
	}
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Fatalf("line %d is %d bytes long, over 998", i+1, len(line))
		}
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Fatalf("message does not end with CRLF")
	}
}

func TestComposeParses(t *testing.T) {
	t.Parallel()
	n := sample()
	raw := composeSample(t, n)
	checkCRLF(t, raw)

	// net/mail: the header as a generic RFC 5322 parser sees it.
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail.ReadMessage() = %v", err)
	}
	h := msg.Header
	for _, tt := range []struct{ field, want string }{
		{"Message-Id", "<t1234.r5.abcdef0123@desk.example>"},
		{"In-Reply-To", "<orig-1@mail.example.com>"},
		{"References", "<root@a.example> <orig-1@mail.example.com>"},
		{"Auto-Submitted", "auto-replied"},
		{"X-Auto-Response-Suppress", "All"},
		{"X-Deskgate-Loop", "desk.example"},
		{"Content-Language", "de"},
		{"Mime-Version", "1.0"},
		{"Thread-Index", n.ThreadIndex},
		{"Thread-Topic", n.ThreadTopic},
		{"Date", "Mon, 02 Jun 2025 10:00:00 +0000"},
	} {
		if got := h[tt.field]; len(got) != 1 || got[0] != tt.want {
			t.Errorf("header %s = %q, want [%q]", tt.field, got, tt.want)
		}
	}
	for _, f := range []string{"User-Agent", "X-Mailer", "Bcc", "Precedence"} {
		if got := h[f]; got != nil {
			t.Errorf("header %s = %q, want none", f, got)
		}
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Acme Help Désk" || from[0].Address != "help@Desk.Example" {
		t.Errorf("From = %v, %v; want Acme Help Désk <help@Desk.Example>", from, err)
	}
	cc, err := h.AddressList("Cc")
	if err != nil || len(cc) != 2 || cc[0].Name != "Bob, Jr." || cc[1].Address != "carol@example.org" {
		t.Errorf("Cc = %v, %v; want Bob, Jr. and carol", cc, err)
	}
	rt, err := h.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != n.ReplyTo {
		t.Errorf("Reply-To = %v, %v; want %s", rt, err, n.ReplyTo)
	}
	if got := strings.Count(string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))]), "=?UTF-8?q?"); got == 0 {
		t.Errorf("no RFC 2047 encoded words in the header, want the subject and names encoded")
	}

	// go-message: subject, id lists and the MIME structure.
	mr, err := gmmail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("gmmail.CreateReader() = %v", err)
	}
	if got, err := mr.Header.Subject(); err != nil || got != n.Subject {
		t.Errorf("Subject() = %q, %v; want %q", got, err, n.Subject)
	}
	if got, err := mr.Header.MsgIDList("References"); err != nil || strings.Join(got, " ") != "root@a.example orig-1@mail.example.com" {
		t.Errorf("MsgIDList(References) = %q, %v; want [root@a.example orig-1@mail.example.com]", got, err)
	}
	if got, err := mr.Header.MessageID(); err != nil || got != n.MessageID {
		t.Errorf("MessageID() = %q, %v; want %q", got, err, n.MessageID)
	}
	to, err := mr.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Jürgen Weiß" {
		t.Errorf("To = %v, %v; want Jürgen Weiß", to, err)
	}
	if ct, _, _ := mr.Header.ContentType(); ct != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	var types, bodies []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart() = %v", err)
		}
		ih, ok := p.Header.(*gmmail.InlineHeader)
		if !ok {
			t.Fatalf("part header is %T, want an inline part", p.Header)
		}
		ct, params, _ := ih.ContentType()
		types = append(types, ct+";"+params["charset"]+";"+ih.Get("Content-Transfer-Encoding"))
		b, _ := io.ReadAll(p.Body)
		bodies = append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	if want := "text/plain;UTF-8;quoted-printable text/html;UTF-8;quoted-printable"; strings.Join(types, " ") != want {
		t.Errorf("parts = %q, want %q", types, want)
	}
	if len(bodies) == 2 && (bodies[0] != n.Text || bodies[1] != n.HTML) {
		t.Errorf("decoded bodies = %q, want %q and %q", bodies, n.Text, n.HTML)
	}
}

func TestComposeTextOnly(t *testing.T) {
	t.Parallel()
	n := sample()
	n.HTML = ""
	n.Automatic, n.AutoSubmitted = false, ""
	n.ThreadIndex, n.ThreadTopic, n.ReplyTo, n.InReplyTo, n.References = "", "", "", "", nil
	raw, err := Compose(n, ComposeOptions{LoopHeader: "X-Loop", LoopValue: "token-1"})
	if err != nil {
		t.Fatalf("Compose() = %v", err)
	}
	checkCRLF(t, raw)
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail.ReadMessage() = %v", err)
	}
	if got := msg.Header.Get("Content-Type"); got != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type = %q, want text/plain; charset=UTF-8", got)
	}
	for _, f := range []string{"Auto-Submitted", "Thread-Index", "Thread-Topic", "Reply-To", "In-Reply-To", "References", "X-Deskgate-Loop"} {
		if got := msg.Header[f]; got != nil {
			t.Errorf("header %s = %q, want none", f, got)
		}
	}
	if got := msg.Header.Get("X-Loop"); got != "token-1" {
		t.Errorf("X-Loop = %q, want token-1", got)
	}
	if got := msg.Header.Get("X-Auto-Response-Suppress"); got != "All" {
		t.Errorf("X-Auto-Response-Suppress = %q, want All", got)
	}
	// The Date defaults to when the notification was queued, so that a
	// retry sends the same bytes.
	if got, err := msg.Header.Date(); err != nil || !got.Equal(n.CreatedAt) {
		t.Errorf("Date = %v, %v; want %v", got, err, n.CreatedAt)
	}
	again, _ := Compose(n, ComposeOptions{LoopHeader: "X-Loop", LoopValue: "token-1"})
	if !bytes.Equal(raw, again) {
		t.Errorf("Compose() of the same text-only notification twice differs, want identical bytes")
	}
}

func TestComposeHeaderInjection(t *testing.T) {
	t.Parallel()
	n := sample()
	n.Subject = "Hi\r\nBcc: evil@example.com"
	n.From.Name = "Desk\nBcc: evil@example.com"
	n.To[0].Name = "Jürgen\r\n\r\nInjected body"
	n.ThreadTopic = "Topic\rX-Evil: 1"
	n.InReplyTo = "x@y>\r\nBcc: evil@example.com"
	n.References = []string{"a@b>\nBcc: evil@example.com", "ok@example.com"}
	n.AutoSubmitted = "auto-replied\r\nBcc: evil@example.com"
	n.Language = "de\r\nBcc: evil@example.com"
	raw := composeSample(t, n)
	checkCRLF(t, raw)

	counts := map[string]int{}
	for _, name := range fieldNames(t, raw) {
		counts[strings.ToLower(name)]++
	}
	for _, f := range []string{"bcc", "x-evil", "injected body"} {
		if counts[f] != 0 {
			t.Errorf("header %q appears %d times, want 0", f, counts[f])
		}
	}
	for _, f := range []string{"subject", "from", "to", "thread-topic", "auto-submitted"} {
		if counts[f] != 1 {
			t.Errorf("header %q appears %d times, want 1", f, counts[f])
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail.ReadMessage() = %v", err)
	}
	if got := msg.Header["Bcc"]; got != nil {
		t.Errorf("Bcc = %q, want none", got)
	}
	mr, err := gmmail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("gmmail.CreateReader() = %v", err)
	}
	if got, _ := mr.Header.Subject(); got != "Hi Bcc: evil@example.com" {
		t.Errorf("Subject() = %q, want %q", got, "Hi Bcc: evil@example.com")
	}
	if from, err := mr.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Desk Bcc: evil@example.com" {
		t.Errorf("From = %v, %v; want the name on one line", from, err)
	}
	if got := mr.Header.Get("In-Reply-To"); got != "" {
		t.Errorf("In-Reply-To = %q, want none (invalid id)", got)
	}
	if got, _ := mr.Header.MsgIDList("References"); strings.Join(got, " ") != "ok@example.com" {
		t.Errorf("References = %q, want [ok@example.com]", got)
	}
	if got := mr.Header.Get("Content-Language"); got != "" {
		t.Errorf("Content-Language = %q, want none (invalid tag)", got)
	}
}

func TestComposeInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*ticketing.Notification)
	}{
		{"injected To address", func(n *ticketing.Notification) {
			n.To[0].Address = "victim@example.com\r\nBcc: evil@example.com"
		}},
		{"To with display name", func(n *ticketing.Notification) { n.To[0].Address = "Bob <bob@example.com>" }},
		{"two addresses", func(n *ticketing.Notification) { n.To[0].Address = "a@example.com, b@example.com" }},
		{"empty From", func(n *ticketing.Notification) { n.From.Address = "" }},
		{"From without domain", func(n *ticketing.Notification) { n.From.Address = "help" }},
		{"bad Cc", func(n *ticketing.Notification) { n.Cc[1].Address = "carol@" }},
		{"bad Reply-To", func(n *ticketing.Notification) { n.ReplyTo = "not an address" }},
		{"no recipients", func(n *ticketing.Notification) { n.To, n.Cc = nil, nil }},
		{"empty Message-ID", func(n *ticketing.Notification) { n.MessageID = "" }},
		{"Message-ID with space", func(n *ticketing.Notification) { n.MessageID = "a b@desk.example" }},
		{"Message-ID without @", func(n *ticketing.Notification) { n.MessageID = "abc" }},
		{"Message-ID injection", func(n *ticketing.Notification) { n.MessageID = "a@b>\r\nBcc: evil@example.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := sample()
			tt.modify(&n)
			raw, err := Compose(n, ComposeOptions{})
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Compose() = %q, %v; want ErrInvalid", raw, err)
			}
		})
	}
}

func TestComposeOnlyCc(t *testing.T) {
	t.Parallel()
	n := sample()
	n.To = nil
	raw := composeSample(t, n)
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail.ReadMessage() = %v", err)
	}
	if got := msg.Header["To"]; got != nil {
		t.Errorf("To = %q, want none", got)
	}
	env, err := envelopeOf(n)
	if err != nil || strings.Join(env.rcpts, " ") != "bob@example.org carol@example.org" {
		t.Errorf("envelopeOf().rcpts = %v, %v; want bob and carol", env, err)
	}
}

func TestEnvelopeDedupes(t *testing.T) {
	t.Parallel()
	n := sample()
	n.Cc = append(n.Cc, ticketing.Address{Address: "JUERGEN@example.com"})
	env, err := envelopeOf(n)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(env.rcpts, " "); got != "juergen@example.com bob@example.org carol@example.org" {
		t.Errorf("envelopeOf().rcpts = %q, want each address once", got)
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"  padded\t", "padded"},
		{"a\r\nb", "a b"},
		{"a\r\n\r\n\tb", "a b"},
		{"a \r\n b", "a   b"},
		{"a\x00b\x1bc", "abc"},
		{"a\x7fb", "ab"},
		{"a\u0085b\u009bc", "abc"}, // C1 controls
		{"a\xffb", "a\ufffdb"},
		{"Grüße\r\n", "Grüße"},
		{"\r\n", ""},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCompose(f *testing.F) {
	f.Add("Hi\r\nBcc: evil@example.com", "Desk\n", "a@b", "x@y", "de")
	f.Add("Grüße aus Köln", "Jürgen Weiß", "<ref@x>", "id\r\n@x", "")
	f.Add(strings.Repeat("word ", 300), "\x00\x85", "", "", "en-GB")
	f.Add(strings.Repeat("ö", 2000)+" [#1]", strings.Repeat("n", 1200), strings.Repeat("r", 1000)+"@x", "", "")
	f.Fuzz(func(t *testing.T, subject, name, ref, inReplyTo, lang string) {
		n := sample()
		n.Subject, n.From.Name, n.To[0].Name, n.ThreadTopic = subject, name, name, subject
		n.References = []string{ref, "ok@example.com"}
		n.InReplyTo, n.Language = inReplyTo, lang
		if len(ref)%2 == 1 { // the smaller version, cut anywhere
			n.Text, n.Compact = subject+name, 1+len(inReplyTo)
		}
		files := len(name)%3 == 0 && n.Compact == 0
		if files { // a file named by a requester, inline with their Content-ID
			n.Attachments = []ticketing.Attachment{{Filename: name, ContentType: "text/plain", Data: []byte(subject)},
				{Filename: subject, ContentType: "image/png", ContentID: ref, Inline: true, Data: []byte(name)}}
		}
		raw, err := Compose(n, ComposeOptions{Date: goldenDate})
		if err != nil {
			t.Fatalf("Compose() = %v", err)
		}
		if files {
			again, err := Compose(n, ComposeOptions{Date: goldenDate})
			if err != nil || !bytes.Equal(raw, again) {
				t.Fatalf("Compose() with files twice: %v, equal %v; want the same bytes", err, bytes.Equal(raw, again))
			}
			env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("enmime.ReadEnvelope() = %v", err)
			}
			if parts := len(env.Attachments) + len(env.Inlines) + len(env.OtherParts); parts != 2 {
				t.Fatalf("Compose() with two files read back with %d file parts", parts)
			}
		}
		head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
		for i, b := range head {
			if b == '\n' && (i == 0 || head[i-1] != '\r') || b == '\r' && (i+1 == len(head) || head[i+1] != '\n') {
				t.Fatalf("bare CR or LF in header at %d", i)
			}
		}
		counts := map[string]int{}
		for _, f := range fieldNames(t, raw) {
			counts[strings.ToLower(f)]++
		}
		if counts["bcc"] != 0 || counts["from"] != 1 || counts["message-id"] != 1 || counts["subject"] > 1 {
			t.Fatalf("header fields %v: want no Bcc and one From, Message-ID and Subject", counts)
		}
		if _, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil {
			t.Fatalf("mail.ReadMessage() = %v", err)
		}
		if l, head := longestLine(raw); l > 998 {
			t.Fatalf("longest line %d octets (%q…), want at most 998", l, head)
		}
	})
}

func TestComposeIsStableAcrossAttempts(t *testing.T) {
	n := sample()
	n.CreatedAt = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	a, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Attempts++
	b, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("Compose of one notification twice differs; a retry must send the same bytes")
	}
}

func TestComposeAttachments(t *testing.T) {
	n := sample()
	n.Attachments = []ticketing.Attachment{{Filename: "vpn.ovpn", ContentType: "application/octet-stream", Data: []byte("remote vpn.example 1194\n")}}
	raw, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Read it as a mail client does: the attachment must be a part of its own.
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Attachments) != 1 || env.Attachments[0].FileName != "vpn.ovpn" || !strings.Contains(env.Text, "") || env.HTML == "" {
		t.Errorf("Compose with an attachment, read back: %d attachments, text %q, html %d bytes; want vpn.ovpn beside both parts",
			len(env.Attachments), env.Text, len(env.HTML))
	}
}

// TestComposeAttachmentsStable: mail that carries files (a requester's
// files to agents, an agent's to the requester) is the same bytes at every
// attempt, with a boundary of its own at each level of its parts.
func TestComposeAttachmentsStable(t *testing.T) {
	n := sample()
	n.Attachments = []ticketing.Attachment{
		{Filename: "test-page.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4\n%%EOF\n")},
		{Filename: "screenshot.png", ContentType: "image/png", ContentID: "shot-1@kund.example", Inline: true, Data: []byte("\x89PNG\r\n\x1a\n")},
	}
	a, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Attempts++
	b, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("Compose of one notification with files twice differs; a retry must send the same bytes")
	}
	boundaries := map[string]bool{}
	for _, m := range regexp.MustCompile(`boundary=("?)([^"\r\n;]+)`).FindAllSubmatch(a, -1) {
		boundaries[string(m[2])] = true
	}
	if len(boundaries) != 3 { // mixed, related, alternative
		t.Errorf("Compose with a file and an inline image: boundaries %v, want three different ones", boundaries)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Attachments) != 1 || len(env.Inlines)+len(env.OtherParts) != 1 || env.HTML == "" || env.Text == "" {
		t.Errorf("read back: %d attachments, %d inline parts, html %d bytes, text %d bytes; want the PDF, the image and both bodies",
			len(env.Attachments), len(env.Inlines)+len(env.OtherParts), len(env.HTML), len(env.Text))
	}
}
