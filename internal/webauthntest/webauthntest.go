// Package webauthntest is a software authenticator for tests: it makes
// real WebAuthn responses — attestation "none" at registration, ECDSA
// P-256 assertions at sign-in — from the options a relying party sends,
// as a browser and a platform authenticator would, holding discoverable
// credentials (passkeys) with user verification.
package webauthntest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

var b64 = base64.RawURLEncoding

// Authenticator holds passkeys for one origin.
type Authenticator struct {
	Origin string
	// NoUserVerification leaves the UV flag off, as an authenticator that
	// only tests presence does.
	NoUserVerification bool
	// Creds are the passkeys made, in order.
	Creds []*Credential
}

// Credential is one passkey.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Key        *ecdsa.PrivateKey
	// SignCount is the counter of the next assertion minus one; a test
	// may set it back to play a cloned authenticator.
	SignCount uint32
}

// options is the part of creation and request options the authenticator reads.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Create answers creation options (the JSON of a begin route) with a new
// passkey's registration response, in PublicKeyCredential JSON form.
func (a *Authenticator) Create(optionsJSON []byte) (json.RawMessage, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	user, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user.id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c := &Credential{ID: make([]byte, 16), RPID: o.PublicKey.RP.ID, UserHandle: user, Key: key}
	_, _ = rand.Read(c.ID)
	a.Creds = append(a.Creds, c)

	clientData := a.clientData("webauthn.create", o.PublicKey.Challenge)
	ecdh, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	raw := ecdh.Bytes() // 0x04 || x || y
	cose := cborMap{{1, 2}, {3, -7}, {-1, 1}, {-2, raw[1:33]}, {-3, raw[33:65]}}
	var attested bytes.Buffer
	attested.Write(make([]byte, 16)) // AAGUID: none
	_ = binary.Write(&attested, binary.BigEndian, uint16(len(c.ID)))
	attested.Write(c.ID)
	attested.Write(cose.encode())
	authData := c.authData(0x45, 0, attested.Bytes()) // UP, UV, AT
	attestation := cborMap{{"fmt", "none"}, {"attStmt", cborMap{}}, {"authData", authData}}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(attestation.encode()),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Get answers request options with an assertion by cred, or, when cred is
// nil, by the first passkey the options allow (any, for a usernameless
// sign-in).
func (a *Authenticator) Get(optionsJSON []byte, cred *Credential) (json.RawMessage, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	if cred == nil {
		for _, c := range a.Creds {
			if c.RPID != o.PublicKey.RPID {
				continue
			}
			allowed := len(o.PublicKey.AllowCredentials) == 0
			for _, ac := range o.PublicKey.AllowCredentials {
				allowed = allowed || ac.ID == b64.EncodeToString(c.ID)
			}
			if allowed {
				cred = c
				break
			}
		}
	}
	if cred == nil {
		return nil, errors.New("webauthntest: no passkey for these options")
	}
	cred.SignCount++
	clientData := a.clientData("webauthn.get", o.PublicKey.Challenge)
	flags := byte(0x05) // UP, UV
	if a.NoUserVerification {
		flags = 0x01
	}
	authData := cred.authData(flags, cred.SignCount, nil)
	sum := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(bytes.Clone(authData), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, cred.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(cred.ID), "rawId": b64.EncodeToString(cred.ID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(cred.UserHandle),
		},
		"clientExtensionResults": map[string]any{},
	})
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// authData is the authenticator data: the RP id's hash, flags, counter and
// what follows (the attested credential).
func (c *Credential) authData(flags byte, count uint32, rest []byte) []byte {
	h := sha256.Sum256([]byte(c.RPID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, rest...)
}

// cborMap is a CBOR map of int or string keys, in canonical order.
type cborMap []struct {
	k any
	v any
}

func (m cborMap) encode() []byte {
	var buf bytes.Buffer
	writeCBOR(&buf, m)
	return buf.Bytes()
}

func writeHead(buf *bytes.Buffer, major byte, n uint64) {
	switch {
	case n < 24:
		buf.WriteByte(major<<5 | byte(n))
	case n < 1<<8:
		buf.WriteByte(major<<5 | 24)
		buf.WriteByte(byte(n))
	case n < 1<<16:
		buf.WriteByte(major<<5 | 25)
		_ = binary.Write(buf, binary.BigEndian, uint16(n))
	default:
		buf.WriteByte(major<<5 | 26)
		_ = binary.Write(buf, binary.BigEndian, uint32(n))
	}
}

func writeCBOR(buf *bytes.Buffer, v any) {
	switch x := v.(type) {
	case int:
		if x >= 0 {
			writeHead(buf, 0, uint64(x))
		} else {
			writeHead(buf, 1, uint64(-1-x))
		}
	case string:
		writeHead(buf, 3, uint64(len(x)))
		buf.WriteString(x)
	case []byte:
		writeHead(buf, 2, uint64(len(x)))
		buf.Write(x)
	case cborMap:
		// Canonical CBOR: keys sorted by their encoding, shorter first.
		type kv struct{ k, v []byte }
		var entries []kv
		for _, e := range x {
			var k, val bytes.Buffer
			writeCBOR(&k, e.k)
			writeCBOR(&val, e.v)
			entries = append(entries, kv{k.Bytes(), val.Bytes()})
		}
		sort.Slice(entries, func(i, j int) bool {
			if len(entries[i].k) != len(entries[j].k) {
				return len(entries[i].k) < len(entries[j].k)
			}
			return bytes.Compare(entries[i].k, entries[j].k) < 0
		})
		writeHead(buf, 5, uint64(len(entries)))
		for _, e := range entries {
			buf.Write(e.k)
			buf.Write(e.v)
		}
	default:
		panic(fmt.Sprintf("webauthntest: cannot encode %T", v))
	}
}
