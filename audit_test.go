package authkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/idptest"
	"github.com/go-authkit/authkit/mail/mailtest"
	"github.com/google/uuid"
)

// auditLog is what a JSON slog logger wrote, read back line by line.
type auditLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *auditLog) option(c *authkit.Config) { c.Logger = slogJSON(&l.mu, &l.buf) }

func (l *auditLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// events are the audit events logged so far.
func (l *auditLog) events(t *testing.T) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for line := range strings.Lines(l.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "authkit audit" {
			evs = append(evs, m)
		}
	}
	return evs
}

// expectEvent checks that exactly one event has every attribute of want,
// and none of the attributes named in absent.
func (l *auditLog) expectEvent(t *testing.T, want map[string]any, absent ...string) {
	t.Helper()
	var found []map[string]any
	for _, ev := range l.events(t) {
		if matches(ev, want) {
			found = append(found, ev)
		}
	}
	if len(found) != 1 {
		t.Errorf("%d events match %v, want 1\nlog:\n%s", len(found), want, l)
		return
	}
	for _, a := range absent {
		if _, ok := found[0][a]; ok {
			t.Errorf("event %v has %s", found[0], a)
		}
	}
}

func matches(ev, want map[string]any) bool {
	for k, v := range want {
		if fmt.Sprint(ev[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}

// noSecrets fails when the log holds any of the secrets.
func noSecrets(t *testing.T, log string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("an empty secret: the test lost one")
		}
		if strings.Contains(log, s) {
			t.Errorf("the log holds a secret %q", s)
		}
	}
}

// Every account change is an audit event with who, what and which fields,
// and no secret of any kind reaches the log.
func TestAuditAccountChanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(opts ...func(*authkit.Config)) *env) {
		var log auditLog
		box, withBox := withMail(t)
		o := newOAuthEnv(t, func(opts ...func(*authkit.Config)) *env {
			return open(append(opts, log.option, withBox)...)
		})
		ctx := context.Background()
		const (
			first   = "first-secret-phrase-1"
			second  = "second-secret-phrase-2"
			guessed = "guessed-secret-phrase-3"
			byAdmin = "admin-set-secret-phrase-4"
		)
		gw := o.register("gawain@orkney.bt", first)
		id := gw["id"].(string)
		o.register("root@camelot.bt", goodPassword)
		o.makeSuperuser("root@camelot.bt")
		rootUser, err := o.store.UserByEmail(ctx, "root@camelot.bt")
		if err != nil {
			t.Fatal(err)
		}
		root := rootUser.ID.String()
		admin := o.login("jwt", "root@camelot.bt", goodPassword)

		// Self-service updates: the fields, never their values.
		login := o.loginForm("jwt", "gawain@orkney.bt", first)
		access := decode(t, login.body)["access_token"].(string)
		me := bearer(access)
		expect(t, o.patchJSON("/users/me", `{"password":`+q(second)+`,"current_password":`+q(guessed)+`}`, me),
			http.StatusBadRequest, `{"detail":"UPDATE_USER_BAD_CURRENT_PASSWORD"}`)
		log.expectEvent(t, map[string]any{"event": "user.update.failure", "user_id": id, "reason": "bad_current_password"})
		if r := o.patchJSON("/users/me", `{"password":`+q(second)+`,"current_password":`+q(first)+`}`, me); r.status != http.StatusOK {
			t.Fatalf("password change: %d %s", r.status, r.body)
		}
		log.expectEvent(t, map[string]any{"event": "user.update", "user_id": id, "client": "127.0.0.1", "fields": []string{"password"}}, "actor_id")
		// The password change ended the other sessions, not this one.
		o.patchJSON("/users/me", `{"email":"gawain@round.table","current_password":`+q(second)+`}`, me)
		log.expectEvent(t, map[string]any{"event": "user.update", "user_id": id, "fields": []string{"email"}}, "actor_id")
		o.patchJSON("/users/me", `{}`, me) // no change, no event

		// A superuser's updates carry who made them.
		o.patchJSON("/users/"+id, `{"is_active":false,"is_superuser":false,"password":`+q(byAdmin)+`}`, admin)
		log.expectEvent(t, map[string]any{"event": "user.update", "user_id": id, "actor_id": root, "fields": []string{"password", "is_active"}})
		o.patchJSON("/users/"+id, `{"is_active":true,"is_verified":true}`, admin)
		log.expectEvent(t, map[string]any{"event": "user.update", "user_id": id, "actor_id": root, "fields": []string{"is_active", "is_verified"}})

		// Sessions ended: one, all of one's own, all of a user's by a superuser.
		refreshed := o.loginForm("refresh", "gawain@round.table", byAdmin)
		refreshToken := decode(t, refreshed.body)["refresh_token"].(string)
		dbToken := o.login("db", "gawain@round.table", byAdmin)
		cookieLogin := o.loginForm("cookie", "gawain@round.table", byAdmin)
		cookie := findCookie(t, cookieLogin.header, "authkit")
		var list []authkit.SessionInfo
		decodeInto(t, o.get("/users/me/sessions", dbToken).body, &list)
		if len(list) == 0 {
			t.Fatal("no sessions listed")
		}
		expect(t, o.do(http.MethodDelete, "/users/me/sessions/"+list[0].ID, "", "", dbToken), http.StatusNoContent, "")
		log.expectEvent(t, map[string]any{"event": "session.end", "user_id": id, "session_id": list[0].ID})
		expect(t, o.do(http.MethodDelete, "/users/"+id+"/sessions", "", "", admin), http.StatusNoContent, "")
		log.expectEvent(t, map[string]any{"event": "sessions.end", "user_id": id, "actor_id": root})
		again := o.login("jwt", "gawain@round.table", byAdmin)
		expect(t, o.postJSON("/auth/logout-all", "", again), http.StatusNoContent, "")
		log.expectEvent(t, map[string]any{"event": "logout.all", "user_id": id}, "actor_id")

		// OAuth: a link by association and by a first login; a login by
		// the link is no new link.
		assocUser := o.login("jwt", "gawain@round.table", byAdmin)
		s := o.start("/auth/associate/oidc", "", arthur, assocUser)
		if r := o.finish(s, assocUser); r.status != http.StatusOK {
			t.Fatalf("associate: %d %s", r.status, r.body)
		}
		log.expectEvent(t, map[string]any{"event": "oauth.link", "user_id": id, "provider": "oidc", "account_id": arthur.Sub})
		kay := o.start("/auth/oidc", "", kayAtProvider)
		kayLogin := o.finish(kay)
		kayAccess := decode(t, kayLogin.body)["access_token"].(string)
		kayID := o.me(bearer(kayAccess))["id"].(string)
		log.expectEvent(t, map[string]any{"event": "oauth.link", "user_id": kayID, "provider": "oidc", "account_id": kayAtProvider.Sub})
		o.token(o.finish(o.start("/auth/oidc", "", kayAtProvider)))
		log.expectEvent(t, map[string]any{"event": "oauth.link", "user_id": kayID})

		// Deletion, by a superuser.
		expect(t, o.do(http.MethodDelete, "/users/"+kayID, "", "", admin), http.StatusNoContent, "")
		log.expectEvent(t, map[string]any{"event": "user.delete", "user_id": kayID, "actor_id": root})

		// The provider's tokens, before the reset removes the link.
		links := o.links(id)
		if len(links) != 1 {
			t.Fatalf("links %+v", links)
		}

		// A reset mail's token, used. (The other mail is the notice of the
		// email change, to the old address.)
		o.postJSON("/auth/forgot-password", `{"email":"gawain@round.table"}`)
		msgs := box.wait(2)
		i := slices.IndexFunc(msgs, func(m mailtest.Message) bool { return m.To == "gawain@round.table" })
		if i < 0 {
			t.Fatalf("no reset mail among %d", len(msgs))
		}
		reset := token(t, msgs[i], "/reset-password")
		expect(t, o.postJSON("/auth/reset-password", `{"token":`+q(reset)+`,"password":"reset-secret-phrase-5"}`), http.StatusOK, `null`)
		log.expectEvent(t, map[string]any{"event": "oauth.unlink", "user_id": id, "provider": "oidc", "account_id": arthur.Sub, "reason": "password_reset"})

		// No secret in the log: passwords (tried, set, reset), hashes,
		// access, refresh, session and reset tokens, the OAuth state,
		// code and PKCE verifier, the provider's tokens.
		u, err := o.store.UserByID(ctx, uuid.MustParse(id))
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := url.Parse(s.callback)
		secrets := []string{first, second, guessed, byAdmin, "reset-secret-phrase-5", u.HashedPassword,
			access, refreshToken, cookie.Value, reset, kayAccess,
			cb.Query().Get("state"), cb.Query().Get("code"), s.cookie.Value, links[0].AccessToken, links[0].RefreshToken}
		for _, hdr := range []func(*http.Request){dbToken, admin, again, assocUser} {
			req, _ := http.NewRequest(http.MethodGet, "/", nil)
			hdr(req)
			secrets = append(secrets, strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
		}
		noSecrets(t, log.String(), secrets...)
	})
}

var kayAtProvider = idptest.User{Sub: "sub-kay", Email: "kay@camelot.bt", EmailVerified: true}
