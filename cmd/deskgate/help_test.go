package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var word = regexp.MustCompile(`^[a-z]+$`)

// commandWords returns each command of the usage text ("serve", "ticket
// list", …) with the text of its usage lines.
func commandWords(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		synopsis, _, _ := strings.Cut(strings.Trim(strings.TrimSpace(line), "|`"), "  ") // the usage text's description follows two spaces
		fields := strings.Fields(synopsis)
		if len(fields) < 2 || fields[0] != "deskgate" || !word.MatchString(fields[1]) {
			continue
		}
		words := []string{fields[1]}
		if len(fields) > 2 && word.MatchString(strings.Trim(fields[2], "`")) {
			words = append(words, strings.Trim(fields[2], "`"))
		}
		out[strings.Join(words, " ")] += line + "\n"
	}
	return out
}

var flagName = regexp.MustCompile(`(?:^|[\s\[|(` + "`" + `])-([a-z][a-z0-9]*)\b`)

// flagsIn returns the flags (without the dash) a text names, sorted.
func flagsIn(text string) []string {
	var out []string
	for _, m := range flagName.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// definedFlags returns the flags a -h output defines: its lines that start
// with the flag, not its descriptions (which may quote values such as
// "-number").
func definedFlags(help string) []string {
	var lines []string
	for _, l := range strings.Split(help, "\n") {
		if strings.HasPrefix(l, "  -") {
			lines = append(lines, l)
		}
	}
	return flagsIn(strings.Join(lines, "\n"))
}

// helpOf runs deskgate ARGS -h and returns what it printed.
func helpOf(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append(args, "-h"), &stdout, &stderr)
	if err != nil {
		t.Errorf("deskgate %s -h = %v (stderr %q), want its usage and flags", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestEverySubcommandPrintsItsFlags: deskgate CMD -h prints the command's
// usage and every flag it takes, for every command of the usage text, and
// for a command with subcommands the usage of each.
func TestEverySubcommandPrintsItsFlags(t *testing.T) {
	t.Setenv("DESKGATE_DATABASE_URL", "postgres://nowhere.invalid/none") // -h needs no database
	cmds := commandWords(usage)
	if len(cmds) < 15 {
		t.Fatalf("found %d commands in the usage text, want the twenty or so there are", len(cmds))
	}
	for words, lines := range cmds {
		out := helpOf(t, strings.Fields(words)...)
		if !strings.Contains(out, "deskgate "+words) {
			t.Errorf("deskgate %s -h printed %q, want its usage line", words, out)
		}
		for _, f := range flagsIn(lines) {
			if !regexp.MustCompile(`(?m)^\s+-` + f + `\b`).MatchString(out) {
				t.Errorf("deskgate %s -h printed %q, want flag -%s described", words, out, f)
			}
		}
		if group, _, ok := strings.Cut(words, " "); ok {
			if out := helpOf(t, group); !strings.Contains(out, "deskgate "+words) {
				t.Errorf("deskgate %s -h printed %q, want the usage of deskgate %s", group, out, words)
			}
		}
	}
}

// TestDocsListFlags: the flags each command takes (as its -h prints them)
// are those the usage text and docs/commands.md name for it.
func TestDocsListFlags(t *testing.T) {
	t.Setenv("DESKGATE_DATABASE_URL", "postgres://nowhere.invalid/none")
	page, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	_, ref, _ := strings.Cut(string(page), "## Command reference")
	ref, _, _ = strings.Cut(ref, "\n## ")
	var cells []string
	for _, line := range strings.Split(ref, "\n") {
		if cell, ok := strings.CutPrefix(line, "| `deskgate "); ok {
			cell, _, _ = strings.Cut(cell, " | ")
			cells = append(cells, "deskgate "+cell)
		}
	}
	docs := commandWords(strings.Join(cells, "\n"))
	for words, lines := range commandWords(usage) {
		var help bytes.Buffer
		if err := run(context.Background(), append(strings.Fields(words), "-h"), &help, io.Discard); err != nil {
			t.Errorf("deskgate %s -h = %v", words, err)
			continue
		}
		_, flags, _ := strings.Cut(help.String(), "\nFlags:\n")
		code := definedFlags(flags)
		if got := flagsIn(lines); !slices.Equal(got, code) {
			t.Errorf("the usage text names flags %q for deskgate %s, which takes %q", got, words, code)
		}
		if got := flagsIn(docs[words]); !slices.Equal(got, code) {
			t.Errorf("docs/commands.md names flags %q for deskgate %s, which takes %q", got, words, code)
		}
	}
}
