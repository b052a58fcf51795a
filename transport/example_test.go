package transport_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-authkit/authkit/transport"
)

func ExampleBearer() {
	var b transport.Bearer

	rec := httptest.NewRecorder()
	_ = b.WriteLogin(rec, transport.Login{AccessToken: "abc123", Lifetime: time.Hour})
	fmt.Println(rec.Code, rec.Body.String())

	r := httptest.NewRequest(http.MethodGet, "/users/me", nil)
	r.Header.Set("Authorization", "Bearer abc123")
	fmt.Println(b.Token(r))
	// Output:
	// 200 {"access_token":"abc123","token_type":"bearer"}
	// abc123
}

func ExampleNewCookie() {
	c, err := transport.NewCookie(transport.CookieConfig{HostPrefix: true})
	if err != nil {
		fmt.Println(err)
		return
	}

	rec := httptest.NewRecorder()
	_ = c.WriteLogin(rec, transport.Login{AccessToken: "abc123", Lifetime: time.Hour})
	fmt.Println(rec.Code, rec.Header().Get("Set-Cookie"))

	rec = httptest.NewRecorder()
	_ = c.WriteLogout(rec)
	fmt.Println(rec.Code, rec.Header().Get("Set-Cookie"))

	// A cross-site form posting to a cookie-authenticated route is refused.
	r := httptest.NewRequest(http.MethodPost, "https://api.example.com/auth/cookie/logout", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	fmt.Println(c.CheckOrigin(r) != nil)
	// Output:
	// 204 __Host-authkit=abc123; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax
	// 204 __Host-authkit=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax
	// true
}
