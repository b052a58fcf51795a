package authkit

import (
	"errors"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// SessionInfo is one session of a user as GET /users/me/sessions shows it
// (ASVS 7.5.2): Current marks the session of the request itself.
type SessionInfo struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

// sessionManagers are the distinct strategies of the backends that can
// list sessions (a strategy shared by two backends counts once), each
// with the backends that use it.
func (k *AuthKit) sessionManagers() []managerGroup {
	var groups []managerGroup
next:
	for _, b := range k.backends {
		sm, ok := b.Strategy.(strategy.SessionManager)
		if !ok {
			continue
		}
		if reflect.TypeOf(sm).Comparable() {
			for i := range groups {
				if reflect.TypeOf(groups[i].sm) == reflect.TypeOf(sm) && groups[i].sm == sm {
					groups[i].backends = append(groups[i].backends, b)
					continue next
				}
			}
		}
		groups = append(groups, managerGroup{sm: sm, backends: []*AuthenticationBackend{b}})
	}
	return groups
}

type managerGroup struct {
	sm       strategy.SessionManager
	backends []*AuthenticationBackend
}

// Sessions lists the user's sessions in every backend that can list them,
// newest first. When r was authenticated as that user, its own session is
// marked current.
func (k *AuthKit) Sessions(r *http.Request, userID uuid.UUID) ([]SessionInfo, error) {
	ctx := r.Context()
	s, authed := sessionFrom(ctx)
	authed = authed && s.user.ID == userID
	out := []SessionInfo{}
	for _, g := range k.sessionManagers() {
		// Any strategy may know the request's token (two JWT backends
		// share a key): ask each; session ids are random, so at most one
		// session matches.
		current := ""
		if authed {
			id, err := g.sm.SessionOf(ctx, s.token)
			if err != nil && !errors.Is(err, strategy.ErrInvalidToken) {
				return nil, err
			}
			current = id
		}
		list, err := g.sm.Sessions(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			out = append(out, SessionInfo{
				ID: x.ID, CreatedAt: x.CreatedAt, LastUsedAt: x.LastUsedAt, UserAgent: x.UserAgent, IP: x.IP,
				Current: current != "" && x.ID == current,
			})
		}
	}
	slices.SortStableFunc(out, func(a, b SessionInfo) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// EndSession ends one session of the user, in whichever backend holds it;
// false when none does.
func (k *AuthKit) EndSession(r *http.Request, userID uuid.UUID, sessionID string) (bool, error) {
	ctx := r.Context()
	for _, g := range k.sessionManagers() {
		list, err := g.sm.Sessions(ctx, userID)
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(list, func(s strategy.Session) bool { return s.ID == sessionID }) {
			return true, g.sm.EndSession(ctx, userID, sessionID)
		}
	}
	return false, nil
}

// SessionsRouter serves POST /logout-all (mount it at /auth): the caller's
// every session ends, in every backend, the one it came with included.
func (k *AuthKit) SessionsRouter() *Router {
	auth := security(k.backends)
	return NewRouter(Route{
		Method: http.MethodPost, Path: "/logout-all", Summary: "Log out everywhere",
		OperationID: "auth:logout_all", Tags: []string{"auth"}, Security: auth,
		Description: "Ends every session of the caller, in every backend, this one included.",
		Responses:   k.userResponses(http.MethodPost, false, openapi.Response{Status: http.StatusNoContent, Description: "Every session is over."}),
		Handler:     k.CurrentUser(Require{Active: true})(k.handle(k.logoutAll)),
	})
}

func (k *AuthKit) logoutAll(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	if err := k.manager.EndSessions(r.Context(), u.ID, nil); err != nil {
		return err
	}
	k.audit(r, "logout.all", u)
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

// sessionRoutes are the session routes of the users router.
func (k *AuthKit) sessionRoutes(self, super func(http.Handler) http.Handler) []Route {
	auth := security(k.backends)
	list := jsonResponse(http.StatusOK, "The sessions, newest first.", &openapi.Schema{Type: "array", Items: sessionSchema()})
	sid := openapi.Param{Name: "session_id", In: "path", Description: "A session's id, from the listing.", Schema: str("", "")}
	id := userIDParam()
	return []Route{
		{
			Method: http.MethodGet, Path: "/me/sessions", Summary: "The current user's sessions",
			OperationID: "users:current_user_sessions", Tags: []string{"users"}, Security: auth,
			Responses: k.userResponses(http.MethodGet, false, list),
			Handler:   self(k.handle(k.mySessions)),
		},
		{
			Method: http.MethodDelete, Path: "/me/sessions/{session_id}", Summary: "End one of the current user's sessions",
			OperationID: "users:end_current_user_session", Tags: []string{"users"}, Security: auth, Params: []openapi.Param{sid},
			Responses: k.userResponses(http.MethodDelete, false,
				openapi.Response{Status: http.StatusNoContent, Description: "The session's tokens stop working at once."}, notFound()),
			Handler: self(k.handle(k.endMySession)),
		},
		{
			Method: http.MethodGet, Path: "/{id}/sessions", Summary: "A user's sessions (superuser)",
			OperationID: "users:user_sessions", Tags: []string{"users"}, Security: auth, Params: []openapi.Param{id},
			Responses: k.userResponses(http.MethodGet, true, list),
			Handler:   super(k.handle(k.userSessions)),
		},
		{
			Method: http.MethodDelete, Path: "/{id}/sessions", Summary: "End every session of a user (superuser)",
			OperationID: "users:end_user_sessions", Tags: []string{"users"}, Security: auth, Params: []openapi.Param{id},
			Responses: k.userResponses(http.MethodDelete, true, openapi.Response{Status: http.StatusNoContent, Description: "Every session of the user is over."}),
			Handler:   super(k.handle(k.endUserSessions)),
		},
	}
}

func sessionSchema() *openapi.Schema {
	return object("Session", "One login of the user.", map[string]*openapi.Schema{
		"id":           str("", "The session's id (not a token)."),
		"created_at":   str("date-time", ""),
		"last_used_at": str("date-time", "Updated at most once a minute."),
		"user_agent":   str("", ""),
		"ip":           str("", "The client address it was opened from."),
		"current":      boolean("Whether this is the session of the request."),
	}, "id", "created_at", "last_used_at", "user_agent", "ip", "current")
}

func (k *AuthKit) mySessions(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	list, err := k.Sessions(r, u.ID)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, list)
	return nil
}

func (k *AuthKit) endMySession(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	found, err := k.EndSession(r, u.ID, r.PathValue("session_id"))
	if err != nil {
		return err
	}
	if !found {
		return errNotFound
	}
	k.audit(r, "session.end", u, "session_id", r.PathValue("session_id"))
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

func (k *AuthKit) userSessions(w http.ResponseWriter, r *http.Request) error {
	u, err := k.userByPath(r)
	if err != nil {
		return err
	}
	list, err := k.Sessions(r, u.ID)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, list)
	return nil
}

func (k *AuthKit) endUserSessions(w http.ResponseWriter, r *http.Request) error {
	u, err := k.userByPath(r)
	if err != nil {
		return err
	}
	if err := k.manager.EndSessions(r.Context(), u.ID, nil); err != nil {
		return err
	}
	k.auditBy(r, "sessions.end", u)
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}
