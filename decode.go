package authkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// FieldError is one entry of a 422 body, in the shape FastAPI (pydantic
// v2) gives it: {"type":"missing","loc":["body","email"],"msg":"Field
// required"}. Pydantic's "input" is left out: it would echo passwords.
type FieldError struct {
	Type string `json:"type"`
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	// Ctx is pydantic's context, when there is one: {"error": why} for
	// malformed JSON.
	Ctx map[string]any `json:"ctx,omitempty"`
}

// fields reads the fields of a decoded request body, collecting a
// FieldError for each one that is missing or malformed.
type fields struct {
	get  func(name string) (raw json.RawMessage, form string, ok bool)
	json bool // values are JSON (else form strings)
	errs []FieldError
}

func (f *fields) fail(typ, name, msg string) {
	f.errs = append(f.errs, FieldError{Type: typ, Loc: []any{"body", name}, Msg: msg})
}

// err is the 422 for the collected errors, or nil.
func (f *fields) err() error {
	if len(f.errs) == 0 {
		return nil
	}
	return &httpError{status: http.StatusUnprocessableEntity, detail: f.errs}
}

// String returns the string field name; ok is false when it is absent (and
// required adds a "missing" error) or malformed (an error is added).
func (f *fields) String(name string, required bool) (string, bool) {
	raw, form, ok := f.get(name)
	if !ok {
		if required {
			f.fail("missing", name, "Field required")
		}
		return "", false
	}
	if !f.json {
		if !utf8.ValidString(form) {
			f.fail("string_unicode", name, "Input should be a valid string, unable to parse raw data as a unicode string")
			return "", false
		}
		return form, true
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		f.fail("string_type", name, "Input should be a valid string")
		return "", false
	}
	// encoding/json turns an unpaired \uD800-style escape into U+FFFD; refuse
	// that rather than store a silently altered value.
	if strings.ContainsRune(s, utf8.RuneError) && !bytes.Contains(raw, []byte("\uFFFD")) &&
		!bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`)) {
		f.fail("string_unicode", name, "Input should be a valid string, unable to parse raw data as a unicode string")
		return "", false
	}
	return s, true
}

// Object returns the field as raw JSON, when it is an object.
func (f *fields) Object(name string, required bool) (json.RawMessage, bool) {
	raw, _, ok := f.get(name)
	if !ok {
		if required {
			f.fail("missing", name, "Field required")
		}
		return nil, false
	}
	if len(raw) == 0 || raw[0] != '{' {
		f.fail("model_type", name, "Input should be an object")
		return nil, false
	}
	return raw, true
}

// StringPtr is String for optional fields of a partial update.
func (f *fields) StringPtr(name string) *string {
	if s, ok := f.String(name, false); ok {
		return &s
	}
	return nil
}

// Email returns the field as a valid email address.
func (f *fields) Email(name string, required bool) (string, bool) {
	s, ok := f.String(name, required)
	if !ok {
		return "", false
	}
	email, err := ParseEmail(s)
	if err != nil {
		f.fail("value_error", name, err.Error())
		return "", false
	}
	return email, true
}

// EmailPtr is Email for optional fields of a partial update.
func (f *fields) EmailPtr(name string) *string {
	if s, ok := f.Email(name, false); ok {
		return &s
	}
	return nil
}

// BoolPtr returns an optional JSON boolean field; JSON null counts as absent.
func (f *fields) BoolPtr(name string) *bool {
	raw, _, ok := f.get(name)
	if !ok || string(raw) == "null" {
		return nil
	}
	var b bool
	if string(raw) != "true" && string(raw) != "false" || json.Unmarshal(raw, &b) != nil {
		f.fail("bool_type", name, "Input should be a valid boolean")
		return nil
	}
	return &b
}

// readBody reads the whole body under the size limit.
func (k *AuthKit) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, k.maxBody))
	if err != nil {
		return nil, bodyError(err)
	}
	return body, nil
}

// bodyError maps an error reading the body: over the limit is 413, anything
// else (a broken upload) 400.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errTooLarge
	}
	return &httpError{status: http.StatusBadRequest, detail: "There was an error parsing the body"}
}

var (
	errTooLarge = &httpError{status: http.StatusRequestEntityTooLarge, detail: http.StatusText(http.StatusRequestEntityTooLarge)}
)

// decodeJSON reads a JSON object body. It refuses invalid UTF-8, duplicate
// keys at any depth, and trailing data; unknown fields are left for the
// caller to ignore. A body is read as JSON only when its Content-Type says
// so (see IsJSON).
func (k *AuthKit) decodeJSON(w http.ResponseWriter, r *http.Request) (*fields, error) {
	return k.decodeBody(w, r, false)
}

// decodeOptionalJSON is decodeJSON for a body that may be absent: an
// empty body has no fields.
func (k *AuthKit) decodeOptionalJSON(w http.ResponseWriter, r *http.Request) (*fields, error) {
	return k.decodeBody(w, r, true)
}

func (k *AuthKit) decodeBody(w http.ResponseWriter, r *http.Request, optional bool) (*fields, error) {
	body, err := k.readBody(w, r)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if optional && len(bytes.TrimSpace(body)) == 0 {
		obj = map[string]json.RawMessage{} // no body, whatever its type
	} else {
		obj, err = parseJSONBody(r.Header.Get("Content-Type"), body)
	}
	if err != nil {
		return nil, err
	}
	return &fields{json: true, get: func(name string) (json.RawMessage, string, bool) {
		raw, ok := obj[name]
		return raw, "", ok
	}}, nil
}

// IsJSON reports whether a Content-Type header names JSON: application/json
// or an application/...+json type, parameters aside. FastAPI reads a body
// as JSON only then (its CSRF fix of 0.65.2: a cross-site form or
// text/plain body is not parsed), and so do authkit's JSON routes.
func IsJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	sub, ok := strings.CutPrefix(mediaType, "application/")
	return ok && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

// ParseJSONObject reads a request body the way authkit's JSON routes do,
// for an application's own routes in the same dialect: it returns the
// top-level fields of one JSON object, or the 422 entries FastAPI gives —
// an empty body is a missing body, a body whose Content-Type is not JSON
// (IsJSON) or that is not an object is not a dictionary, and malformed
// JSON (invalid UTF-8, duplicate keys, trailing data included) is
// json_invalid with the offending character's offset in loc.
func ParseJSONObject(contentType string, body []byte) (map[string]json.RawMessage, []FieldError) {
	obj, err := parseJSONBody(contentType, body)
	var he *httpError
	if errors.As(err, &he) {
		return nil, he.detail.([]FieldError)
	}
	return obj, nil
}

func parseJSONBody(contentType string, body []byte) (map[string]json.RawMessage, error) {
	if len(body) == 0 {
		return nil, errUnprocessable(FieldError{Type: "missing", Loc: []any{"body"}, Msg: "Field required"})
	}
	if !IsJSON(contentType) {
		return nil, notAnObject
	}
	return parseJSONObject(body)
}

var notAnObject = errUnprocessable(FieldError{
	Type: "model_attributes_type", Loc: []any{"body"},
	Msg: "Input should be a valid dictionary or object to extract fields from",
})

func errUnprocessable(fe FieldError) error {
	return &httpError{status: http.StatusUnprocessableEntity, detail: []FieldError{fe}}
}

// parseJSONObject checks body strictly and returns its top-level fields.
func parseJSONObject(body []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(body) {
		valid := 0
		for valid < len(body) {
			r, n := utf8.DecodeRune(body[valid:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			valid += n
		}
		return nil, jsonInvalid(body, valid, "invalid UTF-8")
	}
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, notAnObject
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, jsonInvalid(body, 0, err.Error())
	}
	return obj, nil
}

// jsonInvalid is pydantic's json_invalid entry for an error at byte at of
// body: loc holds the offset in characters, as Python's json module
// counts it, and msg is "JSON decode error" (the reason is in ctx).
func jsonInvalid(body []byte, at int, why string) error {
	at = min(max(at, 0), len(body))
	return errUnprocessable(FieldError{
		Type: "json_invalid", Loc: []any{"body", utf8.RuneCount(body[:at])}, Msg: "JSON decode error",
		Ctx: map[string]any{"error": why},
	})
}

// syntaxError locates the syntax error of body. The Decoder's token
// errors carry no reliable offset; Unmarshal's scanner says how many bytes
// it read, the offending one included.
func syntaxError(body []byte) error {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return jsonInvalid(body, len(body), "unexpected end of input")
	}
	if se.Offset >= int64(len(body)) && strings.Contains(se.Error(), "unexpected end") {
		return jsonInvalid(body, len(body), "unexpected end of input")
	}
	at := int(se.Offset) - 1
	if strings.Contains(se.Error(), " in literal ") {
		// Python points at the literal's start ("tru" is not a value).
		for at > 0 && body[at-1] >= 'a' && body[at-1] <= 'z' {
			at--
		}
	}
	return jsonInvalid(body, at, se.Error())
}

// nextToken is the offset of the token that starts at or after byte i.
func nextToken(body []byte, i int64) int {
	n := int(i)
	for n < len(body) && strings.IndexByte(" \t\r\n,:", body[n]) >= 0 {
		n++
	}
	return n
}

// checkJSON walks the tokens of one JSON value, refusing syntax errors,
// duplicate object keys and anything after the value.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys    map[string]struct{} // nil for arrays
		wantKey bool
	}
	var stack []*frame
	done := false // the top-level value is complete
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			if !done {
				return jsonInvalid(body, len(body), "unexpected end of input")
			}
			return nil
		}
		if err != nil {
			return syntaxError(body)
		}
		if done {
			return jsonInvalid(body, nextToken(body, before), "trailing data after the JSON value")
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
			} else {
				key := tok.(string) // the decoder guarantees a string key here
				if _, dup := top.keys[key]; dup {
					return jsonInvalid(body, nextToken(body, before), "duplicate key "+strconvQuote(key))
				}
				top.keys[key] = struct{}{}
				top.wantKey = false
				continue
			}
		} else if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, &frame{keys: map[string]struct{}{}, wantKey: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default: // ']' (a '}' is handled above, where a key is wanted)
				stack = stack[:len(stack)-1]
			}
		}
		// A value (scalar or closed container) is complete.
		if len(stack) == 0 {
			done = true
		} else if parent := stack[len(stack)-1]; parent.keys != nil {
			parent.wantKey = true
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// decodeForm reads an application/x-www-form-urlencoded or
// multipart/form-data body (the OAuth2 password grant). Only the body is
// read: credentials in the query string are ignored.
func (k *AuthKit) decodeForm(w http.ResponseWriter, r *http.Request) (*fields, error) {
	r.Body = http.MaxBytesReader(w, r.Body, k.maxBody)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mediaType {
	case "multipart/form-data":
		if err = r.ParseMultipartForm(k.maxBody); err == nil {
			// Only values are used; drop any uploaded file at once.
			_ = r.MultipartForm.RemoveAll()
		}
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	default:
		// No form at all: every required field is missing, as in FastAPI.
		// Drain what there is, so an oversized body still gets its 413.
		if _, err = io.Copy(io.Discard, r.Body); err != nil {
			return nil, bodyError(err)
		}
		return &fields{get: func(string) (json.RawMessage, string, bool) { return nil, "", false }}, nil
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge
		}
		return nil, &httpError{status: http.StatusUnprocessableEntity, detail: []FieldError{{
			Type: "value_error", Loc: []any{"body"}, Msg: "Invalid form data",
		}}}
	}
	return &fields{get: func(name string) (json.RawMessage, string, bool) {
		vs, ok := r.PostForm[name]
		if !ok || len(vs) == 0 {
			return nil, "", false
		}
		return nil, vs[0], true
	}}, nil
}
