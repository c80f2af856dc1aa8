package oauth

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/tokenmem"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// logBuf is a concurrency-safe log destination for reading back.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the logged lines at level ("ERROR", "WARN").
func (l *logBuf) lines(level string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, "level="+level) {
			out = append(out, line)
		}
	}
	return out
}

func testLogger(t *testing.T) (*slog.Logger, *logBuf) {
	buf := &logBuf{}
	return slog.New(slog.NewTextHandler(bufWriter{buf, t}, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

type bufWriter struct {
	buf *logBuf
	t   *testing.T
}

func (w bufWriter) Write(p []byte) (int, error) {
	w.t.Output().Write(p)
	return w.buf.Write(p)
}

// testKeys returns keys from the given ids, each with its own secret;
// first encrypts.
func testKeys(t *testing.T, first byte, ids ...byte) *Keys {
	t.Helper()
	secrets := map[byte][]byte{}
	for _, id := range ids {
		secrets[id] = bytes.Repeat([]byte{id}, 32)
	}
	k, err := NewKeys(first, secrets)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clock is a settable time for Sources: the real time plus an offset.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// delegated returns the configuration of a delegated login against srv.
func delegated(name string, srv *tokenmem.Server) Config {
	return Config{Name: name, Provider: Microsoft, Flow: Delegated, Tenant: "contoso.example", ClientID: "client-1",
		TokenURL: srv.TokenURL, AuthURL: srv.AuthURL, DevURL: srv.DeviceURL,
		RetryMin: time.Minute, RetryMax: time.Hour}
}

// certificate writes a self-signed certificate and its key as PEM files
// in dir.
func certificate(t *testing.T, dir string, notAfter time.Time) (*x509.Certificate, string, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "deskgate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600)
	return cert, certFile, keyFile
}

// serviceAccountFile writes a Google service account key file and returns
// its path and public key.
func serviceAccountFile(t *testing.T, dir, email string) (string, *rsa.PublicKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	b, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": email, "private_key_id": "k1",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		"token_uri":   "https://oauth2.googleapis.com/token"})
	path := filepath.Join(dir, "sa.json")
	os.WriteFile(path, b, 0o600)
	return path, &key.PublicKey
}
