package strategy_test

// Session listing of the Database strategy (ASVS 7.5.2), on every store.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// writeFrom issues a token for u to client c.
func writeFrom(t *testing.T, s *strategy.Database, u *store.User, c strategy.Client) string {
	t.Helper()
	tok, err := s.Write(strategy.WithClient(context.Background(), c), u)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return tok
}

func sessions(t *testing.T, s *strategy.Database, userID uuid.UUID) []strategy.Session {
	t.Helper()
	list, err := s.Sessions(context.Background(), userID)
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	if list == nil {
		t.Fatal("Sessions = nil, want a list (empty encodes as [])")
	}
	return list
}

func sessionOf(t *testing.T, s *strategy.Database, tok string) string {
	t.Helper()
	id, err := s.SessionOf(context.Background(), tok)
	if err != nil {
		t.Fatalf("SessionOf: %v", err)
	}
	return id
}

func endSession(t *testing.T, s *strategy.Database, userID uuid.UUID, id string) {
	t.Helper()
	if err := s.EndSession(context.Background(), userID, id); err != nil {
		t.Fatalf("EndSession(%q): %v", id, err)
	}
}

// lastUsed reads the token's record straight from the store, so that
// looking does not count as a use.
func lastUsed(t *testing.T, st testStore, tok string) time.Time {
	t.Helper()
	_, rec, err := st.UserByAccessToken(context.Background(), hash(tok))
	if err != nil {
		t.Fatalf("UserByAccessToken: %v", err)
	}
	return rec.LastUsedAt
}

// testDatabaseSessions: each login is a session, listed newest first with
// the client it was issued to, under an id that is neither the token nor
// its hash; expired ones are not listed; another user's never are.
func testDatabaseSessions(t *testing.T, st testStore) {
	c := newClock()
	s := newDatabase(t, strategy.DatabaseConfig{Store: st, Lifetime: time.Hour, Now: c.Now})
	u, other := newUser(t, st), newUser(t, st)
	if list := sessions(t, s, u.ID); len(list) != 0 {
		t.Fatalf("Sessions before any login = %+v", list)
	}
	t0 := c.Now()
	laptop := strategy.Client{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", IP: "203.0.113.7"}
	phone := strategy.Client{UserAgent: "Mozilla/5.0 (iPhone) Safari/605.1.15", IP: "2001:db8::42"}
	first := writeFrom(t, s, u, laptop)
	c.Add(time.Minute)
	second := writeFrom(t, s, u, phone)
	theirs := writeFrom(t, s, other, laptop)
	plain := mustWrite(t, s, u) // no client in the context

	list := sessions(t, s, u.ID)
	if len(list) != 3 {
		t.Fatalf("Sessions = %d, want 3: %+v", len(list), list)
	}
	// plain and second share their creation time: either order.
	if list[0].UserAgent == "" {
		list[0], list[1] = list[1], list[0]
	}
	want := []strategy.Session{
		{CreatedAt: t0.Add(time.Minute), LastUsedAt: t0.Add(time.Minute), UserAgent: phone.UserAgent, IP: phone.IP},
		{CreatedAt: t0.Add(time.Minute), LastUsedAt: t0.Add(time.Minute)},
		{CreatedAt: t0, LastUsedAt: t0, UserAgent: laptop.UserAgent, IP: laptop.IP},
	}
	for i, got := range list {
		w := want[i]
		if got.UserAgent != w.UserAgent || got.IP != w.IP || !got.CreatedAt.Equal(w.CreatedAt) || !got.LastUsedAt.Equal(w.LastUsedAt) {
			t.Errorf("session %d = %+v, want %+v", i, got, w)
		}
	}
	ids := map[string]string{second: list[0].ID, plain: list[1].ID, first: list[2].ID}
	seen := map[string]bool{}
	for tok, id := range ids {
		if id == "" || seen[id] {
			t.Errorf("session id %q is empty or not unique", id)
		}
		seen[id] = true
		if strings.Contains(id, tok) || strings.Contains(tok, id) || strings.Contains(id, hash(tok)) || strings.Contains(hash(tok), id) {
			t.Errorf("session id %q is made of the token or its hash", id)
		}
		if got := sessionOf(t, s, tok); got != id {
			t.Errorf("SessionOf = %q, listed as %q", got, id)
		}
	}

	theirList := sessions(t, s, other.ID)
	if len(theirList) != 1 || seen[theirList[0].ID] || theirList[0].ID != sessionOf(t, s, theirs) {
		t.Errorf("the other user's sessions = %+v", theirList)
	}
	if list := sessions(t, s, uuid.New()); len(list) != 0 {
		t.Errorf("Sessions of an unknown user = %+v", list)
	}

	// The first token expires: no longer listed, no longer a session.
	c.Add(time.Hour - time.Minute)
	list = sessions(t, s, u.ID)
	if len(list) != 2 || list[0].ID == ids[first] || list[1].ID == ids[first] {
		t.Errorf("Sessions after the first expired = %+v", list)
	}
	if _, err := s.SessionOf(context.Background(), first); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("SessionOf(expired) = %v, want ErrInvalidToken", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("!", 43), hash(second)} {
		if _, err := s.SessionOf(context.Background(), bad); !errors.Is(err, strategy.ErrInvalidToken) {
			t.Errorf("SessionOf(%q) = %v, want ErrInvalidToken", bad, err)
		}
	}
}

// testDatabaseEndSession: ending a session ends its token at once, and
// no other.
func testDatabaseEndSession(t *testing.T, st testStore) {
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	u, other := newUser(t, st), newUser(t, st)
	a, b := mustWrite(t, s, u), mustWrite(t, s, u)
	theirs := mustWrite(t, s, other)
	idA := sessionOf(t, s, a)

	for _, id := range []string{"", "unknown", strings.ToLower(idA), idA + " ", "legacy-", "legacy-00"} {
		endSession(t, s, u.ID, id)
	}
	expectUser(t, s, a, u)

	endSession(t, s, u.ID, idA)
	expectInvalid(t, s, a)
	if _, err := s.SessionOf(context.Background(), a); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("SessionOf(ended) = %v, want ErrInvalidToken", err)
	}
	expectUser(t, s, b, u)
	expectUser(t, s, theirs, other)
	if list := sessions(t, s, u.ID); len(list) != 1 || list[0].ID != sessionOf(t, s, b) {
		t.Errorf("Sessions after EndSession = %+v", list)
	}
	endSession(t, s, u.ID, idA) // twice: not an error
}

// testDatabaseEndSessionOtherUser: a session id ends nothing in the hands
// of another user.
func testDatabaseEndSessionOtherUser(t *testing.T, st testStore) {
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	victim, attacker := newUser(t, st), newUser(t, st)
	tok := mustWrite(t, s, victim)
	own := mustWrite(t, s, attacker)
	endSession(t, s, attacker.ID, sessionOf(t, s, tok))
	expectUser(t, s, tok, victim)
	expectUser(t, s, own, attacker)
	if list := sessions(t, s, victim.ID); len(list) != 1 {
		t.Errorf("the victim's sessions = %+v", list)
	}
}

// testDatabaseLastUsedThrottled: Read records the use at most once a
// minute per token, so requests do not each cost a write.
func testDatabaseLastUsedThrottled(t *testing.T, st testStore) {
	c := newClock()
	s := newDatabase(t, strategy.DatabaseConfig{Store: st, Lifetime: 10 * time.Minute, Now: c.Now})
	u := newUser(t, st)
	t0 := c.Now()
	tok, idle := mustWrite(t, s, u), mustWrite(t, s, u)

	steps := []struct {
		advance  time.Duration // since t0
		lastUsed time.Duration // since t0, after a Read
	}{
		{0, 0},
		{30 * time.Second, 0},
		{time.Minute - time.Microsecond, 0},
		{time.Minute, time.Minute},
		{90 * time.Second, time.Minute},
		{2*time.Minute - time.Microsecond, time.Minute},
		{2 * time.Minute, 2 * time.Minute},
		{5 * time.Minute, 5 * time.Minute},
	}
	for _, step := range steps {
		setClock(c, t0.Add(step.advance))
		expectUser(t, s, tok, u)
		expectUser(t, s, tok, u)
		if got, want := lastUsed(t, st, tok), t0.Add(step.lastUsed); !got.Equal(want) {
			t.Errorf("at t0+%v: last used t0+%v, want t0+%v", step.advance, got.Sub(t0), step.lastUsed)
		}
	}
	if got := lastUsed(t, st, idle); !got.Equal(t0) {
		t.Errorf("a token never read: last used t0+%v, want t0", got.Sub(t0))
	}
	byID := map[string]time.Time{}
	for _, se := range sessions(t, s, u.ID) {
		byID[se.ID] = se.LastUsedAt
	}
	if len(byID) != 2 || !byID[sessionOf(t, s, tok)].Equal(t0.Add(5*time.Minute)) || !byID[sessionOf(t, s, idle)].Equal(t0) {
		t.Errorf("Sessions last used = %v, want t0+5m for the token read, t0 for the idle one", byID)
	}
	// SessionOf does not count as a use.
	setClock(c, t0.Add(7*time.Minute))
	sessionOf(t, s, idle)
	if got := lastUsed(t, st, idle); !got.Equal(t0) {
		t.Errorf("SessionOf recorded a use: t0+%v", got.Sub(t0))
	}
	// An expired token is refused, not touched.
	setClock(c, t0.Add(10*time.Minute))
	expectInvalid(t, s, tok)
	if got := lastUsed(t, st, tok); !got.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("an expired token was touched: t0+%v", got.Sub(t0))
	}
}

// setClock moves c to t.
func setClock(c *clock, t time.Time) { c.Add(t.Sub(c.Now())) }

// testDatabaseClientCapped: what a client says about itself is stored
// valid, without NUL, and capped (user agent 512 bytes, ip 64), so that
// no header makes a login fail or bloats the table.
func testDatabaseClientCapped(t *testing.T, st testStore) {
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	u := newUser(t, st)
	long := strings.Repeat("a", 511) + "é" + strings.Repeat("b", 100) // é straddles byte 512
	tok := writeFrom(t, s, u, strategy.Client{UserAgent: long, IP: strings.Repeat("1", 100)})
	bad := writeFrom(t, s, u, strategy.Client{UserAgent: "bad\xff\xfe\x00agent", IP: "10.0.0.1\x00"})
	got := map[string]strategy.Session{}
	for _, se := range sessions(t, s, u.ID) {
		got[se.ID] = se
	}
	capped := got[sessionOf(t, s, tok)]
	if capped.UserAgent != strings.Repeat("a", 511) || capped.IP != strings.Repeat("1", 64) {
		t.Errorf("capped client = %q (%d bytes), %q", capped.UserAgent, len(capped.UserAgent), capped.IP)
	}
	cleaned := got[sessionOf(t, s, bad)]
	if cleaned.UserAgent != "bad\uFFFDagent" || cleaned.IP != "10.0.0.1" {
		t.Errorf("cleaned client = %q, %q", cleaned.UserAgent, cleaned.IP)
	}
	expectUser(t, s, bad, u)
}

// testDatabaseLegacySession: a token stored without a session id (by a
// release before session listing) is listed under a stable id derived
// one way from its hash, and can be ended by its user only.
func testDatabaseLegacySession(t *testing.T, st testStore) {
	ctx := context.Background()
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	u, other := newUser(t, st), newUser(t, st)
	var b [32]byte
	rand.Read(b[:])
	old := base64.RawURLEncoding.EncodeToString(b[:])
	if err := st.CreateAccessToken(ctx, store.AccessToken{Hash: hash(old), UserID: u.ID, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	fresh := mustWrite(t, s, u)
	expectUser(t, s, old, u)

	id := sessionOf(t, s, old)
	if !strings.HasPrefix(id, "legacy-") || strings.Contains(hash(old), strings.TrimPrefix(id, "legacy-")) {
		t.Errorf("legacy session id %q", id)
	}
	list := sessions(t, s, u.ID)
	if len(list) != 2 || (list[0].ID != id && list[1].ID != id) {
		t.Errorf("Sessions = %+v, want the legacy one listed as %q", list, id)
	}
	if again := sessionOf(t, s, old); again != id {
		t.Errorf("legacy session id changed: %q then %q", id, again)
	}
	endSession(t, s, other.ID, id)
	expectUser(t, s, old, u)
	endSession(t, s, u.ID, id)
	expectInvalid(t, s, old)
	expectUser(t, s, fresh, u)
}

func TestClientTextIsValid(t *testing.T) {
	// Through the strategy, so that the caps are the documented ones.
	st := openSQLite(t)
	s := newDatabase(t, strategy.DatabaseConfig{Store: st})
	u := newUser(t, st)
	for _, ua := range []string{"\xff", strings.Repeat("€", 200), strings.Repeat("\x00", 600) + "x"} {
		tok := writeFrom(t, s, u, strategy.Client{UserAgent: ua})
		for _, se := range sessions(t, s, u.ID) {
			if se.ID == sessionOf(t, s, tok) && (!utf8.ValidString(se.UserAgent) || len(se.UserAgent) > 512 || strings.Contains(se.UserAgent, "\x00")) {
				t.Errorf("user agent %q stored as %q", ua, se.UserAgent)
			}
		}
	}
}
