package token

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		current byte
		secrets map[byte][]byte
		wantErr string // substring; "" for success
	}{
		{"one key", 1, map[byte][]byte{1: secret('a', 32)}, ""},
		{"key id 0", 0, map[byte][]byte{0: secret('a', 64)}, ""},
		{"two keys", 2, map[byte][]byte{1: secret('a', 32), 2: secret('b', 32)}, ""},
		{"nil map", 1, nil, "no secret for current key id 1"},
		{"current missing", 3, map[byte][]byte{1: secret('a', 32)}, "no secret for current key id 3"},
		{"current short", 1, map[byte][]byte{1: secret('a', 31)}, "key id 1 is 31 bytes"},
		{"old key short", 1, map[byte][]byte{1: secret('a', 32), 2: nil}, "key id 2 is 0 bytes"},
	}
	for _, tt := range tests {
		k, err := NewKeys(tt.current, tt.secrets)
		switch {
		case tt.wantErr == "" && (err != nil || k == nil):
			t.Errorf("%s: NewKeys() = %v, %v, want Keys, nil", tt.name, k, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || k != nil):
			t.Errorf("%s: NewKeys() = %v, %v, want nil, error containing %q", tt.name, k, err, tt.wantErr)
		}
	}
}

func TestNewKeysCopies(t *testing.T) {
	t.Parallel()
	s := secret('a', 32)
	k, err := NewKeys(1, map[byte][]byte{1: s})
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{Ticket: 1}
	tok := k.Sign(c)
	s[0] = 'x'
	if got, err := k.Verify(tok); err != nil || got != c {
		t.Errorf("Verify(%q) after changing the caller's secret = %+v, %v, want %+v, nil", tok, got, err, c)
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i*37 + 250) // covers '+', '/' and '-', '_' in base64
	}
	long := bytes.Repeat([]byte{0xfb, 0xff}, 24)
	tests := []struct {
		in      string
		want    []byte
		wantErr string
	}{
		{hex.EncodeToString(raw), raw, ""},
		{strings.ToUpper(hex.EncodeToString(raw)), raw, ""},
		{"  " + hex.EncodeToString(raw) + "\n", raw, ""},
		{base64.StdEncoding.EncodeToString(raw), raw, ""},
		{base64.RawStdEncoding.EncodeToString(raw), raw, ""},
		{base64.URLEncoding.EncodeToString(raw), raw, ""},
		{base64.RawURLEncoding.EncodeToString(long), long, ""},
		{"", nil, "empty"},
		{"   ", nil, "empty"},
		{hex.EncodeToString(raw[:31]), nil, "31 bytes"},
		{base64.StdEncoding.EncodeToString(raw[:31]), nil, "31 bytes"},
		{"correct horse battery staple, correct horse battery staple", nil, "neither hex nor base64"},
		{base64.StdEncoding.EncodeToString(raw) + "!", nil, "neither hex nor base64"},
	}
	for _, tt := range tests {
		got, err := ParseSecret(tt.in)
		if tt.wantErr == "" {
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("ParseSecret(%q) = %x, %v, want %x, nil", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
			t.Errorf("ParseSecret(%q) = %x, %v, want error containing %q", tt.in, got, err, tt.wantErr)
		}
		if err != nil && len(strings.TrimSpace(tt.in)) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
			t.Errorf("ParseSecret(%q) error %q repeats the secret", tt.in, err)
		}
	}
}
