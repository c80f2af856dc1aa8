package templates

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestEscaping(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	for _, lang := range Languages() {
		for _, event := range Events() {
			d := Sample(event)
			d.Recipient.Name = "<script>alert(1)</script>"
			d.Ticket.Requester.Name = "<script>alert(1)</script>"
			d.Message.Author.Name = "<script>alert(1)</script>"
			d.Message.Text = "<script>alert(1)</script>\n<a href=\"javascript:alert(1)\">x</a>"
			d.Ticket.Subject = `"><img src=x onerror=alert(1)>`
			d.Desk.Name = "<i>Desk</i>"
			for i := range d.Commands.Errors {
				e := &d.Commands.Errors[i]
				e.Text, e.Value = "#tag +<script>alert(1)</script>", "<script>alert(1)</script>"
				e.Allowed = append(e.Allowed, "<script>alert(1)</script>")
			}
			d.Commands.Categories = append(d.Commands.Categories, "<script>alert(1)</script>")
			d.Commands.Teams = append(d.Commands.Teams, "<script>alert(1)</script>")
			for i := range d.Message.Images {
				d.Message.Images[i] = Image{Name: `"><script>alert(1)</script>`, ContentID: `x" onerror="alert(1)`}
			}
			r, err := s.Render(event, lang, d)
			if err != nil {
				t.Fatalf("Render(%q, %q, …) = %v, want no error", event, lang, err)
			}
			for _, bad := range []string{"<script", "<a ", "<i>", "onerror=\""} {
				if strings.Contains(r.HTML, bad) {
					t.Errorf("Render(%q, %q, …).HTML = \n%s\nwant no %q", event, lang, r.HTML, bad)
				}
			}
			// The only images are the inline parts the mail carries.
			if n, cid := strings.Count(r.HTML, "<img"), strings.Count(r.HTML, `<img src="cid:`); n != cid || n != len(d.Message.Images) {
				t.Errorf("Render(%q, %q, …).HTML = \n%s\nwant %d <img src=\"cid:…\"> and no other image", event, lang, r.HTML, len(d.Message.Images))
			}
			// Every name and subject that the HTML shows, it shows escaped.
			for _, want := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;"} {
				if strings.Contains(r.Text, html2text(want)) && !strings.Contains(r.HTML, want) {
					t.Errorf("Render(%q, %q, …).HTML = \n%s\nwant %q", event, lang, r.HTML, want)
				}
			}
		}
	}
}

// html2text undoes the escaping TestEscaping looks for.
func html2text(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">").Replace(s)
}

func TestSubjectOneLine(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	for _, lang := range Languages() {
		for _, event := range Events() {
			if event == Digest {
				continue // about no ticket: its subject is the date (TestDigestSubjectOneLine)
			}
			d := Sample(event)
			d.Ticket.Subject = "Help\r\nBcc: evil@example.com\n\tnow\x00\x1b[31m\u202eplease"
			d.Message.Author.Name = "Eve\r\nX-Evil: 1"
			r, err := s.Render(event, lang, d)
			if err != nil {
				t.Fatalf("Render(%q, %q, …) = %v, want no error", event, lang, err)
			}
			if strings.ContainsAny(r.Subject, "\r\n\t\x00\x1b\u202e") {
				t.Errorf("Render(%q, %q, …).Subject = %q, want one line without control characters", event, lang, r.Subject)
			}
			if !strings.Contains(r.Subject, "Help Bcc: evil@example.com now[31mplease") {
				t.Errorf("Render(%q, %q, …).Subject = %q, want the subject on one line", event, lang, r.Subject)
			}
		}
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"  a  b  ", "a b"},
		{"a\r\n\r\nb", "a b"},
		{"a\u00a0\u2028b", "a b"},
		{"a\x00b\x7fc\u0085d", "abc d"}, // U+0085 (NEL) is white space
		{"a \x00 b", "a b"},
		{"\u202eevil\u2066", "evil"},
		{"bad \xff utf-8", "bad \ufffd utf-8"},
		{"Åsa 工单", "Åsa 工单"},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanBody(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"\n\n a\r\nb\rc\n\n\n \n\td\x00\x1b\n\n", " a\nb\nc\n\n\td\n"},
		{"a", "a\n"},
	}
	for _, tt := range tests {
		if got := cleanBody(tt.in); got != tt.want {
			t.Errorf("cleanBody(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkerOnTop(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	for _, lang := range Languages() {
		for _, event := range Events() {
			r, err := s.Render(event, lang, Sample(event))
			if err != nil {
				t.Fatalf("Render(%q, %q, Sample) = %v, want no error", event, lang, err)
			}
			if want := Marker(lang) + "\n\n"; !strings.HasPrefix(r.Text, want) {
				t.Errorf("Render(%q, %q, Sample).Text = %q…, want prefix %q", event, lang, r.Text[:min(len(r.Text), 60)], want)
			}
			if i, j := strings.Index(r.HTML, Marker(lang)), strings.Index(r.HTML, "<p"); i < 0 || i > j {
				t.Errorf("Render(%q, %q, Sample).HTML has the marker at %d and the first paragraph at %d, want the marker first", event, lang, i, j)
			}
			if want := `<html lang="` + lang + `">`; !strings.Contains(r.HTML, want) {
				t.Errorf("Render(%q, %q, Sample).HTML lacks %q", event, lang, want)
			}
			if r.Language != lang {
				t.Errorf("Render(%q, %q, Sample).Language = %q, want %q", event, lang, r.Language, lang)
			}
		}
	}
}

func TestRenderNeutral(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	greetings := map[string]string{"en": "Hello,", "sv": "Hej,", "da": "Hej,", "zh": "您好！"}
	nosubject := map[string]string{"en": "Re: (no subject) [#1234]", "sv": "Re: (inget ämne) [#1234]",
		"da": "Re: (intet emne) [#1234]", "zh": "Re: （无主题） [#1234]"}
	for _, lang := range Languages() {
		d := Sample(StatusClosed)
		d.Recipient.Name = ""
		d.Ticket.Subject = ""
		r, err := s.Render(StatusClosed, lang, d)
		if err != nil {
			t.Fatalf("Render(%q, %q, …) = %v, want no error", StatusClosed, lang, err)
		}
		if want := Marker(lang) + "\n\n" + greetings[lang] + "\n"; !strings.HasPrefix(r.Text, want) {
			t.Errorf("Render(%q, %q, no name).Text = %q, want prefix %q", StatusClosed, lang, r.Text, want)
		}
		if r.Subject != nosubject[lang] {
			t.Errorf("Render(%q, %q, no subject).Subject = %q, want %q", StatusClosed, lang, r.Subject, nosubject[lang])
		}
	}
}

// TestRenderZero renders the zero Data: optional parts disappear, nothing
// fails.
func TestRenderZero(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	for _, lang := range Languages() {
		for _, event := range Events() {
			r, err := s.Render(event, lang, Data{})
			if err != nil {
				t.Fatalf("Render(%q, %q, Data{}) = %v, want no error", event, lang, err)
			}
			if r.Subject == "" || r.Text == "" || r.HTML == "" {
				t.Errorf("Render(%q, %q, Data{}) = %+v, want subject, text and HTML", event, lang, r)
			}
			if strings.Contains(r.Text, "0001") || strings.Contains(r.Text, "<no value>") {
				t.Errorf("Render(%q, %q, Data{}).Text = %q, want no zero values shown", event, lang, r.Text)
			}
		}
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	tests := []struct{ event, lang, want string }{
		{"ticket-recieved", "en", `unknown event "ticket-recieved"`},
		{"", "en", `unknown event ""`},
		{TicketReceived, "fr", `unsupported language "fr"`},
		{TicketReceived, "sv-SE", `unsupported language "sv-SE"`},
		{TicketReceived, "", `unsupported language ""`},
	}
	for _, tt := range tests {
		r, err := s.Render(tt.event, tt.lang, Sample(tt.event))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Render(%q, %q, Sample) = %v, want error containing %q", tt.event, tt.lang, err, tt.want)
		}
		if r != (Rendered{}) {
			t.Errorf("Render(%q, %q, Sample) = %+v, want zero Rendered with the error", tt.event, tt.lang, r)
		}
	}
}

// TestRenderConcurrent renders from many goroutines at once; run with -race.
func TestRenderConcurrent(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(Events()))
	for range 8 {
		for _, event := range Events() {
			wg.Go(func() {
				for _, lang := range Languages() {
					if _, err := s.Render(event, lang, Sample(event)); err != nil {
						errs <- fmt.Errorf("Render(%q, %q, Sample) = %w, want no error", event, lang, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	if err := embeddedSet(t).Check(); err != nil {
		t.Errorf("Check() = %v, want nil", err)
	}
}

func TestCheckBroken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "sv/sla-breach.txt", `{{define "subject"}}{{.Ticket.Tag}} {{.Ticket.Nope}}{{end}}
Hej`)
	write(t, dir, "da/reopened.html", `{{define "content"}}<a href="{{.Ticket.Subject}}{{end}}`) // ends inside an attribute: an escaping error
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q) = %v, want no error", dir, err)
	}
	err = s.Check()
	if err == nil {
		t.Fatalf("Check() = nil, want errors")
	}
	for _, want := range []string{"render sla-breach in sv", "can't evaluate field Nope", "render reopened in da"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v, want it to contain %q", err, want)
		}
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 2 {
		t.Errorf("Check() = %v: %d errors, want 2", err, n)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Errorf("Check() = %T, want errors.Join result", err)
	}
}

func TestCheckLayoutWithoutMarker(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "layout.html", `<!DOCTYPE html><html lang="{{.Language}}"><body>{{template "content" .}}</body></html>`)
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q) = %v, want no error", dir, err)
	}
	err = s.Check()
	if err == nil || !strings.Contains(err.Error(), "check ticket-received in en: HTML without the marker") {
		t.Errorf("Check() = %v, want an error for HTML without the marker", err)
	}
}

// TestCommandProblems renders commands-rejected with each Problem: every
// language words each one differently from the others and from the
// fallback for an unknown code, and shows the line, its number and the
// value.
func TestCommandProblems(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	problems := []string{ProblemUnknownCommand, ProblemMissingValue, ProblemUnexpectedValue, ProblemInvalidValue,
		ProblemUnknownAssignee, ProblemInvalidAddress, ProblemUnknownTicket, ProblemConflict}
	for _, lang := range Languages() {
		seen := map[string]string{} // text body → problem
		for _, p := range append(problems, "bogus") {
			d := Sample(CommandsRejected)
			d.Commands.Errors = []CommandError{{Line: 7, Text: "#cmd Wert", Problem: p, Value: "Wert", Allowed: []string{"Alpha", "Beta"}}}
			r, err := s.Render(CommandsRejected, lang, d)
			if err != nil {
				t.Fatalf("Render(%q, %q, problem %q) = %v, want no error", CommandsRejected, lang, p, err)
			}
			if other, ok := seen[r.Text]; ok {
				t.Errorf("Render(%q, %q, …).Text is the same for problems %q and %q:\n%s", CommandsRejected, lang, other, p, r.Text)
			}
			seen[r.Text] = p
			for _, want := range []string{"7", "#cmd Wert"} {
				if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
					t.Errorf("Render(%q, %q, problem %q) lacks %q in text or HTML:\n%s", CommandsRejected, lang, p, want, r.Text)
				}
			}
			switch p {
			case ProblemUnknownCommand, ProblemInvalidValue, ProblemUnknownAssignee, ProblemInvalidAddress, ProblemUnknownTicket:
				if strings.Count(r.Text, "Wert") != 2 {
					t.Errorf("Render(%q, %q, problem %q).Text = \n%s\nwant the value in the line and in the problem", CommandsRejected, lang, p, r.Text)
				}
			}
			switch p {
			case ProblemMissingValue, ProblemInvalidValue:
				if !strings.Contains(r.Text, "Alpha") || !strings.Contains(r.HTML, "Alpha") {
					t.Errorf("Render(%q, %q, problem %q) = \n%s\nwant the allowed values", CommandsRejected, lang, p, r.Text)
				}
			}
		}
	}
}

// TestUnverifiedReasons renders reply-unverified with each Reason: every
// language words each one differently from the others and from the
// fallback for an unknown code.
func TestUnverifiedReasons(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	reasons := []string{ReasonNoToken, ReasonOtherAgent, ReasonOtherTicket, ReasonInvalidToken, ReasonRetiredKey, ReasonDMARC, "", "bogus"}
	for _, lang := range Languages() {
		seen := map[string]string{} // text body → reason
		for _, reason := range reasons {
			d := Sample(ReplyUnverified)
			d.Reason = reason
			r, err := s.Render(ReplyUnverified, lang, d)
			if err != nil {
				t.Fatalf("Render(%q, %q, reason %q) = %v, want no error", ReplyUnverified, lang, reason, err)
			}
			other, ok := seen[r.Text]
			switch {
			case reason == "bogus" && (!ok || other != ""):
				t.Errorf("Render(%q, %q, reason %q).Text = \n%s\nwant the fallback, as for \"\"", ReplyUnverified, lang, reason, r.Text)
			case reason != "bogus" && ok:
				t.Errorf("Render(%q, %q, …).Text is the same for reasons %q and %q:\n%s", ReplyUnverified, lang, other, reason, r.Text)
			}
			seen[r.Text] = reason
		}
	}
}

// TestPrintable8: every byte value at every position of a word of
// printable ASCII, and pairs of them, is told apart as printable or not.
func TestPrintable8(t *testing.T) {
	printable := func(b byte) bool { return b >= 0x20 && b <= 0x7e }
	for a := range 256 {
		for b := range 256 {
			for pos := range 8 {
				w := []byte("abcdefgh")
				w[pos], w[(pos+3)%8] = byte(a), byte(b)
				want := printable(byte(a)) && printable(byte(b))
				if got := printable8(binary.LittleEndian.Uint64(w)); got != want {
					t.Fatalf("printable8(%q) = %v, want %v", w, got, want)
				}
			}
		}
	}
}

// TestCommandsRefused: a rejection is a refusal only when every problem is
// one, so that the mail does not call a right command invalid, nor a
// mistyped one merely refused.
func TestCommandsRefused(t *testing.T) {
	refusal := CommandError{Problem: ProblemOtherTeam, Value: "network"}
	mistake := CommandError{Problem: ProblemInvalidValue, Value: "Hgh"}
	for _, c := range []struct {
		errs []CommandError
		want bool
	}{
		{nil, false},
		{[]CommandError{refusal}, true},
		{[]CommandError{refusal, {Problem: ProblemLeadOnly}, {Problem: ProblemAssignedToOther}}, true},
		{[]CommandError{refusal, mistake}, false},
		{[]CommandError{mistake}, false},
		{[]CommandError{{Problem: "something-new"}}, false},
	} {
		if got := (Commands{Errors: c.errs}).Refused(); got != c.want {
			t.Errorf("Refused() of %v = %v, want %v", c.errs, got, c.want)
		}
	}
}
