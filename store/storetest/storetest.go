// Package storetest is the conformance suite of authkit's stores. Every
// implementation runs it, the application's own included:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store {
//			return newEmptyStore(t) // migrated, holding nothing
//		})
//	}
//
// The suite checks the semantics documented in package store: not-found
// sentinels, canonical email collisions (also when 50 callers race),
// token lookups, session records (listed, touched, ended by id),
// revocations and cut-offs, refresh token families (rotation, reuse, also
// when 50 callers race to rotate one token), links to OAuth accounts
// (when the store implements store.OAuthAccountStore), single-use OAuth
// states (store.OAuthStateStore, also when 50 callers race to use one),
// the mail outbox (store.MailOutbox: claims, leases, retries, racing
// claims), second factors, single-use challenges and passkeys
// (store.MFAStore, store.ChallengeStore, store.PasskeyStore; single use
// also under races), expiry purges, deletion of everything a user owns, time precision, that
// strings which look like SQL are stored verbatim, and — when the store
// implements store.UserVersioner — the security version: compare-and-set
// writes of the changed columns only (one winner of 20 racing writes), the
// version moving with every security change and OAuth link, and token
// issuance bound to it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// Store is what the suite tests.
type Store interface {
	store.UserStore
	store.UserLister
	store.AccessTokenStore
	store.RevocationStore
	store.RefreshTokenStore
}

// Run runs the suite as subtests of t, one after another. newStore is
// called once per subtest, with the subtest's t; it must return a store
// that holds nothing yet and is ready for use, and may register its
// clean-up with t.Cleanup.
//
// Beyond package store's doc comments, the suite expects times read back in
// UTC, truncated (not rounded) to the microsecond.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"NotFound", testNotFound},
		{"FaultIsNotNotFound", testFaultIsNotNotFound},
		{"EmailCollision", testEmailCollision},
		{"CreateRace", testCreateRace},
		{"Update", testUpdate},
		{"UpdateEmailCollision", testUpdateEmailCollision},
		{"UpdateOwnEmailCase", testUpdateOwnEmailCase},
		{"UpdateFreesOldEmail", testUpdateFreesOldEmail},
		{"Delete", testDelete},
		{"ListUsers", testListUsers},
		{"AccessTokens", testAccessTokens},
		{"AccessTokenUserGone", testAccessTokenUserGone},
		{"DeleteAccessTokensBefore", testDeleteAccessTokensBefore},
		{"AccessTokenSessionFields", testAccessTokenSessionFields},
		{"AccessTokensOfUser", testAccessTokensOfUser},
		{"DeleteAccessTokenSession", testDeleteAccessTokenSession},
		{"TouchAccessToken", testTouchAccessToken},
		{"RevokeToken", testRevokeToken},
		{"RevokeUserTokens", testRevokeUserTokens},
		{"RevokeUserTokensUnknownUser", testRevokeUserTokensUnknownUser},
		{"DeleteExpiredRevocations", testDeleteExpiredRevocations},
		{"DeleteUserCascades", testDeleteUserCascades},
		{"TimePrecision", testTimePrecision},
		{"InjectionVerbatim", testInjectionVerbatim},
		{"Fields", testFields},
		{"RefreshCreateAndRotate", testRefreshCreateAndRotate},
		{"RefreshRotateKeepsFamily", testRefreshRotateKeepsFamily},
		{"RefreshUnknownUser", testRefreshUnknownUser},
		{"RefreshNotFound", testRefreshNotFound},
		{"RefreshReused", testRefreshReused},
		{"RefreshRotateRace", testRefreshRotateRace},
		{"RefreshFamilies", testRefreshFamilies},
		{"DeleteRefreshFamily", testDeleteRefreshFamily},
		{"DeleteUserRefreshFamilies", testDeleteUserRefreshFamilies},
		{"DeleteRefreshTokensBefore", testDeleteRefreshTokensBefore},
		{"RefreshFaultIsNotNotFound", testRefreshFaultIsNotNotFound},
		{"DeleteUserRemovesRefreshTokens", testDeleteUserRemovesRefreshTokens},
		{"RefreshTimePrecision", testRefreshTimePrecision},
		{"RefreshInjectionVerbatim", testRefreshInjectionVerbatim},
		{"OAuthAccounts", testOAuthAccounts},
		{"OAuthAccountUnknownUser", testOAuthAccountUnknownUser},
		{"DeleteUserRemovesOAuthAccounts", testDeleteUserRemovesOAuthAccounts},
		{"OAuthInjectionVerbatim", testOAuthInjectionVerbatim},
		{"OAuthStates", testOAuthStates},
		{"OAuthStateRace", testOAuthStateRace},
		{"OutboxClaimAndSend", testOutboxClaimAndSend},
		{"OutboxLeaseExpires", testOutboxLeaseExpires},
		{"OutboxFailAndRetry", testOutboxFailAndRetry},
		{"OutboxClaimRace", testOutboxClaimRace},
		{"VersionChangeUser", testVersionChangeUser},
		{"VersionChangeRace", testVersionChangeRace},
		{"VersionBump", testVersionBump},
		{"VersionIssuance", testVersionIssuance},
		{"VersionStampedTokens", testVersionStampedTokens},
		{"VersionOAuthLinks", testVersionOAuthLinks},
		{"TOTP", testTOTP},
		{"TOTPStepRace", testTOTPStepRace},
		{"RecoveryCodes", testRecoveryCodes},
		{"Challenges", testChallenges},
		{"Passkeys", testPasskeys},
		{"DeleteUserRemovesMFA", testDeleteUserRemovesMFA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.fn(t, s)
		})
	}
}

// base is a time with a whole number of microseconds, so that stored and
// expected times compare exactly.
var base = time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)

func newUser(email string) *store.User {
	return &store.User{
		ID:             uuid.New(),
		Email:          email,
		HashedPassword: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		IsActive:       true,
		CreatedAt:      base,
		UpdatedAt:      base,
	}
}

func mustCreate(t *testing.T, s Store, u *store.User) *store.User {
	t.Helper()
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", u.Email, err)
	}
	return u
}

// checkUser fails unless got is want as stored: times in UTC, truncated
// to microseconds.
func checkUser(t *testing.T, got, want *store.User) {
	t.Helper()
	if got == nil {
		t.Fatal("got nil user")
	}
	if got.ID != want.ID || got.Email != want.Email || got.HashedPassword != want.HashedPassword ||
		got.IsActive != want.IsActive || got.IsSuperuser != want.IsSuperuser || got.IsVerified != want.IsVerified {
		t.Errorf("user = %+v\nwant   %+v", *got, *want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	want = want.UTC().Truncate(time.Microsecond)
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// valid fails unless the token is accepted for u.
func valid(t *testing.T, s Store, u *store.User, tokenID string, iat time.Time) {
	t.Helper()
	got, err := s.UserForToken(context.Background(), u.ID, tokenID, iat)
	if err != nil {
		t.Errorf("UserForToken(%q, issued %v): %v, want the user", tokenID, iat, err)
		return
	}
	if got.ID != u.ID {
		t.Errorf("UserForToken(%q): user %v, want %v", tokenID, got.ID, u.ID)
	}
}

// void fails unless the token is refused with ErrTokenNotFound.
func void(t *testing.T, s Store, u *store.User, tokenID string, iat time.Time) {
	t.Helper()
	_, err := s.UserForToken(context.Background(), u.ID, tokenID, iat)
	checkErr(t, fmt.Sprintf("UserForToken(%q, issued %v)", tokenID, iat), err, store.ErrTokenNotFound)
}

func testCreateAndGet(t *testing.T, s Store) {
	ctx := context.Background()
	u := newUser("Lancelot.du.Lac@Camelot.bt")
	u.IsSuperuser, u.IsVerified = true, true
	mustCreate(t, s, u)

	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, got, u)

	// The email is found through its canonical form but kept as given.
	for _, e := range []string{u.Email, "lancelot.du.lac@camelot.bt", "  LANCELOT.DU.LAC@CAMELOT.BT\t"} {
		got, err := s.UserByEmail(ctx, e)
		if err != nil {
			t.Fatalf("UserByEmail(%q): %v", e, err)
		}
		checkUser(t, got, u)
	}

	inactive := newUser("mordred@camelot.bt")
	inactive.IsActive = false
	mustCreate(t, s, inactive)
	got, err = s.UserByID(ctx, inactive.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, got, inactive)
}

func testNotFound(t *testing.T, s Store) {
	ctx := context.Background()
	mustCreate(t, s, newUser("someone@camelot.bt"))
	ghost := newUser("ghost@camelot.bt")

	_, err := s.UserByID(ctx, ghost.ID)
	checkErr(t, "UserByID", err, store.ErrUserNotFound)
	_, err = s.UserByEmail(ctx, ghost.Email)
	checkErr(t, "UserByEmail", err, store.ErrUserNotFound)
	checkErr(t, "UpdateUser", s.UpdateUser(ctx, ghost), store.ErrUserNotFound)
	checkErr(t, "DeleteUser", s.DeleteUser(ctx, ghost.ID), store.ErrUserNotFound)
	_, _, err = s.UserByAccessToken(ctx, "0000")
	checkErr(t, "UserByAccessToken", err, store.ErrTokenNotFound)
	_, err = s.UserForToken(ctx, ghost.ID, "jti", base)
	checkErr(t, "UserForToken", err, store.ErrUserNotFound)
	if err := s.DeleteAccessToken(ctx, "0000"); err != nil {
		t.Errorf("DeleteAccessToken of a missing token: %v", err)
	}
	if err := s.DeleteUserAccessTokens(ctx, ghost.ID, ""); err != nil {
		t.Errorf("DeleteUserAccessTokens of a missing user: %v", err)
	}
	if toks, err := s.AccessTokensOfUser(ctx, ghost.ID); err != nil || len(toks) != 0 {
		t.Errorf("AccessTokensOfUser of a missing user = %v, %v; want none", toks, err)
	}
	if err := s.TouchAccessToken(ctx, "0000", base); err != nil {
		t.Errorf("TouchAccessToken of a missing token: %v", err)
	}
	if err := s.DeleteAccessTokenSession(ctx, ghost.ID, "session"); err != nil {
		t.Errorf("DeleteAccessTokenSession of a missing user: %v", err)
	}
}

// testFaultIsNotNotFound checks that a failure is never taken for "not
// found": a cancelled request must not look like an unknown user.
func testFaultIsNotNotFound(t *testing.T, s Store) {
	u := mustCreate(t, s, newUser("percival@camelot.bt"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.UserByID(ctx, u.ID); err == nil || errors.Is(err, store.ErrUserNotFound) {
		t.Errorf("UserByID with a cancelled context: err = %v, want a fault", err)
	}
	if _, err := s.UserByEmail(ctx, u.Email); err == nil || errors.Is(err, store.ErrUserNotFound) {
		t.Errorf("UserByEmail with a cancelled context: err = %v, want a fault", err)
	}
	if _, err := s.UserForToken(ctx, u.ID, "jti", base); err == nil ||
		errors.Is(err, store.ErrUserNotFound) || errors.Is(err, store.ErrTokenNotFound) {
		t.Errorf("UserForToken with a cancelled context: err = %v, want a fault", err)
	}
	if _, _, err := s.UserByAccessToken(ctx, "abcd"); err == nil || errors.Is(err, store.ErrTokenNotFound) {
		t.Errorf("UserByAccessToken with a cancelled context: err = %v, want a fault", err)
	}
	if _, err := s.AccessTokensOfUser(ctx, u.ID); err == nil {
		t.Error("AccessTokensOfUser with a cancelled context: no error")
	}
	if err := s.TouchAccessToken(ctx, "abcd", base); err == nil {
		t.Error("TouchAccessToken with a cancelled context: no error")
	}
	if err := s.DeleteAccessTokenSession(ctx, u.ID, "session"); err == nil {
		t.Error("DeleteAccessTokenSession with a cancelled context: no error")
	}
}

func testEmailCollision(t *testing.T, s Store) {
	ctx := context.Background()
	pairs := [][2]string{
		{"King.Arthur@camelot.bt", "king.arthur@camelot.bt"},
		{"ÉLODIE@x.fr", "élodie@x.fr"},
		{"noe\u0308l@x.fr", "noël@x.fr"}, // decomposed and composed ë (NFKC)
		{"ΣΊΣΥΦΟΣ@x.gr", "σίσυφος@x.gr"}, // final sigma folds like sigma
		{"  guinevere@camelot.bt ", "guinevere@camelot.bt"},
	}
	for _, p := range pairs {
		first := mustCreate(t, s, newUser(p[0]))
		second := newUser(p[1])
		checkErr(t, fmt.Sprintf("CreateUser(%q) after %q", p[1], p[0]), s.CreateUser(ctx, second), store.ErrEmailTaken)
		got, err := s.UserByEmail(ctx, p[1])
		if err != nil {
			t.Errorf("UserByEmail(%q): %v", p[1], err)
			continue
		}
		checkUser(t, got, first)
		if _, err := s.UserByID(ctx, second.ID); !errors.Is(err, store.ErrUserNotFound) {
			t.Errorf("the refused user %q exists: err = %v", p[1], err)
		}
	}
	// Emails that only look alike stay apart.
	mustCreate(t, s, newUser("arthur@camelot.bt"))
	mustCreate(t, s, newUser("arthur@camelot.bt.example"))
	mustCreate(t, s, newUser("arthur+round.table@camelot.bt"))
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if want := len(pairs) + 3; len(users) != want {
		t.Errorf("ListUsers: %d users, want %d", len(users), want)
	}
}

func testCreateRace(t *testing.T, s Store) {
	ctx := context.Background()
	const n = 50
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		errs   = make([]error, n)
		tried  = make([]*store.User, n)
		emails = []string{"gawain@camelot.bt", "Gawain@Camelot.bt", "GAWAIN@CAMELOT.BT", " gawain@camelot.bt"}
	)
	for i := range n {
		tried[i] = newUser(emails[i%len(emails)])
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.CreateUser(ctx, tried[i])
		}()
	}
	close(start)
	wg.Wait()

	var winner *store.User
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != nil {
				t.Errorf("two users created: %v and %v", winner.ID, tried[i].ID)
			}
			winner = tried[i]
		case !errors.Is(err, store.ErrEmailTaken):
			t.Errorf("CreateUser #%d: %v, want nil or ErrEmailTaken", i, err)
		}
	}
	if winner == nil {
		t.Fatal("no user created")
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != 1 || users[0].ID != winner.ID {
		t.Errorf("ListUsers = %d users, want only %v", len(users), winner.ID)
	}
}

func testUpdate(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("tristan@camelot.bt"))
	other := mustCreate(t, s, newUser("isolde@camelot.bt"))

	changed := *u
	changed.Email = "Tristan@Lyonesse.bt"
	changed.HashedPassword = "$2b$12$something.else"
	changed.IsActive, changed.IsSuperuser, changed.IsVerified = false, true, true
	changed.UpdatedAt = base.Add(time.Hour)
	changed.CreatedAt = base.Add(-time.Hour) // must be ignored
	if err := s.UpdateUser(ctx, &changed); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	want := changed
	want.CreatedAt = u.CreatedAt

	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, got, &want)
	got, err = s.UserByEmail(ctx, "tristan@lyonesse.bt")
	if err != nil {
		t.Fatalf("UserByEmail(new email): %v", err)
	}
	checkUser(t, got, &want)
	// The other user is untouched.
	got, err = s.UserByID(ctx, other.ID)
	if err != nil {
		t.Fatalf("UserByID(other): %v", err)
	}
	checkUser(t, got, other)
}

func testUpdateEmailCollision(t *testing.T, s Store) {
	ctx := context.Background()
	a := mustCreate(t, s, newUser("galahad@camelot.bt"))
	b := mustCreate(t, s, newUser("bors@camelot.bt"))

	changed := *b
	changed.Email = "GALAHAD@camelot.bt"
	changed.IsVerified = true
	checkErr(t, "UpdateUser to another user's email", s.UpdateUser(ctx, &changed), store.ErrEmailTaken)

	got, err := s.UserByID(ctx, b.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, got, b) // unchanged, is_verified included
	got, err = s.UserByEmail(ctx, "galahad@camelot.bt")
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	checkUser(t, got, a)
}

func testUpdateOwnEmailCase(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("kay@camelot.bt"))
	changed := *u
	changed.Email = "Sir.KAY@camelot.bt"
	if err := s.UpdateUser(ctx, &changed); err != nil {
		t.Fatalf("UpdateUser to another email: %v", err)
	}
	changed.Email = "SIR.kay@Camelot.BT"
	if err := s.UpdateUser(ctx, &changed); err != nil {
		t.Fatalf("UpdateUser changing only the case: %v", err)
	}
	changed.HashedPassword = "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3"
	if err := s.UpdateUser(ctx, &changed); err != nil {
		t.Fatalf("UpdateUser keeping the email: %v", err)
	}
	got, err := s.UserByEmail(ctx, "sir.kay@camelot.bt")
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	checkUser(t, got, &changed)
}

func testUpdateFreesOldEmail(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("bedivere@camelot.bt"))
	changed := *u
	changed.Email = "bedivere@avalon.bt"
	if err := s.UpdateUser(ctx, &changed); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	_, err := s.UserByEmail(ctx, "bedivere@camelot.bt")
	checkErr(t, "UserByEmail(old email)", err, store.ErrUserNotFound)
	mustCreate(t, s, newUser("Bedivere@camelot.bt"))
}

func testDelete(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("gareth@camelot.bt"))
	keep := mustCreate(t, s, newUser("gaheris@camelot.bt"))
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.UserByID(ctx, u.ID)
	checkErr(t, "UserByID after delete", err, store.ErrUserNotFound)
	_, err = s.UserByEmail(ctx, u.Email)
	checkErr(t, "UserByEmail after delete", err, store.ErrUserNotFound)
	checkErr(t, "DeleteUser twice", s.DeleteUser(ctx, u.ID), store.ErrUserNotFound)
	checkErr(t, "UpdateUser after delete", s.UpdateUser(ctx, u), store.ErrUserNotFound)
	if _, err := s.UserByID(ctx, keep.ID); err != nil {
		t.Errorf("the other user: %v", err)
	}
	// The email is free again.
	mustCreate(t, s, newUser("GARETH@camelot.bt"))
}

func testListUsers(t *testing.T, s Store) {
	ctx := context.Background()
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers on an empty store: %v", err)
	}
	if len(users) != 0 {
		t.Fatalf("ListUsers on an empty store: %d users", len(users))
	}
	// Created out of order: the list is by creation time, oldest first.
	var want []*store.User
	for i, offset := range []time.Duration{2 * time.Hour, 0, time.Hour, 3 * time.Hour} {
		u := newUser(fmt.Sprintf("knight%d@camelot.bt", i))
		u.CreatedAt = base.Add(offset)
		mustCreate(t, s, u)
		want = append(want, u)
	}
	order := []int{1, 2, 0, 3}
	users, err = s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != len(order) {
		t.Fatalf("ListUsers: %d users, want %d", len(users), len(order))
	}
	for i, j := range order {
		checkUser(t, users[i], want[j])
	}
}

func testAccessTokens(t *testing.T, s Store) {
	ctx := context.Background()
	a := mustCreate(t, s, newUser("pelleas@camelot.bt"))
	b := mustCreate(t, s, newUser("ettarde@camelot.bt"))
	tokens := []store.AccessToken{
		{Hash: strings.Repeat("a1", 32), UserID: a.ID, CreatedAt: base},
		{Hash: strings.Repeat("a2", 32), UserID: a.ID, CreatedAt: base.Add(time.Minute)},
		{Hash: strings.Repeat("a3", 32), UserID: a.ID, CreatedAt: base.Add(2 * time.Minute)},
		{Hash: strings.Repeat("b1", 32), UserID: b.ID, CreatedAt: base},
	}
	for _, tok := range tokens {
		if err := s.CreateAccessToken(ctx, tok); err != nil {
			t.Fatalf("CreateAccessToken: %v", err)
		}
	}
	for _, tok := range tokens {
		u, created, err := s.UserByAccessToken(ctx, tok.Hash)
		if err != nil {
			t.Fatalf("UserByAccessToken: %v", err)
		}
		want := a
		if tok.UserID == b.ID {
			want = b
		}
		checkUser(t, u, want)
		checkReadToken(t, created, tok)
	}
	// Hashes are matched exactly.
	_, _, err := s.UserByAccessToken(ctx, strings.ToUpper(tokens[0].Hash))
	checkErr(t, "UserByAccessToken(upper-cased hash)", err, store.ErrTokenNotFound)

	if err := s.DeleteAccessToken(ctx, tokens[0].Hash); err != nil {
		t.Fatalf("DeleteAccessToken: %v", err)
	}
	_, _, err = s.UserByAccessToken(ctx, tokens[0].Hash)
	checkErr(t, "UserByAccessToken after delete", err, store.ErrTokenNotFound)
	if err := s.DeleteAccessToken(ctx, tokens[0].Hash); err != nil {
		t.Errorf("DeleteAccessToken twice: %v", err)
	}

	alive := func(tok store.AccessToken, want bool) {
		t.Helper()
		_, _, err := s.UserByAccessToken(ctx, tok.Hash)
		switch {
		case want && err != nil:
			t.Errorf("token %.4s: %v, want alive", tok.Hash, err)
		case !want && !errors.Is(err, store.ErrTokenNotFound):
			t.Errorf("token %.4s: err = %v, want ErrTokenNotFound", tok.Hash, err)
		}
	}
	if err := s.DeleteUserAccessTokens(ctx, a.ID, tokens[1].Hash); err != nil {
		t.Fatalf("DeleteUserAccessTokens(keep): %v", err)
	}
	alive(tokens[1], true)
	alive(tokens[2], false)
	alive(tokens[3], true) // another user's

	if err := s.DeleteUserAccessTokens(ctx, a.ID, ""); err != nil {
		t.Fatalf("DeleteUserAccessTokens(keep none): %v", err)
	}
	alive(tokens[1], false)
	alive(tokens[3], true)
}

func testAccessTokenUserGone(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("lamorak@camelot.bt"))
	tok := store.AccessToken{Hash: strings.Repeat("c3", 32), UserID: u.ID, CreatedAt: base}
	if err := s.CreateAccessToken(ctx, tok); err != nil {
		t.Fatalf("CreateAccessToken: %v", err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, _, err := s.UserByAccessToken(ctx, tok.Hash)
	checkErr(t, "UserByAccessToken of a deleted user", err, store.ErrTokenNotFound)

	// A store may refuse a token for a missing user, or keep it; either
	// way it must never lead to a user.
	orphan := store.AccessToken{Hash: strings.Repeat("d4", 32), UserID: uuid.New(), CreatedAt: base}
	_ = s.CreateAccessToken(ctx, orphan)
	_, _, err = s.UserByAccessToken(ctx, orphan.Hash)
	checkErr(t, "UserByAccessToken of a token without user", err, store.ErrTokenNotFound)
}

func testDeleteAccessTokensBefore(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("dagonet@camelot.bt"))
	cut := base
	tokens := []struct {
		tok   store.AccessToken
		alive bool
	}{
		{store.AccessToken{Hash: "old", CreatedAt: cut.Add(-time.Hour)}, false},
		{store.AccessToken{Hash: "just-before", CreatedAt: cut.Add(-time.Microsecond)}, false},
		{store.AccessToken{Hash: "at-cut", CreatedAt: cut}, true},
		{store.AccessToken{Hash: "new", CreatedAt: cut.Add(time.Hour)}, true},
	}
	for _, tc := range tokens {
		tc.tok.UserID = u.ID
		if err := s.CreateAccessToken(ctx, tc.tok); err != nil {
			t.Fatalf("CreateAccessToken: %v", err)
		}
	}
	// Passed in another zone: the instant is what counts.
	if err := s.DeleteAccessTokensBefore(ctx, cut.In(time.FixedZone("UTC-7", -7*3600))); err != nil {
		t.Fatalf("DeleteAccessTokensBefore: %v", err)
	}
	for _, tc := range tokens {
		_, _, err := s.UserByAccessToken(ctx, tc.tok.Hash)
		switch {
		case tc.alive && err != nil:
			t.Errorf("token %q: %v, want alive", tc.tok.Hash, err)
		case !tc.alive && !errors.Is(err, store.ErrTokenNotFound):
			t.Errorf("token %q: err = %v, want ErrTokenNotFound", tc.tok.Hash, err)
		}
	}
}

func testRevokeToken(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("safir@camelot.bt"))
	other := mustCreate(t, s, newUser("segwarides@camelot.bt"))
	iat := base.Add(-time.Minute)

	valid(t, s, u, "jti-1", iat)
	if err := s.RevokeToken(ctx, "jti-1", u.ID, base.Add(time.Hour)); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	void(t, s, u, "jti-1", iat)
	void(t, s, u, "jti-1", base.Add(time.Hour)) // whatever its issue time
	valid(t, s, u, "jti-2", iat)
	valid(t, s, other, "jti-2", iat)
	if err := s.RevokeToken(ctx, "jti-1", u.ID, base.Add(time.Hour)); err != nil {
		t.Errorf("RevokeToken twice: %v", err)
	}
	void(t, s, u, "jti-1", iat)
}

func testRevokeUserTokens(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("palamedes@camelot.bt"))
	other := mustCreate(t, s, newUser("dinadan@camelot.bt"))
	cut := base

	if err := s.RevokeUserTokens(ctx, u.ID, cut, "kept"); err != nil {
		t.Fatalf("RevokeUserTokens: %v", err)
	}
	void(t, s, u, "old", cut.Add(-time.Hour))
	void(t, s, u, "just-before", cut.Add(-time.Microsecond))
	void(t, s, u, "", cut.Add(-time.Hour)) // a token without id is not the kept one
	valid(t, s, u, "kept", cut.Add(-time.Hour))
	valid(t, s, u, "at-cut", cut) // issued at the cut-off: not before it
	valid(t, s, u, "new", cut.Add(time.Second))
	valid(t, s, other, "old", cut.Add(-time.Hour))

	// A later call replaces the cut-off and the kept token.
	cut2 := cut.Add(time.Hour)
	if err := s.RevokeUserTokens(ctx, u.ID, cut2, ""); err != nil {
		t.Fatalf("RevokeUserTokens again: %v", err)
	}
	void(t, s, u, "kept", cut.Add(-time.Hour))
	void(t, s, u, "at-cut", cut)
	void(t, s, u, "", cut.Add(-time.Hour))
	valid(t, s, u, "newer", cut2)

	// Keeping a token after all were ended takes a new security version
	// (a password change after a deactivation); at the same version, the
	// ending of every session stands.
	if v, ok := s.(store.UserVersioner); ok {
		if err := s.RevokeUserTokens(ctx, u.ID, cut2.Add(time.Minute), "newer"); err != nil {
			t.Fatalf("RevokeUserTokens keeping a token: %v", err)
		}
		void(t, s, u, "newer", cut.Add(-time.Hour))
		if _, err := v.BumpUserVersion(ctx, u.ID); err != nil {
			t.Fatalf("BumpUserVersion: %v", err)
		}
	}
	if err := s.RevokeUserTokens(ctx, u.ID, cut2.Add(time.Minute), "newer"); err != nil {
		t.Fatalf("RevokeUserTokens a third time: %v", err)
	}
	valid(t, s, u, "newer", cut2)
	void(t, s, u, "other", cut2)
}

func testRevokeUserTokensUnknownUser(t *testing.T, s Store) {
	err := s.RevokeUserTokens(context.Background(), uuid.New(), base, "")
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		t.Errorf("RevokeUserTokens of an unknown user: %v, want nil or ErrUserNotFound", err)
	}
}

func testDeleteExpiredRevocations(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("agravain@camelot.bt"))
	iat := base.Add(-2 * time.Hour)
	now := base
	revoked := []struct {
		id      string
		expires time.Time
		kept    bool
	}{
		{"expired", now.Add(-time.Hour), false},
		{"just-expired", now.Add(-time.Microsecond), false},
		{"expires-now", now, true},
		{"live", now.Add(time.Hour), true},
	}
	for _, r := range revoked {
		if err := s.RevokeToken(ctx, r.id, u.ID, r.expires); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
	}
	if err := s.DeleteExpiredRevocations(ctx, now); err != nil {
		t.Fatalf("DeleteExpiredRevocations: %v", err)
	}
	for _, r := range revoked {
		if r.kept {
			void(t, s, u, r.id, iat)
		} else {
			// Forgotten: the token's own expiry refuses it from now on.
			valid(t, s, u, r.id, iat)
		}
	}
}

func testDeleteUserCascades(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("pellinore@camelot.bt"))
	other := mustCreate(t, s, newUser("uther@camelot.bt"))
	tok := store.AccessToken{Hash: "pellinore-token", UserID: u.ID, CreatedAt: base}
	otherTok := store.AccessToken{Hash: "uther-token", UserID: other.ID, CreatedAt: base}
	for _, tk := range []store.AccessToken{tok, otherTok} {
		if err := s.CreateAccessToken(ctx, tk); err != nil {
			t.Fatalf("CreateAccessToken: %v", err)
		}
	}
	if err := s.RevokeToken(ctx, "revoked", u.ID, base.Add(time.Hour)); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if err := s.RevokeUserTokens(ctx, u.ID, base, ""); err != nil {
		t.Fatalf("RevokeUserTokens: %v", err)
	}
	if err := s.RevokeUserTokens(ctx, other.ID, base, ""); err != nil {
		t.Fatalf("RevokeUserTokens: %v", err)
	}

	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, _, err := s.UserByAccessToken(ctx, tok.Hash)
	checkErr(t, "UserByAccessToken after DeleteUser", err, store.ErrTokenNotFound)
	_, err = s.UserForToken(ctx, u.ID, "any", base.Add(time.Hour))
	checkErr(t, "UserForToken after DeleteUser", err, store.ErrUserNotFound)

	// Nothing of the old user comes back with a new user of the same id.
	again := *u
	again.Email = "pellinore@listenoise.bt"
	mustCreate(t, s, &again)
	_, _, err = s.UserByAccessToken(ctx, tok.Hash)
	checkErr(t, "old token of a re-created user", err, store.ErrTokenNotFound)
	valid(t, s, &again, "issued-before-old-cutoff", base.Add(-time.Hour))

	// The other user's things are untouched.
	if _, _, err := s.UserByAccessToken(ctx, otherTok.Hash); err != nil {
		t.Errorf("other user's token: %v", err)
	}
	void(t, s, other, "x", base.Add(-time.Hour))
}

func testTimePrecision(t *testing.T, s Store) {
	ctx := context.Background()
	zone := time.FixedZone("IST", 5*3600+1800)
	u := newUser("nimue@avalon.bt")
	u.CreatedAt = time.Date(2024, 2, 29, 23, 59, 59, 999999999, zone) // truncated, not rounded
	u.UpdatedAt = time.Date(1999, 12, 31, 23, 0, 0, 1000, time.UTC)
	mustCreate(t, s, u)
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, got, u)

	tok := store.AccessToken{Hash: "precise", UserID: u.ID, CreatedAt: time.Date(2030, 1, 2, 3, 4, 5, 678901234, zone)}
	if err := s.CreateAccessToken(ctx, tok); err != nil {
		t.Fatalf("CreateAccessToken: %v", err)
	}
	tok2 := store.AccessToken{Hash: "precise-used", UserID: u.ID, CreatedAt: tok.CreatedAt,
		LastUsedAt: time.Date(2030, 1, 2, 3, 5, 0, 999999999, zone)}
	if err := s.CreateAccessToken(ctx, tok2); err != nil {
		t.Fatalf("CreateAccessToken: %v", err)
	}
	for _, want := range []store.AccessToken{tok, tok2} {
		_, got, err := s.UserByAccessToken(ctx, want.Hash)
		if err != nil {
			t.Fatalf("UserByAccessToken: %v", err)
		}
		checkReadToken(t, got, want)
	}
	touched := time.Date(2030, 1, 2, 3, 6, 0, 1999, zone)
	if err := s.TouchAccessToken(ctx, tok.Hash, touched); err != nil {
		t.Fatalf("TouchAccessToken: %v", err)
	}
	tok.LastUsedAt = touched
	checkReadToken(t, tokenOf(t, s, tok.Hash), tok)

	// A cut-off compares instants, whatever the zones.
	cut := time.Date(2025, 1, 1, 0, 0, 0, 5000, time.UTC)
	if err := s.RevokeUserTokens(ctx, u.ID, cut.In(zone), ""); err != nil {
		t.Fatalf("RevokeUserTokens: %v", err)
	}
	void(t, s, u, "a", cut.Add(-time.Microsecond).In(zone))
	valid(t, s, u, "b", cut.In(time.FixedZone("X", -3600)))
}

func testInjectionVerbatim(t *testing.T, s Store) {
	ctx := context.Background()
	nasty := []string{
		`robert'); DROP TABLE authkit_users;--@x.com`,
		`"quoted"@x.com`,
		`a%b@x.com`,
		`_@x.com`,
		`back\slash@x.com`,
		`x' OR '1'='1@x.com`,
		`semi;colon$1?@x.com`,
	}
	var users []*store.User
	for _, e := range nasty {
		u := newUser(e)
		u.HashedPassword = `'; UPDATE authkit_users SET is_superuser = TRUE; --` + e
		users = append(users, mustCreate(t, s, u))
	}
	for _, u := range users {
		got, err := s.UserByEmail(ctx, u.Email)
		if err != nil {
			t.Fatalf("UserByEmail(%q): %v", u.Email, err)
		}
		checkUser(t, got, u)
	}
	// No wildcard matching.
	for _, e := range []string{"axb@x.com", "z@x.com", "%", "x' OR '1'='1"} {
		_, err := s.UserByEmail(ctx, e)
		checkErr(t, fmt.Sprintf("UserByEmail(%q)", e), err, store.ErrUserNotFound)
	}

	u := users[0]
	hash := `' OR '1'='1`
	if err := s.CreateAccessToken(ctx, store.AccessToken{Hash: hash, UserID: u.ID, CreatedAt: base}); err != nil {
		t.Fatalf("CreateAccessToken: %v", err)
	}
	if got, _, err := s.UserByAccessToken(ctx, hash); err != nil || got.ID != u.ID {
		t.Errorf("UserByAccessToken(%q) = %v, %v", hash, got, err)
	}
	_, _, err := s.UserByAccessToken(ctx, `x' OR '1'='1`)
	checkErr(t, "UserByAccessToken(injection)", err, store.ErrTokenNotFound)

	jti := `'; DELETE FROM authkit_revoked_tokens; --`
	if err := s.RevokeToken(ctx, jti, u.ID, base.Add(time.Hour)); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	void(t, s, u, jti, base)
	valid(t, s, u, `' OR ''='`, base)
	if err := s.RevokeUserTokens(ctx, u.ID, base, jti+"'"); err != nil {
		t.Fatalf("RevokeUserTokens: %v", err)
	}
	valid(t, s, u, jti+"'", base.Add(-time.Hour))
	void(t, s, u, jti, base.Add(-time.Hour))

	all, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(all) != len(nasty) {
		t.Errorf("ListUsers: %d users, want %d", len(all), len(nasty))
	}
	for _, got := range all {
		if got.IsSuperuser {
			t.Errorf("user %q became superuser", got.Email)
		}
	}
}

// testFields: the application's own fields round-trip through create,
// update and every way of reading a user; numbers come back exact.
func testFields(t *testing.T, s Store) {
	ctx := context.Background()
	plain := mustCreate(t, s, newUser("plain@example.com"))
	if got, err := s.UserByID(ctx, plain.ID); err != nil || got.Fields != nil {
		t.Fatalf("a user without fields: %v, %v", got.Fields, err)
	}
	u := newUser("fields@example.com")
	u.Fields = map[string]any{"display_name": "Ada ' Lovelace; --", "age": 36, "big": json.Number("12345678901234567890"), "newsletter": true}
	mustCreate(t, s, u)
	want := `{"age":36,"big":12345678901234567890,"display_name":"Ada ' Lovelace; --","newsletter":true}`
	check := func(got *store.User, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got.Fields)
		if string(b) != want {
			t.Fatalf("fields %s, want %s", b, want)
		}
	}
	check(s.UserByID(ctx, u.ID))
	check(s.UserByEmail(ctx, u.Email))
	users, err := s.ListUsers(ctx)
	if err != nil || len(users) != 2 {
		t.Fatalf("ListUsers: %d, %v", len(users), err)
	}
	for _, lu := range users {
		if lu.ID == u.ID {
			check(lu, nil)
		}
	}
	u.Fields = map[string]any{"display_name": "Countess"}
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	want = `{"display_name":"Countess"}`
	check(s.UserByID(ctx, u.ID))
	u.Fields = nil
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByID(ctx, u.ID); err != nil || got.Fields != nil {
		t.Fatalf("fields cleared: %v, %v", got.Fields, err)
	}
}

// checkToken fails unless got is want as stored: times in UTC, truncated
// to microseconds, and CreatedAt for a LastUsedAt never recorded.
func checkToken(t *testing.T, got, want store.AccessToken) {
	t.Helper()
	if got.Hash != want.Hash || got.UserID != want.UserID || got.SessionID != want.SessionID ||
		got.UserAgent != want.UserAgent || got.IP != want.IP {
		t.Errorf("token = %+v\nwant    %+v", got, want)
	}
	checkTime(t, "token CreatedAt", got.CreatedAt, want.CreatedAt)
	used := want.LastUsedAt
	if used.IsZero() {
		used = want.CreatedAt
	}
	checkTime(t, "token LastUsedAt", got.LastUsedAt, used)
}

// checkReadToken is checkToken for a record read by UserByAccessToken,
// which may leave the client's user agent and address out.
func checkReadToken(t *testing.T, got, want store.AccessToken) {
	t.Helper()
	if got.UserAgent == "" && got.IP == "" {
		want.UserAgent, want.IP = "", ""
	}
	checkToken(t, got, want)
}

// tokenOf returns the stored record of the token with hash.
func tokenOf(t *testing.T, s Store, hash string) store.AccessToken {
	t.Helper()
	_, tok, err := s.UserByAccessToken(context.Background(), hash)
	if err != nil {
		t.Fatalf("UserByAccessToken(%.8s): %v", hash, err)
	}
	return tok
}

func mustCreateToken(t *testing.T, s Store, tok store.AccessToken) store.AccessToken {
	t.Helper()
	if err := s.CreateAccessToken(context.Background(), tok); err != nil {
		t.Fatalf("CreateAccessToken(%.8s): %v", tok.Hash, err)
	}
	return tok
}

// testAccessTokenSessionFields: the session fields round-trip verbatim
// through UserByAccessToken and AccessTokensOfUser.
func testAccessTokenSessionFields(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("bagdemagus@camelot.bt"))
	tokens := []store.AccessToken{
		{Hash: strings.Repeat("e1", 32), UserID: u.ID, CreatedAt: base, SessionID: "SESSIONONE",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", IP: "2001:db8::1",
			LastUsedAt: base.Add(90 * time.Second)},
		// Strings that look like SQL, and non-ASCII, are kept as given.
		{Hash: strings.Repeat("e2", 32), UserID: u.ID, CreatedAt: base.Add(time.Minute),
			SessionID: `x' OR '1'='1`, UserAgent: "curl/8.0 ✓ '; DROP TABLE authkit_access_tokens; --",
			IP: "203.0.113.7"},
		// A token from before sessions: no id, no client, never used.
		{Hash: strings.Repeat("e3", 32), UserID: u.ID, CreatedAt: base.Add(2 * time.Minute)},
	}
	for _, tok := range tokens {
		mustCreateToken(t, s, tok)
	}
	for _, want := range tokens {
		got, rec, err := s.UserByAccessToken(ctx, want.Hash)
		if err != nil {
			t.Fatalf("UserByAccessToken: %v", err)
		}
		checkUser(t, got, u)
		checkReadToken(t, rec, want)
	}
	list, err := s.AccessTokensOfUser(ctx, u.ID)
	if err != nil {
		t.Fatalf("AccessTokensOfUser: %v", err)
	}
	if len(list) != len(tokens) {
		t.Fatalf("AccessTokensOfUser: %d tokens, want %d", len(list), len(tokens))
	}
	for i, got := range list {
		checkToken(t, got, tokens[len(tokens)-1-i])
	}
}

// testAccessTokensOfUser: newest first, the user's own only, expired ones
// included (the store does not know the lifetime).
func testAccessTokensOfUser(t *testing.T, s Store) {
	ctx := context.Background()
	a := mustCreate(t, s, newUser("lionel@camelot.bt"))
	b := mustCreate(t, s, newUser("ector@camelot.bt"))
	if list, err := s.AccessTokensOfUser(ctx, a.ID); err != nil || len(list) != 0 {
		t.Fatalf("AccessTokensOfUser without tokens = %v, %v; want none", list, err)
	}
	// Created out of order.
	var want []store.AccessToken
	for i, offset := range []time.Duration{time.Hour, -24 * time.Hour, 3 * time.Hour, 2 * time.Hour} {
		tok := mustCreateToken(t, s, store.AccessToken{
			Hash: fmt.Sprintf("%064x", i+1), UserID: a.ID, CreatedAt: base.Add(offset), SessionID: fmt.Sprintf("A%d", i)})
		want = append(want, tok)
	}
	mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("f", 64), UserID: b.ID, CreatedAt: base.Add(5 * time.Hour), SessionID: "B"})
	order := []int{2, 3, 0, 1}
	list, err := s.AccessTokensOfUser(ctx, a.ID)
	if err != nil {
		t.Fatalf("AccessTokensOfUser: %v", err)
	}
	if len(list) != len(order) {
		t.Fatalf("AccessTokensOfUser: %d tokens, want %d", len(list), len(order))
	}
	for i, j := range order {
		checkToken(t, list[i], want[j])
	}
	list, err = s.AccessTokensOfUser(ctx, b.ID)
	if err != nil || len(list) != 1 || list[0].SessionID != "B" {
		t.Errorf("AccessTokensOfUser(other) = %+v, %v; want its one token", list, err)
	}
}

// testDeleteAccessTokenSession: a session id ends that session of that
// user only; another user's id, an unknown one, or "" ends nothing.
func testDeleteAccessTokenSession(t *testing.T, s Store) {
	ctx := context.Background()
	a := mustCreate(t, s, newUser("morgause@orkney.bt"))
	b := mustCreate(t, s, newUser("lot@orkney.bt"))
	a1 := mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("a1", 32), UserID: a.ID, CreatedAt: base, SessionID: "S1"})
	a2 := mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("a2", 32), UserID: a.ID, CreatedAt: base, SessionID: "S2"})
	legacy := mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("a3", 32), UserID: a.ID, CreatedAt: base})
	b1 := mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("b1", 32), UserID: b.ID, CreatedAt: base, SessionID: "SB"})
	// The same session id under another user: not a's to end.
	b2 := mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("b2", 32), UserID: b.ID, CreatedAt: base, SessionID: "S1"})

	alive := func(tok store.AccessToken, want bool) {
		t.Helper()
		_, _, err := s.UserByAccessToken(ctx, tok.Hash)
		switch {
		case want && err != nil:
			t.Errorf("token %.4s: %v, want alive", tok.Hash, err)
		case !want && !errors.Is(err, store.ErrTokenNotFound):
			t.Errorf("token %.4s: err = %v, want ErrTokenNotFound", tok.Hash, err)
		}
	}
	for _, sid := range []string{"SB", "", "unknown", "s1", "S1 "} {
		if err := s.DeleteAccessTokenSession(ctx, a.ID, sid); err != nil {
			t.Fatalf("DeleteAccessTokenSession(%q): %v", sid, err)
		}
	}
	for _, tok := range []store.AccessToken{a1, a2, legacy, b1, b2} {
		alive(tok, true)
	}
	if err := s.DeleteAccessTokenSession(ctx, a.ID, "S1"); err != nil {
		t.Fatalf("DeleteAccessTokenSession: %v", err)
	}
	alive(a1, false)
	alive(a2, true)
	alive(legacy, true)
	alive(b2, true)
	if err := s.DeleteAccessTokenSession(ctx, a.ID, "S1"); err != nil {
		t.Errorf("DeleteAccessTokenSession twice: %v", err)
	}
}

// testTouchAccessToken: a use is recorded on its token only, and never
// moves the record back in time.
func testTouchAccessToken(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("brangaine@lyonesse.bt"))
	tok := mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("d1", 32), UserID: u.ID, CreatedAt: base, SessionID: "T"})
	other := mustCreateToken(t, s, store.AccessToken{Hash: strings.Repeat("d2", 32), UserID: u.ID, CreatedAt: base, SessionID: "O"})
	checkReadToken(t, tokenOf(t, s, tok.Hash), tok) // never used: CreatedAt

	used := base.Add(5 * time.Minute)
	if err := s.TouchAccessToken(ctx, tok.Hash, used.In(time.FixedZone("UTC+3", 3*3600))); err != nil {
		t.Fatalf("TouchAccessToken: %v", err)
	}
	tok.LastUsedAt = used
	checkReadToken(t, tokenOf(t, s, tok.Hash), tok)
	checkReadToken(t, tokenOf(t, s, other.Hash), other)

	// An earlier use, from a slower instance, does not win.
	if err := s.TouchAccessToken(ctx, tok.Hash, used.Add(-time.Minute)); err != nil {
		t.Fatalf("TouchAccessToken(earlier): %v", err)
	}
	checkReadToken(t, tokenOf(t, s, tok.Hash), tok)
	later := used.Add(time.Microsecond)
	if err := s.TouchAccessToken(ctx, tok.Hash, later); err != nil {
		t.Fatalf("TouchAccessToken(later): %v", err)
	}
	tok.LastUsedAt = later
	checkReadToken(t, tokenOf(t, s, tok.Hash), tok)
	list, err := s.AccessTokensOfUser(ctx, u.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("AccessTokensOfUser = %v, %v", list, err)
	}
	for _, got := range list {
		if got.Hash == tok.Hash {
			checkToken(t, got, tok)
		}
	}
}
