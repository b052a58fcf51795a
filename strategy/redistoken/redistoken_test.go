package redistoken_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/sqlite"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/redistoken"
	"github.com/go-authkit/authkit/strategy/strategytest"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

func TestConformance(t *testing.T) {
	strategytest.Run(t, func(t *testing.T) (strategy.Strategy, store.UserStore) {
		e := newEnv(t)
		return e.strategy(t, redistoken.Config{}), e.users
	})
}

func TestNewRefuses(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cluster.Close()
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	users := newEnvSQLite(t)

	for name, cfg := range map[string]redistoken.Config{
		"no client":                {Users: users},
		"no users":                 {Client: client},
		"negative lifetime":        {Client: client, Users: users, Lifetime: -time.Second},
		"cluster, default prefix":  {Client: cluster, Users: users},
		"cluster, no tag":          {Client: cluster, Users: users, Prefix: "app:token:"},
		"cluster, empty tag":       {Client: cluster, Users: users, Prefix: "app:{}:token:"},
		"cluster, unclosed tag":    {Client: cluster, Users: users, Prefix: "app:{token:"},
		"ring, no tag":             {Client: ring, Users: users, Prefix: "app:token:"},
		"cluster, tag after empty": {Client: cluster, Users: users, Prefix: "{}{app}:"},
	} {
		if s, err := redistoken.New(cfg); err == nil || s != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, s, err)
		}
	}

	for name, cfg := range map[string]redistoken.Config{
		"client":      {Client: client, Users: users},
		"cluster tag": {Client: cluster, Users: users, Prefix: "{authkit}:token:"},
		"ring tag":    {Client: ring, Users: users, Prefix: "app:{tokens}:"},
	} {
		s, err := redistoken.New(cfg)
		if err != nil {
			t.Errorf("%s: New: %v", name, err)
			continue
		}
		if s.Lifetime() != strategy.DefaultLifetime {
			t.Errorf("%s: default Lifetime = %v", name, s.Lifetime())
		}
	}
}

// newEnvSQLite is a user store alone, for tests that need no Redis.
func newEnvSQLite(t *testing.T) store.UserStore {
	t.Helper()
	st, err := sqlite.New(testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTokenForm: 256 random bits in unpadded base64url; Redis holds a
// record under the token's hex SHA-256, with a session id of its own.
func TestTokenForm(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := newClock()
	s := e.strategy(t, redistoken.Config{Now: c.Now})
	u := newUser(t, e.users)
	tok := mustWriteCtx(t, strategy.WithClient(ctx, strategy.Client{UserAgent: "curl/8", IP: "203.0.113.7"}), s, u)
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 32 || len(tok) != 43 {
		t.Fatalf("token %q: %d bytes, %v", tok, len(b), err)
	}
	rec, err := e.client.HGetAll(ctx, e.tokenKey(tok)).Result()
	if err != nil {
		t.Fatal(err)
	}
	now := strconv.FormatInt(c.Now().UnixMicro(), 10)
	want := map[string]string{
		"user_id": u.ID.String(), "created_at": now, "last_used_at": now,
		"user_agent": "curl/8", "ip": "203.0.113.7",
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("record %s = %q, want %q", k, rec[k], v)
		}
	}
	sid := rec["session_id"]
	if len(sid) < 22 || sid == hash(tok) || sid == tok {
		t.Errorf("session id %q: want a random id of 128+ bits, neither the token nor its hash", sid)
	}
	if got := mustSessionOf(t, s, tok); got != sid {
		t.Errorf("SessionOf = %q, want %q", got, sid)
	}
	if len(rec) != 6 {
		t.Errorf("record has %d fields, want 6: %v", len(rec), rec)
	}
	if members := e.client.ZRange(ctx, e.userKey(u.ID), 0, -1).Val(); !slices.Equal(members, []string{hash(tok)}) {
		t.Errorf("index = %q, want the token's hash", members)
	}
}

// TestTTL: the record lives for the lifetime, and the index as long as the
// user's newest token, never less.
func TestTTL(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	short := e.strategy(t, redistoken.Config{Lifetime: time.Hour})
	long := e.strategy(t, redistoken.Config{Lifetime: 2 * time.Hour})
	u := newUser(t, e.users)

	tok := mustWrite(t, short, u)
	pttl := func(key string) time.Duration {
		t.Helper()
		d, err := e.client.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := pttl(e.tokenKey(tok)); d <= time.Hour-time.Minute || d > time.Hour {
		t.Errorf("token PTTL = %v, want about 1h", d)
	}
	if d := pttl(e.userKey(u.ID)); d <= time.Hour-time.Minute || d > time.Hour {
		t.Errorf("index PTTL = %v, want about 1h", d)
	}
	mustWrite(t, long, u)
	if d := pttl(e.userKey(u.ID)); d <= 2*time.Hour-time.Minute {
		t.Errorf("index PTTL = %v after a 2h token, want about 2h", d)
	}
	mustWrite(t, short, u)
	if d := pttl(e.userKey(u.ID)); d <= 2*time.Hour-time.Minute {
		t.Errorf("index PTTL = %v: a 1h token shortened it below the 2h token's", d)
	}

	// Redis forgets a token when its lifetime ends, even never read again.
	const lifetime = 200 * time.Millisecond
	brief := e.strategy(t, redistoken.Config{Lifetime: lifetime})
	tok = mustWrite(t, brief, u)
	if d := pttl(e.tokenKey(tok)); d <= 0 || d > lifetime {
		t.Fatalf("PTTL = %v right after Write, want up to %v", d, lifetime)
	}
	time.Sleep(lifetime + 100*time.Millisecond)
	if n := e.client.Exists(ctx, e.tokenKey(tok)).Val(); n != 0 {
		t.Errorf("the token is still in Redis after its lifetime")
	}
}

// TestNoRawToken: whatever is done with a token, neither it nor its raw
// bytes appear in any key or value.
func TestNoRawToken(t *testing.T) {
	ctx := strategy.WithClient(context.Background(), strategy.Client{UserAgent: "Mozilla/5.0", IP: "2001:db8::1"})
	e := newEnv(t)
	s := e.strategy(t, redistoken.Config{})
	u, v := newUser(t, e.users), newUser(t, e.users)
	var toks []string
	for range 4 {
		toks = append(toks, mustWriteCtx(t, ctx, s, u), mustWriteCtx(t, ctx, s, v))
	}
	for _, tok := range toks {
		if _, err := s.Read(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Destroy(ctx, toks[0], u); err != nil {
		t.Fatal(err)
	}
	if err := s.EndSessions(ctx, v.ID, toks[1]); err != nil {
		t.Fatal(err)
	}
	sessions := mustSessions(t, s, u.ID)
	if len(sessions) != 3 {
		t.Fatalf("%d sessions, want 3", len(sessions))
	}

	var dump strings.Builder
	for _, k := range e.keys(t) {
		dump.WriteString(k + "\n")
		switch typ := e.client.Type(ctx, k).Val(); typ {
		case "hash":
			for f, val := range e.client.HGetAll(ctx, k).Val() {
				dump.WriteString(f + "=" + val + "\n")
			}
		case "zset":
			for _, z := range e.client.ZRangeWithScores(ctx, k, 0, -1).Val() {
				dump.WriteString(z.Member.(string) + "\n")
			}
		case "string": // the version at which sessions ended: a number
			v := e.client.Get(ctx, k).Val()
			if _, err := strconv.ParseInt(v, 10, 64); err != nil || !strings.Contains(k, ":v:") {
				t.Errorf("key %s holds %q", k, v)
			}
			dump.WriteString(v + "\n")
		default:
			t.Errorf("key %s is a %s", k, typ)
		}
	}
	for _, tok := range toks {
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		if strings.Contains(dump.String(), tok) || strings.Contains(dump.String(), string(raw)) {
			t.Errorf("token %.8q... is in Redis:\n%s", tok, dump.String())
		}
	}
	for _, ss := range sessions {
		if len(ss.ID) == 64 || strings.Contains(dump.String(), "t:"+ss.ID) {
			t.Errorf("session id %q looks like a token hash", ss.ID)
		}
	}
}

// TestExpiry: the lifetime is checked in Go as well as by the TTL.
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := newClock()
	s := e.strategy(t, redistoken.Config{Lifetime: time.Minute, Now: c.Now})
	u := newUser(t, e.users)
	tok := mustWrite(t, s, u)
	c.Add(time.Minute - time.Microsecond)
	expectUser(t, s, tok, u)
	if len(mustSessions(t, s, u.ID)) != 1 {
		t.Error("a live session is not listed")
	}
	c.Add(time.Microsecond)
	if e.client.Exists(ctx, e.tokenKey(tok)).Val() != 1 {
		t.Fatal("the record is gone already: the test proves nothing")
	}
	expectInvalid(t, s, tok)
	if _, err := s.SessionOf(ctx, tok); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("SessionOf(expired) = %v, want ErrInvalidToken", err)
	}
	if got := mustSessions(t, s, u.ID); len(got) != 0 {
		t.Errorf("an expired session is listed: %+v", got)
	}
}

func TestDestroy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.strategy(t, redistoken.Config{})
	u := newUser(t, e.users)
	gone, kept := mustWrite(t, s, u), mustWrite(t, s, u)
	if err := s.Destroy(ctx, gone, u); err != nil {
		t.Fatal(err)
	}
	if e.client.Exists(ctx, e.tokenKey(gone)).Val() != 0 {
		t.Error("the record is still in Redis")
	}
	if members := e.client.ZRange(ctx, e.userKey(u.ID), 0, -1).Val(); !slices.Equal(members, []string{hash(kept)}) {
		t.Errorf("index = %q, want only the kept token", members)
	}
	// Twice, or with no user, is no error; a malformed token is refused.
	if err := s.Destroy(ctx, gone, nil); err != nil {
		t.Errorf("Destroy twice: %v", err)
	}
	if err := s.Destroy(ctx, "garbage", u); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Destroy(garbage) = %v, want ErrInvalidToken", err)
	}
	expectUser(t, s, kept, u)
}

func TestEndSessionsKeep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.strategy(t, redistoken.Config{})
	u, other := newUser(t, e.users), newUser(t, e.users)
	old1, old2, keep, theirs := mustWrite(t, s, u), mustWrite(t, s, u), mustWrite(t, s, u), mustWrite(t, s, other)
	if err := s.EndSessions(ctx, u.ID, keep); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, s, old1)
	expectInvalid(t, s, old2)
	expectUser(t, s, keep, u)
	expectUser(t, s, theirs, other)
	if n := e.indexSize(t, u.ID); n != 1 {
		t.Errorf("index holds %d members, want the kept one", n)
	}
	for _, tok := range []string{old1, old2} {
		if e.client.Exists(ctx, e.tokenKey(tok)).Val() != 0 {
			t.Error("an ended token's record is still in Redis")
		}
	}
	expectUser(t, s, mustWrite(t, s, u), u)
}

// TestSessions: one session per token, newest first, with the client of
// its login; last_used_at follows reads.
func TestSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := newClock()
	s := e.strategy(t, redistoken.Config{Now: c.Now})
	u, other := newUser(t, e.users), newUser(t, e.users)

	longUA := strings.Repeat("é", 400) // 800 bytes
	clients := []strategy.Client{
		{UserAgent: "Firefox", IP: "203.0.113.1"},
		{},
		{UserAgent: longUA, IP: "2001:db8::2"},
	}
	var toks []string
	start := c.Now()
	for _, cl := range clients {
		toks = append(toks, mustWriteCtx(t, strategy.WithClient(ctx, cl), s, u))
		c.Add(time.Second)
	}
	mustWrite(t, s, other)
	c.Add(2 * time.Minute)
	expectUser(t, s, toks[0], u)

	got := mustSessions(t, s, u.ID)
	if len(got) != 3 {
		t.Fatalf("%d sessions, want 3: %+v", len(got), got)
	}
	for i, ss := range got {
		j := len(clients) - 1 - i // newest first
		created := start.Add(time.Duration(j) * time.Second)
		if !ss.CreatedAt.Equal(created) {
			t.Errorf("session %d CreatedAt = %v, want %v", i, ss.CreatedAt, created)
		}
		if ss.ID != mustSessionOf(t, s, toks[j]) {
			t.Errorf("session %d ID = %q, not SessionOf its token", i, ss.ID)
		}
		wantUA := clients[j].UserAgent
		if j == 2 {
			wantUA = strings.Repeat("é", 256) // clipped to 512 bytes, whole characters
		}
		if ss.UserAgent != wantUA || ss.IP != clients[j].IP {
			t.Errorf("session %d client = %.20q %q, want %.20q %q", i, ss.UserAgent, ss.IP, wantUA, clients[j].IP)
		}
		wantUsed := created
		if j == 0 {
			wantUsed = c.Now()
		}
		if !ss.LastUsedAt.Equal(wantUsed) {
			t.Errorf("session %d LastUsedAt = %v, want %v", i, ss.LastUsedAt, wantUsed)
		}
	}
	// A member planted in u's index that is another user's token is
	// neither listed nor ended with u's sessions.
	theirs := mustWrite(t, s, other)
	e.client.ZAdd(ctx, e.userKey(u.ID), redis.Z{Score: 1e18, Member: hash(theirs)})
	if got := mustSessions(t, s, u.ID); len(got) != 3 {
		t.Errorf("%d sessions with another user's token planted, want 3", len(got))
	}
	if err := s.EndSession(ctx, u.ID, mustSessionOf(t, s, theirs)); err != nil {
		t.Fatal(err)
	}
	if err := s.EndSessions(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	expectUser(t, s, theirs, other)
	if got := mustSessions(t, s, uuid.New()); got == nil || len(got) != 0 {
		t.Errorf("Sessions(unknown user) = %#v, want empty", got)
	}
}

// TestEndSession: ending one session stops its token at once, and only
// for its user.
func TestEndSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.strategy(t, redistoken.Config{})
	u, other := newUser(t, e.users), newUser(t, e.users)
	a, b, theirs := mustWrite(t, s, u), mustWrite(t, s, u), mustWrite(t, s, other)
	sa, sTheirs := mustSessionOf(t, s, a), mustSessionOf(t, s, theirs)

	// Another user's session id, an unknown one and "" end nothing.
	for _, sid := range []string{sTheirs, "unknown", ""} {
		if err := s.EndSession(ctx, u.ID, sid); err != nil {
			t.Errorf("EndSession(%q) = %v", sid, err)
		}
	}
	expectUser(t, s, theirs, other)
	expectUser(t, s, a, u)

	if err := s.EndSession(ctx, u.ID, sa); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, s, a)
	expectUser(t, s, b, u)
	if got := mustSessions(t, s, u.ID); len(got) != 1 || got[0].ID == sa {
		t.Errorf("sessions after EndSession: %+v", got)
	}
	if n := e.indexSize(t, u.ID); n != 1 {
		t.Errorf("index holds %d members, want 1", n)
	}
	if _, err := s.SessionOf(ctx, a); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("SessionOf(ended) = %v, want ErrInvalidToken", err)
	}
}

// TestLastUsedThrottled: last_used_at moves at most once a minute.
func TestLastUsedThrottled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := newClock()
	s := e.strategy(t, redistoken.Config{Now: c.Now})
	u := newUser(t, e.users)
	tok := mustWrite(t, s, u)
	t0 := c.Now()
	used := func() string { return e.client.HGet(ctx, e.tokenKey(tok), "last_used_at").Val() }
	first := used()

	for _, step := range []struct {
		advance time.Duration
		want    time.Time
	}{
		{30 * time.Second, t0},                  // too soon
		{29 * time.Second, t0},                  // 59s: still too soon
		{time.Second, t0.Add(time.Minute)},      // 60s: recorded
		{30 * time.Second, t0.Add(time.Minute)}, // too soon after that
		{5 * time.Minute, t0.Add(6*time.Minute + 30*time.Second)},
	} {
		c.Add(step.advance)
		for range 3 {
			expectUser(t, s, tok, u)
		}
		got := mustSessions(t, s, u.ID)
		if len(got) != 1 || !got[0].LastUsedAt.Equal(step.want) {
			t.Fatalf("at +%v LastUsedAt = %+v, want %v", c.Now().Sub(t0), got, step.want)
		}
	}
	if used() == first {
		t.Error("last_used_at never changed in Redis")
	}
}

// TestIndexPruning: the per-user index drops members whose token is gone
// (expired by its TTL) and whose expiry has passed, so it cannot grow
// forever.
func TestIndexPruning(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := newClock()
	s := e.strategy(t, redistoken.Config{Lifetime: time.Hour, Now: c.Now})
	u := newUser(t, e.users)

	// A token whose record Redis dropped (as its TTL would) is pruned by
	// Sessions, EndSession and EndSessions.
	prune := map[string]func() error{
		"Sessions":    func() error { _, err := s.Sessions(ctx, u.ID); return err },
		"EndSession":  func() error { return s.EndSession(ctx, u.ID, "unknown") },
		"EndSessions": func() error { return s.EndSessions(ctx, u.ID, "") },
	}
	for name, fn := range prune {
		s.EndSessions(ctx, u.ID, "")
		a, b := mustWrite(t, s, u), mustWrite(t, s, u)
		e.client.Del(ctx, e.tokenKey(a))
		if n := e.indexSize(t, u.ID); n != 2 {
			t.Fatalf("%s: index holds %d, want 2 before pruning", name, n)
		}
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := int64(1)
		if name == "EndSessions" {
			want = 0
		} else {
			expectUser(t, s, b, u)
		}
		if n := e.indexSize(t, u.ID); n != want {
			t.Errorf("%s: index holds %d members, want %d", name, n, want)
		}
	}

	// Each login drops the members whose lifetime is over, even while
	// their record lingers in Redis.
	s.EndSessions(ctx, u.ID, "")
	for range 5 {
		mustWrite(t, s, u)
	}
	c.Add(time.Hour)
	fresh := mustWrite(t, s, u)
	if members := e.client.ZRange(ctx, e.userKey(u.ID), 0, -1).Val(); !slices.Equal(members, []string{hash(fresh)}) {
		t.Errorf("index after a login past the others' lifetime = %d members, want only the new token", len(members))
	}
}

// TestDeletedUser: a token whose user is gone is refused, even though its
// record is still in Redis.
func TestDeletedUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.strategy(t, redistoken.Config{})
	u := newUser(t, e.users)
	tok := mustWrite(t, s, u)
	if err := e.users.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if e.client.Exists(ctx, e.tokenKey(tok)).Val() != 1 {
		t.Fatal("the record is gone: the test proves nothing")
	}
	_, err := s.Read(ctx, tok)
	if !errors.Is(err, strategy.ErrInvalidToken) || !errors.Is(err, store.ErrUserNotFound) {
		t.Errorf("Read = %v, want ErrInvalidToken wrapping ErrUserNotFound", err)
	}
}

// TestRedisDown: with nothing listening, every call is a fault, never
// ErrInvalidToken (which would log the user out instead of a 503), and a
// malformed token is still refused without Redis.
func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	live := e.strategy(t, redistoken.Config{})
	u := newUser(t, e.users)
	tok := mustWrite(t, live, u)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dead := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1})
	defer dead.Close()
	s := e.strategy(t, redistoken.Config{Client: dead})

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for name, c := range map[string]struct {
		s   *redistoken.Strategy
		ctx context.Context
	}{"closed port": {s, ctx}, "cancelled context": {live, cancelled}} {
		calls := map[string]error{}
		calls["Read"] = func() error { _, err := c.s.Read(c.ctx, tok); return err }()
		calls["Write"] = func() error { _, err := c.s.Write(c.ctx, u); return err }()
		calls["Destroy"] = c.s.Destroy(c.ctx, tok, u)
		calls["EndSessions"] = c.s.EndSessions(c.ctx, u.ID, tok)
		calls["Sessions"] = func() error { _, err := c.s.Sessions(c.ctx, u.ID); return err }()
		calls["SessionOf"] = func() error { _, err := c.s.SessionOf(c.ctx, tok); return err }()
		calls["EndSession"] = c.s.EndSession(c.ctx, u.ID, "x")
		for call, err := range calls {
			if err == nil || errors.Is(err, strategy.ErrInvalidToken) {
				t.Errorf("%s: %s = %v, want a fault", name, call, err)
			}
		}
	}
	if _, err := s.Read(ctx, "garbage"); !errors.Is(err, strategy.ErrInvalidToken) {
		t.Errorf("Read(garbage) without Redis = %v, want ErrInvalidToken", err)
	}
	expectUser(t, live, tok, u) // nothing was ended
}

// TestManyInstances: two Strategies with their own connections to one
// Redis, as two instances of a service, see each other's logins and
// logouts at once.
func TestManyInstances(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.strategy(t, redistoken.Config{})
	b := e.strategy(t, redistoken.Config{Client: e.otherClient(t)})
	u := newUser(t, e.users)

	t1, t2, t3, t4 := mustWrite(t, a, u), mustWrite(t, b, u), mustWrite(t, a, u), mustWrite(t, b, u)
	for _, s := range []*redistoken.Strategy{a, b} {
		for _, tok := range []string{t1, t2, t3, t4} {
			expectUser(t, s, tok, u)
		}
		if n := len(mustSessions(t, s, u.ID)); n != 4 {
			t.Errorf("%d sessions listed, want 4", n)
		}
	}
	if err := b.Destroy(ctx, t1, u); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, a, t1)
	if err := b.EndSession(ctx, u.ID, mustSessionOf(t, a, t2)); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, a, t2)
	if err := a.EndSessions(ctx, u.ID, t4); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, b, t3)
	expectUser(t, b, t4, u)
}

// TestWritesRaceEndSessions: logins racing "log out everywhere" on two
// instances never leave a live token outside its user's index, where a
// later EndSessions could not find it.
func TestWritesRaceEndSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.strategy(t, redistoken.Config{})
	b := e.strategy(t, redistoken.Config{Client: e.otherClient(t)})
	u := newUser(t, e.users)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var toks []string
	for i := range 8 {
		s := []*redistoken.Strategy{a, b}[i%2]
		wg.Go(func() {
			for range 10 {
				tok, err := s.Write(ctx, u)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				toks = append(toks, tok)
				mu.Unlock()
			}
		})
		wg.Go(func() {
			for range 5 {
				if err := s.EndSessions(ctx, u.ID, ""); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()

	members := e.client.ZRange(ctx, e.userKey(u.ID), 0, -1).Val()
	for _, tok := range toks {
		if e.client.Exists(ctx, e.tokenKey(tok)).Val() == 1 && !slices.Contains(members, hash(tok)) {
			t.Errorf("a live token is missing from the index")
		}
	}
	if err := a.EndSessions(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		expectInvalid(t, b, tok)
	}
	// The version at which the sessions ended stays, as long as a token.
	if keys := e.keys(t); len(keys) != 1 || keys[0] != e.prefix+"v:"+u.ID.String() {
		t.Errorf("keys left after ending every session: %q", keys)
	}
}

// A login that authenticated before the user's sessions were ended — at
// an older security version — stores no token after the ending.
func TestWriteAfterEndSessionsAtNewerVersion(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.strategy(t, redistoken.Config{})
	u := newUser(t, e.users)
	before := *u // as a login read it
	old, err := s.Write(ctx, &before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.users.BumpUserVersion(ctx, u.ID); err != nil { // a reset
		t.Fatal(err)
	}
	if err := s.EndSessions(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, s, old)
	if tok, err := s.Write(ctx, &before); !errors.Is(err, strategy.ErrStaleUser) || tok != "" {
		t.Fatalf("Write at the old version = %q, %v; want ErrStaleUser", tok, err)
	}
	fresh, err := e.users.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Write(ctx, fresh)
	if err != nil {
		t.Fatalf("Write at the new version: %v", err)
	}
	if got, err := s.Read(ctx, tok); err != nil || got.ID != u.ID {
		t.Fatalf("Read = %v, %v", got, err)
	}
}
