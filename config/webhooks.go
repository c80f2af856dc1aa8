package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Webhook is one endpoint told of the desk's events over HTTP.
type Webhook struct {
	Name   string `yaml:"name"`   // unique, [a-z0-9_-]+; required
	URL    string `yaml:"url"`    // http or https; required
	Secret string `yaml:"secret"` // signs each call (Standard Webhooks); at least 24 characters, whsec_… accepted; required
	// Events are the events sent, from WebhookEvents; required.
	Events []string `yaml:"events"`
	// MaxAge is how long a delivery is retried before it is given up and
	// logged; default 24h.
	MaxAge time.Duration `yaml:"max_age"`
}

// WebhookEvents are the events a webhook may ask for (webhook.Events,
// which a test compares).
var WebhookEvents = []string{
	"ticket.created", "ticket.status_changed", "ticket.priority_changed", "ticket.assignee_changed",
	"message.received", "agent.reply", "sla.warning", "sla.breach", "notification.failed",
}

const defaultWebhookMaxAge = 24 * time.Hour

func (v validator) webhooks(ws []Webhook) {
	names := map[string]string{}
	for i, w := range ws {
		p := fmt.Sprintf("webhooks[%d]", i)
		if v.required(p+".name", w.Name) {
			if !namePattern.MatchString(w.Name) {
				v.errorf(p+".name", "must be 1 to 64 of a-z, 0-9, _ and -")
			} else if first, dup := names[w.Name]; dup {
				v.errorf(p+".name", "duplicate webhook name (first at line %d)", v.line(first))
			} else {
				names[w.Name] = p + ".name"
			}
		}
		if v.required(p+".url", w.URL) {
			if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.errorf(p+".url", "must be an http or https URL")
			}
		}
		if v.required(p+".secret", w.Secret) && len(w.Secret) < 24 {
			v.errorf(p+".secret", "must be at least 24 characters (openssl rand -base64 32)")
		}
		if !v.has(p+".events") || len(w.Events) == 0 {
			v.errorf(p+".events", "must list at least one of %s", strings.Join(WebhookEvents, ", "))
		}
		for j, e := range w.Events {
			if !slices.Contains(WebhookEvents, e) {
				v.errorf(fmt.Sprintf("%s.events[%d]", p, j), "unknown event %q: want one of %s", e, strings.Join(WebhookEvents, ", "))
			}
		}
		v.minDuration(p+".max_age", w.MaxAge, time.Minute)
	}
}

func (w *Webhook) setDefaults() {
	if w.MaxAge == 0 {
		w.MaxAge = defaultWebhookMaxAge
	}
}
