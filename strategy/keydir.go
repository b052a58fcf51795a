package strategy

import (
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// A key directory holds the key pairs of a KeySet as PEM files, one
// private key each, named <kid>.pem. The newest file (by modification
// time, then name) signs; each older one verifies until its successor has
// signed for maxTokenAge — the lifetime of the tokens it signed, leeway
// included — and is ignored after that. GenerateKey names keys by their
// creation time, so that names sort like their age too. Copy a directory
// with its times (cp -p, rsync -t).

// keyFileName is the form of a key file: a kid made of safe characters.
var keyFileName = regexp.MustCompile(`^([A-Za-z0-9_-]{1,64})\.pem$`)

// keyFile is one key of a directory.
type keyFile struct {
	kid   string
	path  string
	mtime time.Time
}

// keyFiles lists the key files of dir, oldest first.
func keyFiles(dir string) ([]keyFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("strategy: key directory: %w", err)
	}
	var files []keyFile
	for _, e := range entries {
		m := keyFileName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("strategy: key directory: %w", err)
		}
		files = append(files, keyFile{kid: m[1], path: filepath.Join(dir, e.Name()), mtime: info.ModTime()})
	}
	slices.SortFunc(files, func(a, b keyFile) int {
		return cmp.Or(a.mtime.Compare(b.mtime), cmp.Compare(a.kid, b.kid))
	})
	return files, nil
}

// LoadKeyDir reads the key directory dir (see GenerateKey) into a KeySet:
// the newest key signs, older ones verify until their successor has signed
// for maxTokenAge (KeySet.RetiredUntil), and keys retired before that are
// left out. An empty directory, or a file that is not a key KeySet
// accepts, is an error.
func LoadKeyDir(dir string, maxTokenAge time.Duration, now time.Time) (*KeySet, error) {
	files, err := keyFiles(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("strategy: key directory %s has no <kid>.pem key files (authkit keys generate writes one)", dir)
	}
	ks := &KeySet{VerificationKeys: map[string]crypto.PublicKey{}, RetiredUntil: map[string]time.Time{}}
	for i, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("strategy: key directory: %w", err)
		}
		k, err := ParsePrivateKeyPEM(data)
		if err != nil {
			return nil, fmt.Errorf("strategy: key file %s: %w", f.path, err)
		}
		if i == len(files)-1 {
			ks.SigningKeyID, ks.SigningKey = f.kid, k
			break
		}
		until := files[i+1].mtime.Add(maxTokenAge)
		if !now.Before(until) {
			continue // its last token has expired
		}
		ks.VerificationKeys[f.kid], ks.RetiredUntil[f.kid] = k.Public(), until
	}
	return ks, nil
}

// KeyAlgorithms are the algorithms GenerateKey makes keys for.
var KeyAlgorithms = []string{"ES256", "EdDSA", "RS256"}

// GenerateKey writes a new private key for alg (one of KeyAlgorithms) into
// the key directory dir, created if missing, as <kid>.pem readable by its
// owner only, and returns its kid: the UTC time now and random digits.
// Loaded by LoadKeyDir, it is the newest key, the one that signs.
func GenerateKey(dir, alg string, now time.Time) (string, error) {
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case "RS256":
		k, err = rsa.GenerateKey(rand.Reader, 3072)
	default:
		return "", fmt.Errorf("strategy: generate key: algorithm %q is not one of %s", alg, strings.Join(KeyAlgorithms, ", "))
	}
	if err != nil {
		return "", fmt.Errorf("strategy: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("strategy: generate key: %w", err)
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return "", fmt.Errorf("strategy: generate key: %w", err)
	}
	kid := now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(suffix)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("strategy: generate key: %w", err)
	}
	// The new key must be the newest, even against a coarse clock.
	files, err := keyFiles(dir)
	if err != nil {
		return "", err
	}
	if n := len(files); n > 0 && !now.After(files[n-1].mtime) {
		now = files[n-1].mtime.Add(time.Millisecond)
	}
	tmp, err := os.CreateTemp(dir, ".key-*") // 0600; not a key file until renamed
	if err != nil {
		return "", fmt.Errorf("strategy: generate key: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	err = errors.Join(err, tmp.Sync(), tmp.Close())
	if err == nil {
		// The order of the keys is their modification time: the caller's.
		err = os.Chtimes(tmp.Name(), now, now)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, kid+".pem"))
	}
	if err != nil {
		return "", fmt.Errorf("strategy: generate key: %w", err)
	}
	return kid, nil
}

// PruneKeyDir deletes the key files of dir that LoadKeyDir would leave
// out now (retired, their last token expired), and returns their kids.
func PruneKeyDir(dir string, maxTokenAge time.Duration, now time.Time) ([]string, error) {
	files, err := keyFiles(dir)
	if err != nil {
		return nil, err
	}
	var gone []string
	for i := 0; i+1 < len(files); i++ {
		if now.Before(files[i+1].mtime.Add(maxTokenAge)) {
			continue
		}
		if err := os.Remove(files[i].path); err != nil {
			return gone, fmt.Errorf("strategy: prune keys: %w", err)
		}
		gone = append(gone, files[i].kid)
	}
	return gone, nil
}
