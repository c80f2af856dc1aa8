package templates

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRender renders untrusted names, subjects and text (also as command
// lines and values): the subject stays one line, and no markup from the data reaches the HTML (the HTML has as
// many "<" as when the data's "<" are replaced by "x").
func FuzzRender(f *testing.F) {
	f.Add("Åsa Lindqvist", `Printer prints <b>&"quotes"</b>`, "Hi,\n\nit's broken.")
	f.Add("<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "<a href=\"javascript:x\">x</a>")
	f.Add("Eve\r\nBcc: x@example.com", "Help\r\nBcc: evil@example.com", "\x00\x1b[1m\u202e")
	f.Add("", "", "")
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
			}
		}
	})
}
