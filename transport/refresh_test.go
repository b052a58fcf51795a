package transport_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-authkit/authkit/transport"
)

func TestBearerLoginWithRefresh(t *testing.T) {
	w := httptest.NewRecorder()
	if err := (transport.Bearer{}).WriteLogin(w, transport.Login{AccessToken: "a.b.c", Lifetime: time.Hour, RefreshToken: "r-1", RefreshLifetime: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got, want := w.Body.String(), `{"access_token":"a.b.c","token_type":"bearer","refresh_token":"r-1","expires_in":3600}`; got != want {
		t.Fatalf("body %s, want %s", got, want)
	}
	if (transport.Bearer{}).RefreshToken(httptest.NewRequest("POST", "/?refresh_token=x", nil)) != "" {
		t.Fatal("a bearer refresh token was read from outside the body")
	}
}

func TestCookieRefresh(t *testing.T) {
	if _, err := transport.NewCookie(transport.CookieConfig{RefreshPath: "auth/refresh"}); err == nil {
		t.Fatal("a relative RefreshPath was accepted")
	}
	plain, _ := transport.NewCookie(transport.CookieConfig{})
	if plain.CarriesRefresh() {
		t.Fatal("a cookie without RefreshPath carries refresh tokens")
	}
	c, err := transport.NewCookie(transport.CookieConfig{HostPrefix: true, RefreshPath: "/auth/cookie/refresh"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := c.WriteLogin(w, transport.Login{AccessToken: "acc", Lifetime: time.Hour, RefreshToken: "ref", RefreshLifetime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	cookies := (&http.Response{Header: w.Header()}).Cookies()
	if len(cookies) != 2 || cookies[0].Name != "__Host-authkit" || cookies[1].Name != "__Secure-authkit_refresh" ||
		cookies[1].Path != "/auth/cookie/refresh" || cookies[1].SameSite != http.SameSiteStrictMode || cookies[1].MaxAge != 3600 {
		t.Fatalf("cookies %v", w.Header().Values("Set-Cookie"))
	}
	r := httptest.NewRequest("POST", "/auth/cookie/refresh", nil)
	r.AddCookie(&http.Cookie{Name: "__Secure-authkit_refresh", Value: "ref"})
	if got := c.RefreshToken(r); got != "ref" {
		t.Fatalf("RefreshToken = %q", got)
	}
	if err := c.WriteLogin(httptest.NewRecorder(), transport.Login{AccessToken: "acc", Lifetime: time.Hour, RefreshToken: "ref"}); err == nil {
		t.Fatal("a refresh cookie without a lifetime was written")
	}
}
