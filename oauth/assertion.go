package oauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// clientCredentials returns the token fetch of Microsoft's app-only flow,
// and the NotAfter of its certificate (zero with a client secret).
func clientCredentials(cfg Config) (func(context.Context) (*oauth2.Token, error), time.Time, error) {
	cc := clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		TokenURL: cfg.TokenURL, Scopes: cfg.Scopes, AuthStyle: oauth2.AuthStyleInParams}
	if cfg.CertificateFile == "" {
		return cc.Token, time.Time{}, nil
	}
	cert, key, err := loadCertificate(cfg.CertificateFile, cfg.KeyFile)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("oauth: %s: %w", cfg.Name, err)
	}
	fetch := func(ctx context.Context) (*oauth2.Token, error) {
		a, err := assertion(cert, key, cfg.ClientID, cfg.TokenURL, time.Now())
		if err != nil {
			return nil, err
		}
		c := cc
		c.EndpointParams = url.Values{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {a},
		}
		return c.Token(ctx)
	}
	return fetch, cert.NotAfter, nil
}

// loadCertificate reads a PEM certificate and its RSA private key (PKCS #1
// or #8); Microsoft's client assertions are RS256.
func loadCertificate(certFile, keyFile string) (*x509.Certificate, *rsa.PrivateKey, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	b, _ := pem.Decode(cb)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s: no PEM CERTIFICATE block", certFile)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certFile, err)
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	key, err := parseRSAKey(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, fmt.Errorf("%s does not hold the private key of %s", keyFile, certFile)
	}
	return cert, key, nil
}

// parseRSAKey reads the first PEM private key in b.
func parseRSAKey(b []byte) (*rsa.PrivateKey, error) {
	p, _ := pem.Decode(b)
	if p == nil {
		return nil, errors.New("no PEM private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(p.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(p.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is %T, want RSA", k)
	}
	return rk, nil
}

// assertionLifetime is how long a client assertion is valid.
const assertionLifetime = 10 * time.Minute

// assertion is the signed JWT that proves the application holds the
// certificate's key: RS256, the certificate's thumbprints in x5t and
// x5t#S256, issued by and about the client, for the token endpoint.
func assertion(cert *x509.Certificate, key *rsa.PrivateKey, clientID, aud string, now time.Time) (string, error) {
	s1, s256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	header := map[string]string{"alg": "RS256", "typ": "JWT",
		"x5t": b64(s1[:]), "x5t#S256": b64(s256[:])}
	jti := make([]byte, 16)
	rand.Read(jti)
	claims := map[string]any{"aud": aud, "iss": clientID, "sub": clientID, "jti": b64(jti),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix()}
	hj, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cj, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed := b64(hj) + "." + b64(cj)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("oauth: signing the client assertion: %w", err)
	}
	return signed + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
