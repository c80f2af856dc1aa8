package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// helpRequested is -h or -help given to a command: run prints the
// command's usage and flags and succeeds.
type helpRequested struct{ fs *flag.FlagSet }

func (h helpRequested) Error() string { return h.fs.Name() + ": help requested" }

// printHelp turns a helpRequested error into the command's help on w;
// any other error is returned as it is.
func printHelp(err error, w io.Writer) error {
	var h helpRequested
	if !errors.As(err, &h) {
		return err
	}
	fmt.Fprintf(w, "Usage:\n%s", usageOf(h.fs.Name()))
	n := 0
	h.fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprintln(w, "\nFlags: none")
		return nil
	}
	fmt.Fprintln(w, "\nFlags:")
	h.fs.SetOutput(w)
	h.fs.PrintDefaults()
	return nil
}

// groupHelp is the usage of every subcommand of cmd, when args asks for
// help on a command that has subcommands (deskgate ticket -h).
func groupHelp(cmd string, args []string) (string, bool) {
	if len(args) == 0 || !isHelpFlag(args[0]) {
		return "", false
	}
	text := usageOf(cmd)
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "deskgate "+cmd+" "); ok {
			if sub, _, _ := strings.Cut(rest, " "); strings.Trim(sub, "abcdefghijklmnopqrstuvwxyz") == "" {
				return "Usage:\n" + text, true
			}
		}
	}
	return "", false // a command without subcommands: its flags say more
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "--h"
}

// usageOf is the lines of the usage text for the command name ("ticket",
// "ticket list"), with the lines that continue them.
func usageOf(name string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(usage, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "deskgate "):
			in = trimmed == "deskgate "+name || strings.HasPrefix(trimmed, "deskgate "+name+" ")
		case !strings.HasPrefix(line, "    "):
			in = false
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	if b.Len() == 0 {
		return "  deskgate " + name + "\n"
	}
	return b.String()
}
