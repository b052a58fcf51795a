package storetest

// The refresh token part of the suite: families, rotation and reuse.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
)

// login returns the first token of a new family of u, logged in at at.
func login(u *store.User, family string, at time.Time) store.RefreshToken {
	return store.RefreshToken{
		Hash:            fmt.Sprintf("%x", family+"/0"),
		FamilyID:        family,
		UserID:          u.ID,
		AccessTokenID:   "jti-" + family + "-0",
		CreatedAt:       at,
		FamilyCreatedAt: at,
		UserAgent:       "Mozilla/5.0 (" + family + ")",
		IP:              "192.0.2.1",
	}
}

// successor returns the token that replaces cur at at, in its family.
func successor(cur store.RefreshToken, n int, at time.Time) store.RefreshToken {
	next := cur
	next.Hash = fmt.Sprintf("%x", fmt.Sprintf("%s/%d", cur.FamilyID, n))
	next.AccessTokenID = fmt.Sprintf("jti-%s-%d", cur.FamilyID, n)
	next.CreatedAt = at
	next.UsedAt = time.Time{}
	next.UserAgent = fmt.Sprintf("client %d", n)
	next.IP = fmt.Sprintf("2001:db8::%d", n)
	return next
}

func mustCreateRefresh(t *testing.T, s Store, tok store.RefreshToken) store.RefreshToken {
	t.Helper()
	if err := s.CreateRefreshToken(context.Background(), tok); err != nil {
		t.Fatalf("CreateRefreshToken(%s): %v", tok.FamilyID, err)
	}
	return tok
}

// mustRotate rotates cur into next and checks the record of cur returned.
func mustRotate(t *testing.T, s Store, cur, next store.RefreshToken) store.RefreshToken {
	t.Helper()
	used, err := s.RotateRefreshToken(context.Background(), cur.Hash, next)
	if err != nil {
		t.Fatalf("RotateRefreshToken(%s): %v", cur.AccessTokenID, err)
	}
	cur.UsedAt = next.CreatedAt
	checkRefresh(t, used, cur)
	return next
}

// checkRefresh fails unless got is want as stored: times in UTC,
// truncated to microseconds.
func checkRefresh(t *testing.T, got, want store.RefreshToken) {
	t.Helper()
	if got.Hash != want.Hash || got.FamilyID != want.FamilyID || got.UserID != want.UserID ||
		got.AccessTokenID != want.AccessTokenID || got.UserAgent != want.UserAgent || got.IP != want.IP {
		t.Errorf("refresh token = %+v\nwant            %+v", got, want)
	}
	checkTime(t, "refresh CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "refresh FamilyCreatedAt", got.FamilyCreatedAt, want.FamilyCreatedAt)
	checkTime(t, "refresh UsedAt", got.UsedAt, want.UsedAt)
}

// checkRefreshList fails unless got holds want's tokens in that order.
func checkRefreshList(t *testing.T, what string, got []store.RefreshToken, want ...store.RefreshToken) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tokens %v, want %d", what, len(got), hashes(got), len(want))
	}
	for i := range want {
		checkRefresh(t, got[i], want[i])
	}
}

// checkRefreshSet fails unless got holds want's tokens in any order.
func checkRefreshSet(t *testing.T, what string, got []store.RefreshToken, want ...store.RefreshToken) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tokens %v, want %d", what, len(got), hashes(got), len(want))
	}
	byHash := make(map[string]store.RefreshToken, len(got))
	for _, g := range got {
		byHash[g.Hash] = g
	}
	for _, w := range want {
		g, ok := byHash[w.Hash]
		if !ok {
			t.Errorf("%s: token %s missing", what, w.AccessTokenID)
			continue
		}
		checkRefresh(t, g, w)
	}
}

func hashes(toks []store.RefreshToken) []string {
	out := make([]string, len(toks))
	for i, tok := range toks {
		out[i] = tok.AccessTokenID
	}
	return out
}

func families(t *testing.T, s Store, u *store.User) []store.RefreshToken {
	t.Helper()
	fams, err := s.RefreshFamilies(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("RefreshFamilies: %v", err)
	}
	return fams
}

// gone fails unless rotating tok says that it does not exist.
func gone(t *testing.T, s Store, tok store.RefreshToken) {
	t.Helper()
	_, err := s.RotateRefreshToken(context.Background(), tok.Hash, successor(tok, 99, base))
	checkErr(t, "RotateRefreshToken("+tok.AccessTokenID+")", err, store.ErrTokenNotFound)
}

// used marks tok used at at.
func used(tok store.RefreshToken, at time.Time) store.RefreshToken {
	tok.UsedAt = at
	return tok
}

func testRefreshCreateAndRotate(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("merlin@camelot.bt"))
	first := mustCreateRefresh(t, s, login(u, "F", base))
	checkRefreshList(t, "RefreshFamilies after login", families(t, s, u), first)

	second := mustRotate(t, s, first, successor(first, 1, base.Add(time.Minute)))
	checkRefreshList(t, "RefreshFamilies after a refresh", families(t, s, u), second)
	third := mustRotate(t, s, second, successor(second, 2, base.Add(2*time.Minute)))
	checkRefreshList(t, "RefreshFamilies after two", families(t, s, u), third)

	// The family holds its current token and the one that token replaced,
	// marked used — what reuse detection needs — and no older one: a
	// session keeps O(1) rows however often it is refreshed.
	gone(t, s, first)
	del, err := s.DeleteRefreshFamily(ctx, u.ID, "F")
	if err != nil {
		t.Fatalf("DeleteRefreshFamily: %v", err)
	}
	checkRefreshSet(t, "DeleteRefreshFamily", del, used(second, third.CreatedAt), third)
}

// testRefreshRotateKeepsFamily: the next token joins the used token's
// family, user and login, whatever it says itself.
func testRefreshRotateKeepsFamily(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("pelleas@camelot.bt"))
	other := mustCreate(t, s, newUser("ettarde@camelot.bt"))
	first := mustCreateRefresh(t, s, login(u, "K", base))
	next := successor(first, 1, base.Add(time.Minute))
	stray := next
	stray.FamilyID, stray.UserID, stray.FamilyCreatedAt = "elsewhere", other.ID, base.Add(time.Hour)
	stray.UsedAt = base.Add(time.Hour) // the next token is current, never used
	if _, err := s.RotateRefreshToken(ctx, first.Hash, stray); err != nil {
		t.Fatalf("RotateRefreshToken: %v", err)
	}
	checkRefreshList(t, "RefreshFamilies", families(t, s, u), next)
	checkRefreshList(t, "RefreshFamilies(other user)", families(t, s, other))
}

func testRefreshUnknownUser(t *testing.T, s Store) {
	ctx := context.Background()
	mustCreate(t, s, newUser("someone@camelot.bt"))
	ghost := newUser("ghost@camelot.bt")
	tok := login(ghost, "G", base)
	checkErr(t, "CreateRefreshToken for a missing user", s.CreateRefreshToken(ctx, tok), store.ErrUserNotFound)
	gone(t, s, tok)
	if fams := families(t, s, ghost); len(fams) != 0 {
		t.Errorf("RefreshFamilies of a missing user = %v, want none", hashes(fams))
	}
}

func testRefreshNotFound(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("nimue@avalon.bt"))
	ghost := newUser("ghost@avalon.bt")
	tok := login(u, "N", base)
	_, err := s.RotateRefreshToken(ctx, tok.Hash, successor(tok, 1, base))
	checkErr(t, "RotateRefreshToken of a missing token", err, store.ErrTokenNotFound)
	if fams := families(t, s, u); len(fams) != 0 {
		t.Errorf("a failed rotation stored %v", hashes(fams))
	}
	if del, err := s.DeleteRefreshFamily(ctx, u.ID, "N"); err != nil || len(del) != 0 {
		t.Errorf("DeleteRefreshFamily of a missing family = %v, %v; want none", hashes(del), err)
	}
	if del, err := s.DeleteUserRefreshFamilies(ctx, ghost.ID, ""); err != nil || len(del) != 0 {
		t.Errorf("DeleteUserRefreshFamilies of a missing user = %v, %v; want none", hashes(del), err)
	}
	if err := s.DeleteRefreshTokensBefore(ctx, base); err != nil {
		t.Errorf("DeleteRefreshTokensBefore with no tokens: %v", err)
	}
}

// testRefreshReused: a used token comes back with its record and
// ErrTokenReused, and nothing changes.
func testRefreshReused(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("accolon@gaul.bt"))
	first := mustCreateRefresh(t, s, login(u, "R", base))
	second := mustRotate(t, s, first, successor(first, 1, base.Add(time.Minute)))

	for i := range 2 {
		rec, err := s.RotateRefreshToken(ctx, first.Hash, successor(first, 10+i, base.Add(time.Hour)))
		checkErr(t, "RotateRefreshToken of a used token", err, store.ErrTokenReused)
		checkRefresh(t, rec, used(first, second.CreatedAt))
	}
	checkRefreshList(t, "RefreshFamilies after a reuse", families(t, s, u), second)
	// The refused successors were not stored.
	del, err := s.DeleteRefreshFamily(ctx, u.ID, "R")
	if err != nil {
		t.Fatalf("DeleteRefreshFamily: %v", err)
	}
	checkRefreshSet(t, "DeleteRefreshFamily", del, used(first, second.CreatedAt), second)
}

// testRefreshRotateRace: of many callers rotating one token at once,
// exactly one succeeds; the others are told it was reused.
func testRefreshRotateRace(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("mordred@camelot.bt"))
	first := mustCreateRefresh(t, s, login(u, "race", base))
	const n = 50
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
		recs  = make([]store.RefreshToken, n)
		nexts = make([]store.RefreshToken, n)
	)
	for i := range n {
		nexts[i] = successor(first, i+1, base.Add(time.Duration(i+1)*time.Second))
		wg.Go(func() {
			<-start
			recs[i], errs[i] = s.RotateRefreshToken(ctx, first.Hash, nexts[i])
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("two rotations succeeded: #%d and #%d", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrTokenReused):
			t.Errorf("RotateRefreshToken #%d: %v, want nil or ErrTokenReused", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no rotation succeeded")
	}
	usedFirst := used(first, nexts[winner].CreatedAt)
	for i, err := range errs {
		if err == nil || errors.Is(err, store.ErrTokenReused) {
			checkRefresh(t, recs[i], usedFirst)
		}
	}
	checkRefreshList(t, "RefreshFamilies after the race", families(t, s, u), nexts[winner])
	del, err := s.DeleteRefreshFamily(ctx, u.ID, first.FamilyID)
	if err != nil {
		t.Fatalf("DeleteRefreshFamily: %v", err)
	}
	checkRefreshSet(t, "DeleteRefreshFamily after the race", del, usedFirst, nexts[winner])
}

// testRefreshFamilies: the current token of each family, newest login
// first, the user's own only.
func testRefreshFamilies(t *testing.T, s Store) {
	a := mustCreate(t, s, newUser("lamorak@gales.bt"))
	b := mustCreate(t, s, newUser("dinadan@camelot.bt"))
	if fams := families(t, s, a); len(fams) != 0 {
		t.Fatalf("RefreshFamilies without tokens = %v, want none", hashes(fams))
	}
	// Logged in out of order.
	f1 := mustCreateRefresh(t, s, login(a, "A1", base.Add(time.Hour)))
	f2 := mustCreateRefresh(t, s, login(a, "A2", base.Add(-24*time.Hour)))
	f3 := mustCreateRefresh(t, s, login(a, "A3", base.Add(3*time.Hour)))
	mustCreateRefresh(t, s, login(b, "B1", base.Add(5*time.Hour)))
	// A refresh does not move the family: its login stays when it was.
	f2 = mustRotate(t, s, f2, successor(f2, 1, base.Add(4*time.Hour)))
	f2 = mustRotate(t, s, f2, successor(f2, 2, base.Add(6*time.Hour)))

	checkRefreshList(t, "RefreshFamilies", families(t, s, a), f3, f1, f2)
	fams := families(t, s, b)
	if len(fams) != 1 || fams[0].FamilyID != "B1" {
		t.Errorf("RefreshFamilies(other) = %v, want its one family", hashes(fams))
	}
}

// testDeleteRefreshFamily: one family of the user goes, all its tokens
// returned; another user's family, even under the same id, stays.
func testDeleteRefreshFamily(t *testing.T, s Store) {
	ctx := context.Background()
	a := mustCreate(t, s, newUser("yvain@camelot.bt"))
	b := mustCreate(t, s, newUser("laudine@landuc.bt"))
	a1 := mustCreateRefresh(t, s, login(a, "shared", base))
	a2 := mustRotate(t, s, a1, successor(a1, 1, base.Add(time.Minute)))
	a3 := mustRotate(t, s, a2, successor(a2, 2, base.Add(2*time.Minute)))
	other := mustCreateRefresh(t, s, login(a, "other", base.Add(time.Hour)))
	bTok := login(b, "shared", base)
	bTok.Hash = strings.Repeat("b", 64)
	mustCreateRefresh(t, s, bTok)
	bOwn := mustCreateRefresh(t, s, login(b, "B", base))

	for _, fam := range []string{"B", "unknown", "", "Shared", "shared "} {
		del, err := s.DeleteRefreshFamily(ctx, a.ID, fam)
		if err != nil || len(del) != 0 {
			t.Errorf("DeleteRefreshFamily(%q) = %v, %v; want nothing deleted", fam, hashes(del), err)
		}
	}
	del, err := s.DeleteRefreshFamily(ctx, a.ID, "shared")
	if err != nil {
		t.Fatalf("DeleteRefreshFamily: %v", err)
	}
	checkRefreshSet(t, "DeleteRefreshFamily", del, used(a2, a3.CreatedAt), a3)
	for _, tok := range []store.RefreshToken{a1, a2, a3} {
		gone(t, s, tok)
	}
	checkRefreshList(t, "RefreshFamilies after the delete", families(t, s, a), other)
	checkRefreshSet(t, "RefreshFamilies(other user)", families(t, s, b), bOwn, bTok)
	if del, err := s.DeleteRefreshFamily(ctx, a.ID, "shared"); err != nil || len(del) != 0 {
		t.Errorf("DeleteRefreshFamily twice = %v, %v; want none", hashes(del), err)
	}
}

// testDeleteUserRefreshFamilies: every family of the user but the kept
// one; "" keeps none; other users keep theirs.
func testDeleteUserRefreshFamilies(t *testing.T, s Store) {
	ctx := context.Background()
	a := mustCreate(t, s, newUser("elaine@astolat.bt"))
	b := mustCreate(t, s, newUser("lavaine@astolat.bt"))
	f1 := mustCreateRefresh(t, s, login(a, "F1", base))
	f1next := mustRotate(t, s, f1, successor(f1, 1, base.Add(time.Minute)))
	f2 := mustCreateRefresh(t, s, login(a, "F2", base.Add(time.Hour)))
	f3 := mustCreateRefresh(t, s, login(a, "F3", base.Add(2*time.Hour)))
	g1 := mustCreateRefresh(t, s, login(b, "G1", base))

	del, err := s.DeleteUserRefreshFamilies(ctx, a.ID, "F2")
	if err != nil {
		t.Fatalf("DeleteUserRefreshFamilies(keep F2): %v", err)
	}
	checkRefreshSet(t, "DeleteUserRefreshFamilies(keep F2)", del, used(f1, f1next.CreatedAt), f1next, f3)
	checkRefreshList(t, "RefreshFamilies after keeping F2", families(t, s, a), f2)
	checkRefreshList(t, "RefreshFamilies(other user)", families(t, s, b), g1)

	// Keeping another user's family keeps nothing of this user's.
	del, err = s.DeleteUserRefreshFamilies(ctx, a.ID, "G1")
	if err != nil {
		t.Fatalf("DeleteUserRefreshFamilies(keep G1): %v", err)
	}
	checkRefreshSet(t, "DeleteUserRefreshFamilies(keep G1)", del, f2)
	checkRefreshList(t, "RefreshFamilies(other user)", families(t, s, b), g1)

	// "" keeps none, not even a family whose id is "".
	f4 := mustCreateRefresh(t, s, login(a, "F4", base))
	f5 := mustCreateRefresh(t, s, login(a, "", base))
	del, err = s.DeleteUserRefreshFamilies(ctx, a.ID, "")
	if err != nil {
		t.Fatalf(`DeleteUserRefreshFamilies(""): %v`, err)
	}
	checkRefreshSet(t, `DeleteUserRefreshFamilies("")`, del, f4, f5)
	checkRefreshList(t, "RefreshFamilies after deleting all", families(t, s, a))
	checkRefreshList(t, "RefreshFamilies(other user)", families(t, s, b), g1)
}

// testDeleteRefreshTokensBefore: whole families go by their login time,
// tokens refreshed after the cut included.
func testDeleteRefreshTokensBefore(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("ragnell@camelot.bt"))
	old := mustCreateRefresh(t, s, login(u, "old", base.Add(-2*time.Hour)))
	oldNext := mustRotate(t, s, old, successor(old, 1, base.Add(time.Hour)))
	edge := mustCreateRefresh(t, s, login(u, "edge", base))
	newer := mustCreateRefresh(t, s, login(u, "new", base.Add(time.Microsecond)))

	if err := s.DeleteRefreshTokensBefore(ctx, base.In(time.FixedZone("UTC-7", -7*3600))); err != nil {
		t.Fatalf("DeleteRefreshTokensBefore: %v", err)
	}
	gone(t, s, old)
	gone(t, s, oldNext)
	checkRefreshList(t, "RefreshFamilies after the purge", families(t, s, u), newer, edge)
}

// testRefreshFaultIsNotNotFound: a failure is never taken for a missing
// or reused token.
func testRefreshFaultIsNotNotFound(t *testing.T, s Store) {
	u := mustCreate(t, s, newUser("balin@northumberland.bt"))
	tok := mustCreateRefresh(t, s, login(u, "F", base))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.RotateRefreshToken(ctx, tok.Hash, successor(tok, 1, base)); err == nil ||
		errors.Is(err, store.ErrTokenNotFound) || errors.Is(err, store.ErrTokenReused) {
		t.Errorf("RotateRefreshToken with a cancelled context: err = %v, want a fault", err)
	}
	if err := s.CreateRefreshToken(ctx, login(u, "G", base)); err == nil || errors.Is(err, store.ErrUserNotFound) {
		t.Errorf("CreateRefreshToken with a cancelled context: err = %v, want a fault", err)
	}
	if _, err := s.RefreshFamilies(ctx, u.ID); err == nil {
		t.Error("RefreshFamilies with a cancelled context: no error")
	}
	if _, err := s.DeleteRefreshFamily(ctx, u.ID, "F"); err == nil {
		t.Error("DeleteRefreshFamily with a cancelled context: no error")
	}
	if _, err := s.DeleteUserRefreshFamilies(ctx, u.ID, ""); err == nil {
		t.Error("DeleteUserRefreshFamilies with a cancelled context: no error")
	}
	if err := s.DeleteRefreshTokensBefore(ctx, base); err == nil {
		t.Error("DeleteRefreshTokensBefore with a cancelled context: no error")
	}
	// Nothing changed.
	checkRefreshList(t, "RefreshFamilies", families(t, s, u), tok)
}

func testDeleteUserRemovesRefreshTokens(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("gorlois@tintagel.bt"))
	other := mustCreate(t, s, newUser("igraine@tintagel.bt"))
	first := mustCreateRefresh(t, s, login(u, "U", base))
	cur := mustRotate(t, s, first, successor(first, 1, base.Add(time.Minute)))
	otherTok := mustCreateRefresh(t, s, login(other, "O", base))

	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	gone(t, s, first)
	gone(t, s, cur)
	// Nothing of the old user comes back with a new user of the same id.
	again := *u
	again.Email = "gorlois@cornwall.bt"
	mustCreate(t, s, &again)
	checkRefreshList(t, "RefreshFamilies of a re-created user", families(t, s, &again))
	gone(t, s, cur)
	checkRefreshList(t, "RefreshFamilies(other user)", families(t, s, other), otherTok)
}

func testRefreshTimePrecision(t *testing.T, s Store) {
	u := mustCreate(t, s, newUser("vivien@avalon.bt"))
	zone := time.FixedZone("IST", 5*3600+1800)
	tok := login(u, "P", time.Date(2024, 2, 29, 23, 59, 59, 999999999, zone)) // truncated, not rounded
	tok.CreatedAt = time.Date(2030, 1, 2, 3, 4, 5, 678901234, zone)
	mustCreateRefresh(t, s, tok)
	checkRefreshList(t, "RefreshFamilies", families(t, s, u), tok)

	next := successor(tok, 1, time.Date(2030, 1, 2, 3, 6, 0, 1999, zone))
	mustRotate(t, s, tok, next)
	checkRefreshList(t, "RefreshFamilies after a refresh", families(t, s, u), next)

	// A token stored as used keeps when.
	done := login(u, "D", base)
	done.UsedAt = time.Date(2030, 1, 2, 3, 4, 5, 1234, zone)
	mustCreateRefresh(t, s, done)
	rec, err := s.RotateRefreshToken(context.Background(), done.Hash, successor(done, 1, base))
	checkErr(t, "RotateRefreshToken of a token stored used", err, store.ErrTokenReused)
	checkRefresh(t, rec, done)
}

func testRefreshInjectionVerbatim(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustCreate(t, s, newUser("dagonet@camelot.bt"))
	tok := store.RefreshToken{
		Hash:            `' OR '1'='1`,
		FamilyID:        `'; DELETE FROM authkit_refresh_tokens; --`,
		UserID:          u.ID,
		AccessTokenID:   `x" OR 1=1 -- \`,
		CreatedAt:       base,
		FamilyCreatedAt: base,
		UserAgent:       "curl/8.0 ✓ '; DROP TABLE authkit_users; --",
		IP:              `%`,
	}
	mustCreateRefresh(t, s, tok)
	// Lookalikes under LIKE, which must not match.
	under := mustCreateRefresh(t, s, login(u, "fam_1", base.Add(time.Minute)))
	x := mustCreateRefresh(t, s, login(u, "famX1", base.Add(2*time.Minute)))
	checkRefreshList(t, "RefreshFamilies", families(t, s, u), x, under, tok)

	_, err := s.RotateRefreshToken(ctx, `x' OR '1'='1`, successor(tok, 1, base))
	checkErr(t, "RotateRefreshToken(injection)", err, store.ErrTokenNotFound)
	_, err = s.RotateRefreshToken(ctx, `%`, successor(tok, 1, base))
	checkErr(t, "RotateRefreshToken(%)", err, store.ErrTokenNotFound)

	del, err := s.DeleteRefreshFamily(ctx, u.ID, "fam_1")
	if err != nil {
		t.Fatalf("DeleteRefreshFamily: %v", err)
	}
	checkRefreshSet(t, "DeleteRefreshFamily(fam_1)", del, under)
	if del, err := s.DeleteRefreshFamily(ctx, u.ID, "%"); err != nil || len(del) != 0 {
		t.Errorf("DeleteRefreshFamily(%%) = %v, %v; want nothing", hashes(del), err)
	}
	del, err = s.DeleteUserRefreshFamilies(ctx, u.ID, tok.FamilyID)
	if err != nil {
		t.Fatalf("DeleteUserRefreshFamilies: %v", err)
	}
	checkRefreshSet(t, "DeleteUserRefreshFamilies(keep injection)", del, x)

	next := successor(tok, 1, base.Add(time.Hour))
	next.Hash = `'); DROP TABLE authkit_refresh_tokens; --`
	mustRotate(t, s, tok, next)
	checkRefreshList(t, "RefreshFamilies after a refresh", families(t, s, u), next)
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Errorf("UserByID: %v", err)
	}
}
