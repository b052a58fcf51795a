package storetest

// The OAuth account part of the suite, run when the store implements
// store.OAuthAccountStore.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// oauthStore returns s as an OAuthAccountStore, or skips the test.
func oauthStore(t *testing.T, s Store) store.OAuthAccountStore {
	t.Helper()
	return capability[store.OAuthAccountStore](t, s, "store.OAuthAccountStore")
}

func newOAuthAccount(u *store.User, provider, accountID string) store.OAuthAccount {
	return store.OAuthAccount{
		ID:           uuid.New(),
		UserID:       u.ID,
		Provider:     provider,
		AccountID:    accountID,
		AccountEmail: u.Email,
		AccessToken:  "at-" + accountID,
		RefreshToken: "rt-" + accountID,
		ExpiresAt:    base.Add(time.Hour),
		CreatedAt:    base,
		UpdatedAt:    base,
	}
}

func checkOAuthAccount(t *testing.T, got, want store.OAuthAccount) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.Provider != want.Provider ||
		got.AccountID != want.AccountID || got.AccountEmail != want.AccountEmail ||
		got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken {
		t.Errorf("oauth account = %+v, want %+v", got, want)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testOAuthAccounts(t *testing.T, s Store) {
	o := oauthStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("gawain@orkney.bt"))
	other := mustCreate(t, s, newUser("gaheris@orkney.bt"))

	_, err := o.OAuthAccountByProvider(ctx, "oidc", "sub-1")
	checkErr(t, "OAuthAccountByProvider before any", err, store.ErrOAuthAccountNotFound)

	a := newOAuthAccount(u, "oidc", "sub-1")
	if err := o.UpsertOAuthAccount(ctx, a); err != nil {
		t.Fatalf("UpsertOAuthAccount: %v", err)
	}
	got, err := o.OAuthAccountByProvider(ctx, "oidc", "sub-1")
	if err != nil {
		t.Fatalf("OAuthAccountByProvider: %v", err)
	}
	checkOAuthAccount(t, got, a)

	// Same provider account, same user: new tokens, ID and CreatedAt stay.
	b := a
	b.ID = uuid.New()
	b.AccountEmail = "gawain@round.table"
	b.AccessToken, b.RefreshToken, b.ExpiresAt = "at-2", "", time.Time{}
	b.CreatedAt, b.UpdatedAt = base.Add(time.Minute), base.Add(time.Minute)
	if err := o.UpsertOAuthAccount(ctx, b); err != nil {
		t.Fatalf("UpsertOAuthAccount again: %v", err)
	}
	want := b
	want.ID, want.CreatedAt = a.ID, a.CreatedAt
	got, err = o.OAuthAccountByProvider(ctx, "oidc", "sub-1")
	if err != nil {
		t.Fatalf("OAuthAccountByProvider: %v", err)
	}
	checkOAuthAccount(t, got, want)

	// Another user may not take it.
	c := newOAuthAccount(other, "oidc", "sub-1")
	checkErr(t, "UpsertOAuthAccount of another user", o.UpsertOAuthAccount(ctx, c), store.ErrOAuthAccountTaken)
	got, _ = o.OAuthAccountByProvider(ctx, "oidc", "sub-1")
	if got.UserID != u.ID || got.AccessToken != "at-2" {
		t.Errorf("taken account changed: %+v", got)
	}

	// The same account id at another provider is another account.
	d := newOAuthAccount(other, "github", "sub-1")
	if err := o.UpsertOAuthAccount(ctx, d); err != nil {
		t.Fatalf("UpsertOAuthAccount other provider: %v", err)
	}
	e := newOAuthAccount(u, "github", "42")
	e.CreatedAt = base.Add(time.Second)
	if err := o.UpsertOAuthAccount(ctx, e); err != nil {
		t.Fatalf("UpsertOAuthAccount second of user: %v", err)
	}
	list, err := o.OAuthAccountsOfUser(ctx, u.ID)
	if err != nil {
		t.Fatalf("OAuthAccountsOfUser: %v", err)
	}
	if len(list) != 2 || list[0].AccountID != "sub-1" || list[1].AccountID != "42" {
		t.Errorf("OAuthAccountsOfUser = %+v, want sub-1 then 42", list)
	}
	if list, err := o.OAuthAccountsOfUser(ctx, uuid.New()); err != nil || len(list) != 0 {
		t.Errorf("OAuthAccountsOfUser(unknown) = %v, %v; want none", list, err)
	}

	// Deleting another user's link deletes nothing.
	if err := o.DeleteOAuthAccount(ctx, other.ID, "oidc", "sub-1"); err != nil {
		t.Fatalf("DeleteOAuthAccount of another user: %v", err)
	}
	if _, err := o.OAuthAccountByProvider(ctx, "oidc", "sub-1"); err != nil {
		t.Errorf("link deleted by another user: %v", err)
	}
	if err := o.DeleteOAuthAccount(ctx, u.ID, "oidc", "sub-1"); err != nil {
		t.Fatalf("DeleteOAuthAccount: %v", err)
	}
	_, err = o.OAuthAccountByProvider(ctx, "oidc", "sub-1")
	checkErr(t, "OAuthAccountByProvider after delete", err, store.ErrOAuthAccountNotFound)
	// Now free, another user may link it.
	if err := o.UpsertOAuthAccount(ctx, c); err != nil {
		t.Errorf("UpsertOAuthAccount after delete: %v", err)
	}
}

func testOAuthAccountUnknownUser(t *testing.T, s Store) {
	o := oauthStore(t, s)
	ctx := context.Background()
	ghost := newUser("ghost@nowhere.bt")
	err := o.UpsertOAuthAccount(ctx, newOAuthAccount(ghost, "oidc", "ghost"))
	checkErr(t, "UpsertOAuthAccount for unknown user", err, store.ErrUserNotFound)
	_, err = o.OAuthAccountByProvider(ctx, "oidc", "ghost")
	checkErr(t, "OAuthAccountByProvider", err, store.ErrOAuthAccountNotFound)
}

func testDeleteUserRemovesOAuthAccounts(t *testing.T, s Store) {
	o := oauthStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("lot@orkney.bt"))
	other := mustCreate(t, s, newUser("morgause@orkney.bt"))
	for _, a := range []store.OAuthAccount{newOAuthAccount(u, "oidc", "lot"), newOAuthAccount(other, "oidc", "morgause")} {
		if err := o.UpsertOAuthAccount(ctx, a); err != nil {
			t.Fatalf("UpsertOAuthAccount: %v", err)
		}
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := o.OAuthAccountByProvider(ctx, "oidc", "lot")
	checkErr(t, "link of a deleted user", err, store.ErrOAuthAccountNotFound)
	// Nothing of the old user comes back with a new user of the same id.
	again := *u
	mustCreate(t, s, &again)
	if list, err := o.OAuthAccountsOfUser(ctx, u.ID); err != nil || len(list) != 0 {
		t.Errorf("links of a re-created user = %v, %v; want none", list, err)
	}
	if _, err := o.OAuthAccountByProvider(ctx, "oidc", "morgause"); err != nil {
		t.Errorf("other user's link: %v", err)
	}
}

func testOAuthInjectionVerbatim(t *testing.T, s Store) {
	o := oauthStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("mordred@orkney.bt"))
	a := newOAuthAccount(u, `oidc'; DROP TABLE authkit_oauth_accounts; --`, `" OR 1=1 --`)
	a.AccessToken = `'); DELETE FROM authkit_users; --`
	if err := o.UpsertOAuthAccount(ctx, a); err != nil {
		t.Fatalf("UpsertOAuthAccount: %v", err)
	}
	got, err := o.OAuthAccountByProvider(ctx, a.Provider, a.AccountID)
	if err != nil {
		t.Fatalf("OAuthAccountByProvider: %v", err)
	}
	checkOAuthAccount(t, got, a)
	if _, err := o.OAuthAccountByProvider(ctx, "oidc", "x"); !errors.Is(err, store.ErrOAuthAccountNotFound) {
		t.Errorf("OAuthAccountByProvider(other) = %v", err)
	}
}
