package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// users mfa-reset deletes the user's second factors, ends their sessions
// and audits it.
func TestMFAReset(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		createSuperuser(t, db, "fiona@example.com")
		st, _ := openKit(t, db)
		ctx := t.Context()
		u, err := st.UserByEmail(ctx, "fiona@example.com")
		if err != nil {
			t.Fatal(err)
		}
		ms, ps := st.(store.MFAStore), st.(store.PasskeyStore)
		now := time.Now()
		if err := ms.PutPendingTOTP(ctx, store.TOTP{UserID: u.ID, Secret: []byte("sealed"), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := ms.ConfirmTOTP(ctx, u.ID, []byte("sealed"), 1, now, []string{"h1", "h2"}); err != nil {
			t.Fatal(err)
		}
		if err := ps.CreatePasskey(ctx, store.Passkey{ID: uuid.New(), UserID: u.ID, CredentialID: []byte("c"), Name: "k", Credential: []byte("{}"), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		jwt, err := strategy.NewJWT(strategy.JWTConfig{Secret: []byte("a service secret of 32 bytes or more"), Store: st})
		if err != nil {
			t.Fatal(err)
		}
		token, err := jwt.Write(ctx, u)
		if err != nil {
			t.Fatal(err)
		}

		r := runCLI(t, nil, "users", "mfa-reset", "-db", db, "-email", "FIONA@example.com").want(t, 0)
		if !strings.Contains(r.stdout, "reset the second factors of fiona@example.com (id "+u.ID.String()+")") {
			t.Errorf("stdout %q", r.stdout)
		}
		if !strings.Contains(r.stderr, "event=mfa.reset client=local user_id="+u.ID.String()) {
			t.Errorf("no audit on stderr: %q", r.stderr)
		}
		if _, err := ms.TOTPOf(ctx, u.ID); !errors.Is(err, store.ErrTOTPNotFound) {
			t.Errorf("TOTP after the reset: %v", err)
		}
		if n, _ := ms.RecoveryCodesLeft(ctx, u.ID); n != 0 {
			t.Errorf("%d recovery codes after the reset", n)
		}
		if list, _ := ps.PasskeysOfUser(ctx, u.ID); len(list) != 0 {
			t.Errorf("passkeys after the reset: %v", list)
		}
		if _, err := jwt.Read(ctx, token); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Errorf("a session survived the reset: %v", err)
		}

		runCLI(t, nil, "users", "mfa-reset", "-db", db, "-email", "nobody@example.com").want(t, 1)
		runCLI(t, nil, "users", "mfa-reset", "-db", db).want(t, 2)
	})
}
