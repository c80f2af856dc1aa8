package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestReferenceListsKeys checks that every key of the sections below is in
// the configuration reference (docs/configuration.md, as `section.key`,
// a mailbox's each in a row of its own) and is shown in deskgate.example.yaml (as key:, perhaps
// commented out), so that a new key cannot go undocumented, and that the
// rows of defaults computed in code say those defaults. The other
// sections' keys are documented in groups (events, limits, matrix cells,
// weekdays) and not checked here.
func TestReferenceListsKeys(t *testing.T) {
	reference, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../deskgate.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		prefix string
		typ    reflect.Type
		row    bool // each key opens a row of its own; else it is named, as smtp.oauth2's are in one row
	}{
		{"desk", reflect.TypeFor[Desk](), false},
		{"ingest", reflect.TypeFor[Ingest](), false},
		{"tickets", reflect.TypeFor[Tickets](), false},
		{"mailboxes[]", reflect.TypeFor[Mailbox](), true},
		{"mailboxes[].oauth2", reflect.TypeFor[OAuth2](), false},
		{"smtp", reflect.TypeFor[SMTP](), false},
		{"smtp.oauth2", reflect.TypeFor[OAuth2](), false},
		{"verification", reflect.TypeFor[Verification](), false},
		{"digest", reflect.TypeFor[Digest](), true},
		{"retention", reflect.TypeFor[Retention](), false},
		{"http", reflect.TypeFor[HTTP](), false},
		{"log", reflect.TypeFor[Log](), false},
		{"webhooks[]", reflect.TypeFor[Webhook](), true},
	} {
		for f := range s.typ.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			path := s.prefix + "." + key
			switch {
			case s.row && !strings.Contains(string(reference), "| `"+path+"`"):
				t.Errorf("docs/configuration.md has no row for `%s`", path)
			case !strings.Contains(string(reference), "`"+path+"`"):
				t.Errorf("docs/configuration.md lacks `%s`", path)
			}
			if !regexp.MustCompile(`(?m)^\s+(# )?(- )?` + regexp.QuoteMeta(key) + `:`).Match(example) {
				t.Errorf("deskgate.example.yaml does not show %s: (in %s)", key, s.prefix)
			}
		}
	}
	for key, def := range map[string]string{"mailboxes[].existing_mail": string(defaultExistingMail),
		"mailboxes[].max_age_to_answer":      shortDuration(defaultMaxAgeToAnswer),
		"retention.webhook_deliveries_after": shortDuration(defaultWebhookDeliveriesAfter)} {
		if row := "| `" + key + "` | `" + def + "` |"; !strings.Contains(string(reference), row) {
			t.Errorf("docs/configuration.md has no row %q: the default is %s", row, def)
		}
	}
}
