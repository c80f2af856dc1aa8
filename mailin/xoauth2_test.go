package mailin

import (
	"bytes"
	"testing"
)

func TestXOAUTH2ClientWireFormat(t *testing.T) {
	t.Parallel()
	c := NewXOAUTH2Client("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
	mech, ir, err := c.Start()
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	if mech != "XOAUTH2" {
		t.Errorf("Start() mech = %q, want %q", mech, "XOAUTH2")
	}
	// The example from Google's XOAUTH2 protocol documentation.
	want := []byte("user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01")
	if !bytes.Equal(ir, want) {
		t.Errorf("Start() ir = %q, want %q", ir, want)
	}
	if got := c.ServerError(); got != "" {
		t.Errorf("ServerError() before a challenge = %q, want \"\"", got)
	}
	challenge := `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`
	resp, err := c.Next([]byte(challenge))
	if err != nil || resp == nil || len(resp) != 0 {
		t.Errorf("Next(error challenge) = %q, %v, want empty non-nil response, nil", resp, err)
	}
	if got := c.ServerError(); got != challenge {
		t.Errorf("ServerError() = %q, want %q", got, challenge)
	}
}
