// Package httpjson writes the JSON responses of authkit's HTTP contract:
// every body is JSON with Content-Type "application/json; charset=utf-8",
// every error body is {"detail": ...}, and 204 carries no body at all.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// ContentType is the Content-Type of every JSON response.
const ContentType = "application/json; charset=utf-8"

// internalError is written when v cannot be encoded, so that a programming
// error never leaks a half-written body or a Go error text.
var internalError = []byte(`{"detail":"Internal Server Error"}`)

// Appender is a value that writes its own JSON, trusted to be valid:
// Write uses it as is, without encoding/json's re-scan of a Marshaler's
// output (store.User, the body of every GET /users/me).
type Appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// Write writes v as JSON (no trailing newline) with the given status. For
// statuses that have no body (204, 304, 1xx) it writes the status alone,
// without a Content-Type. A value that cannot be encoded is a programming
// error: the client gets 500 {"detail":"Internal Server Error"}.
func Write(w http.ResponseWriter, status int, v any) {
	if !bodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	var body []byte
	var err error
	if a, ok := v.(Appender); ok {
		body, err = a.AppendJSON(nil)
	} else {
		body, err = json.Marshal(v)
	}
	if err != nil {
		status, body = http.StatusInternalServerError, internalError
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	w.WriteHeader(status)
	// A failed write means the client went away; there is nobody to tell.
	_, _ = w.Write(body)
}

// Error writes {"detail": detail} with the given status. A 401 also carries
// "WWW-Authenticate: Bearer" (RFC 6750).
func Error(w http.ResponseWriter, status int, detail any) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	Write(w, status, struct {
		Detail any `json:"detail"`
	}{detail})
}

// bodyAllowed mirrors net/http: 1xx, 204 and 304 responses have no body.
func bodyAllowed(status int) bool {
	switch {
	case status >= 100 && status <= 199:
		return false
	case status == http.StatusNoContent, status == http.StatusNotModified:
		return false
	}
	return true
}
