package templates

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden returns r as stored in a golden file.
func golden(r Rendered) string {
	return "Subject: " + r.Subject + "\nLanguage: " + r.Language + "\n\n==== text ====\n" + r.Text + "==== html ====\n" + r.HTML
}

// TestGolden renders every event in every language with Sample data and
// compares with testdata/golden/<lang>/<event>.golden; -update rewrites them.
func TestGolden(t *testing.T) {
	t.Parallel()
	checkGolden(t, Sample, "")
}

// TestGoldenRefused renders commands-rejected for commands an agent may not
// give (docs/agents.md's permission table) in every language, into
// testdata/golden/<lang>/commands-rejected-refused.golden.
func TestGoldenRefused(t *testing.T) {
	t.Parallel()
	checkGolden(t, func(event string) Data {
		d := Sample(event)
		if event != CommandsRejected {
			return d
		}
		d.Message.Text = "#priority High\n#assign team:Servers & Network\n\nHi Åsa, the printer works again."
		d.Commands.Errors = []CommandError{
			{Line: 1, Text: "#priority High", Problem: ProblemAssignedToOther, Value: "Bob Example"},
			{Line: 2, Text: "#assign team:Servers & Network", Problem: ProblemLeadOnly, Value: "Servers & Network"},
			{Text: "Hi Åsa, the printer works again.", Problem: ProblemOtherTeam, Value: "Workplace IT"},
		}
		return d
	}, "-refused", CommandsRejected)
}

// TestGoldenExpiredToken renders reply-unverified for a reply whose token
// is too old to command, in every language, into
// testdata/golden/<lang>/reply-unverified-expired.golden.
func TestGoldenExpiredToken(t *testing.T) {
	t.Parallel()
	checkGolden(t, func(event string) Data {
		d := Sample(event)
		d.Reason = ReasonExpiredToken
		return d
	}, "-expired", ReplyUnverified)
}

// checkGolden compares the rendering of events (all when none are given)
// from sample in every language with testdata/golden/<lang>/<event><suffix>.golden.
func checkGolden(t *testing.T, sample func(string) Data, suffix string, events ...string) {
	s := embeddedSet(t)
	if len(events) == 0 {
		events = Events()
	}
	for _, lang := range Languages() {
		for _, event := range events {
			t.Run(lang+"/"+event, func(t *testing.T) {
				t.Parallel()
				r, err := s.Render(event, lang, sample(event))
				if err != nil {
					t.Fatalf("Render(%q, %q, Sample(%q)) = %v, want no error", event, lang, event, err)
				}
				got := golden(r)
				path := filepath.Join("testdata", "golden", lang, event+suffix+".golden")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./templates -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("Render(%q, %q, Sample(%q)) = \n%s\nwant (%s)\n%s", event, lang, event, got, path, want)
				}
			})
		}
	}
}

// embeddedSet loads the embedded templates.
func embeddedSet(t *testing.T) *Set {
	t.Helper()
	s, err := Load("")
	if err != nil {
		t.Fatalf(`Load("") = %v, want no error`, err)
	}
	return s
}
