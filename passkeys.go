package authkit

// Passkeys over HTTP (WebAuthn, through github.com/go-webauthn/webauthn):
// registration under /users/me/passkeys, passwordless and usernameless
// sign-in at /auth/{backend}/passkey, and a passkey as the second step of
// a password login. Every challenge is kept in the store (single-use,
// short-lived, good on every instance) under a hash of the challenge
// itself, which the browser signs back.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
)

// DefaultPasskeyTimeout is how long a passkey ceremony (begin to finish)
// may take when PasskeyConfig.Timeout is 0.
const DefaultPasskeyTimeout = 5 * time.Minute

// PasskeyConfig turns on passkeys (WebAuthn). The user store must
// implement store.PasskeyStore and store.ChallengeStore.
type PasskeyConfig struct {
	// RPID is the relying party's id, the domain passkeys are bound to
	// ("example.com"; "localhost" for local use). Required.
	RPID string
	// Origins are the origins of the pages that use passkeys
	// ("https://example.com"). Required.
	Origins []string
	// RPDisplayName names the site in the browser's dialogs; "" means RPID.
	RPDisplayName string
	// AllowUserVerificationPreferred accepts authenticators that did not
	// verify the user (PIN, biometrics). Off: user verification is
	// required, so a passkey alone is two factors.
	AllowUserVerificationPreferred bool
	// Timeout bounds a ceremony; 0 means DefaultPasskeyTimeout.
	Timeout time.Duration
}

// passkeyState is the kit's passkey machinery; nil when passkeys are off.
type passkeyState struct {
	store   store.PasskeyStore
	wa      *webauthn.WebAuthn
	uv      protocol.UserVerificationRequirement
	timeout time.Duration
}

func newPasskeys(cfg *Config) (*passkeyState, error) {
	pc := cfg.Passkeys
	if pc == nil {
		return nil, nil
	}
	switch {
	case pc.RPID == "":
		return nil, errors.New("Passkeys.RPID is required")
	case len(pc.Origins) == 0:
		return nil, errors.New("Passkeys.Origins are required")
	case pc.Timeout < 0:
		return nil, errors.New("Passkeys.Timeout must not be negative")
	}
	ps, ok := cfg.Users.(store.PasskeyStore)
	if !ok {
		return nil, errors.New("Passkeys: the user store does not implement store.PasskeyStore")
	}
	if _, ok := cfg.Users.(store.ChallengeStore); !ok {
		return nil, errors.New("Passkeys: the user store does not implement store.ChallengeStore")
	}
	s := &passkeyState{store: ps, uv: protocol.VerificationRequired, timeout: pc.Timeout}
	if pc.AllowUserVerificationPreferred {
		s.uv = protocol.VerificationPreferred
	}
	if s.timeout == 0 {
		s.timeout = DefaultPasskeyTimeout
	}
	name := pc.RPDisplayName
	if name == "" {
		name = pc.RPID
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: pc.RPID, RPDisplayName: name, RPOrigins: pc.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: s.uv,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: s.timeout, TimeoutUVD: s.timeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: s.timeout, TimeoutUVD: s.timeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("Passkeys: %w", err)
	}
	s.wa = wa
	return s, nil
}

// Kinds of the passkey challenges.
const (
	challengePasskeyRegister = "passkey-register"
	challengePasskeyLogin    = "passkey-login"
)

// passkeyUser is a user as go-webauthn sees one: the user handle is the
// id's 16 bytes.
type passkeyUser struct {
	u     *User
	creds []webauthn.Credential
}

func (p *passkeyUser) WebAuthnID() []byte                         { return p.u.ID[:] }
func (p *passkeyUser) WebAuthnName() string                       { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.u.Email }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

// webauthnUser loads u's passkeys, decoded, with the stored records.
func (k *AuthKit) webauthnUser(ctx context.Context, u *User) (*passkeyUser, []store.Passkey, error) {
	list, err := k.passkeys.store.PasskeysOfUser(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	pu := &passkeyUser{u: u}
	for _, p := range list {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Credential, &c); err != nil {
			return nil, nil, fmt.Errorf("authkit: passkey %s: %w", p.ID, err)
		}
		pu.creds = append(pu.creds, c)
	}
	return pu, list, nil
}

// challengeHash is the key a WebAuthn challenge is kept under.
func challengeHash(challenge string) string {
	sum := sha256.Sum256([]byte("authkit webauthn challenge\x00" + challenge))
	return hex.EncodeToString(sum[:])
}

// passkeySession is what a passkey challenge keeps: go-webauthn's session
// data and, for the second step of a login, the mfa_token's hash.
type passkeySession struct {
	Session  webauthn.SessionData `json:"session"`
	MFAToken string               `json:"mfa_token,omitempty"`
	Backend  string               `json:"backend,omitempty"`
}

// keepSession stores a ceremony's session data under its challenge.
func (k *AuthKit) keepSession(ctx context.Context, kind string, userID uuid.UUID, s passkeySession) error {
	return k.challenges.createHashed(ctx, challengeHash(s.Session.Challenge), kind, userID, s, k.passkeys.timeout)
}

// takeSession takes the session of the challenge the browser signed: once.
func (k *AuthKit) takeSession(ctx context.Context, kind, challenge string) (store.Challenge, passkeySession, error) {
	var s passkeySession
	ch, err := k.challenges.getHashed(ctx, challengeHash(challenge), kind, true, &s)
	return ch, s, err
}

var errBadPasskey = errDetail(http.StatusBadRequest, "LOGIN_BAD_PASSKEY")

// passkeyRoutes are the passkey routes of the users router.
func (k *AuthKit) passkeyRoutes(self func(http.Handler) http.Handler) []Route {
	if k.passkeys == nil {
		return nil
	}
	auth := security(k.backends)
	list := jsonResponse(http.StatusOK, "The passkeys, oldest first.", &openapi.Schema{Type: "array", Items: passkeySchema()})
	pid := openapi.Param{Name: "passkey_id", In: "path", Description: "A passkey's id, from the listing.", Schema: str("uuid", "")}
	return []Route{
		{
			Method: http.MethodPost, Path: "/me/passkeys/begin", Summary: "Begin registering a passkey",
			OperationID: "users:begin_passkey", Tags: []string{"users"}, Security: auth,
			Description: "The options for navigator.credentials.create(): a discoverable credential, user verification required.",
			Responses:   k.userResponses(http.MethodPost, false, jsonResponse(http.StatusOK, "WebAuthn creation options.", webauthnOptionsSchema("PasskeyCreationOptions"))),
			Handler:     self(k.handle(k.beginPasskey)),
		},
		{
			Method: http.MethodPost, Path: "/me/passkeys/finish", Summary: "Finish registering a passkey",
			OperationID: "users:finish_passkey", Tags: []string{"users"}, Security: auth,
			Description: "Stores the credential the browser made from the options of begin (good once, for minutes). The user's other sessions end.",
			Request:     jsonBody(passkeyFinishSchema()),
			Responses: k.userResponses(http.MethodPost, false,
				jsonResponse(http.StatusCreated, "The new passkey.", passkeySchema()),
				badRequest([]string{"PASSKEY_INVALID", "PASSKEY_ALREADY_REGISTERED"}), tooLarge(), unprocessable()),
			Handler: self(k.handle(k.finishPasskey)),
		},
		{
			Method: http.MethodGet, Path: "/me/passkeys", Summary: "The current user's passkeys",
			OperationID: "users:current_user_passkeys", Tags: []string{"users"}, Security: auth,
			Responses: k.userResponses(http.MethodGet, false, list),
			Handler:   self(k.handle(k.listPasskeys)),
		},
		{
			Method: http.MethodDelete, Path: "/me/passkeys/{passkey_id}", Summary: "Remove a passkey",
			OperationID: "users:delete_passkey", Tags: []string{"users"}, Security: auth, Params: []openapi.Param{pid},
			Description: "The passkey stops working at once; the user's other sessions end.",
			Responses: k.userResponses(http.MethodDelete, false,
				openapi.Response{Status: http.StatusNoContent, Description: "Removed."}, notFound()),
			Handler: self(k.handle(k.deletePasskey)),
		},
	}
}

// passkeyLoginRoutes are the passkey routes of backend b's auth router.
func (k *AuthKit) passkeyLoginRoutes(b *AuthenticationBackend, doc openapi.TransportDoc) []Route {
	if k.passkeys == nil {
		return nil
	}
	finish := []openapi.Response{doc.Login, badRequest(k.passkeyLoginCodes()), tooLarge(), unprocessable(), unavailable()}
	if refusesCrossSite(b) {
		finish = append(finish, forbidden("Refused: "+crossSite+"."))
	}
	return []Route{
		{
			Method: http.MethodPost, Path: "/passkey/begin", Summary: "Begin signing in with a passkey (" + b.Name + ")",
			OperationID: "auth:" + b.Name + ".passkey_begin", Tags: []string{"auth"},
			Description: "The options for navigator.credentials.get(): any discoverable passkey of this site (no username). " +
				"With the mfa_token of LOGIN_MFA_REQUIRED, only that user's passkeys, as the second step of a password login. Throttled per address.",
			Request:   jsonBody(enrolTokenSchemaFor("PasskeyBeginRequest", "The mfa_token of LOGIN_MFA_REQUIRED, for a passkey as the second step; absent for a passwordless sign-in.")),
			Responses: []openapi.Response{jsonResponse(http.StatusOK, "WebAuthn request options.", webauthnOptionsSchema("PasskeyRequestOptions")), badRequest([]string{"LOGIN_BAD_MFA_TOKEN"}), tooLarge(), unprocessable(), throttled(), unavailable()},
			Handler:   k.handle(k.beginPasskeyLogin(b)),
		},
		{
			Method: http.MethodPost, Path: "/passkey/finish", Summary: "Sign in with a passkey (" + b.Name + ")",
			OperationID: "auth:" + b.Name + ".passkey_finish", Tags: []string{"auth"},
			Description: "Checks the assertion against the challenge of begin (good once, for minutes) and answers as the login does. " +
				"A sign count that did not move forward (a cloned authenticator) is refused and audited.",
			Request:   jsonBody(credentialSchema("PasskeyLoginRequest", "The assertion navigator.credentials.get() made.")),
			Responses: finish,
			Handler:   k.handle(k.finishPasskeyLogin(b)),
		},
	}
}

func (k *AuthKit) passkeyLoginCodes() []string {
	codes := []string{"LOGIN_BAD_PASSKEY", "LOGIN_BAD_MFA_TOKEN"}
	if k.cfg.RequireVerification {
		codes = append(codes, "LOGIN_USER_NOT_VERIFIED")
	}
	return codes
}

func (k *AuthKit) beginPasskey(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	ctx := r.Context()
	pu, _, err := k.webauthnUser(ctx, u)
	if err != nil {
		return err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range pu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := k.passkeys.wa.BeginRegistration(pu, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		return fmt.Errorf("authkit: begin passkey registration: %w", err)
	}
	if err := k.keepSession(ctx, challengePasskeyRegister, u.ID, passkeySession{Session: *session}); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, creation)
	return nil
}

// passkeyInfo is a passkey as the routes show it.
type passkeyInfo struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func infoOf(p store.Passkey) passkeyInfo {
	i := passkeyInfo{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt}
	if !p.LastUsedAt.IsZero() {
		i.LastUsedAt = &p.LastUsedAt
	}
	return i
}

// maxPasskeyName bounds the name a user gives a passkey.
const maxPasskeyName = 100

func (k *AuthKit) finishPasskey(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return err
	}
	name, _ := f.String("name", true)
	raw, _ := f.Object("credential", true)
	if name = strings.TrimSpace(name); len(f.errs) == 0 && (name == "" || utf8.RuneCountInString(name) > maxPasskeyName || strings.ContainsRune(name, 0)) {
		f.fail("value_error", "name", fmt.Sprintf("Value error, a name of 1 to %d characters", maxPasskeyName))
	}
	if err := f.err(); err != nil {
		return err
	}
	ctx := r.Context()
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return errDetail(http.StatusBadRequest, "PASSKEY_INVALID")
	}
	ch, s, err := k.takeSession(ctx, challengePasskeyRegister, parsed.Response.CollectedClientData.Challenge)
	switch {
	case errors.Is(err, store.ErrChallengeNotFound):
		return errDetail(http.StatusBadRequest, "PASSKEY_INVALID")
	case err != nil:
		return err
	case ch.UserID != u.ID:
		return errDetail(http.StatusBadRequest, "PASSKEY_INVALID")
	}
	pu, _, err := k.webauthnUser(ctx, u)
	if err != nil {
		return err
	}
	cred, err := k.passkeys.wa.CreateCredential(pu, s.Session, parsed)
	if err != nil {
		k.audit(r, "passkey.register_failure", u, "error", err.Error())
		return errDetail(http.StatusBadRequest, "PASSKEY_INVALID")
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	p := store.Passkey{ID: id, UserID: u.ID, CredentialID: cred.ID, Name: name, Credential: record,
		SignCount: cred.Authenticator.SignCount, CreatedAt: k.manager.timestamp()}
	switch err := k.passkeys.store.CreatePasskey(ctx, p); {
	case errors.Is(err, store.ErrPasskeyTaken):
		return errDetail(http.StatusBadRequest, "PASSKEY_ALREADY_REGISTERED")
	case err != nil:
		return err
	}
	if err := k.mfaChanged(r, u, "passkey.registered", "passkey_id", id.String()); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, infoOf(p))
	return nil
}

func (k *AuthKit) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	list, err := k.passkeys.store.PasskeysOfUser(r.Context(), u.ID)
	if err != nil {
		return err
	}
	out := make([]passkeyInfo, 0, len(list))
	for _, p := range list {
		out = append(out, infoOf(p))
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func (k *AuthKit) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	id, err := uuid.Parse(r.PathValue("passkey_id"))
	if err != nil {
		return errNotFound
	}
	switch err := k.passkeys.store.DeletePasskey(r.Context(), u.ID, id); {
	case errors.Is(err, store.ErrPasskeyNotFound):
		return errNotFound
	case err != nil:
		return err
	}
	if err := k.mfaChanged(r, u, "passkey.deleted", "passkey_id", id.String()); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

func (k *AuthKit) beginPasskeyLogin(b *AuthenticationBackend) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		// Each begin stores a challenge: bound them per address.
		if err := k.takeRequest(r, "passkey"); err != nil {
			return err
		}
		f, err := k.decodeOptionalJSON(w, r)
		if err != nil {
			return err
		}
		token, hasToken := f.String("mfa_token", false)
		if err := f.err(); err != nil {
			return err
		}
		ctx := r.Context()
		var (
			assertion *protocol.CredentialAssertion
			session   *webauthn.SessionData
			keep      = passkeySession{Backend: b.Name}
			userID    uuid.UUID
		)
		if hasToken {
			// The second step of a password login: that user's passkeys.
			u, err := k.mfaTokenUser(ctx, token, challengeMFALogin, b.Name, false)
			if err != nil {
				return err
			}
			pu, _, err := k.webauthnUser(ctx, u)
			if err != nil {
				return err
			}
			if len(pu.creds) == 0 {
				return errBadMFAToken
			}
			assertion, session, err = k.passkeys.wa.BeginLogin(pu, webauthn.WithUserVerification(k.passkeys.uv))
			if err != nil {
				return fmt.Errorf("authkit: begin passkey login: %w", err)
			}
			keep.MFAToken, userID = token, u.ID
		} else {
			assertion, session, err = k.passkeys.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(k.passkeys.uv))
			if err != nil {
				return fmt.Errorf("authkit: begin passkey login: %w", err)
			}
		}
		keep.Session = *session
		if err := k.keepSession(ctx, challengePasskeyLogin, userID, keep); err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, assertion)
		return nil
	}
}

func (k *AuthKit) finishPasskeyLogin(b *AuthenticationBackend) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if oc, ok := b.Transport.(transport.OriginChecker); ok {
			if err := oc.CheckOrigin(r); err != nil {
				return errForbidden
			}
		}
		f, err := k.decodeJSON(w, r)
		if err != nil {
			return err
		}
		raw, _ := f.Object("credential", true)
		if err := f.err(); err != nil {
			return err
		}
		ctx := r.Context()
		parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
		if err != nil {
			return errBadPasskey
		}
		ch, s, err := k.takeSession(ctx, challengePasskeyLogin, parsed.Response.CollectedClientData.Challenge)
		switch {
		case errors.Is(err, store.ErrChallengeNotFound):
			return errBadPasskey
		case err != nil:
			return err
		case s.Backend != b.Name:
			return errBadPasskey
		}
		u, p, err := k.checkAssertion(r, ch, s, parsed)
		if err != nil {
			return err
		}
		if s.MFAToken != "" {
			// The password step's token goes with it, once.
			if _, err := k.mfaTokenUser(ctx, s.MFAToken, challengeMFALogin, b.Name, true); err != nil {
				return err
			}
		} else if k.cfg.RequireVerification && !u.IsVerified {
			k.audit(r, "login.failure", u, "backend", b.Name, "reason", "not_verified", "method", methodPasskey)
			return errDetail(http.StatusBadRequest, "LOGIN_USER_NOT_VERIFIED")
		}
		if err := k.issueLogin(w, r, b, u, "method", methodPasskey, "passkey_id", p.ID.String()); errors.Is(err, strategy.ErrStaleUser) {
			return errBadPasskey // the user changed meanwhile: try again
		} else if err != nil {
			return err
		}
		return nil
	}
}

// checkAssertion verifies a sign-in assertion against the session of its
// challenge: the passkey's signature, user verification, and a sign count
// that moved forward (else the authenticator may be cloned: refused and
// audited). It records the use. Every failure is errBadPasskey.
func (k *AuthKit) checkAssertion(r *http.Request, ch store.Challenge, s passkeySession, parsed *protocol.ParsedCredentialAssertionData) (*User, store.Passkey, error) {
	ctx := r.Context()
	p, err := k.passkeys.store.PasskeyByCredentialID(ctx, parsed.RawID)
	switch {
	case errors.Is(err, store.ErrPasskeyNotFound):
		return nil, p, errBadPasskey
	case err != nil:
		return nil, p, err
	case ch.UserID != uuid.Nil && ch.UserID != p.UserID:
		// The second step of another user's login.
		return nil, p, errBadPasskey
	}
	u, err := k.manager.Get(ctx, p.UserID)
	switch {
	case errors.Is(err, ErrUserNotFound):
		return nil, p, errBadPasskey
	case err != nil:
		return nil, p, err
	case !u.IsActive:
		return nil, p, errBadPasskey
	}
	pu, _, err := k.webauthnUser(ctx, u)
	if err != nil {
		return nil, p, err
	}
	var cred *webauthn.Credential
	if ch.UserID != uuid.Nil {
		cred, err = k.passkeys.wa.ValidateLogin(pu, s.Session, parsed)
	} else {
		cred, err = k.passkeys.wa.ValidateDiscoverableLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			if id, err := uuid.FromBytes(userHandle); err != nil || id != u.ID {
				return nil, errors.New("the user handle is not the passkey's user")
			}
			return pu, nil
		}, s.Session, parsed)
	}
	if err != nil {
		k.audit(r, "passkey.login_failure", u, "passkey_id", p.ID.String(), "error", err.Error())
		return nil, p, errBadPasskey
	}
	if cred.Authenticator.CloneWarning {
		k.audit(r, "passkey.clone_warning", u, "passkey_id", p.ID.String(),
			"stored_count", p.SignCount, "presented_count", parsed.Response.AuthenticatorData.Counter)
		return nil, p, errBadPasskey
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return nil, p, err
	}
	old := p.SignCount
	p.SignCount, p.Credential, p.LastUsedAt = cred.Authenticator.SignCount, record, k.manager.timestamp()
	switch err := k.passkeys.store.UpdatePasskeyUse(ctx, p, old); {
	case errors.Is(err, store.ErrSignCountChanged), errors.Is(err, store.ErrPasskeyNotFound):
		// Another sign-in moved the count meanwhile: two copies at once.
		k.audit(r, "passkey.clone_warning", u, "passkey_id", p.ID.String(), "stored_count", old)
		return nil, p, errBadPasskey
	case err != nil:
		return nil, p, err
	}
	return u, p, nil
}

func passkeySchema() *openapi.Schema {
	return object("Passkey", "A passkey of the user.", map[string]*openapi.Schema{
		"id":           str("uuid", ""),
		"name":         str("", "The user's name for it."),
		"created_at":   str("date-time", ""),
		"last_used_at": {AnyOf: []*openapi.Schema{str("date-time", ""), {Type: "null"}}, Description: "Null until it signs in."},
	}, "id", "name", "created_at", "last_used_at")
}

func webauthnOptionsSchema(name string) *openapi.Schema {
	return object(name, "WebAuthn options: give publicKey (its base64url fields decoded) to navigator.credentials.", map[string]*openapi.Schema{
		"publicKey": {Type: "object", Description: "PublicKeyCredentialCreationOptions or PublicKeyCredentialRequestOptions, in their JSON form.",
			Properties: map[string]*openapi.Schema{"challenge": str("", "base64url; good once, for minutes.")}, Required: []string{"challenge"}},
	}, "publicKey")
}

func credentialSchema(name, description string) *openapi.Schema {
	return object(name, "", map[string]*openapi.Schema{
		"credential": {Type: "object", Description: description + " In its JSON form (PublicKeyCredential.toJSON())."},
	}, "credential")
}

func passkeyFinishSchema() *openapi.Schema {
	s := credentialSchema("PasskeyRegisterRequest", "The credential navigator.credentials.create() made.")
	s.Properties["name"] = str("", "The user's name for the passkey, 1 to 100 characters.")
	s.Required = append(s.Required, "name")
	return s
}

func enrolTokenSchemaFor(name, description string) *openapi.Schema {
	return object(name, "", map[string]*openapi.Schema{"mfa_token": str("", description)})
}
