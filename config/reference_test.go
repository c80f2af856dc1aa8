package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestReferenceListsKeys checks that every key of the sections below is in
// the README's configuration reference (as `section.key`) and in
// deskgate.example.yaml (as key:, perhaps commented out), so that a new key
// cannot go undocumented. The other sections' keys are documented in
// groups (events, limits, matrix cells, weekdays) and not checked here.
func TestReferenceListsKeys(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
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
	}{
		{"desk", reflect.TypeFor[Desk]()},
		{"ingest", reflect.TypeFor[Ingest]()},
		{"tickets", reflect.TypeFor[Tickets]()},
		{"mailboxes[]", reflect.TypeFor[Mailbox]()},
		{"smtp", reflect.TypeFor[SMTP]()},
		{"verification", reflect.TypeFor[Verification]()},
	} {
		for f := range s.typ.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			if path := s.prefix + "." + key; !strings.Contains(string(readme), "`"+path+"`") {
				t.Errorf("README.md's configuration reference lacks `%s`", path)
			}
			if !regexp.MustCompile(`(?m)^[ #-]*` + regexp.QuoteMeta(key) + `:`).Match(example) {
				t.Errorf("deskgate.example.yaml lacks %s: (in %s)", key, s.prefix)
			}
		}
	}
}
