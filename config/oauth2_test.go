package config

import (
	"reflect"
	"strings"
	"testing"
)

// withMailboxOAuth2 is minimal with the mailbox's password replaced by an
// oauth2 block of lines (indented by six spaces).
func withMailboxOAuth2(lines string) string {
	return strings.Replace(withSecrets, "    password: ${IMAP_PASSWORD}\n", "    oauth2:\n"+lines, 1)
}

// withSecrets is minimal with desk.secrets, which delegated logins need.
var withSecrets = strings.Replace(minimal, "  address: help@example.com\n",
	"  address: help@example.com\n  secrets: [{id: 1, secret: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}]\n", 1)

var oauth2Env = env(map[string]string{"SMTP_PASSWORD": "pw", "IMAP_PASSWORD": "pw", "CLIENT_SECRET": "cs"})

func TestOAuth2Valid(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       OAuth2
	}{
		{"microsoft app-only with a secret", withMailboxOAuth2(
			"      provider: microsoft\n      flow: client_credentials\n      tenant: contoso.onmicrosoft.com\n      client_id: 11111111-2222-3333-4444-555555555555\n      client_secret: ${CLIENT_SECRET}\n      expires: 2027-06-30\n"),
			OAuth2{Provider: "microsoft", Flow: "client_credentials", Tenant: "contoso.onmicrosoft.com",
				ClientID: "11111111-2222-3333-4444-555555555555", ClientSecret: "cs", Expires: "2027-06-30"}},
		{"microsoft app-only with a certificate", withMailboxOAuth2(
			"      provider: microsoft\n      flow: client_credentials\n      tenant: t\n      client_id: c\n      certificate: /etc/deskgate/app.crt\n      key: /etc/deskgate/app.key\n"),
			OAuth2{Provider: "microsoft", Flow: "client_credentials", Tenant: "t", ClientID: "c",
				Certificate: "/etc/deskgate/app.crt", Key: "/etc/deskgate/app.key"}},
		{"microsoft delegated, sovereign cloud", withMailboxOAuth2(
			"      provider: microsoft\n      flow: delegated\n      tenant: t\n      client_id: c\n      token_url: https://login.microsoftonline.us/t/oauth2/v2.0/token\n      device_auth_url: https://login.microsoftonline.us/t/oauth2/v2.0/devicecode\n"),
			OAuth2{Provider: "microsoft", Flow: "delegated", Tenant: "t", ClientID: "c",
				TokenURL: "https://login.microsoftonline.us/t/oauth2/v2.0/token", DeviceAuthURL: "https://login.microsoftonline.us/t/oauth2/v2.0/devicecode"}},
		{"google delegated", withMailboxOAuth2(
			"      provider: google\n      flow: delegated\n      client_id: c.apps.googleusercontent.com\n      client_secret: ${CLIENT_SECRET}\n      auth_url: http://127.0.0.1:8080/auth\n"),
			OAuth2{Provider: "google", Flow: "delegated", ClientID: "c.apps.googleusercontent.com", ClientSecret: "cs", AuthURL: "http://127.0.0.1:8080/auth"}},
		{"google service account", withMailboxOAuth2(
			"      provider: google\n      flow: service_account\n      service_account_key: /etc/deskgate/sa.json\n      scopes: [https://mail.google.com/]\n"),
			OAuth2{Provider: "google", Flow: "service_account", ServiceAccountKey: "/etc/deskgate/sa.json", Scopes: []string{"https://mail.google.com/"}}},
	}
	for _, tt := range tests {
		c, err := Parse([]byte(tt.yaml), "deskgate.yaml", oauth2Env)
		if err != nil {
			t.Errorf("Parse(%s) error: %v", tt.name, err)
			continue
		}
		if got := c.Mailboxes[0].OAuth2; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%s) oauth2 = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	smtp := strings.Replace(minimal, minimalSMTP,
		"smtp: {host: smtp.office365.com, username: help@example.com, oauth2: {provider: microsoft, flow: client_credentials, tenant: t, client_id: c, client_secret: x}}\n", 1)
	c, err := Parse([]byte(smtp), "deskgate.yaml", oauth2Env)
	if err != nil {
		t.Fatalf("Parse(smtp oauth2) error: %v", err)
	}
	if c.SMTP.Auth != AuthXOAuth2 || c.SMTP.OAuth2.ClientID != "c" {
		t.Errorf("Parse(smtp oauth2) = auth %q, oauth2 %+v; want xoauth2 with the block", c.SMTP.Auth, c.SMTP.OAuth2)
	}
}

func TestOAuth2Problems(t *testing.T) {
	ms := "      provider: microsoft\n      tenant: t\n      client_id: c\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"with a password", strings.Replace(withMailboxOAuth2(ms+"      flow: delegated\n"), "    oauth2:", "    password: x\n    oauth2:", 1),
			[]string{"mailboxes[0].oauth2: oauth2 and password are mutually exclusive; set only one"}},
		{"with a token", strings.Replace(withMailboxOAuth2(ms+"      flow: delegated\n"), "    oauth2:", "    oauth2_token: x\n    oauth2:", 1),
			[]string{"mailboxes[0].oauth2: oauth2 and oauth2_token are mutually exclusive; set only one"}},
		{"no provider", withMailboxOAuth2("      flow: delegated\n      client_id: c\n"),
			[]string{"mailboxes[0].oauth2.provider: is required"}},
		{"unknown provider", withMailboxOAuth2("      provider: yahoo\n      flow: delegated\n      client_id: c\n"),
			[]string{"mailboxes[0].oauth2.provider: must be microsoft or google"}},
		{"no flow", withMailboxOAuth2(ms), []string{"mailboxes[0].oauth2.flow: is required: client_credentials or delegated"}},
		{"google flow for microsoft", withMailboxOAuth2(ms + "      flow: service_account\n"),
			[]string{"mailboxes[0].oauth2.flow: service_account is Google's"}},
		{"microsoft flow for google", withMailboxOAuth2("      provider: google\n      flow: client_credentials\n      client_id: c\n      client_secret: s\n"),
			[]string{"mailboxes[0].oauth2.flow: client_credentials is Microsoft's"}},
		{"no tenant", withMailboxOAuth2("      provider: microsoft\n      flow: delegated\n      client_id: c\n"),
			[]string{"mailboxes[0].oauth2.tenant: is required"}},
		{"no secret or certificate", withMailboxOAuth2(ms + "      flow: client_credentials\n"),
			[]string{"mailboxes[0].oauth2.client_secret: one of client_secret or certificate (with key) is required"}},
		{"secret and certificate", withMailboxOAuth2(ms + "      flow: client_credentials\n      client_secret: s\n      certificate: c.pem\n      key: k.pem\n"),
			[]string{"mailboxes[0].oauth2.certificate: client_secret and certificate are mutually exclusive"}},
		{"certificate without key", withMailboxOAuth2(ms + "      flow: client_credentials\n      certificate: c.pem\n"),
			[]string{"mailboxes[0].oauth2.key: is required"}},
		{"empty secret", withMailboxOAuth2(ms + "      flow: client_credentials\n      client_secret: ${EMPTY}\n"),
			[]string{"mailboxes[0].oauth2.client_secret: must not be empty"}},
		{"expires", withMailboxOAuth2(ms + "      flow: client_credentials\n      client_secret: s\n      expires: 30.6.2027\n"),
			[]string{"mailboxes[0].oauth2.expires: must be a date such as 2027-06-30"}},
		{"expires without secret", withMailboxOAuth2(ms + "      flow: delegated\n      expires: 2027-06-30\n"),
			[]string{"mailboxes[0].oauth2.expires: is the client secret's expiry date; it needs client_secret"}},
		{"google delegated without secret", withMailboxOAuth2("      provider: google\n      flow: delegated\n      client_id: c\n"),
			[]string{"mailboxes[0].oauth2.client_secret: is required with provider: google and flow: delegated"}},
		{"service account without key", withMailboxOAuth2("      provider: google\n      flow: service_account\n      client_id: c\n"),
			[]string{"mailboxes[0].oauth2.service_account_key: is required",
				"mailboxes[0].oauth2.client_id: is not used with flow: service_account"}},
		{"plain http endpoint", withMailboxOAuth2(ms + "      flow: delegated\n      token_url: http://login.example.com/token\n"),
			[]string{"mailboxes[0].oauth2.token_url: must be an https:// address (http:// only for loopback hosts)"}},
		{"scope with a space", withMailboxOAuth2(ms + "      flow: delegated\n      scopes: ['a b']\n"),
			[]string{"mailboxes[0].oauth2.scopes[0]: must be one scope, without spaces"}},
		{"unknown key", withMailboxOAuth2(ms + "      flow: delegated\n      clientid: c\n"),
			[]string{"mailboxes[0].oauth2.clientid: unknown key (did you mean client_id?)"}},
		{"delegated without desk.secrets", strings.Replace(withMailboxOAuth2(ms+"      flow: delegated\n"), "  secrets: [{id: 1, secret: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}]\n", "", 1),
			[]string{"mailboxes[0].oauth2.flow: delegated keeps its login (from deskgate auth login) encrypted with the first desk.secrets key; add desk.secrets"}},
		{"mailbox named smtp", strings.Replace(withMailboxOAuth2(ms+"      flow: delegated\n"), "name: support", "name: smtp", 1),
			[]string{"mailboxes[0].name: smtp names the SMTP server in deskgate auth login"}},
		{"smtp oauth2 with a password", strings.Replace(minimal, minimalSMTP,
			"smtp: {host: h.example.com, username: u, password: p, oauth2: {provider: microsoft, flow: delegated, tenant: t, client_id: c}}\n", 1),
			[]string{"smtp.oauth2: oauth2 and password are mutually exclusive"}},
		{"smtp oauth2 with auth login", strings.Replace(minimal, minimalSMTP,
			"smtp: {host: h.example.com, auth: login, username: u, oauth2: {provider: microsoft, flow: delegated, tenant: t, client_id: c}}\n", 1),
			[]string{"smtp.oauth2: is only used with auth: xoauth2"}},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.yaml), "deskgate.yaml", env(map[string]string{"EMPTY": ""}))
		if err == nil {
			t.Errorf("Parse(%s) = nil error, want %q", tt.name, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Parse(%s) error:\n%v\nwant a problem %q", tt.name, err, w)
			}
		}
	}
}
