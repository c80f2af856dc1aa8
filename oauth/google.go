package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
)

// serviceAccountKey is the part of Google's JSON key file that is used.
type serviceAccountKey struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	TokenURI     string `json:"token_uri"`
}

// serviceAccount returns the token fetch of a Google service account with
// domain-wide delegation acting as cfg.Subject: a JWT signed with the
// account's key, exchanged at the token endpoint (cfg.TokenURL when it was
// configured, else the key file's).
func serviceAccount(cfg Config) (func(context.Context) (*oauth2.Token, error), error) {
	b, err := os.ReadFile(cfg.ServiceAccountFile)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", cfg.Name, err)
	}
	var k serviceAccountKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("oauth: %s: %s: %w", cfg.Name, cfg.ServiceAccountFile, err)
	}
	if k.Type != "service_account" || k.ClientEmail == "" || k.PrivateKey == "" {
		return nil, fmt.Errorf("oauth: %s: %s is not a service account key (want type service_account with client_email and private_key)", cfg.Name, cfg.ServiceAccountFile)
	}
	if _, err := parseRSAKey([]byte(k.PrivateKey)); err != nil {
		return nil, fmt.Errorf("oauth: %s: %s: %w", cfg.Name, cfg.ServiceAccountFile, err)
	}
	tokenURL := cfg.TokenURL
	if tokenURL == googleTokenURL && k.TokenURI != "" {
		tokenURL = k.TokenURI
	}
	jc := &jwt.Config{Email: k.ClientEmail, PrivateKey: []byte(k.PrivateKey), PrivateKeyID: k.PrivateKeyID,
		Subject: cfg.Subject, Scopes: cfg.Scopes, TokenURL: tokenURL}
	return func(ctx context.Context) (*oauth2.Token, error) { return jc.TokenSource(ctx).Token() }, nil
}
