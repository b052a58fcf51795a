package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-authkit/authkit"
)

// Limits of a notebook.
const (
	maxTitleChars   = 200       // code points, after trimming
	maxContentBytes = 100 << 10 // UTF-8 bytes
	// maxBodyBytes caps a request body (413 beyond): room for the largest
	// valid content even when JSON escaping doubles it, and no more.
	maxBodyBytes = 1 << 20
)

// notebookInput is a decoded POST or PATCH body; a nil field was absent.
type notebookInput struct {
	Title   *string
	Content *string
}

// decodeNotebook reads a notebook body strictly, as authkit reads its own
// (authkit.ParseJSONObject): a JSON Content-Type, one JSON object, valid
// UTF-8, no duplicate keys, nothing after it; unknown fields are ignored.
// create requires the title. The errors are FastAPI's 422 entries.
func decodeNotebook(contentType string, body []byte, create bool) (notebookInput, []authkit.FieldError) {
	var in notebookInput
	fields, errs := authkit.ParseJSONObject(contentType, body)
	if errs != nil {
		return in, errs
	}
	fail := func(typ, name, msg string) {
		errs = append(errs, authkit.FieldError{Type: typ, Loc: []any{"body", name}, Msg: msg})
	}
	str := func(name string) (*string, bool) {
		raw, ok := fields[name]
		if !ok {
			return nil, false
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			fail("string_type", name, "Input should be a valid string")
			return nil, false
		}
		return &s, true
	}

	if title, ok := str("title"); ok {
		t := strings.TrimSpace(*title)
		n := utf8.RuneCountInString(t)
		switch {
		case n == 0:
			fail("string_too_short", "title", "String should have at least 1 character")
		case n > maxTitleChars:
			fail("string_too_long", "title", fmt.Sprintf("String should have at most %d characters", maxTitleChars))
		case strings.ContainsFunc(t, unicode.IsControl):
			fail("value_error", "title", "Value error, the title must be one line, without control characters")
		default:
			in.Title = &t
		}
	} else if _, present := fields["title"]; create && !present {
		fail("missing", "title", "Field required")
	}
	if content, ok := str("content"); ok {
		switch {
		case len(*content) > maxContentBytes:
			fail("string_too_long", "content", fmt.Sprintf("String should have at most %d bytes", maxContentBytes))
		case strings.ContainsRune(*content, 0):
			// PostgreSQL cannot store NUL in text: refuse it on every database.
			fail("value_error", "content", "Value error, the content must not contain NUL characters")
		default:
			in.Content = content
		}
	}
	if errs != nil {
		return notebookInput{}, errs
	}
	return in, nil
}
