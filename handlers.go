package authkit

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"github.com/google/uuid"
)

// RegisterRouter serves POST /register.
func (k *AuthKit) RegisterRouter() *Router {
	return NewRouter(Route{
		Method: http.MethodPost, Path: "/register", Summary: "Register",
		OperationID: "register:register", Tags: []string{"auth"},
		Request: jsonBody(userCreateSchema(k.cfg.UserFields)),
		Responses: []openapi.Response{
			jsonResponse(http.StatusCreated, "The new user: active, unverified, not a superuser.", userSchema(k.cfg.UserFields)),
			badRequest([]string{"REGISTER_USER_ALREADY_EXISTS"}, "REGISTER_INVALID_PASSWORD"),
			tooLarge(), unprocessable(), throttled(), unavailable(),
		},
		Handler: k.handle(k.register),
	})
}

// AuthRouter serves POST /login and POST /logout (and POST /refresh when
// the backend issues refresh tokens) for the named backend; mount it at
// /auth/{name}. A name New was not given is ErrUnknownBackend; a backend
// whose strategy only verifies another issuer's tokens (strategy.ReadOnly,
// as strategy/jwks) has no login or logout to serve, and is an error too.
func (k *AuthKit) AuthRouter(backend string) (*Router, error) {
	b := k.backend(backend)
	if b == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownBackend, backend)
	}
	if ro, ok := b.Strategy.(strategy.ReadOnly); ok && ro.ReadOnly() {
		return nil, fmt.Errorf("authkit: backend %q verifies another issuer's tokens: it has no login or logout routes", backend)
	}
	doc := describe(b)
	loginCodes := []string{"LOGIN_BAD_CREDENTIALS"}
	if k.cfg.RequireVerification {
		loginCodes = append(loginCodes, "LOGIN_USER_NOT_VERIFIED")
	}
	loginBad := badRequest(loginCodes)
	if k.mfa != nil || k.passkeys != nil {
		loginBad = k.mfaLoginBadRequest(loginCodes)
	}
	login := []openapi.Response{doc.Login, loginBad, tooLarge(), unprocessable(), throttled(), unavailable()}
	logout := []openapi.Response{doc.Logout, unauthorized(), unavailable()}
	if refusesCrossSite(b) {
		login = append(login, forbidden("Refused: "+crossSite+"."))
		logout = append(logout, forbidden("Refused: "+crossSite+"."))
	}
	routes := []Route{
		{
			Method: http.MethodPost, Path: "/login", Summary: "Log in (" + b.Name + ")",
			OperationID: "auth:" + b.Name + ".login", Tags: []string{"auth"},
			Description: "The OAuth2 password grant: username is the email. Unknown email, wrong password and inactive user all answer LOGIN_BAD_CREDENTIALS.",
			Request:     &openapi.Body{ContentTypes: []string{mediaForm, mediaMultipart}, Schema: loginFormSchema()},
			Responses:   login,
			Handler:     k.handle(k.login(b)),
		},
		Route{
			Method: http.MethodPost, Path: "/logout", Summary: "Log out (" + b.Name + ")",
			OperationID: "auth:" + b.Name + ".logout", Tags: []string{"auth"},
			Responses: logout,
			Security:  security([]*AuthenticationBackend{b}),
			Handler:   k.handle(k.logout(b)),
		},
	}
	routes = append(routes, k.secondStepRoutes(b, doc)...)
	if rf := refresher(b); rf != nil {
		route := Route{
			Method: http.MethodPost, Path: "/refresh", Summary: "Refresh (" + b.Name + ")",
			OperationID: "auth:" + b.Name + ".refresh", Tags: []string{"auth"},
			Description: "Exchanges a refresh token for a new access token and refresh token. Each refresh token is good once: presenting a used one ends its whole session (it was stolen).",
			Request:     jsonBody(refreshSchema()),
			Responses:   []openapi.Response{doc.Login, badRequest([]string{"REFRESH_TOKEN_INVALID"}), tooLarge(), unprocessable(), throttled(), unavailable()},
			Handler:     k.handle(k.refresh(b, rf)),
		}
		if refusesCrossSite(b) {
			// The refresh cookie carries the token; no body.
			route.Request = nil
			route.Responses = []openapi.Response{doc.Login, badRequest([]string{"REFRESH_TOKEN_INVALID"}), forbidden("Refused: " + crossSite + "."), throttled(), unavailable()}
		}
		routes = append(routes, route)
	}
	return NewRouter(routes...), nil
}

// refresher is b's refresh capability, when its strategy issues refresh
// tokens and its transport can hand them over; nil otherwise.
func refresher(b *AuthenticationBackend) strategy.Refresher {
	rf, ok := b.Strategy.(strategy.Refresher)
	if !ok || rf.RefreshLifetime() == 0 {
		return nil
	}
	if c, ok := b.Transport.(transport.RefreshCarrier); !ok || !c.CarriesRefresh() {
		return nil
	}
	return rf
}

func (k *AuthKit) refresh(b *AuthenticationBackend, rf strategy.Refresher) func(w http.ResponseWriter, r *http.Request) error {
	carrier := b.Transport.(transport.RefreshCarrier) // refresher checked it
	return func(w http.ResponseWriter, r *http.Request) error {
		gated, err := k.takeRefresh(r)
		if err != nil {
			return err
		}
		token := carrier.RefreshToken(r)
		if token != "" {
			// A cookie the browser sent on its own: not from another site.
			if oc, ok := b.Transport.(transport.OriginChecker); ok {
				if err := oc.CheckOrigin(r); err != nil {
					return errForbidden
				}
			}
		} else {
			f, err := k.decodeJSON(w, r)
			if err != nil {
				return err
			}
			token, _ = f.String("refresh_token", true)
			if err := f.err(); err != nil {
				return err
			}
		}
		ctx := strategy.WithClient(gated, strategy.Client{UserAgent: r.UserAgent(), IP: k.client(r)})
		u, access, next, err := rf.Refresh(ctx, token)
		switch {
		case errors.Is(err, strategy.ErrRefreshReused):
			// Theft: the session is over for thief and owner alike.
			k.audit(r, "refresh.reuse", nil, "backend", b.Name)
			return errDetail(http.StatusBadRequest, "REFRESH_TOKEN_INVALID")
		case errors.Is(err, strategy.ErrInvalidToken):
			return errDetail(http.StatusBadRequest, "REFRESH_TOKEN_INVALID")
		case err != nil:
			return err
		}
		if !u.IsActive || k.cfg.RequireVerification && !u.IsVerified {
			return errDetail(http.StatusBadRequest, "REFRESH_TOKEN_INVALID")
		}
		k.audit(r, "refresh", u, "backend", b.Name)
		return b.Transport.WriteLogin(w, transport.Login{
			AccessToken: access, Lifetime: b.Strategy.Lifetime(), RefreshToken: next, RefreshLifetime: rf.RefreshLifetime(),
		})
	}
}

// UsersRouter serves GET/PATCH /me and, for superusers, GET/PATCH/DELETE /{id}.
func (k *AuthKit) UsersRouter() *Router {
	self := k.CurrentUser(Require{Active: true, Verified: k.cfg.RequireVerification})
	super := k.CurrentUser(Require{Active: true, Verified: k.cfg.RequireVerification, Superuser: true})
	auth := security(k.backends)
	id := []openapi.Param{userIDParam()}
	user := userSchema(k.cfg.UserFields)
	updateCodes := []string{"UPDATE_USER_EMAIL_ALREADY_EXISTS"}
	if !k.cfg.NoCurrentPassword {
		updateCodes = append(updateCodes, "UPDATE_USER_BAD_CURRENT_PASSWORD")
	}
	// The session routes come first: /me/sessions is not a user id.
	// So do the second factors' routes: /me/mfa is not a user id either.
	first := append(k.sessionRoutes(self, super), k.mfaRoutes(self, super)...)
	first = append(first, k.passkeyRoutes(self)...)
	return NewRouter(append(first,
		Route{
			Method: http.MethodGet, Path: "/me", Summary: "The current user",
			OperationID: "users:current_user", Tags: []string{"users"}, Security: auth,
			Responses: k.userResponses(http.MethodGet, false, jsonResponse(http.StatusOK, "The current user.", user)),
			Handler:   self(k.handle(k.getMe)),
		},
		Route{
			Method: http.MethodPatch, Path: "/me", Summary: "Update the current user",
			OperationID: "users:patch_current_user", Tags: []string{"users"}, Security: auth,
			Request: jsonBody(userUpdateSchema(false, k.cfg.UserFields)),
			Responses: k.userResponses(http.MethodPatch, false,
				jsonResponse(http.StatusOK, "The updated user.", user),
				badRequest(updateCodes, "UPDATE_USER_INVALID_PASSWORD"), conflict(), tooLarge(), unprocessable()),
			Handler: self(k.handle(k.patchMe)),
		},
		Route{
			Method: http.MethodGet, Path: "/{id}", Summary: "A user (superuser)",
			OperationID: "users:user", Tags: []string{"users"}, Security: auth, Params: id,
			Responses: k.userResponses(http.MethodGet, true, jsonResponse(http.StatusOK, "The user.", user)),
			Handler:   super(k.handle(k.getUser)),
		},
		Route{
			Method: http.MethodPatch, Path: "/{id}", Summary: "Update a user (superuser)",
			OperationID: "users:patch_user", Tags: []string{"users"}, Security: auth, Params: id,
			Request: jsonBody(userUpdateSchema(true, k.cfg.UserFields)),
			Responses: k.userResponses(http.MethodPatch, true,
				jsonResponse(http.StatusOK, "The updated user.", user),
				badRequest([]string{"UPDATE_USER_EMAIL_ALREADY_EXISTS"}, "UPDATE_USER_INVALID_PASSWORD"), conflict(), tooLarge(), unprocessable()),
			Handler: super(k.handle(k.patchUser)),
		},
		Route{
			Method: http.MethodDelete, Path: "/{id}", Summary: "Delete a user (superuser)",
			OperationID: "users:delete_user", Tags: []string{"users"}, Security: auth, Params: id,
			Responses: k.userResponses(http.MethodDelete, true, openapi.Response{Status: http.StatusNoContent, Description: "Deleted; the user's sessions are over."}),
			Handler:   super(k.handle(k.deleteUser)),
		},
	)...)
}

func (k *AuthKit) register(w http.ResponseWriter, r *http.Request) error {
	if err := k.takeRequest(r, "register"); err != nil {
		return err
	}
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return err
	}
	email, _ := f.Email("email", true)
	pw, _ := f.String("password", true)
	own := f.userFields(k.cfg.UserFields, true, false)
	if err := f.err(); err != nil {
		return err
	}
	u, err := k.manager.Register(r.Context(), UserCreate{Email: email, Password: pw, Fields: own}, r)
	switch {
	case errors.Is(err, ErrInvalidPassword):
		return invalidPassword("REGISTER_INVALID_PASSWORD", err)
	case errors.Is(err, ErrUserAlreadyExists):
		return errDetail(http.StatusBadRequest, "REGISTER_USER_ALREADY_EXISTS")
	case err != nil:
		return err
	}
	k.audit(r, "register", u)
	httpjson.Write(w, http.StatusCreated, u)
	return nil
}

func invalidPassword(code string, err error) error {
	var ipe *InvalidPasswordError
	errors.As(err, &ipe)
	return errDetail(http.StatusBadRequest, codeReason{Code: code, Reason: ipe.Reason})
}

func (k *AuthKit) login(b *AuthenticationBackend) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		// A login form posted from another site would log the victim into
		// the attacker's account: refuse it where the browser sends cookies.
		if oc, ok := b.Transport.(transport.OriginChecker); ok {
			if err := oc.CheckOrigin(r); err != nil {
				return errForbidden
			}
		}
		f, err := k.decodeForm(w, r)
		if err != nil {
			return err
		}
		username, _ := f.String("username", true)
		pw, _ := f.String("password", true)
		if grant, ok := f.String("grant_type", false); ok && grant != "password" {
			f.fail("string_pattern_mismatch", "grant_type", "String should match pattern '^password$'")
		}
		if err := f.err(); err != nil {
			return err
		}
		if err := k.takeLogin(r, username); err != nil {
			return err
		}
		// A token is issued only while the user is as authenticated: when
		// the user changed in between (a reset, a deactivation), the
		// strategy refuses, and the login starts over against the change.
		var u *User
		var login transport.Login
		for attempt := 0; ; attempt++ {
			u, err = k.manager.Authenticate(r.Context(), username, pw)
			switch {
			case errors.Is(err, ErrBadCredentials):
				k.audit(r, "login.failure", nil, "backend", b.Name, "reason", "bad_credentials")
				return errDetail(http.StatusBadRequest, "LOGIN_BAD_CREDENTIALS")
			case err != nil:
				return err
			}
			if k.cfg.RequireVerification && !u.IsVerified {
				if err := k.loginSucceeded(r, username); err != nil {
					return err
				}
				k.audit(r, "login.failure", u, "backend", b.Name, "reason", "not_verified")
				return errDetail(http.StatusBadRequest, "LOGIN_USER_NOT_VERIFIED")
			}
			// A second factor, or an enrolment, may be due first.
			if err := k.secondStep(r, b, u); err != nil {
				var mr *mfaRequired
				if errors.As(err, &mr) {
					if err := k.loginSucceeded(r, username); err != nil {
						return err
					}
				}
				return err
			}
			login, err = k.issue(r, b, u)
			if errors.Is(err, strategy.ErrStaleUser) && attempt < maxIssueAttempts-1 {
				continue
			}
			if err != nil {
				return err
			}
			break
		}
		if err := k.loginSucceeded(r, username); err != nil {
			return err
		}
		if err := b.Transport.WriteLogin(w, login); err != nil {
			return err
		}
		k.audit(r, "login.success", u, "backend", b.Name)
		if hook := k.cfg.Hooks.OnAfterLogin; hook != nil {
			hook(r.Context(), u, r)
		}
		return nil
	}
}

// maxIssueAttempts bounds the logins started over because the user
// changed between authentication and issuance.
const maxIssueAttempts = 3

// issue makes the tokens of a login of u through b, for the client of r.
func (k *AuthKit) issue(r *http.Request, b *AuthenticationBackend, u *User) (transport.Login, error) {
	// Who the session is for, as session listings will show it.
	ctx := strategy.WithClient(r.Context(), strategy.Client{UserAgent: r.UserAgent(), IP: k.client(r)})
	login := transport.Login{Lifetime: b.Strategy.Lifetime()}
	var err error
	if rf := refresher(b); rf != nil {
		login.RefreshLifetime = rf.RefreshLifetime()
		login.AccessToken, login.RefreshToken, err = rf.WriteWithRefresh(ctx, u)
	} else {
		login.AccessToken, err = b.Strategy.Write(ctx, u)
	}
	return login, err
}

func (k *AuthKit) logout(b *AuthenticationBackend) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, err := k.authenticate(r, []*AuthenticationBackend{b}, Require{Active: true})
		if err != nil {
			return err
		}
		if err := b.Strategy.Destroy(r.Context(), s.token, s.user); err != nil {
			return err
		}
		k.audit(r, "logout", s.user, "backend", b.Name)
		return b.Transport.WriteLogout(w)
	}
}

func (k *AuthKit) getMe(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	httpjson.Write(w, http.StatusOK, u)
	return nil
}

func (k *AuthKit) patchMe(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	upd, err := k.decodeUpdate(w, r, false)
	if err != nil {
		return err
	}
	before := *u
	u, err = k.manager.UpdateOwn(r.Context(), u, upd, !k.cfg.NoCurrentPassword, r)
	if errors.Is(err, ErrBadCurrentPassword) {
		k.audit(r, "user.update.failure", &before, "reason", "bad_current_password")
	}
	if err != nil {
		return updateError(err)
	}
	k.auditUpdate(r, &before, u)
	httpjson.Write(w, http.StatusOK, u)
	return nil
}

// decodeUpdate reads a PATCH body; privileged fields only when asked.
func (k *AuthKit) decodeUpdate(w http.ResponseWriter, r *http.Request, privileged bool) (UserUpdate, error) {
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return UserUpdate{}, err
	}
	upd := UserUpdate{
		Email:           f.EmailPtr("email"),
		Password:        f.StringPtr("password"),
		CurrentPassword: f.StringPtr("current_password"),
	}
	if privileged {
		upd.IsActive = f.BoolPtr("is_active")
		upd.IsSuperuser = f.BoolPtr("is_superuser")
		upd.IsVerified = f.BoolPtr("is_verified")
	}
	upd.Fields = f.userFields(k.cfg.UserFields, false, privileged)
	return upd, f.err()
}

func updateError(err error) error {
	switch {
	case errors.Is(err, ErrInvalidPassword):
		return invalidPassword("UPDATE_USER_INVALID_PASSWORD", err)
	case errors.Is(err, ErrUserAlreadyExists):
		return errDetail(http.StatusBadRequest, "UPDATE_USER_EMAIL_ALREADY_EXISTS")
	case errors.Is(err, ErrBadCurrentPassword):
		return errDetail(http.StatusBadRequest, "UPDATE_USER_BAD_CURRENT_PASSWORD")
	case errors.Is(err, ErrUserNotFound):
		return errNotFound
	case errors.Is(err, ErrUpdateConflict):
		return errDetail(http.StatusConflict, "UPDATE_USER_CONFLICT")
	}
	return err
}

// userByPath loads the user named by the {id} path segment; a malformed
// id is as unknown as a missing one.
func (k *AuthKit) userByPath(r *http.Request) (*User, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return nil, errNotFound
	}
	u, err := k.manager.Get(r.Context(), id)
	if errors.Is(err, ErrUserNotFound) {
		return nil, errNotFound
	}
	return u, err
}

func (k *AuthKit) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := k.userByPath(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, u)
	return nil
}

func (k *AuthKit) patchUser(w http.ResponseWriter, r *http.Request) error {
	u, err := k.userByPath(r)
	if err != nil {
		return err
	}
	upd, err := k.decodeUpdate(w, r, true)
	if err != nil {
		return err
	}
	before := *u
	if u, err = k.manager.Update(r.Context(), u, upd, r); err != nil {
		return updateError(err)
	}
	k.auditUpdate(r, &before, u)
	httpjson.Write(w, http.StatusOK, u)
	return nil
}

func (k *AuthKit) deleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := k.userByPath(r)
	if err != nil {
		return err
	}
	if err := k.manager.Delete(r.Context(), u, r); err != nil {
		return updateError(err)
	}
	k.auditBy(r, "user.delete", u)
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

// ResetPasswordRouter serves POST /forgot-password and POST /reset-password.
func (k *AuthKit) ResetPasswordRouter() *Router {
	return NewRouter(
		Route{
			Method: http.MethodPost, Path: "/forgot-password", Summary: "Forgot password",
			OperationID: "reset:forgot_password", Tags: []string{"auth"},
			Description: "Mails a reset token to an active user of that email, at most a few times per window. The answer is the same whether or not there is one, and whether or not a mail goes out.",
			Request:     jsonBody(emailRequestSchema()),
			Responses: []openapi.Response{
				nullResponse(http.StatusAccepted, "Accepted, whether or not the user exists."),
				tooLarge(), unprocessable(), throttled(), unavailable(),
			},
			Handler: k.handle(k.forgotPassword),
		},
		Route{
			Method: http.MethodPost, Path: "/reset-password", Summary: "Reset password",
			OperationID: "reset:reset_password", Tags: []string{"auth"},
			Description: "Sets a new password with the token of the reset mail. The token works once; every session of the user ends.",
			Request:     jsonBody(resetPasswordSchema()),
			Responses: []openapi.Response{
				nullResponse(http.StatusOK, "The password is changed."),
				badRequest([]string{"RESET_PASSWORD_BAD_TOKEN"}, "RESET_PASSWORD_INVALID_PASSWORD"),
				tooLarge(), unprocessable(), unavailable(),
			},
			Handler: k.handle(k.resetPassword),
		},
	)
}

// VerifyRouter serves POST /request-verify-token and POST /verify.
func (k *AuthKit) VerifyRouter() *Router {
	return NewRouter(
		Route{
			Method: http.MethodPost, Path: "/request-verify-token", Summary: "Request a verify token",
			OperationID: "verify:request-token", Tags: []string{"auth"},
			Description: "Mails a verify token to an active, unverified user of that email, at most a few times per window. The answer is the same whether or not there is one, and whether or not a mail goes out.",
			Request:     jsonBody(emailRequestSchema()),
			Responses: []openapi.Response{
				nullResponse(http.StatusAccepted, "Accepted, whether or not the user exists."),
				tooLarge(), unprocessable(), throttled(), unavailable(),
			},
			Handler: k.handle(k.requestVerify),
		},
		Route{
			Method: http.MethodPost, Path: "/verify", Summary: "Verify",
			OperationID: "verify:verify", Tags: []string{"auth"},
			Description: "Marks the user verified with the token of the verify mail.",
			Request:     jsonBody(verifySchema()),
			Responses: []openapi.Response{
				jsonResponse(http.StatusOK, "The user, now verified.", userSchema(k.cfg.UserFields)),
				badRequest([]string{"VERIFY_USER_BAD_TOKEN", "VERIFY_USER_ALREADY_VERIFIED"}),
				tooLarge(), unprocessable(), unavailable(),
			},
			Handler: k.handle(k.verify),
		},
	)
}

// emailBody reads the {"email"} body of forgot-password and
// request-verify-token, after counting the request against route's limit.
func (k *AuthKit) emailBody(w http.ResponseWriter, r *http.Request, route string) (string, error) {
	if err := k.takeRequest(r, route); err != nil {
		return "", err
	}
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return "", err
	}
	email, _ := f.Email("email", true)
	return email, f.err()
}

func (k *AuthKit) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	email, err := k.emailBody(w, r, "forgot-password")
	if err != nil {
		return err
	}
	send, err := k.mailAllowed(r, "forgot-password", email)
	if err != nil {
		return err
	}
	if send {
		if err := k.manager.ForgotPassword(r.Context(), email, r); err != nil {
			return err
		}
	}
	httpjson.Write(w, http.StatusAccepted, nil)
	return nil
}

func (k *AuthKit) resetPassword(w http.ResponseWriter, r *http.Request) error {
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return err
	}
	token, _ := f.String("token", true)
	pw, _ := f.String("password", true)
	if err := f.err(); err != nil {
		return err
	}
	u, err := k.manager.ResetPassword(r.Context(), token, pw, r)
	switch {
	case errors.Is(err, ErrBadToken):
		return errDetail(http.StatusBadRequest, "RESET_PASSWORD_BAD_TOKEN")
	case errors.Is(err, ErrInvalidPassword):
		return invalidPassword("RESET_PASSWORD_INVALID_PASSWORD", err)
	case err != nil:
		return err
	}
	k.audit(r, "password.reset", u)
	httpjson.Write(w, http.StatusOK, nil)
	return nil
}

func (k *AuthKit) requestVerify(w http.ResponseWriter, r *http.Request) error {
	email, err := k.emailBody(w, r, "request-verify-token")
	if err != nil {
		return err
	}
	send, err := k.mailAllowed(r, "request-verify-token", email)
	if err != nil {
		return err
	}
	if send {
		if err := k.manager.RequestVerify(r.Context(), email, r); err != nil {
			return err
		}
	}
	httpjson.Write(w, http.StatusAccepted, nil)
	return nil
}

func (k *AuthKit) verify(w http.ResponseWriter, r *http.Request) error {
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return err
	}
	token, _ := f.String("token", true)
	if err := f.err(); err != nil {
		return err
	}
	u, err := k.manager.Verify(r.Context(), token, r)
	switch {
	case errors.Is(err, ErrBadToken):
		return errDetail(http.StatusBadRequest, "VERIFY_USER_BAD_TOKEN")
	case errors.Is(err, ErrAlreadyVerified):
		return errDetail(http.StatusBadRequest, "VERIFY_USER_ALREADY_VERIFIED")
	case err != nil:
		return err
	}
	k.audit(r, "verify", u)
	httpjson.Write(w, http.StatusOK, u)
	return nil
}
