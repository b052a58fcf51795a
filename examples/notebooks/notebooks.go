package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/openapi"
	"github.com/google/uuid"
)

// notebooksRouter serves the notebooks API below /api/notebooks. The
// caller is authenticated already (CurrentActiveUser) and only ever sees
// and changes their own notebooks: another user's answers 404, as if it
// did not exist.
func (a *app) notebooksRouter() *authkit.Router {
	sec := a.kit.OpenAPISecurity()
	tags := []string{"notebooks"}
	one := openapi.Response{Status: http.StatusOK, Description: "The notebook.", Schema: notebookSchema()}
	return authkit.NewRouter(
		authkit.Route{Method: http.MethodGet, Path: "/", Summary: "The caller's notebooks, newest first (?all=true: everyone's, superuser only)",
			Handler: a.handle(a.listNotebooks), OperationID: "notebooks:list", Tags: tags, Security: sec,
			Params: []openapi.Param{{Name: "all", In: "query", Schema: &openapi.Schema{Type: "boolean"},
				Description: "Every user's notebooks: superusers only (403 otherwise)."}},
			Responses: notebookResponses(http.MethodGet, false,
				openapi.Response{Status: http.StatusOK, Description: "The notebooks, newest first.", Schema: &openapi.Schema{Type: "array", Items: notebookSchema()}},
				errorAnswer(http.StatusForbidden, "all=true from a user who is not a superuser."),
				openapi.Response{Status: http.StatusUnprocessableEntity, Description: "all is not a boolean.", Schema: openapi.ValidationErrorModel()})},
		authkit.Route{Method: http.MethodPost, Path: "/", Summary: "Create a notebook", Handler: a.handle(a.createNotebook),
			OperationID: "notebooks:create", Tags: tags, Security: sec,
			Request:   &openapi.Body{ContentTypes: []string{"application/json"}, Schema: notebookInputSchema(true)},
			Responses: notebookResponses(http.MethodPost, true, openapi.Response{Status: http.StatusCreated, Description: "The new notebook.", Schema: notebookSchema()})},
		authkit.Route{Method: http.MethodGet, Path: "/{id}", Summary: "A notebook", Handler: a.handle(a.getNotebook),
			OperationID: "notebooks:get", Tags: tags, Security: sec, Params: notebookID,
			Responses: notebookResponses(http.MethodGet, false, one, notFound())},
		authkit.Route{Method: http.MethodPatch, Path: "/{id}", Summary: "Update a notebook", Handler: a.handle(a.patchNotebook),
			OperationID: "notebooks:update", Tags: tags, Security: sec, Params: notebookID,
			Request:   &openapi.Body{ContentTypes: []string{"application/json"}, Schema: notebookInputSchema(false)},
			Responses: notebookResponses(http.MethodPatch, true, one, notFound())},
		authkit.Route{Method: http.MethodDelete, Path: "/{id}", Summary: "Delete a notebook", Handler: a.handle(a.deleteNotebook),
			OperationID: "notebooks:delete", Tags: tags, Security: sec, Params: notebookID,
			Responses: notebookResponses(http.MethodDelete, false, openapi.Response{Status: http.StatusNoContent, Description: "Deleted."}, notFound())},
	)
}

// apiError is an answer to the client: a status and its detail.
type apiError struct {
	status int
	detail any
}

func (e *apiError) Error() string { return http.StatusText(e.status) }

var (
	errForbidden = &apiError{http.StatusForbidden, http.StatusText(http.StatusForbidden)}
	errNotFound  = &apiError{http.StatusNotFound, http.StatusText(http.StatusNotFound)}
	errTooLarge  = &apiError{http.StatusRequestEntityTooLarge, http.StatusText(http.StatusRequestEntityTooLarge)}
)

// unprocessable is the 422 for field errors, in FastAPI's shape.
func unprocessable(errs []authkit.FieldError) error {
	return &apiError{http.StatusUnprocessableEntity, errs}
}

// handle adapts a handler of the caller's requests that returns an error:
// an *apiError is the client's answer; anything else is a fault, logged
// and answered 503 without a detail the client could learn from.
func (a *app) handle(fn func(w http.ResponseWriter, r *http.Request, u *authkit.User) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authkit.UserFrom(r.Context())
		if !ok { // CurrentActiveUser lets no request through without a user
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, http.StatusText(http.StatusUnauthorized))
			return
		}
		err := fn(w, r, u)
		if err == nil {
			return
		}
		var ae *apiError
		if errors.As(err, &ae) {
			writeError(w, ae.status, ae.detail)
			return
		}
		if !errors.Is(err, context.Canceled) {
			a.logger.ErrorContext(r.Context(), "notebooks: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, http.StatusText(http.StatusServiceUnavailable))
	})
}

// writeJSON writes v with the contract's Content-Type; 204 has no body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"detail":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}

// writeError writes {"detail": detail}.
func writeError(w http.ResponseWriter, status int, detail any) {
	writeJSON(w, status, struct {
		Detail any `json:"detail"`
	}{detail})
}

// pathID parses the {id} of the path; a malformed id is simply not found.
func pathID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.UUID{}, errNotFound
	}
	return id, nil
}

// readBody reads the body under maxBodyBytes: 413 beyond.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errTooLarge
	case err != nil:
		return nil, &apiError{http.StatusBadRequest, "There was an error parsing the body"}
	}
	return body, nil
}

// parseBool reads a query flag as FastAPI (pydantic) does.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "1", "on", "t", "true", "y", "yes":
		return true, true
	case "0", "off", "f", "false", "n", "no":
		return false, true
	}
	return false, false
}

func (a *app) listNotebooks(w http.ResponseWriter, r *http.Request, u *authkit.User) error {
	all := false
	if q := r.URL.Query(); q.Has("all") {
		v, ok := parseBool(q.Get("all"))
		if !ok {
			return unprocessable([]authkit.FieldError{{Type: "bool_parsing", Loc: []any{"query", "all"},
				Msg: "Input should be a valid boolean, unable to interpret input"}})
		}
		if v && !u.IsSuperuser {
			return errForbidden
		}
		all = v
	}
	list, err := a.notes.List(r.Context(), u.ID, all)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (a *app) createNotebook(w http.ResponseWriter, r *http.Request, u *authkit.User) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	in, errs := decodeNotebook(r.Header.Get("Content-Type"), body, true)
	if errs != nil {
		return unprocessable(errs)
	}
	content := ""
	if in.Content != nil {
		content = *in.Content
	}
	n, err := a.notes.Create(r.Context(), u.ID, *in.Title, content)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (a *app) getNotebook(w http.ResponseWriter, r *http.Request, u *authkit.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := a.notes.Get(r.Context(), u.ID, id)
	if errors.Is(err, errNotebookNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (a *app) patchNotebook(w http.ResponseWriter, r *http.Request, u *authkit.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	in, errs := decodeNotebook(r.Header.Get("Content-Type"), body, false)
	if errs != nil {
		return unprocessable(errs)
	}
	n, err := a.notes.Update(r.Context(), u.ID, id, in.Title, in.Content)
	if errors.Is(err, errNotebookNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (a *app) deleteNotebook(w http.ResponseWriter, r *http.Request, u *authkit.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = a.notes.Delete(r.Context(), u.ID, id)
	if errors.Is(err, errNotebookNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusNoContent, nil)
	return nil
}
