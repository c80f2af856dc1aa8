package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// minimalSMTP is the smtp line of minimal.
const minimalSMTP = "smtp: {host: smtp.example.com, username: help@example.com, password: \"${SMTP_PASSWORD}\"}\n"

// withSMTP is minimal with its smtp section replaced by one of lines, which start at line 10.
func withSMTP(lines string) string {
	return strings.Replace(minimal, minimalSMTP, "", 1) + "smtp:\n" + lines
}

func TestSMTPDefaults(t *testing.T) {
	tests := []struct {
		smtp string
		want SMTP // Host, Port, TLS, Auth and HELO
	}{
		{"  host: smtp.example.com\n",
			SMTP{Host: "smtp.example.com", Port: 587, TLS: TLSStartTLS, Auth: AuthNone, HELO: "example.com"}},
		{"  host: smtp.example.com\n  tls: implicit\n  username: u\n  password: p\n",
			SMTP{Host: "smtp.example.com", Port: 465, TLS: TLSImplicit, Auth: AuthPlain, HELO: "example.com"}},
		{"  host: localhost\n  tls: plain\n  username: u\n  oauth2_token: ${M365_TOKEN}\n  helo: desk.example.com\n",
			SMTP{Host: "localhost", Port: 25, TLS: TLSPlain, Auth: AuthXOAuth2, HELO: "desk.example.com"}},
		{"  host: smtp.office365.com\n  port: 2587\n  auth: login\n  username: u\n  password: p\n",
			SMTP{Host: "smtp.office365.com", Port: 2587, TLS: TLSStartTLS, Auth: AuthLogin, HELO: "example.com"}},
	}
	for _, tt := range tests {
		c, err := Parse([]byte(withSMTP(tt.smtp)), "deskgate.yaml", testEnv)
		if err != nil {
			t.Errorf("Parse(smtp %q) error: %v", tt.smtp, err)
			continue
		}
		s := c.SMTP
		got := SMTP{Host: s.Host, Port: s.Port, TLS: s.TLS, Auth: s.Auth, HELO: s.HELO}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(smtp %q) = %+v, want %+v", tt.smtp, got, tt.want)
		}
		if s.Timeout != 30*time.Second || s.Workers != 4 || s.MaxRecipients != 50 || s.MaxAttempts != 60 || s.MaxAge != 48*time.Hour ||
			s.RetryBase != time.Minute || s.RetryMax != time.Hour {
			t.Errorf("Parse(smtp %q) = %+v, want the default timeout, workers, recipients, attempts and back-off", tt.smtp, s)
		}
	}
}

func TestSMTPProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		{"missing", strings.Replace(minimal, minimalSMTP, "", 1), []string{
			"1:1: smtp: is required (deskgate sends all its mail through this server)"}},
		{"empty", withSMTP(""), []string{
			"9:6: smtp.host: is required"}},
		{"not a mapping", withSMTP("  - host: x\n"), []string{
			"10:3: smtp: must be a mapping of keys to values, not a list"}},
		{"unknown key", withSMTP("  host: smtp.example.com\n  pasword: x\n"), []string{
			"11:3: smtp.pasword: unknown key (did you mean password?)"}},
		{"host", withSMTP("  host: smtp.example.com:587\n"), []string{
			"10:9: smtp.host: must be a host name or IP address, without a port (use port:)"}},
		{"empty host", withSMTP("  host: ''\n"), []string{
			"10:9: smtp.host: must not be empty"}},
		{"port", withSMTP("  host: smtp.example.com\n  port: 65536\n"), []string{
			"11:9: smtp.port: must be between 1 and 65535"}},
		{"tls enum", withSMTP("  host: smtp.example.com\n  tls: ssl\n"), []string{
			"11:8: smtp.tls: must be one of implicit, starttls, plain"}},
		{"tls plain remote", withSMTP("  host: 192.0.2.25\n  tls: plain\n"), []string{
			"11:8: smtp.tls: plain is only allowed for loopback hosts (localhost, 127.0.0.0/8, ::1); use implicit or starttls"}},
		{"auth enum", withSMTP("  host: smtp.example.com\n  auth: cram-md5\n"), []string{
			"11:9: smtp.auth: must be one of plain, login, xoauth2, none"}},
		{"auth none with credentials", withSMTP("  host: smtp.example.com\n  auth: none\n  username: u\n  password: ${SMTP_PASSWORD}\n"), []string{
			"12:13: smtp.username: is not used with auth: none",
			"13:13: smtp.password: is not used with auth: none"}},
		{"auth plain without password", withSMTP("  host: smtp.example.com\n  auth: plain\n  username: u\n"), []string{
			"11:9: smtp.password: is required with auth: plain"}},
		{"auth login without username", withSMTP("  host: smtp.example.com\n  auth: login\n  password: p\n"), []string{
			"10:3: smtp.username: is required"}},
		{"auth login with a token", withSMTP("  host: smtp.example.com\n  auth: login\n  username: u\n  oauth2_token: ${M365_TOKEN}\n"), []string{
			"13:17: smtp.oauth2_token: is only used with auth: xoauth2"}},
		{"auth xoauth2 with a password", withSMTP("  host: smtp.example.com\n  auth: xoauth2\n  username: u\n  password: ${SMTP_PASSWORD}\n"), []string{
			"13:13: smtp.password: is only used with auth: plain or login"}},
		{"auth xoauth2 without token", withSMTP("  host: smtp.example.com\n  auth: xoauth2\n  username: u\n"), []string{
			"11:9: smtp.oauth2: is required with auth: xoauth2 (or oauth2_token, a token renewed by someone else)"}},
		{"password and token", withSMTP("  host: smtp.example.com\n  username: u\n  password: ${SMTP_PASSWORD}\n  oauth2_token: ${M365_TOKEN}\n"), []string{
			"13:17: smtp.oauth2_token: password and oauth2_token are mutually exclusive; set only one"}},
		{"username without credentials", withSMTP("  host: smtp.example.com\n  username: u\n"), []string{
			"10:3: smtp.password: one of password, oauth2 or oauth2_token is required (or set auth: none)"}},
		{"password without username", withSMTP("  host: smtp.example.com\n  password: ${SMTP_PASSWORD}\n"), []string{
			"10:3: smtp.username: is required"}},
		{"empty credentials", withSMTP("  host: smtp.example.com\n  username: ''\n  password: ${EMPTY}\n"), []string{
			"11:13: smtp.username: must not be empty",
			"12:13: smtp.password: must not be empty"}},
		{"helo", withSMTP("  host: smtp.example.com\n  helo: desk example\n"), []string{
			"11:9: smtp.helo: must be a host name such as desk.example.com"}},
		{"helo address", withSMTP("  host: smtp.example.com\n  helo: 192.0.2.1\n"), []string{
			"11:9: smtp.helo: must be a host name such as desk.example.com"}},
		{"limits", withSMTP("  host: smtp.example.com\n  timeout: 500ms\n  workers: 65\n  max_attempts: 0\n  max_age: 59s\n  retry_base: 0s\n  retry_max: 0s\n"), []string{
			"11:12: smtp.timeout: must be at least 1s",
			"12:12: smtp.workers: must be between 1 and 64",
			"13:17: smtp.max_attempts: must be between 1 and 100",
			"14:12: smtp.max_age: must be at least 1m",
			"15:15: smtp.retry_base: must be at least 1s",
			"16:14: smtp.retry_max: must be at least 1s"}},
		{"max_recipients", withSMTP("  host: smtp.example.com\n  max_recipients: 1001\n"), []string{
			"11:19: smtp.max_recipients: must be between 1 and 1000"}},
		{"max_per_minute", withSMTP("  host: smtp.example.com\n  max_per_minute: -1\n"), []string{
			"11:19: smtp.max_per_minute: must be between 0 and 10000"}},
		{"retry_max below retry_base", withSMTP("  host: smtp.example.com\n  retry_base: 10m\n  retry_max: 5m\n"), []string{
			"12:14: smtp.retry_max: must be at least smtp.retry_base"}},
		{"retry_base above the default retry_max", withSMTP("  host: smtp.example.com\n  retry_base: 2h\n"), []string{
			"11:15: smtp.retry_base: must be at most smtp.retry_max (default 1h)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.yaml, tt.want) })
	}
}
