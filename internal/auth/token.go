package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token, so secret scanners (and people) can
// recognise one: gnk_<id>_<secret>.
const TokenPrefix = "gnk_"

// tokenIDBytes and secretBytes size a token's public ID and its secret.
const (
	tokenIDBytes = 8
	secretBytes  = 32
)

// NewToken returns a fresh token: its public ID, the hash of its secret to
// store, and the whole token to show once.
func NewToken() (id, hash, token string) {
	idb := make([]byte, tokenIDBytes)
	_, _ = rand.Read(idb)
	id = hex.EncodeToString(idb)
	secret := NewSecret()
	return id, HashSecret(secret), TokenPrefix + id + "_" + secret
}

// ParseToken splits a token into its ID and secret; ok is false when it is
// not shaped like one.
func ParseToken(s string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(s, TokenPrefix)
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || len(id) != 2*tokenIDBytes || len(secret) < 32 || len(secret) > 64 {
		return "", "", false
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", "", false
	}
	return id, secret, true
}

// NewSecret returns 256 random bits, URL-safe (session cookies, login links).
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is what is stored of a secret: its hex SHA-256. Secrets are
// 256 random bits, so a plain hash is enough (no salt or stretching).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a secret with a stored hash in constant time.
func SecretMatches(hash, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(secret))) == 1
}
