package main

import (
	"fmt"
	"net/http"

	"github.com/go-authkit/authkit/openapi"
)

// The OpenAPI document of the notebooks API, beside authkit's routes: the
// example serves both at GET /openapi.json, and openapi.json in this
// directory is that document with the default flags (a test keeps it
// current).

// info heads the example's document.
func info() openapi.Info {
	return openapi.Info{
		Title:   "Notebooks",
		Version: "1.0.0",
		Description: "authkit's example service: authkit's routes in FastAPI Users' dialect (a jwt backend, " +
			"bearer token, and a cookie backend) and the notebooks API. Every error body is {\"detail\": ...}. " +
			"A method a path does not list is answered 405 {\"detail\": \"Method Not Allowed\"}, with an Allow " +
			"header naming those it does; a path the API does not have, 404 {\"detail\": \"Not Found\"}.",
		License: &openapi.License{Name: "MIT", Identifier: "MIT"},
		Tags:    map[string]string{"notebooks": "The current user's notebooks."},
	}
}

func notebookSchema() *openapi.Schema {
	return &openapi.Schema{Name: "Notebook", Type: "object", Description: "A notebook of its owner.",
		Properties: map[string]*openapi.Schema{
			"id":         {Type: "string", Format: "uuid"},
			"title":      {Type: "string", MaxLength: maxTitleChars},
			"content":    {Type: "string"},
			"owner_id":   {Type: "string", Format: "uuid"},
			"created_at": {Type: "string", Format: "date-time", Description: "UTC."},
			"updated_at": {Type: "string", Format: "date-time", Description: "UTC."},
		},
		Required: []string{"id", "title", "content", "owner_id", "created_at", "updated_at"}}
}

// notebookInputSchema is the body of POST (create: title required) or
// PATCH (a partial update). null is refused for both fields, as any other
// non-string.
func notebookInputSchema(create bool) *openapi.Schema {
	s := &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{
		"title": {Type: "string", MaxLength: maxTitleChars,
			Description: "One line, trimmed, 1 to 200 characters, no control characters."},
		"content": {Type: "string", Description: fmt.Sprintf("At most %d bytes of UTF-8, no NUL.", maxContentBytes)},
	}}
	if create {
		s.Name, s.Description, s.Required = "NotebookCreate", "A new notebook; content defaults to empty.", []string{"title"}
	} else {
		s.Name, s.Description = "NotebookUpdate", "A partial update: absent fields are left alone."
	}
	return s
}

func errorAnswer(status int, description string) openapi.Response {
	return openapi.Response{Status: status, Description: description, Schema: openapi.ErrorModel(), Codes: []string{http.StatusText(status)}}
}

// notebookResponses are rs with the answers every notebooks route may
// give: 401, 403 for a cookie request from another site (unsafe methods),
// 503; and with a body, 413 and 422.
func notebookResponses(method string, body bool, rs ...openapi.Response) []openapi.Response {
	unauthorized := errorAnswer(http.StatusUnauthorized, "No valid token, or an inactive user.")
	unauthorized.Headers = []openapi.Header{{Name: "WWW-Authenticate", Description: "Bearer (RFC 6750)."}}
	rs = append(rs, unauthorized)
	if method != http.MethodGet {
		rs = append(rs, errorAnswer(http.StatusForbidden, "Refused: a cross-site request carrying the cookie (CSRF protection)."))
	}
	if body {
		rs = append(rs, errorAnswer(http.StatusRequestEntityTooLarge, "The body is over 1 MiB."),
			openapi.Response{Status: http.StatusUnprocessableEntity, Description: "A field is missing or malformed, or the body is not a JSON object.",
				Schema: openapi.ValidationErrorModel()})
	}
	unavailable := errorAnswer(http.StatusServiceUnavailable, "A fault on the server's side; try again later.")
	unavailable.Headers = []openapi.Header{{Name: "Retry-After", Description: "Seconds to wait.", Schema: &openapi.Schema{Type: "integer"}}}
	return append(rs, unavailable)
}

// notebookID is the {id} of a notebook's routes: a string, since a
// malformed id is answered 404 as an unknown one is.
var notebookID = []openapi.Param{{Name: "id", In: "path", Schema: &openapi.Schema{Type: "string"},
	Description: "The notebook's id, a UUID; any other value is answered 404, as an unknown id or another user's notebook is."}}

func notFound() openapi.Response {
	return errorAnswer(http.StatusNotFound, "No such notebook of the caller's (a malformed id included).")
}
