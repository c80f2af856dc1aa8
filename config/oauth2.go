package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// OAuth2 is how deskgate obtains the XOAUTH2 tokens of a mailbox or of the
// SMTP server, and renews them before they expire (see package oauth).
type OAuth2 struct {
	Provider string `yaml:"provider"` // microsoft or google; required
	// Flow is client_credentials (Microsoft 365 app-only), delegated (a
	// user's login stored by "deskgate auth login") or service_account
	// (Google Workspace with domain-wide delegation); required.
	Flow     string `yaml:"flow"`
	Tenant   string `yaml:"tenant"`    // Microsoft: the directory (tenant) id or domain; required
	ClientID string `yaml:"client_id"` // the application (client) id; required except for service_account
	// ClientSecret, usually ${VAR}: for client_credentials unless
	// Certificate is given; for delegated, the secret of a confidential
	// client (Google's desktop clients have one).
	ClientSecret string `yaml:"client_secret"`
	// Expires is when ClientSecret expires, YYYY-MM-DD: deskgate warns
	// 30, 7 and 1 day before.
	Expires string `yaml:"expires"`
	// Certificate and Key are PEM files of client_credentials' certificate
	// credential (RSA); its NotAfter is warned about like Expires.
	Certificate string `yaml:"certificate"`
	Key         string `yaml:"key"`
	// ServiceAccountKey is the JSON key file of a Google service account.
	ServiceAccountKey string   `yaml:"service_account_key"`
	Scopes            []string `yaml:"scopes"` // default: the provider's mail scopes for the flow
	// Endpoints, for sovereign clouds and tests; default the provider's.
	TokenURL      string `yaml:"token_url"`
	AuthURL       string `yaml:"auth_url"`
	DeviceAuthURL string `yaml:"device_auth_url"`
}

// The OAuth2 providers and flows.
const (
	ProviderMicrosoft     = "microsoft"
	ProviderGoogle        = "google"
	FlowClientCredentials = "client_credentials"
	FlowDelegated         = "delegated"
	FlowServiceAccount    = "service_account"
)

// ExpiresAt returns Expires as a time (midnight UTC), or false if none.
func (o *OAuth2) ExpiresAt() (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, o.Expires)
	return t, err == nil
}

// oauth2 checks the oauth2 block at p (mailboxes[i].oauth2 or
// smtp.oauth2).
func (v validator) oauth2(p string, o *OAuth2) {
	switch o.Provider {
	case ProviderMicrosoft:
		v.required(p+".tenant", o.Tenant)
		switch o.Flow {
		case FlowClientCredentials, FlowDelegated:
		case FlowServiceAccount:
			v.errorf(p+".flow", "service_account is Google's; for Microsoft 365 use client_credentials or delegated")
		default:
			v.flowRequired(p, "client_credentials or delegated")
		}
	case ProviderGoogle:
		if v.has(p + ".tenant") {
			v.errorf(p+".tenant", "is only used with provider: microsoft")
		}
		switch o.Flow {
		case FlowServiceAccount, FlowDelegated:
		case FlowClientCredentials:
			v.errorf(p+".flow", "client_credentials is Microsoft's; for Google use service_account or delegated")
		default:
			v.flowRequired(p, "service_account or delegated")
		}
	case "":
		v.required(p+".provider", "")
	default:
		v.errorf(p+".provider", "must be microsoft or google")
	}
	if o.Flow == FlowServiceAccount {
		v.required(p+".service_account_key", o.ServiceAccountKey)
		for _, key := range []string{"client_id", "client_secret", "certificate", "key", "expires", "auth_url", "device_auth_url"} {
			if v.has(p + "." + key) {
				v.errorf(p+"."+key, "is not used with flow: service_account (the key file holds the account)")
			}
		}
	} else {
		v.required(p+".client_id", o.ClientID)
		if v.has(p + ".service_account_key") {
			v.errorf(p+".service_account_key", "is only used with flow: service_account")
		}
	}
	v.notEmpty(p+".client_secret", o.ClientSecret)
	hasSecret, hasCert := v.has(p+".client_secret"), v.has(p+".certificate")
	switch {
	case hasSecret && hasCert:
		v.errorf(p+".certificate", "client_secret and certificate are mutually exclusive; set only one")
	case o.Flow == FlowClientCredentials && !hasSecret && !hasCert:
		v.errorf(p+".client_secret", "one of client_secret or certificate (with key) is required with flow: client_credentials")
	case o.Flow == FlowDelegated && o.Provider == ProviderGoogle && !hasSecret:
		v.errorf(p+".client_secret", "is required with provider: google and flow: delegated (the desktop client's secret)")
	}
	if hasCert || v.has(p+".key") {
		if o.Flow != FlowClientCredentials {
			v.errorf(p+".certificate", "is only used with flow: client_credentials")
		} else {
			v.required(p+".certificate", o.Certificate)
			v.required(p+".key", o.Key)
		}
	}
	if v.has(p + ".expires") {
		if _, ok := o.ExpiresAt(); !ok {
			v.errorf(p+".expires", "must be a date such as 2027-06-30")
		} else if !hasSecret {
			v.errorf(p+".expires", "is the client secret's expiry date; it needs client_secret")
		}
	}
	for i, s := range o.Scopes {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t") {
			v.errorf(fmt.Sprintf("%s.scopes[%d]", p, i), "must be one scope, without spaces")
		}
	}
	for _, key := range []string{"token_url", "auth_url", "device_auth_url"} {
		s := map[string]string{"token_url": o.TokenURL, "auth_url": o.AuthURL, "device_auth_url": o.DeviceAuthURL}[key]
		if !v.has(p+"."+key) || !v.notEmpty(p+"."+key, s) {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			v.errorf(p+"."+key, "must be an https:// address (http:// only for loopback hosts)")
		}
	}
	if v.has(p+".device_auth_url") && o.Provider == ProviderGoogle {
		v.errorf(p+".device_auth_url", "is only used with provider: microsoft (Google's delegated login is a loopback redirect)")
	}
}

// delegatedLogins reports delegated oauth2 blocks in a file without
// desk.secrets: their logins are stored encrypted with the first one.
func (v validator) delegatedLogins(c *Config) {
	if len(c.Desk.Secrets) > 0 {
		return
	}
	check := func(p string, o *OAuth2) {
		if v.has(p) && o.Flow == FlowDelegated {
			v.errorf(p+".flow", "delegated keeps its login (from deskgate auth login) encrypted with the first desk.secrets key; add desk.secrets")
		}
	}
	for i := range c.Mailboxes {
		check(fmt.Sprintf("mailboxes[%d].oauth2", i), &c.Mailboxes[i].OAuth2)
	}
	check("smtp.oauth2", &c.SMTP.OAuth2)
}

// flowRequired reports a missing or unknown flow.
func (v validator) flowRequired(p, want string) {
	if v.has(p + ".flow") {
		v.errorf(p+".flow", "must be %s", want)
	} else {
		v.errorf(p+".flow", "is required: %s", want)
	}
}

// pick returns yes if cond, else no.
func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}
