package authkit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
)

//go:generate go run ./internal/gen/openapi -o openapi.json

// OpenAPIVersion is the version of the OpenAPI Specification that OpenAPI
// writes.
const OpenAPIVersion = "3.1.0"

// Schema is a JSON Schema (the 2020-12 dialect of OpenAPI 3.1), cut down
// to what authkit's routes need.
type Schema struct {
	// Name makes the schema a component: the document defines it once,
	// under components/schemas, and refers to it everywhere else. Two
	// different schemas with one name are an error.
	Name        string
	Type        string // "object", "string", "boolean", "integer", "array", "null"; empty for AnyOf
	Format      string // "email", "uuid", "password", ...
	Description string
	Pattern     string
	Const       any // nil: none
	Properties  map[string]*Schema
	Required    []string
	Items       *Schema
	AnyOf       []*Schema
}

// Body is a request body: one schema under each of its media types.
type Body struct {
	ContentTypes []string // "application/json", or the two form types
	Schema       *Schema
}

// Header is a response header worth documenting.
type Header struct {
	Name        string
	Description string
	Schema      *Schema
}

// Param is a request parameter. A {name} segment of a route's path that
// has no Param is documented as a string.
type Param struct {
	Name        string
	In          string // "path", "query", "header" or "cookie"
	Description string
	Schema      *Schema
}

// Response is one answer a route may give.
type Response struct {
	// Name makes the response a component, defined once under
	// components/responses, as Schema.Name does for schemas.
	Name        string
	Status      int
	Description string
	// Schema is the JSON body; nil for none (204).
	Schema  *Schema
	Headers []Header
	// Codes are the strings an error's detail may be ("LOGIN_BAD_CREDENTIALS",
	// "Unauthorized"), and ReasonCodes the codes that come as
	// {"code": ..., "reason": ...} (password-policy failures). Each becomes
	// a named example of the body.
	Codes       []string
	ReasonCodes []string
}

// SecurityScheme is how a client proves who it is: an OpenAPI security
// scheme object.
type SecurityScheme struct {
	Type         string `json:"type"` // "http" or "apiKey"
	Description  string `json:"description,omitempty"`
	Scheme       string `json:"scheme,omitempty"`       // http: "bearer"
	BearerFormat string `json:"bearerFormat,omitempty"` // http bearer: "JWT"
	In           string `json:"in,omitempty"`           // apiKey: "cookie" or "header"
	Name         string `json:"name,omitempty"`         // apiKey: the cookie or header name
}

// Security names a scheme a route accepts; the document defines it under
// components/securitySchemes with that name. authkit names them after the
// backends.
type Security struct {
	Name   string
	Scheme SecurityScheme
}

// TransportDoc describes a transport for the OpenAPI document.
type TransportDoc struct {
	// Login and Logout are the successful answers.
	Login, Logout Response
	// Scheme is how requests carry the token.
	Scheme SecurityScheme
}

// DocumentedTransport is implemented by an application's own transports to
// describe themselves in the OpenAPI document; authkit knows its own.
type DocumentedTransport interface {
	OpenAPI() TransportDoc
}

// Info heads an OpenAPI document: its info object, servers and tags.
type Info struct {
	Title       string   `json:"title"`
	Version     string   `json:"version"`
	Description string   `json:"description,omitempty"`
	License     *License `json:"license,omitempty"`
	// Servers are the base URLs of the API; none means "/", the origin
	// that serves the document.
	Servers []string `json:"-"`
	// Tags describes the tags of the routes; authkit's own, "auth" and
	// "users", are described unless given here.
	Tags map[string]string `json:"-"`
}

// License is the API's licence: a name, and an SPDX identifier or a URL.
type License struct {
	Name       string `json:"name"`
	Identifier string `json:"identifier,omitempty"`
	URL        string `json:"url,omitempty"`
}

// Mounted is a router and the prefix it is mounted at.
type Mounted struct {
	Prefix string
	Router *Router
}

// At pairs r with the prefix it is mounted at, for OpenAPI.
func At(prefix string, r *Router) Mounted { return Mounted{Prefix: prefix, Router: r} }

// OpenAPI returns the OpenAPI 3.1 document of the routes of mounts, each
// path being the router's prefix followed by the route's path: indented
// JSON with sorted keys and a final newline, the same bytes for the same
// routes. It returns an error for routes that cannot be documented: a
// missing operation ID, summary or response, two routes on one method and
// path, or two different schemas or security schemes under one name.
func OpenAPI(info Info, mounts ...Mounted) ([]byte, error) {
	if info.Title == "" || info.Version == "" {
		return nil, errors.New("authkit: openapi: Info needs a Title and a Version")
	}
	b := &docBuilder{
		schemas:     map[string]*Schema{},
		rendered:    map[string]any{},
		responses:   map[string]Response{},
		renderedRes: map[string]any{},
		schemes:     map[string]SecurityScheme{},
		operationID: map[string]string{},
		tags:        map[string]bool{},
	}
	paths := map[string]map[string]any{}
	for _, m := range mounts {
		prefix := strings.TrimSuffix(m.Prefix, "/")
		if prefix != "" && !strings.HasPrefix(prefix, "/") {
			return nil, fmt.Errorf("authkit: openapi: prefix %q does not start with /", m.Prefix)
		}
		if m.Router == nil {
			return nil, fmt.Errorf("authkit: openapi: no router at %q", m.Prefix)
		}
		for _, rt := range m.Router.routes {
			path := prefix + rt.Path
			method := strings.ToLower(rt.Method)
			op, err := b.operation(path, rt)
			if err != nil {
				return nil, fmt.Errorf("authkit: openapi: %s %s: %w", rt.Method, path, err)
			}
			if paths[path] == nil {
				paths[path] = map[string]any{}
			}
			if _, dup := paths[path][method]; dup {
				return nil, fmt.Errorf("authkit: openapi: %s %s: mounted twice", rt.Method, path)
			}
			paths[path][method] = op
		}
	}
	urls := info.Servers
	if len(urls) == 0 {
		urls = []string{"/"}
	}
	servers := []map[string]string{}
	for _, u := range urls {
		servers = append(servers, map[string]string{"url": u})
	}
	tags := []map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(b.tags)) {
		tag := map[string]string{"name": name}
		if d := cmp.Or(info.Tags[name], tagDescription(name)); d != "" {
			tag["description"] = d
		}
		tags = append(tags, tag)
	}
	doc := map[string]any{
		"openapi": OpenAPIVersion,
		"info":    info,
		"servers": servers,
		"tags":    tags,
		"paths":   paths,
		"components": map[string]any{
			"schemas":         b.rendered,
			"responses":       b.renderedRes,
			"securitySchemes": b.schemes,
		},
	}
	out, err := canonicalJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("authkit: openapi: %w", err)
	}
	return out, nil
}

// canonicalJSON writes v as indented JSON with every object's keys sorted
// (structs included: v goes through a generic value first) and a final
// newline, so that the same document is always the same bytes.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(generic); err != nil { // Encode ends with the newline
		return nil, err
	}
	return out.Bytes(), nil
}

// OpenAPIHandler serves the document OpenAPI makes of mounts, made once,
// here: GET (and HEAD) answer it as JSON, other methods 405. Mount it
// where the API should publish it, say at GET /openapi.json; nothing
// publishes the document unless the application does.
func OpenAPIHandler(info Info, mounts ...Mounted) (http.Handler, error) {
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

// docBuilder collects what the operations share: schemas, security
// schemes, operation IDs and tags.
type docBuilder struct {
	schemas     map[string]*Schema // by component name, as given
	rendered    map[string]any     // by component name, as written
	responses   map[string]Response
	renderedRes map[string]any
	schemes     map[string]SecurityScheme
	operationID map[string]string // ID → "METHOD path" that has it
	tags        map[string]bool
}

var (
	componentName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	pathParam     = regexp.MustCompile(`\{([^/{}]+)\}`)
)

func (b *docBuilder) operation(path string, rt Route) (map[string]any, error) {
	switch rt.Method {
	case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
		http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace:
	default:
		return nil, fmt.Errorf("method %q cannot be documented", rt.Method)
	}
	if !strings.HasPrefix(rt.Path, "/") {
		return nil, errors.New("the path does not start with /")
	}
	if rt.OperationID == "" || rt.Summary == "" || len(rt.Responses) == 0 {
		return nil, errors.New("a documented route needs an OperationID, a Summary and Responses")
	}
	if other, dup := b.operationID[rt.OperationID]; dup {
		return nil, fmt.Errorf("operation ID %q is already %s's", rt.OperationID, other)
	}
	b.operationID[rt.OperationID] = rt.Method + " " + path
	op := map[string]any{"operationId": rt.OperationID, "summary": rt.Summary}
	if rt.Description != "" {
		op["description"] = rt.Description
	}
	if len(rt.Tags) > 0 {
		op["tags"] = rt.Tags
		for _, t := range rt.Tags {
			b.tags[t] = true
		}
	}

	params, err := b.parameters(rt)
	if err != nil {
		return nil, err
	}
	if len(params) > 0 {
		op["parameters"] = params
	}

	if rt.Request != nil {
		if len(rt.Request.ContentTypes) == 0 || rt.Request.Schema == nil {
			return nil, errors.New("a request body needs content types and a schema")
		}
		schema, err := b.schema(rt.Request.Schema)
		if err != nil {
			return nil, err
		}
		content := map[string]any{}
		for _, ct := range rt.Request.ContentTypes {
			content[ct] = map[string]any{"schema": schema}
		}
		op["requestBody"] = map[string]any{"required": true, "content": content}
	}

	responses := map[string]any{}
	for _, resp := range rt.Responses {
		key := strconv.Itoa(resp.Status)
		if resp.Status < 100 || resp.Status > 599 {
			return nil, fmt.Errorf("status %d is not an HTTP status", resp.Status)
		}
		if _, dup := responses[key]; dup {
			return nil, fmt.Errorf("status %d is documented twice", resp.Status)
		}
		r, err := b.response(resp)
		if err != nil {
			return nil, fmt.Errorf("status %d: %w", resp.Status, err)
		}
		responses[key] = r
	}
	op["responses"] = responses

	// An empty list says "public" outright, where no list at all would
	// leave a reader (and a linter) wondering.
	security := []map[string][]string{}
	for _, s := range rt.Security {
		if !componentName.MatchString(s.Name) {
			return nil, fmt.Errorf("security scheme name %q", s.Name)
		}
		if prev, ok := b.schemes[s.Name]; ok && prev != s.Scheme {
			return nil, fmt.Errorf("two different security schemes are named %q", s.Name)
		}
		b.schemes[s.Name] = s.Scheme
		security = append(security, map[string][]string{s.Name: {}})
	}
	op["security"] = security
	return op, nil
}

// parameters are rt's declared parameters, then its undeclared path
// segments as strings.
func (b *docBuilder) parameters(rt Route) ([]map[string]any, error) {
	var out []map[string]any
	inPath := map[string]bool{}
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		inPath[m[1]] = true
	}
	declared := map[string]bool{}
	for _, p := range rt.Params {
		if p.In == "path" {
			if !inPath[p.Name] {
				return nil, fmt.Errorf("path parameter %q is not in the path", p.Name)
			}
			declared[p.Name] = true
		}
		s := p.Schema
		if s == nil {
			s = &Schema{Type: "string"}
		}
		schema, err := b.schema(s)
		if err != nil {
			return nil, err
		}
		param := map[string]any{"name": p.Name, "in": p.In, "schema": schema}
		if p.In == "path" {
			param["required"] = true
		}
		if p.Description != "" {
			param["description"] = p.Description
		}
		out = append(out, param)
	}
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		if !declared[m[1]] {
			out = append(out, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
	}
	return out, nil
}

func (b *docBuilder) response(resp Response) (map[string]any, error) {
	if resp.Name == "" {
		return b.renderResponse(resp)
	}
	if !componentName.MatchString(resp.Name) {
		return nil, fmt.Errorf("response name %q", resp.Name)
	}
	ref := map[string]any{"$ref": "#/components/responses/" + resp.Name}
	if prev, ok := b.responses[resp.Name]; ok {
		if !reflect.DeepEqual(prev, resp) {
			return nil, fmt.Errorf("two different responses are named %q", resp.Name)
		}
		return ref, nil
	}
	r, err := b.renderResponse(resp)
	if err != nil {
		return nil, err
	}
	b.responses[resp.Name] = resp
	b.renderedRes[resp.Name] = r
	return ref, nil
}

func (b *docBuilder) renderResponse(resp Response) (map[string]any, error) {
	desc := resp.Description
	if desc == "" {
		desc = http.StatusText(resp.Status)
	}
	out := map[string]any{"description": desc}
	if len(resp.Headers) > 0 {
		headers := map[string]any{}
		for _, h := range resp.Headers {
			s := h.Schema
			if s == nil {
				s = &Schema{Type: "string"}
			}
			schema, err := b.schema(s)
			if err != nil {
				return nil, err
			}
			headers[h.Name] = map[string]any{"description": h.Description, "schema": schema}
		}
		out["headers"] = headers
	}
	if resp.Schema == nil {
		if len(resp.Codes)+len(resp.ReasonCodes) > 0 {
			return nil, errors.New("error codes need a body schema")
		}
		return out, nil
	}
	schema, err := b.schema(resp.Schema)
	if err != nil {
		return nil, err
	}
	media := map[string]any{"schema": schema}
	if len(resp.Codes)+len(resp.ReasonCodes) > 0 {
		examples := map[string]any{}
		for _, c := range resp.Codes {
			examples[exampleName(c)] = map[string]any{"summary": c, "value": map[string]any{"detail": c}}
		}
		for _, c := range resp.ReasonCodes {
			examples[exampleName(c)] = map[string]any{"summary": c, "value": map[string]any{
				"detail": map[string]string{"code": c, "reason": "Password should be at least 8 characters."},
			}}
		}
		media["examples"] = examples
	}
	out["content"] = map[string]any{"application/json": media}
	return out, nil
}

// exampleName makes a detail ("Not Found") a component-style key.
func exampleName(detail string) string { return strings.ReplaceAll(detail, " ", "_") }

// schema renders s, defining named schemas as components and referring to
// them.
func (b *docBuilder) schema(s *Schema) (map[string]any, error) {
	if s.Name == "" {
		return b.render(s)
	}
	if !componentName.MatchString(s.Name) {
		return nil, fmt.Errorf("schema name %q", s.Name)
	}
	ref := map[string]any{"$ref": "#/components/schemas/" + s.Name}
	if prev, ok := b.schemas[s.Name]; ok {
		if !reflect.DeepEqual(prev, s) {
			return nil, fmt.Errorf("two different schemas are named %q", s.Name)
		}
		return ref, nil
	}
	b.schemas[s.Name] = s // before rendering, so that a schema may refer to itself
	r, err := b.render(s)
	if err != nil {
		return nil, err
	}
	b.rendered[s.Name] = r
	return ref, nil
}

func (b *docBuilder) render(s *Schema) (map[string]any, error) {
	out := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("type", s.Type)
	set("format", s.Format)
	set("description", s.Description)
	set("pattern", s.Pattern)
	if s.Const != nil {
		out["const"] = s.Const
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			r, err := b.schema(p)
			if err != nil {
				return nil, err
			}
			props[name] = r
		}
		out["properties"] = props
	}
	for _, name := range s.Required {
		if _, ok := s.Properties[name]; !ok {
			return nil, fmt.Errorf("required property %q is not a property", name)
		}
	}
	if len(s.Required) > 0 {
		out["required"] = s.Required
	}
	if s.Items != nil {
		r, err := b.schema(s.Items)
		if err != nil {
			return nil, err
		}
		out["items"] = r
	}
	if len(s.AnyOf) > 0 {
		var any []map[string]any
		for _, a := range s.AnyOf {
			r, err := b.schema(a)
			if err != nil {
				return nil, err
			}
			any = append(any, r)
		}
		out["anyOf"] = any
	}
	return out, nil
}

// tagDescription describes the tags of authkit's routes.
func tagDescription(tag string) string {
	switch tag {
	case "auth":
		return "Register, log in and out, reset a forgotten password, verify an email."
	case "users":
		return "The current user; any user, for superusers."
	case "keys":
		return "For services that verify the access tokens: the public keys, the issuer's metadata, introspection."
	}
	return ""
}

// The route table's documentation: the schemas, responses and security
// of the contract (CONTRACT.md), built fresh for each router.

const (
	mediaJSON      = "application/json"
	mediaForm      = "application/x-www-form-urlencoded"
	mediaMultipart = "multipart/form-data"
)

func jsonBody(s *Schema) *Body { return &Body{ContentTypes: []string{mediaJSON}, Schema: s} }

func str(format, description string) *Schema {
	return &Schema{Type: "string", Format: format, Description: description}
}

func boolean(description string) *Schema { return &Schema{Type: "boolean", Description: description} }

func object(name, description string, props map[string]*Schema, required ...string) *Schema {
	return &Schema{Name: name, Type: "object", Description: description, Properties: props, Required: required}
}

// fieldSchemas adds the application's own fields (Config.UserFields) to
// an object schema's properties: the privileged ones only when asked, and
// as required those that are when required is true.
func fieldSchemas(s *Schema, fs []UserField, privileged, required bool) *Schema {
	types := map[FieldType]string{FieldString: "string", FieldBool: "boolean", FieldInt: "integer"}
	for _, f := range fs {
		if f.Privileged && !privileged {
			continue
		}
		s.Properties[f.Name] = &Schema{Type: types[f.Type], Description: "The application's own field."}
		if required && f.Required {
			s.Required = append(s.Required, f.Name)
		}
	}
	return s
}

func userSchema(fs []UserField) *Schema {
	return fieldSchemas(userSchemaBase(), fs, true, false)
}

func userSchemaBase() *Schema {
	return object("User", "A user; the application may add fields of its own.", map[string]*Schema{
		"id":           str("uuid", "Lowercase and hyphenated."),
		"email":        str("email", ""),
		"is_active":    boolean("Inactive users cannot log in."),
		"is_superuser": boolean(""),
		"is_verified":  boolean("Whether the user proved the email is theirs."),
	}, "id", "email", "is_active", "is_superuser", "is_verified")
}

func userCreateSchema(fs []UserField) *Schema {
	return fieldSchemas(object("UserCreate", "A new user. is_active, is_superuser, is_verified and id are ignored.", map[string]*Schema{
		"email":    str("email", "Compared case-insensitively with the existing users'."),
		"password": str("password", "Judged by the password policy."),
	}, "email", "password"), fs, false, true)
}

// userUpdateSchema is the body of PATCH /users/me, or with privileged the
// superuser's PATCH /users/{id}.
func userUpdateSchema(privileged bool, fs []UserField) *Schema {
	return fieldSchemas(userUpdateSchemaBase(privileged), fs, privileged, false)
}

func userUpdateSchemaBase(privileged bool) *Schema {
	props := map[string]*Schema{
		"email":            str("email", "Changing it makes the user unverified."),
		"password":         str("password", "Judged by the password policy; ends the user's other sessions."),
		"current_password": str("password", "Needed to change email or password unless the application turned that off."),
	}
	if !privileged {
		return object("UserUpdate", "A partial update: absent fields are left alone; is_active, is_superuser and is_verified are ignored.", props)
	}
	props["is_active"] = boolean("Deactivating a user ends their sessions.")
	props["is_superuser"] = boolean("")
	props["is_verified"] = boolean("")
	return object("UserAdminUpdate", "A partial update by a superuser: absent fields are left alone.", props)
}

func refreshSchema() *Schema {
	return object("RefreshRequest", "A refresh token to exchange.", map[string]*Schema{
		"refresh_token": str("", "The refresh token of the last login or refresh; each is good once."),
	}, "refresh_token")
}

func loginFormSchema() *Schema {
	return object("OAuth2PasswordRequestForm", "The OAuth2 password grant (RFC 6749 §4.3).", map[string]*Schema{
		"username":      str("email", "The user's email."),
		"password":      str("password", ""),
		"grant_type":    {Type: "string", Pattern: "^password$", Description: "password, when given."},
		"scope":         str("", "Ignored."),
		"client_id":     str("", "Ignored."),
		"client_secret": str("password", "Ignored."),
	}, "username", "password")
}

func emailRequestSchema() *Schema {
	return object("EmailRequest", "", map[string]*Schema{"email": str("email", "")}, "email")
}

func resetPasswordSchema() *Schema {
	return object("ResetPasswordRequest", "", map[string]*Schema{
		"token":    str("", "The token of the reset mail."),
		"password": str("password", "Judged by the password policy."),
	}, "token", "password")
}

func verifySchema() *Schema {
	return object("VerifyRequest", "", map[string]*Schema{"token": str("", "The token of the verify mail.")}, "token")
}

func bearerResponseSchema() *Schema {
	return object("BearerResponse", "An OAuth2 token response (RFC 6749 §5.1).", map[string]*Schema{
		"access_token":  str("", "Send it as Authorization: Bearer <token>."),
		"token_type":    {Type: "string", Const: "bearer"},
		"refresh_token": str("", "When the backend issues refresh tokens: exchange it at the backend's /refresh."),
		"expires_in":    {Type: "integer", Description: "Seconds the access token lives; with refresh_token."},
	}, "access_token", "token_type")
}

func errorModelSchema() *Schema {
	return object("ErrorModel", "An error: a code such as LOGIN_BAD_CREDENTIALS, a status phrase such as Unauthorized, or a password-policy failure.", map[string]*Schema{
		"detail": {AnyOf: []*Schema{
			{Type: "string"},
			object("ErrorCodeReason", "A password-policy failure.", map[string]*Schema{
				"code":   str("", "REGISTER_INVALID_PASSWORD, RESET_PASSWORD_INVALID_PASSWORD or UPDATE_USER_INVALID_PASSWORD."),
				"reason": str("", "Why the policy refused the password, for the user to read."),
			}, "code", "reason"),
		}},
	}, "detail")
}

func validationErrorSchema() *Schema {
	return object("HTTPValidationError", "Malformed input: one entry per field in error.", map[string]*Schema{
		"detail": {Type: "array", Items: object("ValidationError", "", map[string]*Schema{
			"loc":  {Type: "array", Description: `Where: "body" or "path", then the field.`, Items: &Schema{AnyOf: []*Schema{{Type: "string"}, {Type: "integer"}}}},
			"msg":  str("", "For people."),
			"type": str("", "For programs: missing, value_error, json_invalid, string_type, bool_type, ..."),
		}, "loc", "msg", "type")},
	}, "detail")
}

func jsonResponse(status int, description string, s *Schema) Response {
	return Response{Status: status, Description: description, Schema: s}
}

// nullResponse is the contract's body null, for answers that must not
// tell whether the account exists.
func nullResponse(status int, description string) Response {
	return Response{Status: status, Description: description, Schema: &Schema{Type: "null"}}
}

func errorResponse(status int, description string, codes ...string) Response {
	if len(codes) == 0 {
		codes = []string{http.StatusText(status)}
	}
	return Response{Status: status, Description: description, Schema: errorModelSchema(), Codes: codes}
}

// badRequest is the 400 of codes, and of reasonCodes (password-policy
// failures, {"code", "reason"}).
func badRequest(codes []string, reasonCodes ...string) Response {
	r := errorResponse(http.StatusBadRequest, "Refused; detail says why.", codes...)
	r.ReasonCodes = reasonCodes
	return r
}

func retryAfter(description string) []Header {
	return []Header{{Name: "Retry-After", Description: description, Schema: &Schema{Type: "integer"}}}
}

func unprocessable() Response {
	return Response{Name: "UnprocessableContent", Status: http.StatusUnprocessableEntity, Description: "A field is missing or malformed, or the body is not what the route takes.", Schema: validationErrorSchema()}
}

func tooLarge() Response {
	r := errorResponse(http.StatusRequestEntityTooLarge, "The body is over the limit (64 KiB by default).")
	r.Name = "ContentTooLarge"
	return r
}

func throttled() Response {
	r := errorResponse(http.StatusTooManyRequests, "Too many attempts; try again after Retry-After seconds.", "TOO_MANY_REQUESTS")
	r.Name = "TooManyRequests"
	r.Headers = retryAfter("Seconds until the block lifts.")
	return r
}

func unavailable() Response {
	r := errorResponse(http.StatusServiceUnavailable, "A fault on the server's side (database down, every hashing slot taken); try again later.")
	r.Name = "ServiceUnavailable"
	r.Headers = retryAfter("Seconds to wait before trying again.")
	return r
}

func unauthorized() Response {
	r := errorResponse(http.StatusUnauthorized, "No valid token, or an inactive user.")
	r.Name = "Unauthorized"
	r.Headers = []Header{{Name: "WWW-Authenticate", Description: "Bearer (RFC 6750)."}}
	return r
}

func forbidden(description string) Response {
	return errorResponse(http.StatusForbidden, description)
}

func notFound() Response {
	r := errorResponse(http.StatusNotFound, "No such user (a malformed id included).")
	r.Name = "NotFound"
	return r
}

// describe is how b's transport answers login and logout and carries the
// token.
func describe(b *AuthenticationBackend) TransportDoc {
	switch t := b.Transport.(type) {
	case DocumentedTransport:
		return t.OpenAPI()
	case transport.Bearer, *transport.Bearer:
		format := ""
		if _, ok := b.Strategy.(*strategy.JWT); ok {
			format = "JWT"
		}
		return TransportDoc{
			Login:  jsonResponse(http.StatusOK, "Logged in: send the token as Authorization: Bearer <token>.", bearerResponseSchema()),
			Logout: Response{Status: http.StatusNoContent, Description: "Logged out: the token no longer works."},
			Scheme: SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: format,
				Description: "The access token that backend " + b.Name + "'s login answers."},
		}
	case *transport.Cookie:
		return TransportDoc{
			Login: Response{Status: http.StatusNoContent, Description: "Logged in: the token is in the cookie.",
				Headers: []Header{{Name: "Set-Cookie", Description: "The HttpOnly cookie " + t.Name() + " holding the token."}}},
			Logout: Response{Status: http.StatusNoContent, Description: "Logged out: the token no longer works and the cookie is expired.",
				Headers: []Header{{Name: "Set-Cookie", Description: "The cookie " + t.Name() + ", emptied, with Max-Age=0."}}},
			Scheme: SecurityScheme{Type: "apiKey", In: "cookie", Name: t.Name(),
				Description: "The cookie that backend " + b.Name + "'s login sets."},
		}
	}
	return TransportDoc{
		Login:  Response{Status: http.StatusOK, Description: fmt.Sprintf("Logged in, as transport %T answers.", b.Transport)},
		Logout: Response{Status: http.StatusNoContent, Description: "Logged out."},
		Scheme: SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization",
			Description: fmt.Sprintf("Transport %T does not describe itself (see authkit.DocumentedTransport).", b.Transport)},
	}
}

// security is the security of a route that takes a token of any of backends.
func security(backends []*AuthenticationBackend) []Security {
	var out []Security
	for _, b := range backends {
		out = append(out, Security{Name: b.Name, Scheme: describe(b).Scheme})
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
func (k *AuthKit) userResponses(method string, superuser bool, rs ...Response) []Response {
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
