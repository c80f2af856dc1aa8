package config

import (
	"strings"
	"testing"
)

func TestWebhookErrors(t *testing.T) {
	base := minimal + "webhooks:\n"
	for _, c := range []struct{ yaml, want string }{
		{"  - {url: https://a.example, secret: 0123456789abcdef01234567, events: [ticket.created]}\n", "webhooks[0].name: is required"},
		{"  - {name: a, url: ftp://a.example, secret: 0123456789abcdef01234567, events: [ticket.created]}\n", "webhooks[0].url: must be an http or https URL"},
		{"  - {name: a, url: https://a.example, secret: short, events: [ticket.created]}\n", "webhooks[0].secret: must be at least 24 characters"},
		{"  - {name: a, url: https://a.example, secret: 0123456789abcdef01234567}\n", "webhooks[0].events: must list at least one"},
		{"  - {name: a, url: https://a.example, secret: 0123456789abcdef01234567, events: [ticket.exploded]}\n", `webhooks[0].events[0]: unknown event "ticket.exploded"`},
		{"  - {name: a, url: https://a.example, secret: 0123456789abcdef01234567, events: [sla.breach], max_age: 1s}\n", "webhooks[0].max_age: must be at least 1m"},
		{"  - {name: a, url: https://a.example, secret: 0123456789abcdef01234567, events: [sla.breach]}\n  - {name: a, url: https://b.example, secret: 0123456789abcdef01234567, events: [sla.breach]}\n", "webhooks[1].name: duplicate webhook name"},
	} {
		_, err := Parse([]byte(base+c.yaml), "deskgate.yaml", testEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.yaml, err, c.want)
		}
	}
	cfg, err := Parse([]byte(base+"  - {name: a, url: https://a.example, secret: 0123456789abcdef01234567, events: [sla.breach]}\n"), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Webhooks[0].MaxAge != defaultWebhookMaxAge {
		t.Errorf("max_age = %v, want the default %v", cfg.Webhooks[0].MaxAge, defaultWebhookMaxAge)
	}
}
