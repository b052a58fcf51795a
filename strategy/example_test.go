package strategy_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// exampleStore opens a throw-away SQLite store holding one user.
func exampleStore(ctx context.Context) (*sqlite.Store, *store.User, func()) {
	dir, err := os.MkdirTemp("", "authkit-example")
	if err != nil {
		panic(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "app.db"))
	if err != nil {
		panic(err)
	}
	st, err := sqlite.New(db)
	if err != nil {
		panic(err)
	}
	if err := st.Migrate(ctx); err != nil {
		panic(err)
	}
	now := time.Now().UTC()
	u := &store.User{ID: uuid.New(), Email: "king.arthur@camelot.bt", HashedPassword: "x", IsActive: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		panic(err)
	}
	return st, u, func() { db.Close(); os.RemoveAll(dir) }
}

func ExampleNewJWT() {
	ctx := context.Background()
	st, u, done := exampleStore(ctx)
	defer done()

	// In production the secret comes from configuration: 32 random bytes.
	s, err := strategy.NewJWT(strategy.JWTConfig{
		Secret: []byte("an example secret of 32+ bytes!!"),
		Store:  st, // keeps revocations: logout ends the token
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	tok, _ := s.Write(ctx, u) // at login
	got, _ := s.Read(ctx, tok)
	fmt.Println(got.Email)

	_ = s.Destroy(ctx, tok, u) // at logout
	_, err = s.Read(ctx, tok)
	fmt.Println(errors.Is(err, strategy.ErrInvalidToken))
	// Output:
	// king.arthur@camelot.bt
	// true
}

func ExampleNewDatabase() {
	ctx := context.Background()
	st, u, done := exampleStore(ctx)
	defer done()

	s, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st, Lifetime: 24 * time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := s.Write(ctx, u)
	fmt.Println(len(tok)) // 256 random bits, base64url

	// A password change ends every other session.
	other, _ := s.Write(ctx, u)
	_ = s.EndSessions(ctx, u.ID, tok)
	_, err = s.Read(ctx, other)
	fmt.Println(errors.Is(err, strategy.ErrInvalidToken))
	got, _ := s.Read(ctx, tok)
	fmt.Println(got.Email)
	// Output:
	// 43
	// true
	// king.arthur@camelot.bt
}

// A user lists their sessions (each login is one) and ends one of them,
// say the one on a lost phone (ASVS 7.5.2).
func ExampleDatabase_Sessions() {
	ctx := context.Background()
	st, u, done := exampleStore(ctx)
	defer done()

	s, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The login handler says who the token is for.
	_, _ = s.Write(strategy.WithClient(ctx, strategy.Client{UserAgent: "Firefox on Linux", IP: "203.0.113.7"}), u)
	phone, _ := s.Write(strategy.WithClient(ctx, strategy.Client{UserAgent: "Safari on iPhone", IP: "198.51.100.2"}), u)

	sessions, _ := s.Sessions(ctx, u.ID)
	fmt.Println(len(sessions))
	lost, _ := s.SessionOf(ctx, phone) // the id a listing shows for it
	_ = s.EndSession(ctx, u.ID, lost)

	_, err = s.Read(ctx, phone)
	fmt.Println(errors.Is(err, strategy.ErrInvalidToken))
	sessions, _ = s.Sessions(ctx, u.ID)
	fmt.Println(len(sessions), sessions[0].UserAgent, sessions[0].IP)
	// Output:
	// 2
	// true
	// 1 Firefox on Linux 203.0.113.7
}

// A Signer makes the purpose tokens of other flows, here a password reset
// token bound to the user's email.
func ExampleNewSigner() {
	reset, err := strategy.NewSigner(strategy.SignerConfig{
		Secret:   []byte("another secret, for reset tokens"),
		Audience: "authkit:reset",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	type resetClaims struct {
		Email string `json:"email"`
	}
	tok, _ := reset.Sign("0190a6d2-7c1e-7b3a-9c4e-1f2a3b4c5d6e", resetClaims{Email: "king.arthur@camelot.bt"})

	var extra resetClaims
	claims, err := reset.Parse(tok, &extra)
	fmt.Println(claims.Subject, extra.Email, err)

	// Nor does it pass for a token of another purpose.
	verify, _ := strategy.NewSigner(strategy.SignerConfig{
		Secret:   []byte("another secret, for reset tokens"),
		Audience: "authkit:verify",
	})
	_, err = verify.Parse(tok, nil)
	fmt.Println(errors.Is(err, strategy.ErrInvalidToken))
	// Output:
	// 0190a6d2-7c1e-7b3a-9c4e-1f2a3b4c5d6e king.arthur@camelot.bt <nil>
	// true
}

// With a KeySet, tokens are signed with a key pair and verified by kid, so
// that keys can be rotated without logging anyone out. Here a P-256 key
// replaces the Ed25519 key of January.
func ExampleKeySet() {
	ctx := context.Background()
	st, u, done := exampleStore(ctx)
	defer done()

	// In production the keys come from files or a secret store, through
	// ParsePrivateKeyPEM and ParsePublicKeyPEM.
	janPub, janKey, _ := ed25519.GenerateKey(rand.Reader)
	junKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	before, err := strategy.NewJWT(strategy.JWTConfig{
		Store: st,
		Keys:  &strategy.KeySet{SigningKeyID: "2025-01", SigningKey: janKey},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := before.Write(ctx, u)

	// The new key signs; the old one keeps verifying the tokens it signed
	// until they expire, then leaves VerificationKeys.
	after, err := strategy.NewJWT(strategy.JWTConfig{
		Store: st,
		Keys: &strategy.KeySet{
			SigningKeyID:     "2025-06",
			SigningKey:       junKey,
			VerificationKeys: map[string]crypto.PublicKey{"2025-01": janPub},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := after.Read(ctx, tok)
	fmt.Println(got.Email, err)
	// Output:
	// king.arthur@camelot.bt <nil>
}

func ExampleParsePrivateKeyPEM() {
	// The key comes from a file or an environment variable, made with
	// `openssl genpkey -algorithm ed25519` (or RSA, or EC on P-256).
	data, err := os.ReadFile(filepath.Join("testdata", "keys", "ed25519.pem"))
	if err != nil {
		fmt.Println(err)
		return
	}
	key, err := strategy.ParsePrivateKeyPEM(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := strategy.NewSigner(strategy.SignerConfig{
		Audience: "authkit:reset",
		Keys:     &strategy.KeySet{SigningKeyID: "reset-1", SigningKey: key},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := s.Sign("0190a6d2-7c1e-7b3a-9c4e-1f2a3b4c5d6e", nil)
	claims, err := s.Parse(tok, nil)
	fmt.Println(claims.Subject, err)

	// Keys too weak for a KeySet are refused as they are read.
	weak, _ := os.ReadFile(filepath.Join("testdata", "keys", "rsa1024.pem"))
	_, err = strategy.ParsePrivateKeyPEM(weak)
	fmt.Println(errors.Is(err, strategy.ErrUnsupportedKey))
	// Output:
	// 0190a6d2-7c1e-7b3a-9c4e-1f2a3b4c5d6e <nil>
	// true
}
