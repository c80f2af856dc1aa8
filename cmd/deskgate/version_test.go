package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Path: "github.com/deskgate/deskgate", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "dc116aa0"}, {Key: "vcs.time", Value: "2026-12-07T12:00:00Z"},
			{Key: "vcs.modified", Value: "true"}}}
	want := "deskgate v1.4.0 revision dc116aa0 (2026-12-07T12:00:00Z) with uncommitted changes go1.24.1"
	if got := versionText(bi); got != want {
		t.Errorf("versionText = %q, want %q", got, want)
	}
	bi.Settings = nil
	if got, want := versionText(bi), "deskgate v1.4.0 go1.24.1"; got != want {
		t.Errorf("versionText without VCS information = %q, want %q", got, want)
	}
}

// TestVersionCommand: deskgate version prints this binary's build
// information, without a database or configuration.
func TestVersionCommand(t *testing.T) {
	t.Setenv("DESKGATE_DATABASE_URL", "postgres://nowhere.invalid/none")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	bi, _ := debug.ReadBuildInfo()
	if !strings.HasPrefix(out.String(), "deskgate ") || !strings.Contains(out.String(), bi.GoVersion) {
		t.Errorf("deskgate version = %q, want deskgate, the version and %s", out.String(), bi.GoVersion)
	}
}
