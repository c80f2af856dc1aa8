package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsListCommands checks that every command of the usage text is in
// the command reference (docs/commands.md), and every command there in the
// usage text.
func TestDocsListCommands(t *testing.T) {
	readme, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	_, ref, _ := strings.Cut(string(readme), "## Command reference")
	ref, _, _ = strings.Cut(ref, "\n## ")
	command := regexp.MustCompile(`deskgate ([a-z]+(?: [a-z]+)?)`)
	names := func(text, prefix string) map[string]bool {
		out := map[string]bool{}
		for _, line := range strings.Split(text, "\n") {
			if m := command.FindStringSubmatch(line); m != nil && strings.HasPrefix(strings.TrimSpace(line), prefix) {
				out[m[1]] = true
			}
		}
		return out
	}
	inUsage, inReadme := names(usage, "deskgate "), names(ref, "| `deskgate ")
	if len(inUsage) < 15 || len(inReadme) < 15 {
		t.Fatalf("found %d commands in the usage text and %d in docs/commands.md, want the twenty or so there are", len(inUsage), len(inReadme))
	}
	for c := range inUsage {
		if !inReadme[c] {
			t.Errorf("docs/commands.md lacks deskgate %s, which the usage text lists", c)
		}
	}
	for c := range inReadme {
		if !inUsage[c] {
			t.Errorf("the usage text lacks deskgate %s, which the docs/commands.md lists", c)
		}
	}
}
