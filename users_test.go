package authkit_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-authkit/authkit"
)

func TestUsersMe(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		u := e.register("tristan@camelot.bt", goodPassword)
		e.register("isolde@camelot.bt", goodPassword)
		c := e.login("jwt", "tristan@camelot.bt", goodPassword)
		id := u["id"].(string)
		user := func(email string, verified bool) string {
			v := "false"
			if verified {
				v = "true"
			}
			return `{"id":"` + id + `","email":"` + email + `","is_active":true,"is_superuser":false,"is_verified":` + v + `}`
		}

		expect(t, e.get("/users/me"), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		expect(t, e.get("/users/me", c), http.StatusOK, user("tristan@camelot.bt", false))

		t.Run("privileged fields ignored", func(t *testing.T) {
			expect(t, e.patchJSON("/users/me", `{"is_superuser":true,"is_active":false,"is_verified":true}`, c),
				http.StatusOK, user("tristan@camelot.bt", false))
		})
		t.Run("email change needs the current password", func(t *testing.T) {
			expect(t, e.patchJSON("/users/me", `{"email":"sir.tristan@camelot.bt"}`, c),
				http.StatusBadRequest, `{"detail":"UPDATE_USER_BAD_CURRENT_PASSWORD"}`)
			expect(t, e.patchJSON("/users/me", `{"email":"sir.tristan@camelot.bt","current_password":"wrong-one-x"}`, c),
				http.StatusBadRequest, `{"detail":"UPDATE_USER_BAD_CURRENT_PASSWORD"}`)
		})
		t.Run("email taken", func(t *testing.T) {
			expect(t, e.patchJSON("/users/me", `{"email":"ISOLDE@camelot.bt","current_password":"`+goodPassword+`"}`, c),
				http.StatusBadRequest, `{"detail":"UPDATE_USER_EMAIL_ALREADY_EXISTS"}`)
		})
		t.Run("bad email", func(t *testing.T) {
			expect(t, e.patchJSON("/users/me", `{"email":"nope","current_password":"`+goodPassword+`"}`, c),
				http.StatusUnprocessableEntity, `{"detail":[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign."}]}`)
			expect(t, e.patchJSON("/users/me", `{"email":true}`, c),
				http.StatusUnprocessableEntity, `{"detail":[{"type":"string_type","loc":["body","email"],"msg":"Input should be a valid string"}]}`)
		})
		t.Run("change only the case of one's own email; stays verified", func(t *testing.T) {
			ctx := context.Background()
			su, _ := e.store.UserByEmail(ctx, "tristan@camelot.bt")
			su.IsVerified = true
			e.store.UpdateUser(ctx, su)
			expect(t, e.patchJSON("/users/me", `{"email":"Tristan@camelot.bt","current_password":"`+goodPassword+`"}`, c),
				http.StatusOK, user("Tristan@camelot.bt", true))
		})
		t.Run("a new email unverifies", func(t *testing.T) {
			expect(t, e.patchJSON("/users/me", `{"email":"sir.tristan@camelot.bt","current_password":"`+goodPassword+`"}`, c),
				http.StatusOK, user("sir.tristan@camelot.bt", false))
		})
		t.Run("invalid new password", func(t *testing.T) {
			expect(t, e.patchJSON("/users/me", `{"password":"short","current_password":"`+goodPassword+`"}`, c),
				http.StatusBadRequest, `{"detail":{"code":"UPDATE_USER_INVALID_PASSWORD","reason":"Password should be at least 8 characters."}}`)
			expect(t, e.patchJSON("/users/me", `{"password":"sir.tristan","current_password":"`+goodPassword+`"}`, c),
				http.StatusBadRequest, `{"detail":{"code":"UPDATE_USER_INVALID_PASSWORD","reason":"Password should not contain e-mail."}}`)
		})
		t.Run("empty patch", func(t *testing.T) {
			expect(t, e.patchJSON("/users/me", `{}`, c), http.StatusOK, user("sir.tristan@camelot.bt", false))
		})
	})
}

// A password change keeps the session it was made from and ends the others,
// in every backend.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		for _, via := range backendNames {
			t.Run("via "+via, func(t *testing.T) {
				email := via + "@camelot.bt"
				e.register(email, goodPassword)
				sessions := map[string]cred{}
				for _, b := range backendNames {
					sessions[b] = e.login(b, email, goodPassword)
				}
				current := e.login(via, email, goodPassword)
				const newPassword = "emerald-lantern-falls"
				r := e.patchJSON("/users/me", `{"password":"`+newPassword+`","current_password":"`+goodPassword+`"}`, current)
				if r.status != http.StatusOK {
					t.Fatalf("%d %s", r.status, r.body)
				}
				if r := e.get("/users/me", current); r.status != http.StatusOK {
					t.Fatalf("current session ended: %d %s", r.status, r.body)
				}
				for b, c := range sessions {
					expect(t, e.get("/users/me", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
					_ = b
				}
				expect(t, e.loginForm("jwt", email, goodPassword), http.StatusBadRequest, `{"detail":"LOGIN_BAD_CREDENTIALS"}`)
				// A login right after the change (within the same second) works.
				for _, b := range backendNames {
					if r := e.get("/users/me", e.login(b, email, newPassword)); r.status != http.StatusOK {
						t.Fatalf("fresh login %s: %d %s", b, r.status, r.body)
					}
				}
			})
		}
	})
}

func TestNoCurrentPasswordOption(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open(func(c *authkit.Config) { c.NoCurrentPassword = true })
		e.register("dagonet@camelot.bt", goodPassword)
		c := e.login("jwt", "dagonet@camelot.bt", goodPassword)
		r := e.patchJSON("/users/me", `{"email":"fool@camelot.bt","password":"emerald-lantern-falls"}`, c)
		if r.status != http.StatusOK || decode(t, r.body)["email"] != "fool@camelot.bt" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		e.login("jwt", "fool@camelot.bt", "emerald-lantern-falls")
	})
}

func TestUsersByID(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		e := open()
		target := e.register("lamorak@camelot.bt", goodPassword)
		e.register("arthur@camelot.bt", goodPassword)
		e.makeSuperuser("arthur@camelot.bt")
		admin := e.login("jwt", "arthur@camelot.bt", goodPassword)
		plain := e.login("jwt", "lamorak@camelot.bt", goodPassword)
		id := target["id"].(string)
		path := "/users/" + id

		t.Run("401 without a user", func(t *testing.T) {
			expect(t, e.get(path), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
		})
		t.Run("403 before the id is looked up", func(t *testing.T) {
			expect(t, e.get(path, plain), http.StatusForbidden, `{"detail":"Forbidden"}`)
			expect(t, e.get("/users/not-a-uuid", plain), http.StatusForbidden, `{"detail":"Forbidden"}`)
			expect(t, e.patchJSON(path, `{"is_superuser":true}`, plain), http.StatusForbidden, `{"detail":"Forbidden"}`)
			expect(t, e.do(http.MethodDelete, path, "", "", plain), http.StatusForbidden, `{"detail":"Forbidden"}`)
		})
		t.Run("404", func(t *testing.T) {
			expect(t, e.get("/users/not-a-uuid", admin), http.StatusNotFound, `{"detail":"Not Found"}`)
			expect(t, e.get("/users/00000000-0000-0000-0000-000000000000", admin), http.StatusNotFound, `{"detail":"Not Found"}`)
			expect(t, e.patchJSON("/users/00000000-0000-0000-0000-000000000000", `{}`, admin), http.StatusNotFound, `{"detail":"Not Found"}`)
		})
		t.Run("get", func(t *testing.T) {
			expect(t, e.get(path, admin), http.StatusOK,
				`{"id":"`+id+`","email":"lamorak@camelot.bt","is_active":true,"is_superuser":false,"is_verified":false}`)
		})
		t.Run("patch sets every field", func(t *testing.T) {
			expect(t, e.patchJSON(path, `{"is_verified":true,"is_superuser":true}`, admin), http.StatusOK,
				`{"id":"`+id+`","email":"lamorak@camelot.bt","is_active":true,"is_superuser":true,"is_verified":true}`)
			expect(t, e.patchJSON(path, `{"is_superuser":false}`, admin), http.StatusOK,
				`{"id":"`+id+`","email":"lamorak@camelot.bt","is_active":true,"is_superuser":false,"is_verified":true}`)
			expect(t, e.patchJSON(path, `{"is_verified":"yes"}`, admin), http.StatusUnprocessableEntity,
				`{"detail":[{"type":"bool_type","loc":["body","is_verified"],"msg":"Input should be a valid boolean"}]}`)
			expect(t, e.patchJSON(path, `{"email":"ARTHUR@camelot.bt"}`, admin), http.StatusBadRequest,
				`{"detail":"UPDATE_USER_EMAIL_ALREADY_EXISTS"}`)
			expect(t, e.patchJSON(path, `{"password":"12345678"}`, admin), http.StatusBadRequest,
				`{"detail":{"code":"UPDATE_USER_INVALID_PASSWORD","reason":"Password is too common."}}`)
		})
		t.Run("a superuser's password change ends all the target's sessions", func(t *testing.T) {
			c := e.login("cookie", "lamorak@camelot.bt", goodPassword)
			if r := e.patchJSON(path, `{"password":"emerald-lantern-falls"}`, admin); r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			expect(t, e.get("/users/me", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			expect(t, e.get("/users/me", plain), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			if r := e.get("/users/me", admin); r.status != http.StatusOK {
				t.Fatalf("admin session: %d", r.status)
			}
		})
		t.Run("deactivation ends every session", func(t *testing.T) {
			sessions := []cred{}
			for _, b := range backendNames {
				sessions = append(sessions, e.login(b, "lamorak@camelot.bt", "emerald-lantern-falls"))
			}
			expect(t, e.patchJSON(path, `{"is_active":false}`, admin), http.StatusOK,
				`{"id":"`+id+`","email":"lamorak@camelot.bt","is_active":false,"is_superuser":false,"is_verified":true}`)
			for _, c := range sessions {
				expect(t, e.get("/users/me", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			}
			// Reactivated, the old tokens stay dead.
			e.patchJSON(path, `{"is_active":true}`, admin)
			for _, c := range sessions {
				expect(t, e.get("/users/me", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			}
		})
		t.Run("delete", func(t *testing.T) {
			sessions := []cred{}
			for _, b := range backendNames {
				sessions = append(sessions, e.login(b, "lamorak@camelot.bt", "emerald-lantern-falls"))
			}
			expect(t, e.do(http.MethodDelete, path, "", "", admin), http.StatusNoContent, "")
			for _, c := range sessions {
				expect(t, e.get("/users/me", c), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			}
			expect(t, e.get(path, admin), http.StatusNotFound, `{"detail":"Not Found"}`)
			expect(t, e.do(http.MethodDelete, path, "", "", admin), http.StatusNotFound, `{"detail":"Not Found"}`)
			// The email is free again.
			e.register("lamorak@camelot.bt", goodPassword)
		})
		t.Run("DELETE /users/me is the {id} route", func(t *testing.T) {
			expect(t, e.do(http.MethodDelete, "/users/me", "", "", plain), http.StatusUnauthorized, `{"detail":"Unauthorized"}`)
			expect(t, e.do(http.MethodDelete, "/users/me", "", "", admin), http.StatusNotFound, `{"detail":"Not Found"}`)
		})
	})
}
