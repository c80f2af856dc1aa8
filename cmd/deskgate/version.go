package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// versionCmd prints the module version, the VCS revision and its time
// from the build information the Go toolchain stamps into the binary.
func versionCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if _, err := parseArgs(fs, args, noNumber); err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("version: this binary holds no build information")
	}
	fmt.Fprintln(stdout, versionText(bi))
	return nil
}

// versionText is one line: deskgate, the module version ("(devel)" for a
// build from a checkout), the revision, its time and whether the tree had
// changes, and the Go version.
func versionText(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "deskgate %s", cmp.Or(bi.Main.Version, "(unknown)"))
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, " revision %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(" with uncommitted changes")
		}
	}
	fmt.Fprintf(&b, " %s", bi.GoVersion)
	return b.String()
}
