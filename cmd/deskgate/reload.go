package main

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"strings"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/ticketing"
)

// reloadOnSignal re-reads the configuration with load at each signal on
// hup until ctx is done, and hands it and a desk built from it to use: its
// templates, rules, agents, teams, SLA and notification settings apply to
// mail processed from then on, and to the API's changes and reports. A
// configuration that does not validate, or
// whose templates or rules do not load, is refused with an ERROR line and
// the running one stays. Settings read only at start (mailboxes, smtp,
// http, log, ingest, webhooks) are named in a WARN line when they changed.
func reloadOnSignal(ctx context.Context, hup <-chan os.Signal, running *config.Config, load func() (*config.Config, error),
	use func(*config.Config, *ticketing.Desk) error, meter ticketing.Meter, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		next, err := load()
		var dc ticketing.Config
		if err == nil {
			dc, err = deskConfig(next)
		}
		if err == nil {
			dc.Meter = meter
			err = use(next, ticketing.NewDesk(log, dc))
		}
		if err != nil {
			log.Error("reload refused; the running configuration stays", "err", err)
			continue
		}
		log.Info("reloaded the configuration's templates and rules", "rules", len(next.Rules))
		if changed := startOnly(running, next); len(changed) > 0 {
			log.Warn("reload: these settings apply only at start; restart serve for them", "changed", strings.Join(changed, ", "))
		}
	}
}

// startOnly names the sections read only at start that differ between a
// and b.
func startOnly(a, b *config.Config) []string {
	var out []string
	for _, s := range []struct {
		name string
		a, b any
	}{
		{"mailboxes", a.Mailboxes, b.Mailboxes}, {"smtp", a.SMTP, b.SMTP}, {"http", a.HTTP, b.HTTP},
		{"log", a.Log, b.Log}, {"ingest", a.Ingest, b.Ingest}, {"webhooks", a.Webhooks, b.Webhooks},
	} {
		if !reflect.DeepEqual(s.a, s.b) {
			out = append(out, s.name)
		}
	}
	return out
}
