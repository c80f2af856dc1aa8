package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// TestConfigCheckConnect runs config check -connect against the
// in-process servers: a wrong password, a token the server refuses and an
// address nobody listens on fail by name with the server's reply (exit
// status 1); once all is right only warnings remain (exit status 0).
func TestConfigCheckConnect(t *testing.T) {
	useDatabase(t)
	imap, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer imap.Close()
	if _, err := imap.Append("IT", []byte("Subject: x\r\n\r\nx\r\n")); err != nil { // makes the folder
		t.Fatal(err)
	}
	m365, err := imapmem.Start(imapmem.Options{Username: "hr@desk.example", OAuth2Token: "good-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer m365.Close()
	smtp, err := smtpmem.Start(smtpmem.Options{Tokens: map[string]string{"help@desk.example": "good-token"}})
	if err != nil {
		t.Fatal(err)
	}
	defer smtp.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	write := func(pw, token string) string {
		_, ip := splitHostPort(imap.Addr())
		_, mp := splitHostPort(m365.Addr())
		path := filepath.Join(t.TempDir(), "deskgate.yaml")
		yaml := fmt.Sprintf(`desk: {name: D, address: help@desk.example}
smtp: {host: 127.0.0.1, port: %d, tls: plain, username: help@desk.example, oauth2_token: %q}
mailboxes:
  - {name: support, host: 127.0.0.1, port: %d, tls: plain, username: help@desk.example, password: pw}
  - {name: it, host: 127.0.0.1, port: %d, tls: plain, username: help@desk.example, password: %q, folder: IT}
  - {name: hr, host: 127.0.0.1, port: %d, tls: plain, username: hr@desk.example, oauth2_token: %q}
`, smtp.Port(), token, ip, ip, pw, mp, token)
		if pw != "pw" { // the bad configuration also has a server nobody runs
			yaml += fmt.Sprintf("  - {name: gone, host: 127.0.0.1, port: %d, tls: plain, username: u, password: pw, command_timeout: 5s}\n", gone)
		}
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	var out bytes.Buffer
	err = run(context.Background(), []string{"config", "check", "-connect", "-config", write("wrong", "stale-token")}, &out, io.Discard)
	t.Logf("config check -connect:\n%s", out.String())
	var u usageError
	if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), "4 of 6 connection checks failed") {
		t.Errorf("config check -connect with bad credentials = %v, want a failure (exit status 1) counting 4 of 6", err)
	}
	for _, want := range []string{
		"mailbox support: OK: logged in to 127.0.0.1:",
		"mailbox it: login failed: log in to 127.0.0.1:",
		`as "help@desk.example": login rejected: imap: NO [AUTHENTICATIONFAILED]`,
		`mailbox hr: login failed: XOAUTH2 login to 127.0.0.1:`,
		"mailbox gone: cannot connect: connect to 127.0.0.1:",
		"smtp: login failed: connecting to 127.0.0.1:",
		"535 5.7.8",
		"database: OK: connected",
		"warning: ", // no team serves the queues
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config check -connect printed\n%s\nwant %q in it", out.String(), want)
		}
	}
	if n := strings.Count(out.String(), "login failed"); n != 3 {
		t.Errorf("config check -connect printed %d login failures, want 3:\n%s", n, out.String())
	}

	out.Reset()
	if err := run(context.Background(), []string{"config", "check", "-connect", "-config", write("pw", "good-token")}, &out, io.Discard); err != nil {
		t.Errorf("config check -connect with good credentials = %v, want success (exit status 0) with warnings only:\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "failed") || !strings.Contains(out.String(), "warning: ") || !strings.Contains(out.String(), "smtp: OK: logged in") {
		t.Errorf("config check -connect printed\n%s\nwant every check OK and the warnings", out.String())
	}

	out.Reset()
	t.Setenv("DESKGATE_DATABASE_URL", "")
	if err := run(context.Background(), []string{"config", "check", "-config", write("wrong", "stale-token")}, &out, io.Discard); err != nil {
		t.Errorf("config check without -connect = %v, want it offline and accepted", err)
	}
	if strings.Contains(out.String(), "login") {
		t.Errorf("config check without -connect printed\n%s\nwant no connection checks", out.String())
	}
}

// TestConfigCheckReadsOAuth2Files: config check, offline, reads the
// certificate, key and service account files that serve reads at start,
// so that it does not say OK for a file serve refuses.
func TestConfigCheckReadsOAuth2Files(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "deskgate.yaml")
	yaml := fmt.Sprintf(`desk: {name: D, address: help@desk.example}
smtp: {host: 127.0.0.1, port: 25, tls: plain, auth: none}
mailboxes:
  - name: support
    host: 127.0.0.1
    tls: implicit
    username: help@desk.example
    oauth2: {provider: microsoft, flow: client_credentials, tenant: t, client_id: app,
             certificate: %s, key: %s}
`, filepath.Join(dir, "missing.crt"), filepath.Join(dir, "missing.key"))
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"config", "check", "-config", path}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("config check with a certificate file that does not exist = %v, printed\n%s\nwant an error naming the file", err, out.String())
	}
}
