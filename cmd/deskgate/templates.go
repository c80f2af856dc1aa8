package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/mailout"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// templatesCmd checks the notification templates or previews one email.
func templatesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" && args[0] != "preview" {
		return usageError("templates: want check or preview EVENT")
	}
	fs := flag.NewFlagSet("templates "+args[0], flag.ContinueOnError)
	path := configFlag(fs)
	lang := new(string)
	if args[0] == "preview" {
		lang = fs.String("lang", "", "language of the preview: "+strings.Join(templates.Languages(), ", ")+"; default the desk's")
	}
	_, rest, err := positional(fs, args[1:], 0)
	if err != nil {
		return err
	}
	cfg, err := templatesConfig(*path, stderr)
	if err != nil {
		return err
	}
	if args[0] == "check" {
		if len(rest) > 0 {
			return usageError(fmt.Sprintf("templates check: unexpected argument %q", rest[0]))
		}
		set, err := templates.Load(cfg.Notifications.TemplatesDir)
		if err != nil {
			return err
		}
		if err := set.Check(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "templates OK: %d events in %s rendered with sample data\n",
			len(templates.Events()), strings.Join(templates.Languages(), ", "))
		return nil
	}
	if len(rest) != 1 {
		return usageError("templates preview: want one EVENT of " + strings.Join(templates.Events(), ", "))
	}
	if *lang == "" {
		*lang = templates.Match([]string{cfg.Desk.Language}, "en")
	}
	if !slices.Contains(templates.Languages(), *lang) {
		return usageError(fmt.Sprintf("-lang %q: want one of %s", *lang, strings.Join(templates.Languages(), ", ")))
	}
	dc, err := deskConfig(cfg)
	if err != nil {
		return err
	}
	n, err := ticketing.NewDesk(slog.New(slog.DiscardHandler), dc).Preview(rest[0], *lang)
	if err != nil {
		return err
	}
	raw, err := mailout.Compose(n, mailout.ComposeOptions{})
	if err != nil {
		return err
	}
	_, err = stdout.Write(raw)
	return err
}

// templatesConfig is the desk's configuration, or when there is no file at
// the default path, a sample desk with the embedded templates, so the
// templates can be tried before a desk is set up.
func templatesConfig(path string, stderr io.Writer) (*config.Config, error) {
	cfg, err := loadConfig(path)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("DESKGATE_CONFIG") == "" && path == "deskgate.yaml" {
		fmt.Fprintln(stderr, "deskgate: no deskgate.yaml here: showing the embedded templates for a sample desk")
		return config.Parse([]byte(sampleDesk), "sample desk", nil)
	}
	return cfg, err
}

// sampleDesk is the configuration templates commands use without a file.
const sampleDesk = `desk:
  name: Example Service Desk
  address: help@example.com
  secrets:
    - id: 1
      secret: 0000000000000000000000000000000000000000000000000000000000000000
smtp:
  host: 127.0.0.1
  tls: plain
mailboxes:
  - name: support
    host: 127.0.0.1
    tls: plain
    username: help@example.com
    password: sample
`

// contactCmd sets what deskgate knows about an address.
func contactCmd(ctx context.Context, args []string, stdout io.Writer) error {
	want := "contact: want language ADDRESS LANG (LANG one of " + strings.Join(templates.Languages(), ", ") + `, or "" to clear), or erase ADDRESS`
	if len(args) == 0 || args[0] != "language" && args[0] != "erase" {
		return usageError(want)
	}
	fs := flag.NewFlagSet("contact "+args[0], flag.ContinueOnError)
	_, rest, err := positional(fs, args[1:], 0)
	if err != nil {
		return err
	}
	if args[0] == "erase" {
		if len(rest) != 1 {
			return usageError("contact erase: want one ADDRESS")
		}
		return eraseContact(ctx, rest[0], stdout)
	}
	if len(rest) != 2 {
		return usageError(want)
	}
	return withDB(ctx, func(pool *pgxpool.Pool) error {
		if err := ticketing.SetContactLanguage(ctx, pool, rest[0], rest[1]); err != nil {
			return err
		}
		if rest[1] == "" {
			fmt.Fprintf(stdout, "%s: language cleared; their mail decides it again\n", rest[0])
			return nil
		}
		fmt.Fprintf(stdout, "%s: all mail to this address is now written in %s\n", rest[0], rest[1])
		return nil
	})
}
