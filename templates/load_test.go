package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// write creates dir/name (a slash path) with content.
func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "sv/status-closed.txt", `{{define "subject"}}Stängt: {{.Ticket.Subject}} {{.Ticket.Tag}}{{end}}
Hej {{.Recipient.Name}}! Ärendet är stängt.
`)
	write(t, dir, ".git/config", "ignored")
	write(t, dir, "sv/.status-closed.txt.swp", "ignored")
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q) = %v, want no error", dir, err)
	}
	embedded := embeddedSet(t)
	d := Sample(StatusClosed)
	r, err := s.Render(StatusClosed, "sv", d)
	if err != nil {
		t.Fatalf("Render(%q, sv, Sample) = %v, want no error", StatusClosed, err)
	}
	if want := `Stängt: Printer prints <b>&"quotes"</b> instead of text [#1234]`; r.Subject != want {
		t.Errorf("Render(%q, sv, Sample).Subject = %q, want %q", StatusClosed, r.Subject, want)
	}
	if want := Marker("sv") + "\n\nHej Åsa Lindqvist! Ärendet är stängt.\n"; r.Text != want {
		t.Errorf("Render(%q, sv, Sample).Text = %q, want %q", StatusClosed, r.Text, want)
	}
	// The HTML of the same event, and everything else, stay embedded.
	for _, c := range []struct{ event, lang string }{{StatusClosed, "sv"}, {StatusClosed, "en"}, {TicketReceived, "sv"}} {
		got, err1 := s.Render(c.event, c.lang, Sample(c.event))
		want, err2 := embedded.Render(c.event, c.lang, Sample(c.event))
		if err1 != nil || err2 != nil {
			t.Fatalf("Render(%q, %q, Sample) = %v, %v, want no errors", c.event, c.lang, err1, err2)
		}
		if c.event == StatusClosed && c.lang == "sv" {
			got.Subject, got.Text, want.Subject, want.Text = "", "", "", ""
		}
		if got != want {
			t.Errorf("Render(%q, %q, Sample) with override dir = %+v, want the embedded %+v", c.event, c.lang, got, want)
		}
	}
}

func TestLoadOverrideLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "layout.html", `<!DOCTYPE html><html lang="{{.Language}}"><body><p>{{marker}}</p>{{template "content" .}}<p>{{.Desk.Address}}</p></body></html>`)
	write(t, dir, "zh/reopened.html", `{{define "content"}}<p>{{.Recipient.Name}}，已重新打开。</p>{{end}}`)
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q) = %v, want no error", dir, err)
	}
	r, err := s.Render(Reopened, "zh", Sample(Reopened))
	if err != nil {
		t.Fatalf("Render(%q, zh, Sample) = %v, want no error", Reopened, err)
	}
	want := `<!DOCTYPE html><html lang="zh"><body><p>##- 请在此行上方输入您的回复 -##</p><p>Åsa Lindqvist，已重新打开。</p><p>support@nordvik.example</p></body></html>` + "\n"
	if r.HTML != want {
		t.Errorf("Render(%q, zh, Sample).HTML = %q, want %q", Reopened, r.HTML, want)
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check() = %v, want nil", err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  []string // in the error, after replacing the directory with DIR
	}{{
		name:  "text syntax error",
		files: map[string]string{"da/reopened.txt": "{{define \"subject\"}}Re: {{.Ticket.Subject}}{{end}}\nHej,\n\n{{.Ticket.Tag}\n"},
		want:  []string{"DIR/da/reopened.txt:4: "},
	}, {
		name:  "html syntax error",
		files: map[string]string{"en/new-ticket.html": "{{define \"content\"}}\n<p>{{if .Ticket.Team}}</p>\n{{end}}"},
		want:  []string{"DIR/en/new-ticket.html:3: "},
	}, {
		name:  "unknown function",
		files: map[string]string{"zh/sla-warning.txt": "{{define \"subject\"}}x{{end}}\n\n{{upper .Ticket.Tag}}"},
		want:  []string{"DIR/zh/sla-warning.txt:3: ", `function "upper" not defined`},
	}, {
		name:  "layout syntax error",
		files: map[string]string{"layout.html": "<html>\n{{template \"content\" .}\n</html>"},
		want:  []string{"DIR/layout.html:2: "},
	}, {
		name:  "no subject",
		files: map[string]string{"en/reopened.txt": "Hello"},
		want:  []string{`DIR/en/reopened.txt: no {{define "subject"}}`},
	}, {
		name:  "no body",
		files: map[string]string{"en/reopened.txt": "{{define \"subject\"}}x{{end}}\n\n"},
		want:  []string{`DIR/en/reopened.txt: no text body`},
	}, {
		name:  "no content",
		files: map[string]string{"sv/reopened.html": "<p>Hej</p>"},
		want:  []string{`DIR/sv/reopened.html: no {{define "content"}}`},
	}, {
		name:  "text outside content",
		files: map[string]string{"sv/reopened.html": "<p>Hej</p>{{define \"content\"}}<p>Hej</p>{{end}}"},
		want:  []string{`DIR/sv/reopened.html: text outside {{define "content"}}`},
	}, {
		name:  "misspelt event",
		files: map[string]string{"en/ticket-recieved.txt": "{{define \"subject\"}}x{{end}}x"},
		want:  []string{"DIR/en/ticket-recieved.txt: unknown file"},
	}, {
		name:  "wrong extension",
		files: map[string]string{"en/ticket-received.tmpl": "x", "en/ticket-received.txt~": "x"},
		want:  []string{"DIR/en/ticket-received.tmpl: unknown file", "DIR/en/ticket-received.txt~: unknown file"},
	}, {
		name:  "unsupported language",
		files: map[string]string{"fr/ticket-received.txt": "x", "sv-SE/ticket-received.txt": "x"},
		want:  []string{"DIR/fr: unsupported language", "DIR/sv-SE: unsupported language"},
	}, {
		name:  "file outside a language",
		files: map[string]string{"ticket-received.txt": "x"},
		want:  []string{"DIR/ticket-received.txt: unknown file"},
	}, {
		name:  "directory inside a language",
		files: map[string]string{"en/old/ticket-received.txt": "x"},
		want:  []string{"DIR/en/old: unknown file"},
	}, {
		name: "every problem at once",
		files: map[string]string{
			"en/ticket-recieved.txt": "x",
			"sv/reopened.txt":        "{{define \"subject\"}}{{end}}{{",
		},
		want: []string{"DIR/en/ticket-recieved.txt: unknown file", "DIR/sv/reopened.txt:1: "},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			s, err := Load(dir)
			if err == nil {
				t.Fatalf("Load(%q) = %v, nil, want an error", dir, s)
			}
			got := strings.ReplaceAll(err.Error(), dir, "DIR")
			for _, want := range tt.want {
				if !strings.Contains(got, filepath.FromSlash(want)) {
					t.Errorf("Load(DIR) = %v, want an error containing %q", got, want)
				}
			}
		})
	}
}

func TestLoadMissingDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load(%q) = %v, want an error naming the directory", dir, err)
	}
}

// TestLoadSymlinks accepts language directories and files that are
// symbolic links, as in a Kubernetes ConfigMap volume.
func TestLoadSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "..data/en/reopened.txt", "{{define \"subject\"}}Reopened {{.Ticket.Tag}}{{end}}\nReopened.")
	if err := os.Symlink(filepath.Join("..data", "en"), filepath.Join(dir, "en")); err != nil {
		t.Skipf("no symbolic links: %v", err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q) = %v, want no error", dir, err)
	}
	if r, err := s.Render(Reopened, "en", Sample(Reopened)); err != nil || r.Subject != "Reopened [#1234]" {
		t.Errorf("Render(%q, en, Sample) = %q, %v, want subject %q", Reopened, r.Subject, err, "Reopened [#1234]")
	}
}
