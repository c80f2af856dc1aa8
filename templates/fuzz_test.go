package templates

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzRender renders untrusted names, subjects and text (also as command
// lines and values, image names and Content-IDs): the subject stays one line,
// the HTML shows no image but the inline parts, and no markup from the data reaches the HTML (the HTML has as
// many "<" as when the data's "<" are replaced by "x"), and the message
// text grows the bodies by at most a constant factor.
func FuzzRender(f *testing.F) {
	f.Add("Åsa Lindqvist", `Printer prints <b>&"quotes"</b>`, "Hi,\n\nit's broken.")
	f.Add("<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "<a href=\"javascript:x\">x</a>")
	f.Add("Eve\r\nBcc: x@example.com", "Help\r\nBcc: evil@example.com", "\x00\x1b[1m\u202e")
	f.Add("", "", "")
	f.Add("A", "S", strings.Repeat("a\n\n", 50)+strings.Repeat(`"'&<`, 50))
	s, err := Load("")
	if err != nil {
		f.Fatal(err)
	}
	data := func(event, name, subject, text string) Data {
		d := Sample(event)
		d.Recipient.Name, d.Ticket.Requester.Name, d.Message.Author.Name = name, name, name
		d.Ticket.Subject, d.Message.Text = subject, text
		for i := range d.Commands.Errors {
			d.Commands.Errors[i].Text, d.Commands.Errors[i].Value = text, name
		}
		// A requester names inline images and their Content-IDs.
		for i := range d.Message.Images {
			d.Message.Images[i] = Image{Name: name, ContentID: subject}
		}
		if d.Assignment.Name != "" {
			d.Assignment.Name = name
		}
		return d
	}
	f.Fuzz(func(t *testing.T, name, subject, text string) {
		noLT := func(s string) string { return strings.ReplaceAll(s, "<", "x") }
		for _, event := range Events() {
			for _, lang := range Languages() {
				r, err := s.Render(event, lang, data(event, name, subject, text))
				if err != nil {
					t.Fatalf("Render(%q, %q, …) = %v, want no error", event, lang, err)
				}
				if strings.ContainsAny(r.Subject, "\r\n") || !utf8.ValidString(r.Subject) {
					t.Errorf("Render(%q, %q, subject %q).Subject = %q, want one valid line", event, lang, subject, r.Subject)
				}
				plain, err := s.Render(event, lang, data(event, noLT(name), noLT(subject), noLT(text)))
				if err != nil {
					t.Fatalf("Render(%q, %q, …) = %v, want no error", event, lang, err)
				}
				if got, want := strings.Count(r.HTML, "<"), strings.Count(plain.HTML, "<"); got != want {
					t.Errorf("Render(%q, %q, %q, %q, %q).HTML has %d \"<\", want %d:\n%s", event, lang, name, subject, text, got, want, r.HTML)
				}
				if n := len(Sample(event).Message.Images); strings.Count(r.HTML, "<img") != n || strings.Count(r.HTML, `<img src="cid:`) != n {
					t.Errorf("Render(%q, %q, %q, %q, …).HTML: want exactly %d <img src=\"cid:…\"> for the inline images:\n%s", event, lang, name, subject, n, r.HTML)
				}
				if event != NewTicket && event != RequesterReplied && event != AgentReply {
					continue
				}
				// The message text costs at most 2 bytes a byte in text and
				// 12 in HTML (the bound the notification budget relies on).
				empty, err := s.Render(event, lang, data(event, name, subject, ""))
				if err != nil {
					t.Fatalf("Render(%q, %q, …) = %v, want no error", event, lang, err)
				}
				// A text adds the "… wrote:" line with the author's name.
				fixed := 300 + 6*len(name)
				if dt, dh := len(r.Text)-len(empty.Text), len(r.HTML)-len(empty.HTML); dt > 2*len(text)+fixed || dh > 12*len(text)+fixed {
					t.Errorf("Render(%q, %q) of a %d-byte text: text +%d bytes, HTML +%d; want at most 2× and 12× (+%d)", event, lang, len(text), dt, dh, fixed)
				}
			}
		}
	})
}

// cleanBodyDefinition is cleanBody as first written, in four passes: the
// definition the one-pass version must keep.
func cleanBodyDefinition(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	blank := false
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == "" {
			blank = b.Len() > 0
			continue
		}
		if blank {
			b.WriteByte('\n')
		}
		blank = false
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func FuzzCleanBody(f *testing.F) {
	for _, s := range []string{"", "a", "\n\n a \n\n\nb\r\nc\rd\n", "\xff\x01\xff", "\xff\xfe x \r\xff\r\n", "\u00a0\n\u0085x\u0085\n",
		"tab\there\x7f\u009f end", "\r", "\r\r\n\n", "é\xc3", "\xc3\r\n\xa9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := cleanBody(s), cleanBodyDefinition(s); got != want {
			t.Errorf("cleanBody(%q) = %q, want %q", s, got, want)
		}
	})
}
