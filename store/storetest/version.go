package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// The security version (store.UserVersioner): compare-and-set writes of
// the changed columns only, a version that moves with every security
// change, and token issuance bound to it.

func versioner(t *testing.T, s Store) store.UserVersioner {
	t.Helper()
	v, ok := s.(store.UserVersioner)
	if !ok {
		t.Skip("the store does not implement store.UserVersioner: authkit's promises under concurrency do not hold with it")
	}
	return v
}

func reread(t *testing.T, s Store, id uuid.UUID) *store.User {
	t.Helper()
	u, err := s.UserByID(context.Background(), id)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	return u
}

func testVersionChangeUser(t *testing.T, s Store) {
	v := versioner(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("bors@camelot.bt"))
	if got := reread(t, s, u.ID); got.Version != 0 {
		t.Fatalf("a new user's version = %d, want 0", got.Version)
	}

	// A security change moves the version, in the write.
	read := reread(t, s, u.ID)
	next := *read
	next.IsActive = false
	if err := v.ChangeUser(ctx, read, &next); err != nil {
		t.Fatalf("ChangeUser: %v", err)
	}
	if got := reread(t, s, u.ID); got.Version != 1 || next.Version != 1 || got.IsActive {
		t.Fatalf("after deactivation: stored version %d active %v, next.Version %d; want 1, false, 1", got.Version, got.IsActive, next.Version)
	}

	// A write from the copy read before conflicts, and writes nothing.
	stale := *read
	stale.Email = "bors.de.ganis@camelot.bt"
	if err := v.ChangeUser(ctx, read, &stale); err != store.ErrVersionConflict {
		t.Fatalf("stale ChangeUser: %v, want ErrVersionConflict", err)
	}
	if got := reread(t, s, u.ID); got.Email != u.Email || got.IsActive || got.Version != 1 {
		t.Fatalf("stale write changed the user: %+v", got)
	}

	// Own fields are no security change: the version stays; a second
	// change from the same reading conflicts on the fields.
	cur := reread(t, s, u.ID)
	own := *cur
	own.Fields = map[string]any{"display_name": "Sir Bors"}
	if err := v.ChangeUser(ctx, cur, &own); err != nil {
		t.Fatalf("ChangeUser of own fields: %v", err)
	}
	other := *cur
	other.Fields = map[string]any{"display_name": "Bors the Younger"}
	checkErr(t, "ChangeUser of own fields from a stale reading", v.ChangeUser(ctx, cur, &other), store.ErrVersionConflict)
	got := reread(t, s, u.ID)
	if got.Version != 1 || got.Fields["display_name"] != "Sir Bors" {
		t.Fatalf("after own fields: version %d fields %v", got.Version, got.Fields)
	}

	// Only the columns that change are written: a change of a flag from
	// the reading before the own fields changed keeps them.
	flag := *cur
	flag.IsSuperuser = true
	if err := v.ChangeUser(ctx, cur, &flag); err != nil {
		t.Fatalf("ChangeUser of a flag: %v", err)
	}
	if got := reread(t, s, u.ID); !got.IsSuperuser || got.Fields["display_name"] != "Sir Bors" || got.Version != 2 {
		t.Fatalf("after the flag: %+v", got)
	}

	// The usual sentinels.
	gone := *cur
	gone.ID = uuid.New()
	gnext := gone
	gnext.IsActive = true
	checkErr(t, "ChangeUser of an unknown user", v.ChangeUser(ctx, &gone, &gnext), store.ErrUserNotFound)
	mustCreate(t, s, newUser("lionel@camelot.bt"))
	cur = reread(t, s, u.ID)
	taken := *cur
	taken.Email = "Lionel@Camelot.bt"
	checkErr(t, "ChangeUser to a taken email", v.ChangeUser(ctx, cur, &taken), store.ErrEmailTaken)
}

// testVersionChangeRace: of many writes from one reading, one wins.
func testVersionChangeRace(t *testing.T, s Store) {
	v := versioner(t, s)
	u := mustCreate(t, s, newUser("ector@camelot.bt"))
	read := reread(t, s, u.ID)
	const n = 20
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			next := *read
			next.HashedPassword = fmt.Sprintf("hash-%d", i)
			<-start
			switch err := v.ChangeUser(context.Background(), read, &next); err {
			case nil:
				wins.Add(1)
			case store.ErrVersionConflict:
			default:
				t.Errorf("ChangeUser: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of %d concurrent writes from one reading won, want 1", wins.Load(), n)
	}
	if got := reread(t, s, u.ID); got.Version != 1 {
		t.Errorf("version after the race = %d, want 1", got.Version)
	}
}

func testVersionBump(t *testing.T, s Store) {
	v := versioner(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("dagonet@camelot.bt"))
	if n, err := v.BumpUserVersion(ctx, u.ID); err != nil || n != 1 {
		t.Fatalf("BumpUserVersion = %d, %v; want 1", n, err)
	}
	if _, err := v.BumpUserVersion(ctx, uuid.New()); err != store.ErrUserNotFound {
		t.Errorf("BumpUserVersion of an unknown user: %v, want ErrUserNotFound", err)
	}
	// The unconditional UpdateUser moves it too, and says so.
	w := reread(t, s, u.ID)
	w.IsVerified = true
	if err := s.UpdateUser(ctx, w); err != nil {
		t.Fatal(err)
	}
	if got := reread(t, s, u.ID); got.Version != 2 || w.Version != 2 {
		t.Errorf("after UpdateUser: stored %d, u.Version %d; want 2", got.Version, w.Version)
	}
}

// testVersionIssuance: a token is stored only while the user is at the
// version its login authenticated against.
func testVersionIssuance(t *testing.T, s Store) {
	v := versioner(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("safir@camelot.bt"))
	if _, err := v.BumpUserVersion(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	at := store.AccessToken{Hash: "stale-access", UserID: u.ID, CreatedAt: base, SessionID: "s1", UserVersion: 0}
	checkErr(t, "CreateAccessToken at a stale version", s.CreateAccessToken(ctx, at), store.ErrVersionConflict)
	if _, _, err := s.UserByAccessToken(ctx, at.Hash); err != store.ErrTokenNotFound {
		t.Errorf("the stale token was stored: %v", err)
	}
	at.UserVersion = 1
	if err := s.CreateAccessToken(ctx, at); err != nil {
		t.Errorf("CreateAccessToken at the current version: %v", err)
	}
	rt := login(u, "V", base)
	checkErr(t, "CreateRefreshToken at a stale version", s.CreateRefreshToken(ctx, rt), store.ErrVersionConflict)
	if fams := families(t, s, u); len(fams) != 0 {
		t.Errorf("the stale family was stored: %v", hashes(fams))
	}
	rt.UserVersion = 1
	mustCreateRefresh(t, s, rt)
	at.UserID, at.Hash = uuid.New(), "nobody"
	checkErr(t, "CreateAccessToken of an unknown user", s.CreateAccessToken(ctx, at), store.ErrUserNotFound)
}

// testVersionStampedTokens: sessions ended at a version void the tokens
// stamped before it, but the kept one, whatever their issue time.
func testVersionStampedTokens(t *testing.T, s Store) {
	v := versioner(t, s)
	st, ok := s.(store.StampedTokenReader)
	if !ok {
		t.Skip("the store does not implement store.StampedTokenReader")
	}
	ctx := context.Background()
	u := mustCreate(t, s, newUser("segwarides@camelot.bt"))
	check := func(tokenID string, iat time.Time, stamp int64, want error) {
		t.Helper()
		_, err := st.UserForStampedToken(ctx, u.ID, tokenID, iat, stamp)
		if want == nil && err != nil || want != nil && err != want {
			t.Errorf("UserForStampedToken(%q, stamp %d): %v, want %v", tokenID, stamp, err, want)
		}
	}
	check("fresh", base, 0, nil)
	if _, err := v.BumpUserVersion(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeUserTokens(ctx, u.ID, base, "kept"); err != nil {
		t.Fatal(err)
	}
	// Issued after the cut-off time, by a login that read version 0.
	check("late", base.Add(time.Second), 0, store.ErrTokenNotFound)
	check("kept", base.Add(-time.Hour), 0, nil)
	check("after", base.Add(time.Second), 1, nil)
	_, err := st.UserForStampedToken(ctx, uuid.New(), "x", base, 0)
	checkErr(t, "UserForStampedToken of an unknown user", err, store.ErrUserNotFound)
}

// testVersionOAuthLinks: a link added or removed moves the version;
// refreshing a link's tokens does not.
func testVersionOAuthLinks(t *testing.T, s Store) {
	versioner(t, s)
	o := oauthStore(t, s)
	ctx := context.Background()
	u := mustCreate(t, s, newUser("brunor@camelot.bt"))
	a := newOAuthAccount(u, "oidc", "sub-brunor")
	if err := o.UpsertOAuthAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got := reread(t, s, u.ID); got.Version != 1 {
		t.Errorf("version after a new link = %d, want 1", got.Version)
	}
	a.AccessToken = "at-renewed"
	if err := o.UpsertOAuthAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got := reread(t, s, u.ID); got.Version != 1 {
		t.Errorf("version after the link's tokens were renewed = %d, want 1", got.Version)
	}
	if err := o.DeleteOAuthAccount(ctx, u.ID, "oidc", "sub-brunor"); err != nil {
		t.Fatal(err)
	}
	if got := reread(t, s, u.ID); got.Version != 2 {
		t.Errorf("version after the link was removed = %d, want 2", got.Version)
	}
	if err := o.DeleteOAuthAccount(ctx, u.ID, "oidc", "sub-brunor"); err != nil {
		t.Fatal(err)
	}
	if got := reread(t, s, u.ID); got.Version != 2 {
		t.Errorf("version after removing no link = %d, want 2", got.Version)
	}
}
