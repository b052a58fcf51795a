package authkit

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

//go:generate go run ./internal/gen/openapi -o openapi.json

// Mounted is a router and the prefix it is mounted at.
type Mounted struct {
	Prefix string
	Router *Router
}

// At pairs r with the prefix it is mounted at, for OpenAPI.
func At(prefix string, r *Router) Mounted { return Mounted{Prefix: prefix, Router: r} }

// OpenAPI returns the OpenAPI 3.1 document (see openapi.Document) of the
// routes of mounts, each path being the router's prefix followed by the
// route's path (a route at "/" is documented at the prefix itself, which
// the router serves too). authkit's tags, "auth" and "users", are described unless
// info describes them. It returns an error for routes that cannot be
// documented: a missing operation ID, summary or response, two routes on
// one method and path, or two different schemas or security schemes under
// one name.
func OpenAPI(info openapi.Info, mounts ...Mounted) ([]byte, error) {
	var ops []openapi.Operation
	for _, m := range mounts {
		prefix := strings.TrimSuffix(m.Prefix, "/")
		if prefix != "" && !strings.HasPrefix(prefix, "/") {
			return nil, fmt.Errorf("authkit: openapi: prefix %q does not start with /", m.Prefix)
		}
		if m.Router == nil {
			return nil, fmt.Errorf("authkit: openapi: no router at %q", m.Prefix)
		}
		for _, rt := range m.Router.routes {
			if !strings.HasPrefix(rt.Path, "/") {
				return nil, fmt.Errorf("authkit: openapi: %s %s: the path does not start with /", rt.Method, rt.Path)
			}
			path := prefix + rt.Path
			if rt.Path == "/" && prefix != "" {
				path = prefix // a trailing slash is a lint error, and the router serves both
			}
			ops = append(ops, openapi.Operation{
				Method: rt.Method, Path: path,
				OperationID: rt.OperationID, Summary: rt.Summary, Description: rt.Description, Tags: rt.Tags,
				Params: rt.Params, Request: rt.Request, Responses: rt.Responses, Security: rt.Security,
			})
		}
	}
	tags := map[string]string{
		"auth":  "Register, log in and out, reset a forgotten password, verify an email.",
		"users": "The current user; any user, for superusers.",
		"keys":  "For services that verify the access tokens: the public keys, the issuer's metadata, introspection.",
	}
	maps.Copy(tags, info.Tags)
	info.Tags = tags
	doc, err := openapi.Document(info, ops...)
	if err != nil {
		return nil, fmt.Errorf("authkit: %w", err)
	}
	return doc, nil
}

// OpenAPIHandler serves the document OpenAPI makes of mounts, made once,
// here: GET (and HEAD) answer it as JSON, other methods 405. Mount it
// where the API should publish it, say at GET /openapi.json; nothing
// publishes the document unless the application does.
func OpenAPIHandler(info openapi.Info, mounts ...Mounted) (http.Handler, error) {
	doc, err := OpenAPI(info, mounts...)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			httpjson.Error(w, http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed))
			return
		}
		w.Header().Set("Content-Type", httpjson.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(doc) // a failed write means the client went away
		}
	}), nil
}

// The route table's documentation: the schemas, responses and security
// of the contract (docs/contract.md), built fresh for each router.

const (
	mediaJSON      = "application/json"
	mediaForm      = "application/x-www-form-urlencoded"
	mediaMultipart = "multipart/form-data"
)

func jsonBody(s *openapi.Schema) *openapi.Body {
	return &openapi.Body{ContentTypes: []string{mediaJSON}, Schema: s}
}

func str(format, description string) *openapi.Schema {
	return &openapi.Schema{Type: "string", Format: format, Description: description}
}

func boolean(description string) *openapi.Schema {
	return &openapi.Schema{Type: "boolean", Description: description}
}

func object(name, description string, props map[string]*openapi.Schema, required ...string) *openapi.Schema {
	return &openapi.Schema{Name: name, Type: "object", Description: description, Properties: props, Required: required}
}

// fieldSchemas adds the application's own fields (Config.UserFields) to
// an object schema's properties: the privileged ones only when asked, and
// as required those that are when required is true. null, when not empty,
// says what a JSON null does to a field (a request body); "" for a
// response, which never has null.
func fieldSchemas(s *openapi.Schema, fs []UserField, privileged, required bool, null string) *openapi.Schema {
	types := map[FieldType]string{FieldString: "string", FieldBool: "boolean", FieldInt: "integer"}
	for _, f := range fs {
		if f.Privileged && !privileged {
			continue
		}
		p := &openapi.Schema{Type: types[f.Type], Description: "The application's own field.", Nullable: null != ""}
		if null != "" {
			p.Description += " " + null
		}
		if f.Type == FieldString {
			p.MaxLength = cmp.Or(f.MaxLength, 256)
		}
		s.Properties[f.Name] = p
		if required && f.Required {
			s.Required = append(s.Required, f.Name)
		}
	}
	return s
}

func userSchema(fs []UserField) *openapi.Schema {
	return fieldSchemas(userSchemaBase(), fs, true, false, "")
}

func userSchemaBase() *openapi.Schema {
	return object("User", "A user; the application may add fields of its own.", map[string]*openapi.Schema{
		"id":           str("uuid", "Lowercase and hyphenated."),
		"email":        str("email", ""),
		"is_active":    boolean("Inactive users cannot log in."),
		"is_superuser": boolean(""),
		"is_verified":  boolean("Whether the user proved the email is theirs."),
	}, "id", "email", "is_active", "is_superuser", "is_verified")
}

func userCreateSchema(fs []UserField) *openapi.Schema {
	return fieldSchemas(object("UserCreate", "A new user. is_active, is_superuser, is_verified and id are ignored.", map[string]*openapi.Schema{
		"email":    str("email", "Compared case-insensitively with the existing users'."),
		"password": str("password", "Judged by the password policy."),
	}, "email", "password"), fs, false, true, "null counts as absent.")
}

// userUpdateSchema is the body of PATCH /users/me, or with privileged the
// superuser's PATCH /users/{id}.
func userUpdateSchema(privileged bool, fs []UserField) *openapi.Schema {
	return fieldSchemas(userUpdateSchemaBase(privileged), fs, privileged, false, "null removes it.")
}

func userUpdateSchemaBase(privileged bool) *openapi.Schema {
	props := map[string]*openapi.Schema{
		"email":            str("email", "Changing it makes the user unverified."),
		"password":         str("password", "Judged by the password policy; ends the user's other sessions."),
		"current_password": str("password", "Needed to change email or password unless the application turned that off."),
	}
	if !privileged {
		return object("UserUpdate", "A partial update: absent fields are left alone; is_active, is_superuser and is_verified are ignored.", props)
	}
	// null counts as absent for these, as FastAPI Users' Optional[bool].
	props["is_active"] = &openapi.Schema{Type: "boolean", Nullable: true, Description: "Deactivating a user ends their sessions; null leaves it alone."}
	props["is_superuser"] = &openapi.Schema{Type: "boolean", Nullable: true, Description: "null leaves it alone."}
	props["is_verified"] = &openapi.Schema{Type: "boolean", Nullable: true, Description: "null leaves it alone."}
	return object("UserAdminUpdate", "A partial update by a superuser: absent fields are left alone.", props)
}

// userIDParam is the {id} of the superuser's routes. It is a string, not
// format uuid: a malformed id is answered 404, as an unknown one (FastAPI
// Users does the same), where a proxy validating against format uuid
// would answer 422.
func userIDParam() openapi.Param {
	return openapi.Param{Name: "id", In: "path", Schema: &openapi.Schema{Type: "string"},
		Description: "The user's id, a UUID; any other value is answered 404, as an unknown id is."}
}

func refreshSchema() *openapi.Schema {
	return object("RefreshRequest", "A refresh token to exchange.", map[string]*openapi.Schema{
		"refresh_token": str("", "The refresh token of the last login or refresh; each is good once."),
	}, "refresh_token")
}

func loginFormSchema() *openapi.Schema {
	return object("OAuth2PasswordRequestForm", "The OAuth2 password grant (RFC 6749 §4.3).", map[string]*openapi.Schema{
		"username":      str("email", "The user's email."),
		"password":      str("password", ""),
		"grant_type":    {Type: "string", Pattern: "^password$", Description: "password, when given."},
		"scope":         str("", "Ignored."),
		"client_id":     str("", "Ignored."),
		"client_secret": str("password", "Ignored."),
	}, "username", "password")
}

func emailRequestSchema() *openapi.Schema {
	return object("EmailRequest", "", map[string]*openapi.Schema{"email": str("email", "")}, "email")
}

func resetPasswordSchema() *openapi.Schema {
	return object("ResetPasswordRequest", "", map[string]*openapi.Schema{
		"token":    str("", "The token of the reset mail."),
		"password": str("password", "Judged by the password policy."),
	}, "token", "password")
}

func verifySchema() *openapi.Schema {
	return object("VerifyRequest", "", map[string]*openapi.Schema{"token": str("", "The token of the verify mail.")}, "token")
}

func bearerResponseSchema() *openapi.Schema {
	return object("BearerResponse", "An OAuth2 token response (RFC 6749 §5.1).", map[string]*openapi.Schema{
		"access_token":  str("", "Send it as Authorization: Bearer <token>."),
		"token_type":    {Type: "string", Const: "bearer"},
		"refresh_token": str("", "When the backend issues refresh tokens: exchange it at the backend's /refresh."),
		"expires_in":    {Type: "integer", Description: "Seconds the access token lives; with refresh_token."},
	}, "access_token", "token_type")
}

func jsonResponse(status int, description string, s *openapi.Schema) openapi.Response {
	return openapi.Response{Status: status, Description: description, Schema: s}
}

// nullResponse is the contract's body null, for answers that must not
// tell whether the account exists.
func nullResponse(status int, description string) openapi.Response {
	return openapi.Response{Status: status, Description: description, Schema: &openapi.Schema{Type: "null"}}
}

func errorResponse(status int, description string, codes ...string) openapi.Response {
	if len(codes) == 0 {
		codes = []string{http.StatusText(status)}
	}
	return openapi.Response{Status: status, Description: description, Schema: openapi.ErrorModel(), Codes: codes}
}

// badRequest is the 400 of codes, and of reasonCodes (password-policy
// failures, {"code", "reason"}).
func badRequest(codes []string, reasonCodes ...string) openapi.Response {
	r := errorResponse(http.StatusBadRequest, "Refused; detail says why.", codes...)
	r.ReasonCodes = reasonCodes
	return r
}

func retryAfter(description string) []openapi.Header {
	return []openapi.Header{{Name: "Retry-After", Description: description, Schema: &openapi.Schema{Type: "integer"}}}
}

func unprocessable() openapi.Response {
	return openapi.Response{Name: "UnprocessableContent", Status: http.StatusUnprocessableEntity, Description: "A field is missing or malformed, or the body is not what the route takes.", Schema: openapi.ValidationErrorModel()}
}

func tooLarge() openapi.Response {
	r := errorResponse(http.StatusRequestEntityTooLarge, "The body is over the limit (64 KiB by default).")
	r.Name = "ContentTooLarge"
	return r
}

func conflict() openapi.Response {
	r := errorResponse(http.StatusConflict, "The user changed while the update was under way; nothing was written. Read the user again and retry.", "UPDATE_USER_CONFLICT")
	r.Name = "Conflict"
	return r
}

func throttled() openapi.Response {
	r := errorResponse(http.StatusTooManyRequests, "Too many attempts; try again after Retry-After seconds.", "TOO_MANY_REQUESTS")
	r.Name = "TooManyRequests"
	r.Headers = retryAfter("Seconds until the block lifts.")
	return r
}

func unavailable() openapi.Response {
	r := errorResponse(http.StatusServiceUnavailable, "A fault on the server's side (database down, every hashing slot taken); try again later.")
	r.Name = "ServiceUnavailable"
	r.Headers = retryAfter("Seconds to wait before trying again.")
	return r
}

func unauthorized() openapi.Response {
	r := errorResponse(http.StatusUnauthorized, "No valid token, or an inactive user.")
	r.Name = "Unauthorized"
	r.Headers = []openapi.Header{{Name: "WWW-Authenticate", Description: "Bearer (RFC 6750)."}}
	return r
}

func forbidden(description string) openapi.Response {
	return errorResponse(http.StatusForbidden, description)
}

func notFound() openapi.Response {
	r := errorResponse(http.StatusNotFound, "No such user (a malformed id included).")
	r.Name = "NotFound"
	return r
}

// describe is how b's transport answers login and logout and carries the
// token.
func describe(b *AuthenticationBackend) openapi.TransportDoc {
	switch t := b.Transport.(type) {
	case openapi.DocumentedTransport:
		return t.OpenAPI()
	case transport.Bearer, *transport.Bearer:
		format := ""
		if _, ok := b.Strategy.(*strategy.JWT); ok {
			format = "JWT"
		}
		return openapi.TransportDoc{
			Login:  jsonResponse(http.StatusOK, "Logged in: send the token as Authorization: Bearer <token>.", bearerResponseSchema()),
			Logout: openapi.Response{Status: http.StatusNoContent, Description: "Logged out: the token no longer works."},
			Scheme: openapi.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: format,
				Description: "The access token that backend " + b.Name + "'s login answers."},
		}
	case *transport.Cookie:
		return openapi.TransportDoc{
			Login: openapi.Response{Status: http.StatusNoContent, Description: "Logged in: the token is in the cookie.",
				Headers: []openapi.Header{{Name: "Set-Cookie", Description: "The HttpOnly cookie " + t.Name() + " holding the token."}}},
			Logout: openapi.Response{Status: http.StatusNoContent, Description: "Logged out: the token no longer works and the cookie is expired.",
				Headers: []openapi.Header{{Name: "Set-Cookie", Description: "The cookie " + t.Name() + ", emptied, with Max-Age=0."}}},
			Scheme: openapi.SecurityScheme{Type: "apiKey", In: "cookie", Name: t.Name(),
				Description: "The cookie that backend " + b.Name + "'s login sets."},
		}
	}
	return openapi.TransportDoc{
		Login:  openapi.Response{Status: http.StatusOK, Description: fmt.Sprintf("Logged in, as transport %T answers.", b.Transport)},
		Logout: openapi.Response{Status: http.StatusNoContent, Description: "Logged out."},
		Scheme: openapi.SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization",
			Description: fmt.Sprintf("Transport %T does not describe itself (see openapi.DocumentedTransport).", b.Transport)},
	}
}

// OpenAPISecurity is the security of a route behind the kit's CurrentUser
// middleware (a token of any of its backends), for documenting the
// application's own routes alongside authkit's.
func (k *AuthKit) OpenAPISecurity() []openapi.Security { return security(k.backends) }

// security is the security of a route that takes a token of any of backends.
func security(backends []*AuthenticationBackend) []openapi.Security {
	var out []openapi.Security
	for _, b := range backends {
		out = append(out, openapi.Security{Name: b.Name, Scheme: describe(b).Scheme})
	}
	return out
}

// crossSite is the 403 of a transport whose credentials browsers send on
// their own (cookies): unsafe requests from another site are refused.
const crossSite = "a cross-site request carrying the cookie (CSRF protection)"

// refusesCrossSite reports whether b refuses cross-site unsafe requests.
func refusesCrossSite(b *AuthenticationBackend) bool {
	_, ok := b.Transport.(transport.OriginChecker)
	return ok
}

// userResponses are rs, the answers of a /users route, with those of its
// authentication: 401; 403 for a user who is not a superuser (superuser
// routes), is unverified (when the application requires verification) or
// comes cross-site with a cookie (unsafe methods); 404 for an unknown id
// (superuser routes); and 503.
func (k *AuthKit) userResponses(method string, superuser bool, rs ...openapi.Response) []openapi.Response {
	var why []string
	if superuser {
		why = append(why, "a user who is not a superuser")
	}
	if k.cfg.RequireVerification {
		why = append(why, "an unverified user (the application requires verification)")
	}
	if method != http.MethodGet && slices.ContainsFunc(k.backends, refusesCrossSite) {
		why = append(why, crossSite)
	}
	out := append(slices.Clone(rs), unauthorized())
	if len(why) > 0 {
		out = append(out, forbidden("Refused: "+strings.Join(why, "; or ")+"."))
	}
	if superuser {
		out = append(out, notFound())
	}
	return append(out, unavailable())
}
