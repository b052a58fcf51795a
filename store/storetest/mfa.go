package storetest

// The second factors' part of the suite, run when the store implements
// store.MFAStore, store.ChallengeStore and store.PasskeyStore.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

func mfaStore(t *testing.T, s Store) store.MFAStore {
	t.Helper()
	return capability[store.MFAStore](t, s, "store.MFAStore")
}

func challengeStore(t *testing.T, s Store) store.ChallengeStore {
	t.Helper()
	return capability[store.ChallengeStore](t, s, "store.ChallengeStore")
}

func passkeyStore(t *testing.T, s Store) store.PasskeyStore {
	t.Helper()
	return capability[store.PasskeyStore](t, s, "store.PasskeyStore")
}

// race runs fn n times at once, released together, and returns the errors.
func race(n int, fn func(i int) error) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWins fails unless exactly one of errs is nil and the others are lost.
func oneWins(t *testing.T, what string, errs []error, lost error) {
	t.Helper()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, lost):
			t.Errorf("%s #%d: %v, want nil or %v", what, i, err, lost)
		}
	}
	if wins != 1 {
		t.Errorf("%s: %d of %d won, want exactly 1", what, wins, len(errs))
	}
}

func pendingTOTP(u *store.User, secret string) store.TOTP {
	return store.TOTP{UserID: u.ID, Secret: []byte(secret), CreatedAt: base}
}

// testTOTP: pending, replaced, confirmed (with recovery codes), then left
// alone by a new pending secret; steps move forward only.
func testTOTP(t *testing.T, s Store) {
	m := mfaStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("gareth@orkney.bt"))
	_, err := m.TOTPOf(ctx, u.ID)
	checkErr(t, "TOTPOf before any", err, store.ErrTOTPNotFound)
	checkErr(t, "UseTOTPStep before any", m.UseTOTPStep(ctx, u.ID, 1), store.ErrTOTPNotFound)
	checkErr(t, "PutPendingTOTP for nobody", m.PutPendingTOTP(ctx, store.TOTP{UserID: uuid.New(), Secret: []byte("x"), CreatedAt: base}), store.ErrUserNotFound)

	if err := m.PutPendingTOTP(ctx, pendingTOTP(u, "first")); err != nil {
		t.Fatalf("PutPendingTOTP: %v", err)
	}
	next := pendingTOTP(u, "second")
	next.CreatedAt = base.Add(time.Minute)
	if err := m.PutPendingTOTP(ctx, next); err != nil {
		t.Fatalf("PutPendingTOTP again: %v", err)
	}
	got, err := m.TOTPOf(ctx, u.ID)
	if err != nil || string(got.Secret) != "second" || !got.ConfirmedAt.IsZero() || got.UserID != u.ID {
		t.Fatalf("TOTPOf pending = %+v, %v", got, err)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, next.CreatedAt)
	checkErr(t, "UseTOTPStep while pending", m.UseTOTPStep(ctx, u.ID, 1), store.ErrTOTPNotFound)
	checkErr(t, "ConfirmTOTP of a replaced secret", m.ConfirmTOTP(ctx, u.ID, []byte("first"), 5, base, nil), store.ErrTOTPNotFound)

	codes := []string{"h1", "h2", "h3"}
	at := base.Add(2 * time.Minute)
	if err := m.ConfirmTOTP(ctx, u.ID, []byte("second"), 100, at, codes); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	checkErr(t, "ConfirmTOTP twice", m.ConfirmTOTP(ctx, u.ID, []byte("second"), 101, at, codes), store.ErrTOTPNotFound)
	got, err = m.TOTPOf(ctx, u.ID)
	if err != nil || got.LastStep != 100 {
		t.Fatalf("TOTPOf confirmed = %+v, %v", got, err)
	}
	checkTime(t, "ConfirmedAt", got.ConfirmedAt, at)
	checkErr(t, "PutPendingTOTP over a confirmed one", m.PutPendingTOTP(ctx, pendingTOTP(u, "third")), store.ErrTOTPEnabled)
	if got, _ := m.TOTPOf(ctx, u.ID); string(got.Secret) != "second" {
		t.Errorf("a pending secret replaced the confirmed one: %q", got.Secret)
	}
	if n, err := m.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 3 {
		t.Errorf("RecoveryCodesLeft = %d, %v; want 3", n, err)
	}

	checkErr(t, "UseTOTPStep of the confirming step", m.UseTOTPStep(ctx, u.ID, 100), store.ErrTOTPStepUsed)
	checkErr(t, "UseTOTPStep of an earlier step", m.UseTOTPStep(ctx, u.ID, 99), store.ErrTOTPStepUsed)
	if err := m.UseTOTPStep(ctx, u.ID, 101); err != nil {
		t.Errorf("UseTOTPStep(101): %v", err)
	}
	checkErr(t, "UseTOTPStep(101) again", m.UseTOTPStep(ctx, u.ID, 101), store.ErrTOTPStepUsed)

	if err := m.DeleteTOTP(ctx, u.ID); err != nil {
		t.Fatalf("DeleteTOTP: %v", err)
	}
	_, err = m.TOTPOf(ctx, u.ID)
	checkErr(t, "TOTPOf after DeleteTOTP", err, store.ErrTOTPNotFound)
	if n, err := m.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 0 {
		t.Errorf("RecoveryCodesLeft after DeleteTOTP = %d, %v; want 0", n, err)
	}
	if err := m.DeleteTOTP(ctx, u.ID); err != nil {
		t.Errorf("DeleteTOTP twice: %v", err)
	}
}

// testTOTPStepRace: of 50 requests presenting codes of one step at once,
// one is accepted.
func testTOTPStepRace(t *testing.T, s Store) {
	m := mfaStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("lynette@orkney.bt"))
	if err := m.PutPendingTOTP(ctx, pendingTOTP(u, "s")); err != nil {
		t.Fatal(err)
	}
	if err := m.ConfirmTOTP(ctx, u.ID, []byte("s"), 1, base, nil); err != nil {
		t.Fatal(err)
	}
	errs := race(50, func(int) error { return m.UseTOTPStep(ctx, u.ID, 7) })
	oneWins(t, "UseTOTPStep", errs, store.ErrTOTPStepUsed)
}

// testRecoveryCodes: each code works once, the user's own only; a new set
// replaces the old.
func testRecoveryCodes(t *testing.T, s Store) {
	m := mfaStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("lancelot@benwick.bt"))
	other := mustCreate(t, s, newUser("elaine@corbenic.bt"))
	if err := m.ReplaceRecoveryCodes(ctx, u.ID, []string{"a", "b"}, base); err != nil {
		t.Fatalf("ReplaceRecoveryCodes: %v", err)
	}
	if err := m.ReplaceRecoveryCodes(ctx, other.ID, []string{"c"}, base); err != nil {
		t.Fatalf("ReplaceRecoveryCodes: %v", err)
	}
	checkErr(t, "another user's code", m.UseRecoveryCode(ctx, u.ID, "c"), store.ErrRecoveryCodeNotFound)
	if err := m.UseRecoveryCode(ctx, u.ID, "a"); err != nil {
		t.Fatalf("UseRecoveryCode: %v", err)
	}
	checkErr(t, "a used code", m.UseRecoveryCode(ctx, u.ID, "a"), store.ErrRecoveryCodeNotFound)
	if n, _ := m.RecoveryCodesLeft(ctx, u.ID); n != 1 {
		t.Errorf("RecoveryCodesLeft = %d, want 1", n)
	}
	if err := m.ReplaceRecoveryCodes(ctx, u.ID, []string{"d", "e", "f"}, base); err != nil {
		t.Fatalf("ReplaceRecoveryCodes again: %v", err)
	}
	checkErr(t, "a code of the old set", m.UseRecoveryCode(ctx, u.ID, "b"), store.ErrRecoveryCodeNotFound)
	if n, _ := m.RecoveryCodesLeft(ctx, u.ID); n != 3 {
		t.Errorf("RecoveryCodesLeft after replacing = %d, want 3", n)
	}
	errs := race(50, func(int) error { return m.UseRecoveryCode(ctx, u.ID, "e") })
	oneWins(t, "UseRecoveryCode", errs, store.ErrRecoveryCodeNotFound)
	if n, _ := m.RecoveryCodesLeft(ctx, other.ID); n != 1 {
		t.Errorf("the other user's codes = %d, want 1", n)
	}
}

// testChallenges: a challenge is found by hash and kind until it expires,
// and taken once, also when 50 callers race.
func testChallenges(t *testing.T, s Store) {
	c := challengeStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("bedivere@camelot.bt"))
	ch := store.Challenge{Hash: "h-1", Kind: "mfa-login", UserID: u.ID, Data: []byte(`{"a":1}`), ExpiresAt: base.Add(5 * time.Minute)}
	anon := store.Challenge{Hash: "h-2", Kind: "passkey-login", ExpiresAt: base.Add(5 * time.Minute)}
	for _, x := range []store.Challenge{ch, anon} {
		if err := c.CreateChallenge(ctx, x); err != nil {
			t.Fatalf("CreateChallenge: %v", err)
		}
	}
	check := func(what string, got store.Challenge, err error, want store.Challenge) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.Hash != want.Hash || got.Kind != want.Kind || got.UserID != want.UserID || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("%s = %+v, want %+v", what, got, want)
		}
		checkTime(t, what+" ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	}
	got, err := c.ChallengeByHash(ctx, "h-1", "mfa-login", base)
	check("ChallengeByHash", got, err, ch)
	got, err = c.ChallengeByHash(ctx, "h-1", "mfa-login", base)
	check("ChallengeByHash twice", got, err, ch)
	_, err = c.ChallengeByHash(ctx, "h-1", "passkey-login", base)
	checkErr(t, "ChallengeByHash of another kind", err, store.ErrChallengeNotFound)
	_, err = c.ChallengeByHash(ctx, "h-1", "mfa-login", ch.ExpiresAt)
	checkErr(t, "ChallengeByHash at its expiry", err, store.ErrChallengeNotFound)
	_, err = c.TakeChallenge(ctx, "h-1", "mfa-login", ch.ExpiresAt.Add(time.Second))
	checkErr(t, "TakeChallenge after its expiry", err, store.ErrChallengeNotFound)
	got, err = c.TakeChallenge(ctx, "h-2", "passkey-login", base)
	check("TakeChallenge without a user", got, err, store.Challenge{Hash: "h-2", Kind: "passkey-login", Data: []byte{}, ExpiresAt: anon.ExpiresAt})
	_, err = c.TakeChallenge(ctx, "h-2", "passkey-login", base)
	checkErr(t, "TakeChallenge twice", err, store.ErrChallengeNotFound)

	errs := race(50, func(int) error {
		got, err := c.TakeChallenge(ctx, "h-1", "mfa-login", base)
		if err == nil && got.UserID != u.ID {
			return fmt.Errorf("took %+v", got)
		}
		return err
	})
	oneWins(t, "TakeChallenge", errs, store.ErrChallengeNotFound)

	old := store.Challenge{Hash: "h-old", Kind: "k", ExpiresAt: base}
	live := store.Challenge{Hash: "h-live", Kind: "k", ExpiresAt: base.Add(time.Hour)}
	for _, x := range []store.Challenge{old, live} {
		if err := c.CreateChallenge(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.DeleteChallengesBefore(ctx, base.Add(time.Minute)); err != nil {
		t.Fatalf("DeleteChallengesBefore: %v", err)
	}
	if _, err := c.ChallengeByHash(ctx, "h-live", "k", base); err != nil {
		t.Errorf("a live challenge was purged: %v", err)
	}
	if _, err := c.TakeChallenge(ctx, "h-old", "k", base.Add(-time.Hour)); !errors.Is(err, store.ErrChallengeNotFound) {
		t.Errorf("an expired challenge survived the purge: %v", err)
	}
}

func newPasskey(u *store.User, credID string) store.Passkey {
	return store.Passkey{
		ID: uuid.New(), UserID: u.ID, CredentialID: []byte(credID), Name: fmt.Sprintf("key %x'", credID),
		Credential: []byte(`{"id":"` + credID + `"}`), SignCount: 1, CreatedAt: base,
	}
}

func checkPasskey(t *testing.T, got, want store.Passkey) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || !bytes.Equal(got.CredentialID, want.CredentialID) ||
		got.Name != want.Name || !bytes.Equal(got.Credential, want.Credential) || got.SignCount != want.SignCount {
		t.Errorf("passkey = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "LastUsedAt", got.LastUsedAt, want.LastUsedAt)
}

// testPasskeys: created, listed, found, used with a compare-and-set sign
// count (also under a race), deleted by their owner only.
func testPasskeys(t *testing.T, s Store) {
	p := passkeyStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("percival@wales.bt"))
	other := mustCreate(t, s, newUser("galahad@corbenic.bt"))
	a, b := newPasskey(u, "cred-a"), newPasskey(u, "cred-b\x00'")
	b.CreatedAt = base.Add(time.Minute)
	for _, x := range []store.Passkey{a, b} {
		if err := p.CreatePasskey(ctx, x); err != nil {
			t.Fatalf("CreatePasskey: %v", err)
		}
	}
	dup := newPasskey(other, "cred-a")
	checkErr(t, "CreatePasskey of a registered credential", p.CreatePasskey(ctx, dup), store.ErrPasskeyTaken)
	checkErr(t, "CreatePasskey for nobody", p.CreatePasskey(ctx, newPasskey(&store.User{ID: uuid.New()}, "cred-x")), store.ErrUserNotFound)

	list, err := p.PasskeysOfUser(ctx, u.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("PasskeysOfUser = %v, %v", list, err)
	}
	checkPasskey(t, list[0], a)
	checkPasskey(t, list[1], b)
	if list, err := p.PasskeysOfUser(ctx, other.ID); err != nil || len(list) != 0 {
		t.Errorf("PasskeysOfUser(other) = %v, %v", list, err)
	}
	got, err := p.PasskeyByCredentialID(ctx, []byte("cred-b\x00'"))
	if err != nil {
		t.Fatalf("PasskeyByCredentialID: %v", err)
	}
	checkPasskey(t, got, b)
	_, err = p.PasskeyByCredentialID(ctx, []byte("cred-z"))
	checkErr(t, "PasskeyByCredentialID(unknown)", err, store.ErrPasskeyNotFound)

	used := a
	used.SignCount, used.Credential, used.LastUsedAt = 5, []byte(`{"n":5}`), base.Add(time.Hour)
	if err := p.UpdatePasskeyUse(ctx, used, 1); err != nil {
		t.Fatalf("UpdatePasskeyUse: %v", err)
	}
	got, _ = p.PasskeyByCredentialID(ctx, a.CredentialID)
	checkPasskey(t, got, used)
	checkErr(t, "UpdatePasskeyUse with a stale count", p.UpdatePasskeyUse(ctx, used, 1), store.ErrSignCountChanged)
	gone := newPasskey(u, "cred-gone")
	checkErr(t, "UpdatePasskeyUse of nothing", p.UpdatePasskeyUse(ctx, gone, 1), store.ErrPasskeyNotFound)

	errs := race(50, func(i int) error {
		next := used
		next.SignCount = uint32(6 + i)
		return p.UpdatePasskeyUse(ctx, next, 5)
	})
	oneWins(t, "UpdatePasskeyUse", errs, store.ErrSignCountChanged)

	checkErr(t, "DeletePasskey by another user", p.DeletePasskey(ctx, other.ID, a.ID), store.ErrPasskeyNotFound)
	if err := p.DeletePasskey(ctx, u.ID, a.ID); err != nil {
		t.Fatalf("DeletePasskey: %v", err)
	}
	checkErr(t, "DeletePasskey twice", p.DeletePasskey(ctx, u.ID, a.ID), store.ErrPasskeyNotFound)
	if list, _ := p.PasskeysOfUser(ctx, u.ID); len(list) != 1 {
		t.Errorf("PasskeysOfUser after delete = %v", list)
	}
}

// testDeleteUserRemovesMFA: a deleted user's second factors, challenges
// and passkeys go with them.
func testDeleteUserRemovesMFA(t *testing.T, s Store) {
	m, c, p := mfaStore(t, s), challengeStore(t, s), passkeyStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("kay@camelot.bt"))
	if err := m.PutPendingTOTP(ctx, pendingTOTP(u, "k")); err != nil {
		t.Fatal(err)
	}
	if err := m.ConfirmTOTP(ctx, u.ID, []byte("k"), 1, base, []string{"r"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateChallenge(ctx, store.Challenge{Hash: "kay", Kind: "k", UserID: u.ID, ExpiresAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := p.CreatePasskey(ctx, newPasskey(u, "kay")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	again := *u
	mustCreate(t, s, &again)
	if _, err := m.TOTPOf(ctx, u.ID); !errors.Is(err, store.ErrTOTPNotFound) {
		t.Errorf("TOTP of a re-created user: %v", err)
	}
	if n, _ := m.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Errorf("recovery codes of a re-created user: %d", n)
	}
	if _, err := c.ChallengeByHash(ctx, "kay", "k", base); !errors.Is(err, store.ErrChallengeNotFound) {
		t.Errorf("challenge of a deleted user: %v", err)
	}
	if _, err := p.PasskeyByCredentialID(ctx, []byte("kay")); !errors.Is(err, store.ErrPasskeyNotFound) {
		t.Errorf("passkey of a deleted user: %v", err)
	}
}
