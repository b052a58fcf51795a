package transport

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-authkit/authkit/internal/httpjson"
)

// Bearer carries the token in the Authorization header (RFC 6750):
// login answers 200 {"access_token": "...", "token_type": "bearer"} and the
// client sends "Authorization: Bearer <token>" from then on. The zero value
// is ready to use.
type Bearer struct{}

var _ Transport = Bearer{}

// NewBearer returns a Bearer transport.
func NewBearer() *Bearer { return &Bearer{} }

// Token returns the token of "Authorization: Bearer <token>". The scheme is
// matched case-insensitively; any other scheme, an empty or malformed token,
// extra words, or several Authorization headers yield "". The query string
// is never read: tokens in URLs end up in logs and Referer headers.
func (Bearer) Token(r *http.Request) string {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return ""
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !validToken(tok) {
		return ""
	}
	return tok
}

// CarriesRefresh implements RefreshCarrier: always, since the login body
// carries the refresh token beside the access token.
func (Bearer) CarriesRefresh() bool { return true }

// RefreshToken implements RefreshCarrier: a bearer client sends its refresh
// token in the body, never in a header or the URL.
func (Bearer) RefreshToken(*http.Request) string { return "" }

// loginBody is the OAuth2 token response FastAPI Users sends.
type loginBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
}

// WriteLogin writes 200 {"access_token": l.AccessToken, "token_type": "bearer"}
// (with "refresh_token" and "expires_in" when l has a refresh token),
// not cacheable (RFC 6749 §5.1).
func (Bearer) WriteLogin(w http.ResponseWriter, l Login) error {
	if !validToken(l.AccessToken) {
		return errors.New("transport: bearer: access token is not a token68")
	}
	w.Header().Set("Cache-Control", "no-store")
	body := loginBody{AccessToken: l.AccessToken, TokenType: "bearer"}
	if l.RefreshToken != "" {
		// OAuth2's token response (RFC 6749 §5.1) with a refresh token.
		body.RefreshToken, body.ExpiresIn = l.RefreshToken, int64(l.Lifetime.Seconds())
	}
	httpjson.Write(w, http.StatusOK, body)
	return nil
}

// WriteLogout writes 204: the client forgets the token itself.
func (Bearer) WriteLogout(w http.ResponseWriter) error {
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}
