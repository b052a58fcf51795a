// Package openapi is the document model of authkit's API description: the
// schemas, parameters, bodies, responses and security schemes that document
// a route, and Document, which writes an OpenAPI 3.1 document of them.
//
// Applications rarely need it: authkit.OpenAPI and authkit.OpenAPIHandler
// document authkit's routers. It is for routes of one's own (see
// authkit.Route) and for transports that describe themselves
// (DocumentedTransport).
package openapi

import (
	"bytes"
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
)

// Version is the version of the OpenAPI Specification that Document
// writes.
const Version = "3.1.0"

// Schema is a JSON Schema (the 2020-12 dialect of OpenAPI 3.1), cut down
// to what authkit's routes need.
type Schema struct {
	// Name makes the schema a component: the document defines it once,
	// under components/schemas, and refers to it everywhere else. Two
	// different schemas with one name are an error.
	Name string
	Type string // "object", "string", "boolean", "integer", "array", "null"; empty for AnyOf
	// Nullable admits JSON null besides Type (written as the type array
	// [Type, "null"]); Description should say what null means.
	Nullable    bool
	Format      string // "email", "uuid", "password", ...
	MaxLength   int    // of a string, in characters; 0: no bound written
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
// describe themselves in the OpenAPI document; authkit knows its own
// (transport.Bearer and transport.Cookie).
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
	// Tags describes the tags of the routes (authkit.OpenAPI describes its
	// own, "auth" and "users", unless given here).
	Tags map[string]string `json:"-"`
}

// License is the API's licence: a name, and an SPDX identifier or a URL.
type License struct {
	Name       string `json:"name"`
	Identifier string `json:"identifier,omitempty"`
	URL        string `json:"url,omitempty"`
}

// Operation is one documented route: a method on a path, the path being
// the whole of it, from the root of the API ("/auth/register").
type Operation struct {
	Method string
	Path   string
	// OperationID names the operation, uniquely across the document;
	// generated clients name their functions after it.
	OperationID string
	Summary     string
	Description string
	Tags        []string
	Params      []Param
	// Request is the body the route reads; nil for none.
	Request *Body
	// Responses are every answer the route gives.
	Responses []Response
	// Security lists the ways to authenticate, any one of which will do;
	// nil means a public route.
	Security []Security
}

// Document returns the OpenAPI 3.1 document of ops: indented JSON with
// sorted keys and a final newline, the same bytes for the same operations.
// It returns an error for operations that cannot be documented: a
// missing operation ID, summary or response, two operations on one method
// and path, or two different schemas, responses or security schemes under
// one name.
func Document(info Info, ops ...Operation) ([]byte, error) {
	if info.Title == "" || info.Version == "" {
		return nil, errors.New("openapi: Info needs a Title and a Version")
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
	for _, o := range ops {
		method := strings.ToLower(o.Method)
		rendered, err := b.operation(o)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s %s: %w", o.Method, o.Path, err)
		}
		if paths[o.Path] == nil {
			paths[o.Path] = map[string]any{}
		}
		if _, dup := paths[o.Path][method]; dup {
			return nil, fmt.Errorf("openapi: %s %s: documented twice", o.Method, o.Path)
		}
		paths[o.Path][method] = rendered
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
		if d := info.Tags[name]; d != "" {
			tag["description"] = d
		}
		tags = append(tags, tag)
	}
	doc := map[string]any{
		"openapi": Version,
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
		return nil, fmt.Errorf("openapi: %w", err)
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

func (b *docBuilder) operation(rt Operation) (map[string]any, error) {
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
	b.operationID[rt.OperationID] = rt.Method + " " + rt.Path
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
func (b *docBuilder) parameters(rt Operation) ([]map[string]any, error) {
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
	if s.Nullable && s.Type != "" {
		out["type"] = []string{s.Type, "null"}
	} else {
		set("type", s.Type)
	}
	set("format", s.Format)
	if s.MaxLength > 0 {
		out["maxLength"] = s.MaxLength
	}
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

// ErrorModel is the schema of the contract's error body, {"detail": ...}:
// a code such as LOGIN_BAD_CREDENTIALS, a status phrase such as
// Unauthorized, or a password-policy failure {"code", "reason"}. Routes of
// one's own that answer in the contract's shape refer to it.
func ErrorModel() *Schema {
	return &Schema{Name: "ErrorModel", Type: "object", Required: []string{"detail"},
		Description: "An error: a code such as LOGIN_BAD_CREDENTIALS, a status phrase such as Unauthorized, or a password-policy failure.",
		Properties: map[string]*Schema{
			"detail": {AnyOf: []*Schema{
				{Type: "string"},
				{Name: "ErrorCodeReason", Type: "object", Description: "A password-policy failure.", Required: []string{"code", "reason"},
					Properties: map[string]*Schema{
						"code":   {Type: "string", Description: "REGISTER_INVALID_PASSWORD, RESET_PASSWORD_INVALID_PASSWORD or UPDATE_USER_INVALID_PASSWORD."},
						"reason": {Type: "string", Description: "Why the policy refused the password, for the user to read."},
					}},
			}},
		}}
}

// ValidationErrorModel is the schema of the contract's 422 body, FastAPI's
// {"detail": [{"loc", "msg", "type", "ctx"?}, ...]}.
func ValidationErrorModel() *Schema {
	return &Schema{Name: "HTTPValidationError", Type: "object", Required: []string{"detail"},
		Description: "Malformed input: one entry per field in error.",
		Properties: map[string]*Schema{
			"detail": {Type: "array", Items: &Schema{Name: "ValidationError", Type: "object", Required: []string{"loc", "msg", "type"},
				Properties: map[string]*Schema{
					"loc":  {Type: "array", Description: `Where: "body", "path" or "query", then the field.`, Items: &Schema{AnyOf: []*Schema{{Type: "string"}, {Type: "integer"}}}},
					"msg":  {Type: "string", Description: "For people."},
					"type": {Type: "string", Description: "For programs: missing, value_error, json_invalid, string_type, bool_type, ..."},
					"ctx":  {Type: "object", Description: `Context, when there is one: {"error": why} for json_invalid.`},
				}}},
		}}
}
