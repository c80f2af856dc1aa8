package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Keys encrypt stored tokens: AES-256-GCM under a key derived with HKDF
// from each desk secret. The first encrypts; any listed one decrypts what
// it encrypted, found by the key id stored beside the token.
type Keys struct {
	first byte
	aeads map[byte]cipher.AEAD
}

// hkdfInfo separates the token keys from every other use of the desk
// secrets (they also sign reply tokens).
const hkdfInfo = "deskgate oauth token encryption v1"

// NewKeys returns keys from the desk secrets (id to secret bytes); first
// is the id that encrypts and must be among them.
func NewKeys(first byte, secrets map[byte][]byte) (*Keys, error) {
	if _, ok := secrets[first]; !ok {
		return nil, fmt.Errorf("oauth: key id %d is not among the secrets", first)
	}
	k := &Keys{first: first, aeads: map[byte]cipher.AEAD{}}
	for id, secret := range secrets {
		key, err := hkdf.Key(sha256.New, secret, nil, hkdfInfo, 32)
		if err != nil {
			return nil, fmt.Errorf("oauth: deriving key %d: %w", id, err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("oauth: key %d: %w", id, err)
		}
		if k.aeads[id], err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("oauth: key %d: %w", id, err)
		}
	}
	return k, nil
}

// seal encrypts plain with the first key; ad binds the result to its row
// and column, so a value copied elsewhere does not decrypt.
func (k *Keys) seal(plain, ad string) (keyID byte, sealed []byte) {
	aead := k.aeads[k.first]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return k.first, aead.Seal(nonce, nonce, []byte(plain), []byte(ad))
}

// errUnreadable marks a stored token that does not decrypt; errUnknownKey
// one encrypted with a key no longer listed.
var (
	errUnreadable = errors.New("stored token unreadable")
	errUnknownKey = fmt.Errorf("%w: encrypted with a desk secret that is no longer listed in desk.secrets", errUnreadable)
)

// open decrypts what seal returned.
func (k *Keys) open(keyID byte, sealed []byte, ad string) (string, error) {
	aead, ok := k.aeads[keyID]
	if !ok {
		return "", fmt.Errorf("oauth: key id %d: %w", keyID, errUnknownKey)
	}
	n := aead.NonceSize()
	if len(sealed) < n {
		return "", fmt.Errorf("oauth: %w: too short", errUnreadable)
	}
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return "", fmt.Errorf("oauth: %w: decrypting with key id %d: %w", errUnreadable, keyID, err)
	}
	return string(plain), nil
}
