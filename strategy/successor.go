package strategy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// The reuse interval must hand a second presentation of a used refresh
// token the successor that the first one got, though the store keeps
// only hashes. The successor is kept on the used token's row sealed
// (AES-256-GCM) under a key derived from the used token itself: whoever
// presents that token — the only party the interval is for — can open
// it; the store, its backups and anyone without the token cannot, and no
// server secret has to be configured or shared between instances. The
// key's derivation is domain-separated from the stored hash (SHA-256 of
// the token), so the hash does not give the key.

// successorKey derives the sealing key from a refresh token.
func successorKey(token string) []byte {
	k := sha256.Sum256([]byte("authkit refresh successor key\x00" + token))
	return k[:]
}

func successorAEAD(token string) (cipher.AEAD, error) {
	b, err := aes.NewCipher(successorKey(token))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// sealSuccessor seals next under a key derived from used.
func sealSuccessor(used, next string) (string, error) {
	aead, err := successorAEAD(used)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(next), nil)), nil
}

// openSuccessor opens what sealSuccessor sealed with the same used token.
func openSuccessor(used, sealed string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return "", err
	}
	aead, err := successorAEAD(used)
	if err != nil {
		return "", err
	}
	if len(b) < aead.NonceSize() {
		return "", errors.New("strategy: sealed successor too short")
	}
	next, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
	if err != nil {
		return "", err
	}
	return string(next), nil
}
