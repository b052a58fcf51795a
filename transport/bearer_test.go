package transport_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/transport"
)

const jwtLike = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl-_"

func TestBearerToken(t *testing.T) {
	long := strings.Repeat("a", 8<<10)
	tests := []struct {
		name    string
		headers []string // Authorization values; nil = none
		url     string
		want    string
	}{
		{"none", nil, "/", ""},
		{"bearer", []string{"Bearer " + jwtLike}, "/", jwtLike},
		{"lowercase scheme", []string{"bearer abc"}, "/", "abc"},
		{"uppercase scheme", []string{"BEARER abc"}, "/", "abc"},
		{"token68 padding", []string{"Bearer ab+/~c=="}, "/", "ab+/~c=="},
		{"longest", []string{"Bearer " + long}, "/", long},
		{"too long", []string{"Bearer " + long + "a"}, "/", ""},
		{"empty token", []string{"Bearer "}, "/", ""},
		{"scheme only", []string{"Bearer"}, "/", ""},
		{"two spaces", []string{"Bearer  abc"}, "/", ""},
		{"extra part", []string{"Bearer abc def"}, "/", ""},
		{"trailing space", []string{"Bearer abc "}, "/", ""},
		{"tab", []string{"Bearer\tabc"}, "/", ""},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, "/", ""},
		{"other scheme", []string{"Token abc"}, "/", ""},
		{"prefix scheme", []string{"Bearerx abc"}, "/", ""},
		{"padding only", []string{"Bearer =="}, "/", ""},
		{"padding inside", []string{"Bearer ab=c"}, "/", ""},
		{"quote", []string{`Bearer "abc"`}, "/", ""},
		{"comma", []string{"Bearer abc,def"}, "/", ""},
		{"non-ascii", []string{"Bearer abcé"}, "/", ""},
		{"two headers", []string{"Bearer abc", "Bearer abc"}, "/", ""},
		{"query string ignored", nil, "/?access_token=abc&token=abc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.url, nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			var b transport.Bearer // the zero value works
			if got := b.Token(r); got != tt.want {
				t.Errorf("Token = %q, want %q", got, tt.want)
			}
			if got := transport.NewBearer().Token(r); got != tt.want {
				t.Errorf("NewBearer().Token = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBearerWriteLogin(t *testing.T) {
	rec := httptest.NewRecorder()
	err := transport.NewBearer().WriteLogin(rec, transport.Login{AccessToken: jwtLike, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", rec.Code)
	}
	want := `{"access_token":"` + jwtLike + `","token_type":"bearer"}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Set-Cookie = %q, want none", got)
	}
}

func TestBearerWriteLoginRefusesBadToken(t *testing.T) {
	for _, tok := range []string{"", "a b", "a\r\nSet-Cookie: x=y"} {
		rec := httptest.NewRecorder()
		if err := (transport.Bearer{}).WriteLogin(rec, transport.Login{AccessToken: tok, Lifetime: time.Hour}); err == nil {
			t.Errorf("WriteLogin(%q) = nil, want an error", tok)
		}
		if rec.Body.Len() != 0 {
			t.Errorf("WriteLogin(%q) wrote %q", tok, rec.Body.String())
		}
	}
}

func TestBearerWriteLogout(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := transport.NewBearer().WriteLogout(rec); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Errorf("got %d %q Content-Type %q, want 204, empty, none", rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"))
	}
}

// TestBearerOverRealServer runs a login and an authenticated request
// through a real server and client.
func TestBearerOverRealServer(t *testing.T) {
	b := transport.NewBearer()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := b.WriteLogin(w, transport.Login{AccessToken: "tok-123", Lifetime: time.Hour}); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(b.Token(r)))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/login", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login status %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/me?access_token=nope", nil)
	req.Header.Set("Authorization", "bearer tok-123")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "tok-123" {
		t.Errorf("server read token %q", body)
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer " + jwtLike, "Bearer ", "Basic x", "Bearer a b", "Bearer ==", "Bearer a==", "", "Bearer \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		tok := transport.Bearer{}.Token(r)
		if tok == "" {
			return
		}
		// Whatever is returned is the exact second word of "Bearer <token>",
		// printable ASCII without spaces, and short.
		if !strings.EqualFold(h[:7], "Bearer ") || h[7:] != tok {
			t.Fatalf("Token(%q) = %q", h, tok)
		}
		if len(tok) > 8<<10 || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' || r == ',' || r == ';' || r == '\\' }) {
			t.Fatalf("Token(%q) = %q: not a token68", h, tok)
		}
		// A token accepted on the way in can be sent back on login.
		if err := (transport.Bearer{}).WriteLogin(httptest.NewRecorder(), transport.Login{AccessToken: tok, Lifetime: time.Hour}); err != nil {
			t.Fatalf("WriteLogin(%q): %v", tok, err)
		}
	})
}
