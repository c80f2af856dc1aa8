package api_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/ticketing"
)

// TestDocsCurlExamples runs every sh block of docs/api.md that uses curl,
// in order, against a server with two tickets: each must exit 0 (curl
// -f fails on any error status).
func TestDocsCurlExamples(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, 0)
	r.mail("support", "asa@example.se", "VPN down", "It does not connect.",
		ticketing.Attachment{Filename: "error.png", ContentType: "image/png", Data: []byte("\x89PNG")})
	r.mail("support", "asa@example.se", "VPN still down", "Again.")
	tok := r.token("maja@desk.example", api.ScopeWrite, 0)
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	ran := 0
	for _, b := range blocks {
		if !strings.Contains(b[1], "curl ") {
			continue
		}
		ran++
		cmd := exec.Command("sh", "-e", "-c", b[1])
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "DESKGATE_URL="+r.srv.URL, "TOKEN="+tok)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("docs/api.md example failed: %v\n%s\n%s", err, b[1], out)
		}
	}
	if ran < 6 {
		t.Errorf("ran %d curl examples of docs/api.md, want every one (at least 6)", ran)
	}
}
