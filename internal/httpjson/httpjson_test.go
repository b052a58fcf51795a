package httpjson_test

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-authkit/authkit/internal/httpjson"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		v        any
		wantBody string
		wantCT   string
	}{
		{"object", 200, map[string]any{"a": 1}, `{"a":1}`, httpjson.ContentType},
		{"null", 202, nil, `null`, httpjson.ContentType},
		{"no content", 204, map[string]any{"ignored": true}, ``, ""},
		{"not modified", 304, "x", ``, ""},
		{"unencodable", 200, math.Inf(1), `{"detail":"Internal Server Error"}`, httpjson.ContentType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			httpjson.Write(rec, tt.status, tt.v)
			wantStatus := tt.status
			if tt.name == "unencodable" {
				wantStatus = 500
			}
			if rec.Code != wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantCT {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantCT)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
		})
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		status   int
		detail   any
		wantBody string
		wantWWW  string
	}{
		{401, "Unauthorized", `{"detail":"Unauthorized"}`, "Bearer"},
		{400, "LOGIN_BAD_CREDENTIALS", `{"detail":"LOGIN_BAD_CREDENTIALS"}`, ""},
		{403, "Forbidden", `{"detail":"Forbidden"}`, ""},
		{400, map[string]string{"code": "REGISTER_INVALID_PASSWORD", "reason": "too short"},
			`{"detail":{"code":"REGISTER_INVALID_PASSWORD","reason":"too short"}}`, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		httpjson.Error(rec, tt.status, tt.detail)
		if rec.Code != tt.status {
			t.Errorf("status = %d, want %d", rec.Code, tt.status)
		}
		if got := rec.Header().Get("Content-Type"); got != httpjson.ContentType {
			t.Errorf("Content-Type = %q", got)
		}
		if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantWWW {
			t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantWWW)
		}
		if got := rec.Body.String(); got != tt.wantBody {
			t.Errorf("body = %q, want %q", got, tt.wantBody)
		}
	}
}

// TestOverRealServer checks what a client really receives: no trailing
// newline, a Content-Length, and no Content-Type on 204.
func TestOverRealServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/empty" {
			httpjson.Write(w, http.StatusNoContent, nil)
			return
		}
		httpjson.Error(w, http.StatusUnauthorized, "Unauthorized")
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/empty")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Content-Type") != "" {
		t.Errorf("204: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	resp, err = http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("401: status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp.ContentLength != int64(len(`{"detail":"Unauthorized"}`)) {
		t.Errorf("Content-Length = %d", resp.ContentLength)
	}
}

// appender writes its own JSON, or fails.
type appender struct{ fail bool }

func (a appender) AppendJSON(b []byte) ([]byte, error) {
	if a.fail {
		return nil, errors.New("no")
	}
	return append(b, `{"own":true}`...), nil
}

func TestWriteAppender(t *testing.T) {
	rec := httptest.NewRecorder()
	httpjson.Write(rec, http.StatusOK, appender{})
	if rec.Code != http.StatusOK || rec.Body.String() != `{"own":true}` || rec.Header().Get("Content-Type") != httpjson.ContentType {
		t.Errorf("got %d %q", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	httpjson.Write(rec, http.StatusOK, appender{fail: true})
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != `{"detail":"Internal Server Error"}` {
		t.Errorf("failing appender: %d %q", rec.Code, rec.Body)
	}
}
