package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
)

// notRun is how a shell block of the docs says it is not run by
// TestDocsCommandsRun, and why, on its first line; runElsewhere, which
// other test runs it (docs/api.md's curl examples: api's
// TestDocsCurlExamples).
const (
	notRun       = "# not run by the tests: "
	runElsewhere = "# run by "
)

// docCommand is one command line shown in the docs.
type docCommand struct {
	where string   // file:line
	args  []string // the words, the program first
	run   bool     // false: in a block marked notRun, or inline in the text
}

// docCommands finds the commands of docPages:
// every line of a sh block (continued with \), the lines starting "$ " of
// other blocks, and every `deskgate …` or `make …` inline in the text.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	inline := regexp.MustCompile("`((?:deskgate|make) [^`]*)`")
	var out []docCommand
	for _, page := range docPages(t) {
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(page, "../../")
		lines := strings.Split(string(src), "\n")
		inBlock, shell, run := false, false, true
		for i := 0; i < len(lines); i++ {
			line := strings.TrimSpace(lines[i])
			where := fmt.Sprintf("%s:%d", name, i+1)
			if lang, ok := strings.CutPrefix(line, "```"); ok {
				if inBlock = !inBlock; inBlock {
					shell = lang == "sh"
					first := ""
					if i+1 < len(lines) {
						first = strings.TrimSpace(lines[i+1])
					}
					run = !strings.HasPrefix(first, notRun) && !strings.HasPrefix(first, runElsewhere)
				}
				continue
			}
			if !inBlock {
				for _, m := range inline.FindAllStringSubmatch(line, -1) {
					out = append(out, docCommand{where: where, args: shellWords(m[1])})
				}
				continue
			}
			cmd, prompt := strings.CutPrefix(line, "$ ")
			if !prompt && !shell || cmd == "" || strings.HasPrefix(cmd, "#") {
				continue
			}
			for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(lines[i])
			}
			if c, _, ok := strings.Cut(cmd, " # "); ok { // a comment after the command
				cmd = c
			}
			out = append(out, docCommand{where: where, args: shellWords(cmd), run: run})
		}
	}
	return out
}

// shellWords splits a command line as sh does, for the quoting the docs
// use: words separated by blanks, '…' and "…" quoting.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// TestDocsCommandsRun runs every deskgate command the docs show in a shell
// block, in-process, against a database holding the demo's mail, in a
// directory holding the files they name (deskgate.yaml and demo.yaml the
// demo's configuration, vpn.eml and some.eml its Swedish VPN message), and
// checks every make command with make -n. A block whose first line says
// "# not run by the tests: why" (third-party commands: systemctl, pg_dump,
// docker, …; commands that need your own servers) is not run, but its
// deskgate commands and those inline in the text must still parse: each
// is run with -h appended, which checks the command and any flags before it.
func TestDocsCommandsRun(t *testing.T) {
	cmds := docCommands(t)
	if len(cmds) < 50 {
		t.Fatalf("found %d commands in the docs, want the hundred or so there are", len(cmds))
	}
	pool := useDatabase(t)
	ctx := context.Background()
	imapAddr, smtpAddr := demoDesk(t, pool)
	dir := t.TempDir()
	if err := writeDemoConfig(dir, imapAddr, smtpAddr, "help@desk.example", "pw"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"deskgate.yaml", "vpn.eml", "some.eml"} {
		content := []byte(demoYAML(imapAddr, smtpAddr, "help@desk.example", "pw"))
		if f != "deskgate.yaml" {
			content = demo.Messages()[1].Raw
		}
		if err := os.WriteFile(filepath.Join(dir, f), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ran := 0
	for _, c := range cmds {
		prog := c.args[0]
		switch {
		case prog == "make":
			if out, err := exec.Command("make", append([]string{"-n", "-C", repo}, c.args[1:]...)...).CombinedOutput(); err != nil {
				t.Errorf("%s: %s: make -n: %v\n%s", c.where, strings.Join(c.args, " "), err, out)
			}
		case prog == "deskgate" || prog == "bin/deskgate":
			args := c.args[1:]
			if !c.run {
				args = append(slices.Clone(args), "-h")
				for i, a := range args {
					if a == "N" { // a placeholder for a number, which flags read before -h
						args[i] = "1"
					}
				}
			}
			var stdout, stderr bytes.Buffer
			if err := run(ctx, args, &stdout, &stderr); err != nil {
				t.Errorf("%s: deskgate %s: %v\n%s", c.where, strings.Join(args, " "), err, stderr.String())
			}
			if c.run {
				t.Logf("%s: ran deskgate %s", c.where, strings.Join(args, " "))
				ran++
			}
		case c.run:
			t.Errorf("%s: %s is not deskgate or make: start its block with %q and say why", c.where, prog, notRun)
		}
	}
	if ran < 3 {
		t.Errorf("ran %d deskgate commands from the docs, want the handful there are", ran)
	}
}

// demoDesk delivers the demo's mail and extra to an IMAP server, runs
// serve against pool until all of it is processed, stops serve, and
// returns the addresses of the IMAP and SMTP servers, which run until the
// test ends.
func demoDesk(t *testing.T, pool *pgxpool.Pool, extra ...[]byte) (imapAddr, smtpAddr string) {
	t.Helper()
	ctx := context.Background()
	srv, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	smtpAddr = testSMTP(t)
	mail := extra
	for _, m := range demo.Messages() {
		mail = append(mail, m.Raw)
	}
	for _, raw := range mail {
		if _, err := srv.Append("INBOX", raw); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- serve(runCtx, demoConfig(srv.Addr(), smtpAddr, "help@desk.example", "pw"), pool, slog.New(slog.DiscardHandler))
	}()
	if err := waitProcessed(ctx, pool, len(mail), served); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	return srv.Addr(), smtpAddr
}
