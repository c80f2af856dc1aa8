package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorldReadableLiteralSecrets: a file anyone on the machine may read
// that writes out a secret, rather than taking it from the environment,
// loads with a warning naming the keys and their lines; a private file
// with a milder one; a file with only ${VAR} references without.
func TestWorldReadableLiteralSecrets(t *testing.T) {
	literal := `desk:
  name: Example Desk
  address: help@example.com
  secrets:
    - id: 1
      secret: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
smtp: {host: smtp.example.com, username: help@example.com, password: "hunter2"}
mailboxes:
  - name: support
    host: imap.example.com
    username: help@example.com
    password: ${IMAP_PASSWORD}
  - name: hr
    host: imap.example.com
    username: hr@example.com
    oauth2_token: "Bearer-${M365_TOKEN}"
`
	referenced := strings.NewReplacer("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "${SECRET}",
		`"hunter2"`, `"${SMTP_PASSWORD}"`, "Bearer-${M365_TOKEN}", "${M365_TOKEN}").Replace(literal)
	vars := map[string]string{"IMAP_PASSWORD": "pw", "M365_TOKEN": "tok", "SMTP_PASSWORD": "pw",
		"SECRET": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}
	for _, tc := range []struct {
		name string
		yaml string
		mode os.FileMode
		want string // "" for no warning
	}{
		{"literal secrets, readable by all", literal, 0o644,
			"is readable by every user of this machine (mode 0644) and writes out secrets: desk.secrets[0].secret (line 6), smtp.password (line 7), mailboxes[1].oauth2_token (line 16); write them as ${VAR} references to the environment, or chmod o-r "},
		{"literal secrets, private", literal, 0o640,
			"writes out secrets: desk.secrets[0].secret (line 6), smtp.password (line 7), mailboxes[1].oauth2_token (line 16); write them as ${VAR} references to the environment, so that"},
		{"references only, readable by all", referenced, 0o644, ""},
	} {
		path := filepath.Join(t.TempDir(), "deskgate.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path, env(vars))
		if err != nil {
			t.Fatalf("%s: Load = %v", tc.name, err)
		}
		var secrets []string // the other warnings are about the missing teams
		for _, w := range c.Warnings() {
			if strings.Contains(w, "writes out secrets") {
				secrets = append(secrets, w)
			}
		}
		got := strings.Join(secrets, "\n")
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, path+" "+tc.want) {
			t.Errorf("%s: Warnings() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSecretsFromFiles: a file whose secrets are ${file:…} references or
// come through NAME_FILE loads them, without a warning that it writes
// them out.
func TestSecretsFromFiles(t *testing.T) {
	creds := t.TempDir()
	for name, v := range map[string]string{"smtp-password": "smtp-pw\n", "imap-password": "imap-pw\n"} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	yaml := `desk: {name: Example Desk, address: help@example.com}
smtp: {host: smtp.example.com, username: help@example.com, password: "${file:smtp-password}"}
mailboxes:
  - {name: support, host: imap.example.com, username: help@example.com, password: "${IMAP_PASSWORD}"}
`
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, env(map[string]string{"CREDENTIALS_DIRECTORY": creds, "IMAP_PASSWORD_FILE": filepath.Join(creds, "imap-password")}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Password != "smtp-pw" || c.Mailboxes[0].Password != "imap-pw" {
		t.Errorf("Load read passwords %q and %q, want smtp-pw and imap-pw", c.SMTP.Password, c.Mailboxes[0].Password)
	}
	for _, w := range c.Warnings() {
		if strings.Contains(w, "writes out secrets") {
			t.Errorf("Warnings() = %q, want none about secrets written out", w)
		}
	}
}
