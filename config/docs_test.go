package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestMailboxKeysDocumented: every key of a mailbox is in the README's
// configuration reference and in deskgate.example.yaml.
func TestMailboxKeysDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../deskgate.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeFor[Mailbox]()
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		if !strings.Contains(string(readme), "| `mailboxes[]."+key) {
			t.Errorf("README.md's configuration reference has no row for mailboxes[].%s", key)
		}
		if !regexp.MustCompile(`(?m)^\s+(# )?(- )?` + regexp.QuoteMeta(key) + `:`).Match(example) {
			t.Errorf("deskgate.example.yaml does not show mailboxes[].%s", key)
		}
	}
	for key, def := range map[string]string{"existing_mail": string(defaultExistingMail),
		"max_age_to_answer": shortDuration(defaultMaxAgeToAnswer)} {
		if row := "| `mailboxes[]." + key + "` | `" + def + "` |"; !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no row %q: the default is %s", row, def)
		}
	}
}
