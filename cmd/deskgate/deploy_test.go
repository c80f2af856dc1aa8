package main

import (
	"bufio"
	"bytes"
	"context"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/config"
)

// TestSystemdUnitVerifies runs systemd-analyze verify on
// deploy/deskgate.service (with ExecStart pointed at this test binary, as
// verify wants an executable there), which must print nothing: it exits 0
// even for unknown keys and bad values, and says so on stderr.
func TestSystemdUnitVerifies(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/deskgate.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "LoadCredential=",
		"ExecStart=/usr/local/bin/deskgate serve "} {
		if !bytes.Contains(unit, []byte("\n"+want)) {
			t.Errorf("deploy/deskgate.service lacks %s", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit is checked statically only")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "deskgate.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/deskgate"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify deploy/deskgate.service = %v:\n%s", err, out)
	}
}

// TestSystemdUnitCredentialsAreRead: every credential the unit loads is
// read by the configuration docs/operations.md shows beside it, which
// loads with them in $CREDENTIALS_DIRECTORY.
func TestSystemdUnitCredentialsAreRead(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/deskgate.service")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	creds := regexp.MustCompile(`(?m)^LoadCredential=([a-z-]+):`).FindAllSubmatch(unit, -1)
	if len(creds) == 0 {
		t.Fatal("deploy/deskgate.service loads no credential")
	}
	dir := t.TempDir()
	for _, m := range creds {
		if !bytes.Contains(ops, []byte("${file:"+string(m[1])+"}")) {
			t.Errorf("deploy/deskgate.service loads credential %s, which docs/operations.md's configuration never reads as ${file:%s}", m[1], m[1])
		}
		if err := os.WriteFile(filepath.Join(dir, string(m[1])), []byte(strings.Repeat("5e", 32)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, section, _ := strings.Cut(string(ops), "## Running under systemd or Docker")
	_, yaml, _ := strings.Cut(section, "```yaml\n")
	yaml, _, _ = strings.Cut(yaml, "```")
	env := func(k string) (string, bool) { return dir, k == "CREDENTIALS_DIRECTORY" }
	if _, err := config.Parse([]byte(yaml), "docs/operations.md", env); err != nil {
		t.Errorf("the configuration docs/operations.md shows for the unit, with its credentials: %v", err)
	}
}

// TestDockerfile checks deploy/Dockerfile statically: several stages, a
// static binary, a Go at least go.mod's, a final stage that runs as a user
// other than root; and builds it where a container engine answers.
func TestDockerfile(t *testing.T) {
	src, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms, users []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "FROM":
			froms, users = append(froms, f[1]), nil
		case "USER":
			users = append(users, f[1])
		}
	}
	if len(froms) < 2 {
		t.Errorf("deploy/Dockerfile has %d stages, want a build stage and a small final one", len(froms))
	}
	if !bytes.Contains(src, []byte("CGO_ENABLED=0 go build")) {
		t.Error("deploy/Dockerfile does not build with CGO_ENABLED=0")
	}
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1], "0") || strings.HasPrefix(users[len(users)-1], "root") {
		t.Errorf("deploy/Dockerfile's final stage runs as %q, want an unprivileged user", users)
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(mod)
	got := regexp.MustCompile(`^golang:(\d+)\.(\d+)`).FindStringSubmatch(froms[0])
	if want == nil || got == nil || atoi(got[1]) < atoi(string(want[1])) || atoi(got[1]) == atoi(string(want[1])) && atoi(got[2]) < atoi(string(want[2])) {
		t.Errorf("deploy/Dockerfile builds with %s, want a golang image at least go.mod's go %s.%s", froms[0], want[1], want[2])
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestDockerImageBuilds builds deploy/Dockerfile and runs deskgate version
// in the image, where docker answers and has the base image (or may fetch
// it: DESKGATE_TEST_DOCKER=1); otherwise it says why it did not.
func TestDockerImageBuilds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker is not installed, so deploy/Dockerfile is not built")
	}
	if out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput(); err != nil {
		t.Skipf("docker does not answer, so deploy/Dockerfile is not built: %v: %s", err, lastLine(out))
	}
	src, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	base := regexp.MustCompile(`(?m)^FROM (golang:\S+)`).FindSubmatch(src)
	if base == nil {
		t.Fatal("deploy/Dockerfile has no golang build stage")
	}
	if err := exec.CommandContext(ctx, "docker", "image", "inspect", string(base[1])).Run(); err != nil && os.Getenv("DESKGATE_TEST_DOCKER") != "1" {
		t.Skipf("docker lacks the base image %s, so deploy/Dockerfile is not built (DESKGATE_TEST_DOCKER=1 lets it fetch the image)", base[1])
	}
	tag := "deskgate-test:" + strconv.Itoa(os.Getpid())
	if out, err := exec.CommandContext(ctx, "docker", "build", "-f", "deploy/Dockerfile", "-t", tag, "../..").CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", tag).Run()
	out, err := exec.CommandContext(ctx, "docker", "run", "--rm", tag, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "deskgate ") {
		t.Errorf("docker run %s version = %v: %s", tag, err, out)
	}
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// TestTimeZonesEmbedded: package main imports time/tzdata, so that the
// calendars' time zones load on scratch, which has no zoneinfo.
func TestTimeZonesEmbedded(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			if imp.Path.Value == `"time/tzdata"` {
				return
			}
		}
	}
	t.Error("package main does not import time/tzdata: calendars' time zones would not load in the scratch image")
}
