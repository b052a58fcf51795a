package authkit_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/mail/mailtest"
)

// mailbox is where a test env's mail goes: real .eml files written by the
// file mailer, read back and parsed.
type mailbox struct {
	t   *testing.T
	dir string
}

// withMail sends the env's mail to a file mailer and signs every kind of
// token with one secret, to prove kinds never pass for one another anyway.
func withMail(t *testing.T) (*mailbox, func(*authkit.Config)) {
	dir := t.TempDir()
	fm, err := mail.NewFileMailer(dir, "Camelot <noreply@camelot.bt>")
	if err != nil {
		t.Fatal(err)
	}
	return &mailbox{t: t, dir: dir}, func(c *authkit.Config) {
		c.Mailer = fm
		c.Mail = mail.ComposerConfig{PublicURL: "http://localhost:8000", AppName: "Camelot"}
		c.ResetSecret = []byte("a test secret that is long enough for HS256")
		c.VerifySecret = c.ResetSecret
	}
}

// wait returns the mailbox's messages once there are n of them.
func (m *mailbox) wait(n int) []mailtest.Message {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := mailtest.ReadDir(m.t, m.dir)
		if len(msgs) >= n || time.Now().After(deadline) {
			if len(msgs) != n {
				m.t.Fatalf("%d messages, want %d", len(msgs), n)
			}
			return msgs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var linkRE = regexp.MustCompile(`http://localhost:8000(/[a-z-]+)\?token=([A-Za-z0-9_.%-]+)`)

// token returns the token of the one link in msg, checking its path.
func token(t *testing.T, msg mailtest.Message, path string) string {
	t.Helper()
	links := linkRE.FindAllStringSubmatch(msg.Text, -1)
	if len(links) != 1 || links[0][1] != path {
		t.Fatalf("want one %s link in the text part, got %q", path, links)
	}
	if htmlLinks := linkRE.FindAllString(strings.ReplaceAll(msg.HTML, "&amp;", "&"), -1); len(htmlLinks) == 0 || htmlLinks[0] != links[0][0] {
		t.Fatalf("HTML part links %q, text link %q", htmlLinks, links[0][0])
	}
	tok, err := url.QueryUnescape(links[0][2])
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyFlow(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		e := open(opt)
		u := e.register("elaine@camelot.bt", goodPassword)
		id := u["id"].(string)

		// Unknown, and malformed, emails.
		expect(t, e.postJSON("/auth/request-verify-token", `{"email":"nobody@camelot.bt"}`), http.StatusAccepted, `null`)
		expect(t, e.postJSON("/auth/request-verify-token", `{"email":"nope"}`), http.StatusUnprocessableEntity,
			`{"detail":[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign."}]}`)

		expect(t, e.postJSON("/auth/request-verify-token", `{"email":"ELAINE@camelot.bt"}`), http.StatusAccepted, `null`)
		msgs := box.wait(1)
		if msgs[0].To != "elaine@camelot.bt" || msgs[0].From != `"Camelot" <noreply@camelot.bt>` || msgs[0].Subject == "" {
			t.Fatalf("message headers %+v", msgs[0])
		}
		tok := token(t, msgs[0], "/verify")

		expect(t, e.postJSON("/auth/verify", `{"token":`+q(tok)+`}`), http.StatusOK,
			`{"id":"`+id+`","email":"elaine@camelot.bt","is_active":true,"is_superuser":false,"is_verified":true}`)
		expect(t, e.postJSON("/auth/verify", `{"token":`+q(tok)+`}`), http.StatusBadRequest, `{"detail":"VERIFY_USER_ALREADY_VERIFIED"}`)

		// A verified user gets no new token.
		expect(t, e.postJSON("/auth/request-verify-token", `{"email":"elaine@camelot.bt"}`), http.StatusAccepted, `null`)
		e.register("lynette@camelot.bt", goodPassword)
		expect(t, e.postJSON("/auth/request-verify-token", `{"email":"lynette@camelot.bt"}`), http.StatusAccepted, `null`)
		if msgs := box.wait(2); msgs[1].To != "lynette@camelot.bt" {
			t.Fatalf("second message to %s", msgs[1].To)
		}

		for _, tc := range []struct{ name, body, status, detail string }{
			{"garbage", `{"token":"garbage"}`, "400", `"VERIFY_USER_BAD_TOKEN"`},
			{"missing", `{}`, "422", `[{"type":"missing","loc":["body","token"],"msg":"Field required"}]`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.postJSON("/auth/verify", tc.body)
				if want := `{"detail":` + tc.detail + `}`; r.body != want {
					t.Fatalf("%d %s, want %s", r.status, r.body, want)
				}
			})
		}
	})
}

// A verify token dies when the email it was sent to is no longer the user's.
func TestVerifyTokenAfterEmailChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		e := open(opt)
		e.register("enid@camelot.bt", goodPassword)
		e.postJSON("/auth/request-verify-token", `{"email":"enid@camelot.bt"}`)
		tok := token(t, box.wait(1)[0], "/verify")
		c := e.login("jwt", "enid@camelot.bt", goodPassword)
		if r := e.patchJSON("/users/me", `{"email":"enid.of.wales@camelot.bt","current_password":"`+goodPassword+`"}`, c); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		expect(t, e.postJSON("/auth/verify", `{"token":`+q(tok)+`}`), http.StatusBadRequest, `{"detail":"VERIFY_USER_BAD_TOKEN"}`)
	})
}

func TestResetFlow(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		var hooked atomic.Int64
		e := open(opt, func(c *authkit.Config) {
			c.Hooks.OnAfterForgotPassword = func(_ context.Context, u *authkit.User, tok string, _ *http.Request) { hooked.Add(1) }
		})
		e.register("gareth@camelot.bt", goodPassword)
		sessions := []cred{}
		for _, b := range backendNames {
			sessions = append(sessions, e.login(b, "gareth@camelot.bt", goodPassword))
		}

		expect(t, e.postJSON("/auth/forgot-password", `{"email":"nobody@camelot.bt"}`), http.StatusAccepted, `null`)
		expect(t, e.postJSON("/auth/forgot-password", `{"email":"Gareth@Camelot.bt"}`), http.StatusAccepted, `null`)
		msgs := box.wait(1)
		if msgs[0].To != "gareth@camelot.bt" || hooked.Load() != 1 {
			t.Fatalf("to %s, hooks %d", msgs[0].To, hooked.Load())
		}
		tok := token(t, msgs[0], "/reset-password")

		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"short"}`), http.StatusBadRequest,
			`{"detail":{"code":"RESET_PASSWORD_INVALID_PASSWORD","reason":"Password should be at least 8 characters."}}`)
		// A refused password does not use the token up.
		const newPassword = "emerald-lantern-falls"
		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"`+newPassword+`"}`), http.StatusOK, `null`)
		// Single use.
		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"another-fine-password"}`), http.StatusBadRequest,
			`{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
		// Every session ended; the old password is gone, the new one works.
		for _, c := range sessions {
			expect(t, e.get("/users/me", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		}
		expect(t, e.loginForm("jwt", "gareth@camelot.bt", goodPassword), http.StatusBadRequest, `{"detail":"LOGIN_BAD_CREDENTIALS"}`)
		if r := e.get("/users/me", e.login("cookie", "gareth@camelot.bt", newPassword)); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

// A reset token dies when the password changes by another route.
func TestResetTokenAfterPasswordChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		e := open(opt)
		e.register("yvain@camelot.bt", goodPassword)
		e.postJSON("/auth/forgot-password", `{"email":"yvain@camelot.bt"}`)
		tok := token(t, box.wait(1)[0], "/reset-password")
		c := e.login("jwt", "yvain@camelot.bt", goodPassword)
		e.patchJSON("/users/me", `{"password":"emerald-lantern-falls","current_password":"`+goodPassword+`"}`, c)
		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"another-fine-password"}`), http.StatusBadRequest,
			`{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
	})
}

// Inactive users get no mail and cannot reset.
func TestResetInactive(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		var mu sync.Mutex
		var tokens []string
		e := open(opt, func(c *authkit.Config) {
			c.Hooks.OnAfterForgotPassword = func(_ context.Context, u *authkit.User, tok string, _ *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				tokens = append(tokens, tok)
			}
		})
		u := e.register("breunor@camelot.bt", goodPassword)
		e.register("le.cote@camelot.bt", goodPassword)
		e.postJSON("/auth/forgot-password", `{"email":"breunor@camelot.bt"}`)
		tok := token(t, box.wait(1)[0], "/reset-password")
		e.register("root@camelot.bt", goodPassword)
		e.makeSuperuser("root@camelot.bt")
		admin := e.login("jwt", "root@camelot.bt", goodPassword)
		e.patchJSON("/users/"+u["id"].(string), `{"is_active":false}`, admin)

		expect(t, e.postJSON("/auth/forgot-password", `{"email":"breunor@camelot.bt"}`), http.StatusAccepted, `null`)
		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"another-fine-password"}`), http.StatusBadRequest,
			`{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
		// A message for someone else shows the queue has moved on.
		e.postJSON("/auth/forgot-password", `{"email":"le.cote@camelot.bt"}`)
		box.wait(2)
		mu.Lock()
		defer mu.Unlock()
		if len(tokens) != 2 {
			t.Fatalf("%d hooked tokens, want 2", len(tokens))
		}
	})
}

// Access, reset and verify tokens never pass for one another, though all
// three are signed with one secret here.
func TestTokenKindsDoNotMix(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		e := open(opt)
		e.register("dinadan@camelot.bt", goodPassword)
		e.postJSON("/auth/forgot-password", `{"email":"dinadan@camelot.bt"}`)
		reset := token(t, box.wait(1)[0], "/reset-password")
		e.postJSON("/auth/request-verify-token", `{"email":"dinadan@camelot.bt"}`)
		verify := token(t, box.wait(2)[1], "/verify")
		r := e.loginForm("jwt", "dinadan@camelot.bt", goodPassword)
		access := decode(t, r.body)["access_token"].(string)

		for _, tok := range []string{reset, verify} {
			expect(t, e.get("/users/me", bearer(tok)), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		}
		for _, tok := range []string{verify, access} {
			expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(tok)+`,"password":"another-fine-password"}`),
				http.StatusBadRequest, `{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
		}
		for _, tok := range []string{reset, access} {
			expect(t, e.postJSON("/auth/verify", `{"token":`+q(tok)+`}`), http.StatusBadRequest, `{"detail":"VERIFY_USER_BAD_TOKEN"}`)
		}
		// And the right ones still work.
		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(reset)+`,"password":"another-fine-password"}`), http.StatusOK, `null`)
	})
}

// Tokens expire after their lifetime.
func TestResetAndVerifyTokensExpire(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		var skew atomic.Int64
		e := open(opt, func(c *authkit.Config) {
			c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		})
		e.register("lucan@camelot.bt", goodPassword)
		e.postJSON("/auth/forgot-password", `{"email":"lucan@camelot.bt"}`)
		reset := token(t, box.wait(1)[0], "/reset-password")
		e.postJSON("/auth/request-verify-token", `{"email":"lucan@camelot.bt"}`)
		verify := token(t, box.wait(2)[1], "/verify")
		skew.Store(int64(time.Hour + time.Minute))
		expect(t, e.postJSON("/auth/reset-password", `{"token":`+q(reset)+`,"password":"another-fine-password"}`),
			http.StatusBadRequest, `{"detail":"RESET_PASSWORD_BAD_TOKEN"}`)
		expect(t, e.postJSON("/auth/verify", `{"token":`+q(verify)+`}`), http.StatusBadRequest, `{"detail":"VERIFY_USER_BAD_TOKEN"}`)
	})
}

// With VerifyOnRegister, registering mails the verify link at once, as a
// request-verify-token would; without it, registering sends nothing.
func TestVerifyOnRegister(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		box, opt := withMail(t)
		var hooked atomic.Value
		e := open(opt, func(c *authkit.Config) {
			c.VerifyOnRegister = true
			c.Hooks.OnAfterRequestVerify = func(_ context.Context, u *authkit.User, tok string, r *http.Request) {
				if r == nil {
					t.Error("OnAfterRequestVerify: no request")
				}
				hooked.Store(u.Email + " " + tok)
			}
		})
		id := e.register("gareth@camelot.bt", goodPassword)["id"].(string)
		msgs := box.wait(1)
		if msgs[0].To != "gareth@camelot.bt" {
			t.Fatalf("mail to %s", msgs[0].To)
		}
		tok := token(t, msgs[0], "/verify")
		if got := hooked.Load(); got != "gareth@camelot.bt "+tok {
			t.Errorf("OnAfterRequestVerify got %v", got)
		}
		expect(t, e.postJSON("/auth/verify", `{"token":`+q(tok)+`}`), http.StatusOK,
			`{"id":"`+id+`","email":"gareth@camelot.bt","is_active":true,"is_superuser":false,"is_verified":true}`)
		// A refused registration sends nothing.
		expect(t, e.postJSON("/auth/register", `{"email":"gareth@camelot.bt","password":"`+goodPassword+`"}`), http.StatusBadRequest, `{"detail":"REGISTER_USER_ALREADY_EXISTS"}`)
		time.Sleep(200 * time.Millisecond)
		box.wait(1)
	})
	t.Run("off", func(t *testing.T) {
		box, opt := withMail(t)
		e := newEnv(t, stores[0].open, opt)
		e.register("gareth@camelot.bt", goodPassword)
		expect(t, e.postJSON("/auth/forgot-password", `{"email":"gareth@camelot.bt"}`), http.StatusAccepted, `null`)
		time.Sleep(200 * time.Millisecond) // past the mail delay
		token(t, box.wait(1)[0], "/reset-password")
	})
}
