package templates

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadsRecipient: the embedded templates that greet the recipient
// read it and the agents' new-ticket mail does not; an override that can
// read it in any way (a field, $, a variable, Data printed or passed on
// to a function or to a template that reads it) makes its event read it.
func TestReadsRecipient(t *testing.T) {
	t.Parallel()
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		event string
		want  bool
	}{{TicketReceived, true}, {Assigned, true}, {StatusResolved, true}, {NewTicket, false}, {RequesterReplied, false}, {SLABreach, false}} {
		for _, lang := range Languages() {
			if got := s.ReadsRecipient(c.event, lang); got != c.want {
				t.Errorf("ReadsRecipient(%q, %q) = %v, want %v", c.event, lang, got, c.want)
			}
		}
	}
	if !s.ReadsRecipient("no-such-event", "en") || !s.ReadsRecipient(NewTicket, "xx") {
		t.Errorf("ReadsRecipient of an unknown event or language = false, want true")
	}

	body := "\n{{.Ticket.Tag}}\n"
	for _, c := range []struct {
		name, txt, html string
		want            bool
	}{
		{"fields elsewhere", `{{define "subject"}}{{.Ticket.Tag}}{{end}}{{with .Ticket.Team}}{{.}}{{end}}{{range $i, $a := .Message.Attachments}}{{$a}}{{end}}{{$.Message.Text}}`,
			`{{define "content"}}{{with .}}{{.Ticket.Tag}}{{end}}{{template "t" .}}{{end}}{{define "t"}}{{.Desk.Name}}{{end}}`, false},
		{"field", `{{define "subject"}}x{{end}}{{.Recipient.Name}}`, "", true},
		{"in the subject", `{{define "subject"}}{{.Recipient.Address}}{{end}}` + body, "", true},
		{"from $", `{{define "subject"}}x{{end}}{{with .Ticket}}{{$.Recipient.Name}}{{end}}`, "", true},
		{"bare $", `{{define "subject"}}x{{end}}{{with .Ticket}}{{printf "%v" $}}{{end}}`, "", true},
		{"printed", `{{define "subject"}}x{{end}}{{.}}`, "", true},
		{"to a function", `{{define "subject"}}x{{end}}{{printf "%v" .}}`, "", true},
		{"in a variable", `{{define "subject"}}x{{end}}{{$d := .}}{{$d.Ticket.Tag}}`, "", true},
		{"chained", `{{define "subject"}}x{{end}}{{(.).Recipient}}`, "", true},
		{"in with", `{{define "subject"}}x{{end}}{{with .}}{{.Recipient.Name}}{{end}}`, "", true},
		{"in a template", `{{define "subject"}}x{{end}}{{template "t" .}}{{define "t"}}{{.Recipient.Name}}{{end}}`, "", true},
		{"in HTML", "", `{{define "content"}}<p>{{.Recipient.Name}}</p>{{end}}`, true},
		{"in an HTML helper", "", `{{define "content"}}{{template "t" .}}{{end}}{{define "t"}}{{.Recipient.Name}}{{end}}`, true},
	} {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "en"), 0o755); err != nil {
			t.Fatal(err)
		}
		write := func(name, src string) {
			if src != "" {
				if err := os.WriteFile(filepath.Join(dir, "en", name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		write(NewTicket+".txt", c.txt)
		write(NewTicket+".html", c.html)
		s, err := Load(dir)
		if err != nil {
			t.Fatalf("%s: Load = %v", c.name, err)
		}
		if got := s.ReadsRecipient(NewTicket, "en"); got != c.want {
			t.Errorf("%s: ReadsRecipient(new-ticket) with\n%s\n%s\n= %v, want %v", c.name, c.txt, c.html, got, c.want)
		}
	}
}
