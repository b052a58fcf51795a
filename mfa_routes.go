package authkit

// Second factors over HTTP: TOTP enrolment, recovery codes, the second
// step of a password login, and the superuser's reset. The logic of codes
// and sealing is package mfa's; the state is the store's (store.MFAStore,
// store.ChallengeStore).

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/internal/purge"
	"github.com/go-authkit/authkit/mfa"
	"github.com/go-authkit/authkit/openapi"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/transport"
	"github.com/google/uuid"
)

// DefaultMFATokenLifetime is how long an mfa_token lives when
// MFAConfig.TokenLifetime is 0: time to open an authenticator app.
const DefaultMFATokenLifetime = 5 * time.Minute

// MFAConfig turns on second factors: TOTP (RFC 6238) with recovery codes.
// The user store must implement store.MFAStore and store.ChallengeStore.
type MFAConfig struct {
	// SecretKey seals the TOTP secrets at rest (AES-256-GCM): mfa.KeySize
	// random bytes, the same on every instance, best derived for this
	// purpose alone. Required.
	SecretKey []byte
	// Issuer names the application in authenticator apps; "" means "authkit".
	Issuer string
	// TokenLifetime is how long the mfa_token of a login's second step
	// lives; 0 means DefaultMFATokenLifetime.
	TokenLifetime time.Duration
}

// MFARequirement says who must have a second factor to sign in.
type MFARequirement int

const (
	// MFAOptional: users choose (the default).
	MFAOptional MFARequirement = iota
	// MFARequiredForSuperusers: superusers without a second factor must
	// enrol before they can sign in.
	MFARequiredForSuperusers
	// MFARequiredForEveryone: every user must.
	MFARequiredForEveryone
)

// Kinds of challenges, so that no token of one step passes for another.
const (
	challengeMFALogin = "mfa-login"
	challengeMFAEnrol = "mfa-enroll"
)

// The methods a login's second step may name.
const (
	methodTOTP         = "totp"
	methodRecoveryCode = "recovery_code"
	methodPasskey      = "passkey"
)

// mfaState is the kit's second-factor machinery; nil when MFA is off.
type mfaState struct {
	store    store.MFAStore
	sealer   *mfa.Sealer
	issuer   string
	lifetime time.Duration
}

// challenges are the kit's single-use, short-lived tokens in the store:
// mfa_tokens, enrolment tokens, WebAuthn challenges.
type challenges struct {
	store store.ChallengeStore
	now   func() time.Time
	purge purge.Gate // the expired ones go, once a minute
}

// newMFA checks the MFA configuration.
func newMFA(cfg *Config) (*mfaState, error) {
	if cfg.MFA == nil {
		return nil, nil
	}
	ms, ok := cfg.Users.(store.MFAStore)
	if !ok {
		return nil, errors.New("MFA: the user store does not implement store.MFAStore")
	}
	if _, ok := cfg.Users.(store.ChallengeStore); !ok {
		return nil, errors.New("MFA: the user store does not implement store.ChallengeStore")
	}
	sealer, err := mfa.NewSealer(cfg.MFA.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("MFA.SecretKey: %w", err)
	}
	if cfg.MFA.TokenLifetime < 0 {
		return nil, errors.New("MFA.TokenLifetime must not be negative")
	}
	s := &mfaState{store: ms, sealer: sealer, issuer: cfg.MFA.Issuer, lifetime: cfg.MFA.TokenLifetime}
	if s.issuer == "" {
		s.issuer = "authkit"
	}
	if s.lifetime == 0 {
		s.lifetime = DefaultMFATokenLifetime
	}
	return s, nil
}

// create stores a new challenge and returns what the client holds.
func (c *challenges) create(ctx context.Context, kind string, userID uuid.UUID, data any, lifetime time.Duration) (string, error) {
	token, hash, err := strategy.NewOpaqueToken()
	if err != nil {
		return "", err
	}
	if err := c.createHashed(ctx, hash, kind, userID, data, lifetime); err != nil {
		return "", err
	}
	return token, nil
}

// createHashed stores a challenge under hash.
func (c *challenges) createHashed(ctx context.Context, hash, kind string, userID uuid.UUID, data any, lifetime time.Duration) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	now := c.now()
	if err := c.purge.Maybe(now, func() error { return c.store.DeleteChallengesBefore(ctx, now) }); err != nil {
		return fmt.Errorf("authkit: purge challenges: %w", err)
	}
	return c.store.CreateChallenge(ctx, store.Challenge{Hash: hash, Kind: kind, UserID: userID, Data: b, ExpiresAt: now.Add(lifetime)})
}

// get finds a live challenge by the client's token, leaving it, and
// decodes its data into v; store.ErrChallengeNotFound for a malformed,
// unknown, used or expired token.
func (c *challenges) get(ctx context.Context, token, kind string, take bool, v any) (store.Challenge, error) {
	hash, ok := strategy.OpaqueTokenHash(token)
	if !ok {
		return store.Challenge{}, store.ErrChallengeNotFound
	}
	return c.getHashed(ctx, hash, kind, take, v)
}

func (c *challenges) getHashed(ctx context.Context, hash, kind string, take bool, v any) (store.Challenge, error) {
	find := c.store.ChallengeByHash
	if take {
		find = c.store.TakeChallenge
	}
	ch, err := find(ctx, hash, kind, c.now())
	if err != nil {
		return ch, err
	}
	if v != nil {
		if err := json.Unmarshal(ch.Data, v); err != nil {
			return ch, fmt.Errorf("authkit: challenge data: %w", err)
		}
	}
	return ch, nil
}

// mfaLogin is what an mfa_token stands for: the user (the challenge's)
// passed the password check of this backend against this password hash.
type mfaLogin struct {
	Backend  string `json:"backend"`
	Password string `json:"pw"` // fingerprint of the hash checked
}

// mfaRequired is the answer of a right password when a second factor (or
// an enrolment) is needed: 400 with the detail, the token and the methods.
type mfaRequired struct {
	Detail   string   `json:"detail"`
	MFAToken string   `json:"mfa_token"`
	Methods  []string `json:"methods"`
}

func (e *mfaRequired) Error() string { return "authkit: " + e.Detail }

// methodsOf lists the user's second factors; none when MFA is off.
func (k *AuthKit) methodsOf(ctx context.Context, u *User) ([]string, error) {
	methods := []string{}
	if k.mfa != nil {
		t, err := k.mfa.store.TOTPOf(ctx, u.ID)
		switch {
		case err == nil && !t.ConfirmedAt.IsZero():
			methods = append(methods, methodTOTP, methodRecoveryCode)
		case err != nil && !errors.Is(err, store.ErrTOTPNotFound):
			return nil, err
		}
	}
	if k.passkeys != nil {
		list, err := k.passkeys.store.PasskeysOfUser(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			methods = append(methods, methodPasskey)
		}
	}
	return methods, nil
}

// mfaRequiredFor reports whether the configuration demands a second
// factor of u.
func (k *AuthKit) mfaRequiredFor(u *User) bool {
	switch k.cfg.RequireMFA {
	case MFARequiredForEveryone:
		return true
	case MFARequiredForSuperusers:
		return u.IsSuperuser
	}
	return false
}

// secondStep decides what a right password for u leads to: nil (log in),
// or an *mfaRequired asking for the second factor or for an enrolment.
// The password was checked first, so the answer tells only its owner
// whether the account has a second factor.
func (k *AuthKit) secondStep(r *http.Request, b *AuthenticationBackend, u *User) error {
	if k.mfa == nil && k.passkeys == nil {
		return nil
	}
	ctx := r.Context()
	methods, err := k.methodsOf(ctx, u)
	if err != nil {
		return err
	}
	claims := mfaLogin{Backend: b.Name, Password: fingerprint(u.HashedPassword)}
	switch {
	case len(methods) > 0:
		token, err := k.challenges.create(ctx, challengeMFALogin, u.ID, claims, k.mfaLifetime())
		if err != nil {
			return err
		}
		k.audit(r, "login.mfa_required", u, "backend", b.Name)
		return &mfaRequired{Detail: "LOGIN_MFA_REQUIRED", MFAToken: token, Methods: methods}
	case k.mfaRequiredFor(u):
		token, err := k.challenges.create(ctx, challengeMFAEnrol, u.ID, claims, k.mfaLifetime())
		if err != nil {
			return err
		}
		k.audit(r, "login.mfa_enrollment_required", u, "backend", b.Name)
		return &mfaRequired{Detail: "LOGIN_MFA_ENROLLMENT_REQUIRED", MFAToken: token, Methods: []string{methodTOTP}}
	}
	return nil
}

func (k *AuthKit) mfaLifetime() time.Duration {
	if k.mfa != nil {
		return k.mfa.lifetime
	}
	return DefaultMFATokenLifetime
}

// mfaTokenUser loads the user an mfa_token of kind stands for, and checks
// that the token still holds: same backend (for a login), same password.
// take consumes it. Any failure is errBadMFAToken.
func (k *AuthKit) mfaTokenUser(ctx context.Context, token, kind, backend string, take bool) (*User, error) {
	var claims mfaLogin
	ch, err := k.challenges.get(ctx, token, kind, take, &claims)
	if errors.Is(err, store.ErrChallengeNotFound) {
		return nil, errBadMFAToken
	}
	if err != nil {
		return nil, err
	}
	if backend != "" && claims.Backend != backend {
		return nil, errBadMFAToken
	}
	u, err := k.manager.Get(ctx, ch.UserID)
	switch {
	case errors.Is(err, ErrUserNotFound):
		return nil, errBadMFAToken
	case err != nil:
		return nil, err
	}
	// A password changed (or an account deactivated) since voids the token.
	if !u.IsActive || subtle.ConstantTimeCompare([]byte(claims.Password), []byte(fingerprint(u.HashedPassword))) != 1 {
		return nil, errBadMFAToken
	}
	return u, nil
}

var (
	errBadMFAToken = errDetail(http.StatusBadRequest, "LOGIN_BAD_MFA_TOKEN")
	errBadMFACode  = errDetail(http.StatusBadRequest, "LOGIN_BAD_MFA_CODE")
	// The self-service routes' own codes.
	errMFABadCode     = errDetail(http.StatusBadRequest, "MFA_BAD_CODE")
	errTOTPEnabled    = errDetail(http.StatusBadRequest, "MFA_TOTP_ALREADY_ENABLED")
	errTOTPNotPending = errDetail(http.StatusBadRequest, "MFA_TOTP_NOT_PENDING")
	errTOTPNotEnabled = errDetail(http.StatusBadRequest, "MFA_TOTP_NOT_ENABLED")
)

// errFactor is a code that did not pass: wrong, replayed or used.
var errFactor = errors.New("authkit: second factor refused")

// useFactor checks and consumes one of the user's factors: a TOTP code
// (each time step accepted once) or a recovery code (each once). errFactor
// when it does not pass.
func (k *AuthKit) useFactor(ctx context.Context, u *User, code, recovery string) (method string, err error) {
	if recovery != "" {
		switch err := k.mfa.store.UseRecoveryCode(ctx, u.ID, mfa.HashRecoveryCode(recovery)); {
		case errors.Is(err, store.ErrRecoveryCodeNotFound):
			return methodRecoveryCode, errFactor
		case err != nil:
			return methodRecoveryCode, err
		}
		return methodRecoveryCode, nil
	}
	step, err := k.checkTOTP(ctx, u, code, true)
	if err != nil {
		return methodTOTP, err
	}
	switch err := k.mfa.store.UseTOTPStep(ctx, u.ID, step); {
	case errors.Is(err, store.ErrTOTPStepUsed), errors.Is(err, store.ErrTOTPNotFound):
		return methodTOTP, errFactor
	case err != nil:
		return methodTOTP, err
	}
	return methodTOTP, nil
}

// checkTOTP validates code against the user's secret — confirmed, or
// pending when confirmed is false — and returns the step it matched.
func (k *AuthKit) checkTOTP(ctx context.Context, u *User, code string, confirmed bool) (int64, error) {
	t, err := k.mfa.store.TOTPOf(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrTOTPNotFound):
		return 0, errFactor
	case err != nil:
		return 0, err
	case t.ConfirmedAt.IsZero() == confirmed:
		return 0, errFactor
	}
	secret, err := k.mfa.sealer.Open(t.Secret, u.ID[:])
	if err != nil {
		// Another key, or a row moved: no code can pass.
		k.log.WarnContext(ctx, "authkit: stored totp secret refused", "user_id", u.ID, "error", err)
		return 0, errFactor
	}
	step, ok := mfa.ValidateTOTP(string(secret), code, k.manager.now())
	if !ok {
		return 0, errFactor
	}
	return step, nil
}

// loginMFA is POST /auth/{backend}/login/mfa: the second step of a login.
func (k *AuthKit) loginMFA(b *AuthenticationBackend) func(w http.ResponseWriter, r *http.Request) error {
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
		token, _ := f.String("mfa_token", true)
		code, recovery := oneCode(f)
		if err := f.err(); err != nil {
			return err
		}
		if err := k.takeMFAAddress(r); err != nil {
			return err
		}
		ctx := r.Context()
		u, err := k.mfaTokenUser(ctx, token, challengeMFALogin, b.Name, false)
		if err != nil {
			return err
		}
		if err := k.takeMFAUser(r, u); err != nil {
			return err
		}
		method, err := k.useFactor(ctx, u, code, recovery)
		if errors.Is(err, errFactor) {
			k.audit(r, "login.mfa_failure", u, "backend", b.Name, "method", method)
			return errBadMFACode
		}
		if err != nil {
			return err
		}
		// The factor passed; the token goes now, once: of two requests
		// with one token, one logs in.
		if _, err := k.mfaTokenUser(ctx, token, challengeMFALogin, b.Name, true); err != nil {
			return err
		}
		if err := k.mfaSucceeded(r, u); err != nil {
			return err
		}
		// The user changed since the password step (a reset, ended
		// sessions): that login is over.
		if err := k.issueLogin(w, r, b, u, "mfa", method); errors.Is(err, strategy.ErrStaleUser) {
			return errBadMFAToken
		} else if err != nil {
			return err
		}
		return nil
	}
}

// oneCode reads the code or the recovery_code of a body: exactly one.
func oneCode(f *fields) (code, recovery string) {
	code, hasCode := f.String("code", false)
	recovery, hasRecovery := f.String("recovery_code", false)
	if hasCode == hasRecovery && len(f.errs) == 0 {
		f.fail("missing", "code", "Field required: code or recovery_code, not both")
	}
	return code, recovery
}

// takeMFAAddress and takeMFAUser count an attempt at a code from r's
// address and against u, so that the 10^6 codes cannot be walked.
func (k *AuthKit) takeMFAAddress(r *http.Request) error {
	if k.throttle == nil {
		return nil
	}
	return take(r.Context(), limitStep{k.throttle.mfaAddress, k.client(r)})
}

func (k *AuthKit) takeMFAUser(r *http.Request, u *User) error {
	if k.throttle == nil {
		return nil
	}
	return take(r.Context(), limitStep{k.throttle.mfaUser, u.ID.String()})
}

// mfaSucceeded clears the user's count of code attempts.
func (k *AuthKit) mfaSucceeded(r *http.Request, u *User) error {
	if k.throttle == nil {
		return nil
	}
	if err := k.throttle.mfaUser.Reset(r.Context(), u.ID.String()); err != nil {
		return fmt.Errorf("authkit: throttle: %w", err)
	}
	return nil
}

// mfaRoutes are the second-factor routes of the users router; nil when
// MFA is off. They come before /{id}: /me/mfa is not a user id.
func (k *AuthKit) mfaRoutes(self, super func(http.Handler) http.Handler) []Route {
	if k.mfa == nil {
		return nil
	}
	auth := security(k.backends)
	// The enrolment routes also take the token of LOGIN_MFA_ENROLLMENT_REQUIRED.
	enrol := k.CurrentUser(Require{Active: true, Verified: k.cfg.RequireVerification, Optional: true})
	id := openapi.Param{Name: "id", In: "path", Description: "The user's id.", Schema: str("uuid", "")}
	codes := jsonResponse(http.StatusOK, "The new recovery codes, each good once. They are shown this once: only their hashes are kept.", recoveryCodesSchema())
	return []Route{
		{
			Method: http.MethodGet, Path: "/me/mfa", Summary: "The current user's second factors",
			OperationID: "users:current_user_mfa", Tags: []string{"users"}, Security: auth,
			Responses: k.userResponses(http.MethodGet, false, jsonResponse(http.StatusOK, "Which second factors are on.", mfaStatusSchema())),
			Handler:   self(k.handle(k.mfaStatus)),
		},
		{
			Method: http.MethodPost, Path: "/me/mfa/totp", Summary: "Begin TOTP enrolment",
			OperationID: "users:begin_totp", Tags: []string{"users"}, Security: auth,
			Description: "Makes a new TOTP secret, pending until confirmed. Without a session, the body carries the mfa_token of LOGIN_MFA_ENROLLMENT_REQUIRED.",
			Request:     jsonBody(enrolTokenSchema()),
			Responses: k.userResponses(http.MethodPost, false,
				jsonResponse(http.StatusOK, "The secret, for an authenticator app: scan the QR code or type the secret.", totpEnrolSchema()),
				badRequest([]string{"MFA_TOTP_ALREADY_ENABLED", "LOGIN_BAD_MFA_TOKEN"}), tooLarge(), unprocessable()),
			Handler: enrol(k.handle(k.beginTOTP)),
		},
		{
			Method: http.MethodPost, Path: "/me/mfa/totp/confirm", Summary: "Confirm TOTP enrolment",
			OperationID: "users:confirm_totp", Tags: []string{"users"}, Security: auth,
			Description: "Turns TOTP on with a code of the pending secret and returns the recovery codes. The user's other sessions end. Without a session, the body carries the mfa_token of LOGIN_MFA_ENROLLMENT_REQUIRED (then good no more): log in again.",
			Request:     jsonBody(totpConfirmSchema()),
			Responses: k.userResponses(http.MethodPost, false, codes,
				badRequest([]string{"MFA_BAD_CODE", "MFA_TOTP_NOT_PENDING", "LOGIN_BAD_MFA_TOKEN"}), tooLarge(), unprocessable(), throttled()),
			Handler: enrol(k.handle(k.confirmTOTP)),
		},
		{
			Method: http.MethodDelete, Path: "/me/mfa/totp", Summary: "Turn TOTP off",
			OperationID: "users:disable_totp", Tags: []string{"users"}, Security: auth,
			Description: "Needs the current password and a code (or a recovery code). The recovery codes go too; the user's other sessions end.",
			Request:     jsonBody(totpDisableSchema()),
			Responses: k.userResponses(http.MethodDelete, false,
				openapi.Response{Status: http.StatusNoContent, Description: "TOTP is off."},
				badRequest([]string{"MFA_BAD_CODE", "MFA_TOTP_NOT_ENABLED", "UPDATE_USER_BAD_CURRENT_PASSWORD"}), tooLarge(), unprocessable(), throttled()),
			Handler: self(k.handle(k.disableTOTP)),
		},
		{
			Method: http.MethodPost, Path: "/me/mfa/recovery-codes", Summary: "New recovery codes",
			OperationID: "users:regenerate_recovery_codes", Tags: []string{"users"}, Security: auth,
			Description: "Replaces the recovery codes; needs a current code or the password. The user's other sessions end.",
			Request:     jsonBody(regenerateSchema()),
			Responses: k.userResponses(http.MethodPost, false, codes,
				badRequest([]string{"MFA_BAD_CODE", "MFA_TOTP_NOT_ENABLED", "UPDATE_USER_BAD_CURRENT_PASSWORD"}), tooLarge(), unprocessable(), throttled()),
			Handler: self(k.handle(k.regenerateCodes)),
		},
		{
			Method: http.MethodDelete, Path: "/{id}/mfa", Summary: "Reset a user's second factors (superuser)",
			OperationID: "users:reset_user_mfa", Tags: []string{"users"}, Security: auth, Params: []openapi.Param{id},
			Description: "Deletes the user's TOTP secret, recovery codes and passkeys, and ends every session of theirs; audited.",
			Responses:   k.userResponses(http.MethodDelete, true, openapi.Response{Status: http.StatusNoContent, Description: "The user has no second factor now."}),
			Handler:     super(k.handle(k.resetUserMFA)),
		},
	}
}

// mfaStatus is the body of GET /users/me/mfa.
type mfaStatus struct {
	TOTP              bool `json:"totp"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
	Passkeys          int  `json:"passkeys"`
}

func (k *AuthKit) mfaStatus(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	ctx := r.Context()
	var st mfaStatus
	t, err := k.mfa.store.TOTPOf(ctx, u.ID)
	switch {
	case err == nil:
		st.TOTP = !t.ConfirmedAt.IsZero()
	case !errors.Is(err, store.ErrTOTPNotFound):
		return err
	}
	if st.RecoveryCodesLeft, err = k.mfa.store.RecoveryCodesLeft(ctx, u.ID); err != nil {
		return err
	}
	if k.passkeys != nil {
		list, err := k.passkeys.store.PasskeysOfUser(ctx, u.ID)
		if err != nil {
			return err
		}
		st.Passkeys = len(list)
	}
	httpjson.Write(w, http.StatusOK, st)
	return nil
}

// enrolee is the user of an enrolment request: the session's, or the one
// the body's mfa_token (of LOGIN_MFA_ENROLLMENT_REQUIRED) stands for.
// f is the decoded body (nil when a session needs none and there is none).
func (k *AuthKit) enrolee(w http.ResponseWriter, r *http.Request, needBody bool) (u *User, f *fields, token string, err error) {
	u, ok := UserFrom(r.Context())
	if ok && !needBody {
		return u, nil, "", nil
	}
	if f, err = k.decodeOptionalJSON(w, r); err != nil {
		return nil, nil, "", err
	}
	if ok {
		return u, f, "", nil
	}
	token, _ = f.String("mfa_token", false)
	if token == "" {
		return nil, nil, "", errUnauthorized
	}
	u, err = k.mfaTokenUser(r.Context(), token, challengeMFAEnrol, "", false)
	return u, f, token, err
}

// totpEnrolment is the body of POST /users/me/mfa/totp.
type totpEnrolment struct {
	URI    string `json:"otpauth_uri"`
	Secret string `json:"secret"`
	QRCode string `json:"qr_code"`
}

func (k *AuthKit) beginTOTP(w http.ResponseWriter, r *http.Request) error {
	u, _, _, err := k.enrolee(w, r, false)
	if err != nil {
		return err
	}
	key, err := mfa.NewTOTPKey(k.mfa.issuer, u.Email)
	if err != nil {
		return err
	}
	qr, err := mfa.QRCode(key)
	if err != nil {
		return err
	}
	err = k.mfa.store.PutPendingTOTP(r.Context(), store.TOTP{
		UserID: u.ID, Secret: k.mfa.sealer.Seal([]byte(key.Secret()), u.ID[:]), CreatedAt: k.manager.timestamp(),
	})
	switch {
	case errors.Is(err, store.ErrTOTPEnabled):
		return errTOTPEnabled
	case err != nil:
		return err
	}
	k.audit(r, "mfa.totp.begin", u)
	httpjson.Write(w, http.StatusOK, totpEnrolment{URI: key.URL(), Secret: key.Secret(), QRCode: qr})
	return nil
}

// recoveryCodes is the body that shows new recovery codes, once.
type recoveryCodes struct {
	Codes []string `json:"recovery_codes"`
}

func (k *AuthKit) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	u, f, token, err := k.enrolee(w, r, true)
	if err != nil {
		return err
	}
	code, _ := f.String("code", true)
	if err := f.err(); err != nil {
		return err
	}
	if err := k.takeMFAUser(r, u); err != nil {
		return err
	}
	ctx := r.Context()
	t, err := k.mfa.store.TOTPOf(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrTOTPNotFound):
		return errTOTPNotPending
	case err != nil:
		return err
	case !t.ConfirmedAt.IsZero():
		return errTOTPEnabled
	}
	step, err := k.checkTOTP(ctx, u, code, false)
	if errors.Is(err, errFactor) {
		k.audit(r, "mfa.totp.confirm_failure", u)
		return errMFABadCode
	}
	if err != nil {
		return err
	}
	if token != "" {
		// The enrolment token works once.
		if _, err := k.mfaTokenUser(ctx, token, challengeMFAEnrol, "", true); err != nil {
			return err
		}
	}
	codes, hashes := mfa.NewRecoveryCodes(mfa.RecoveryCodes)
	switch err := k.mfa.store.ConfirmTOTP(ctx, u.ID, t.Secret, step, k.manager.timestamp(), hashes); {
	case errors.Is(err, store.ErrTOTPNotFound): // replaced or confirmed meanwhile
		return errTOTPNotPending
	case err != nil:
		return err
	}
	if err := k.codeChanged(r, u, "mfa.totp.enabled"); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, recoveryCodes{Codes: codes})
	return nil
}

// mfaChanged follows a change of the user's second factors: the user's
// other sessions end (all of them when r has none of the user's), and
// the change is audited.
func (k *AuthKit) mfaChanged(r *http.Request, u *User, event string, attrs ...any) error {
	if err := k.manager.EndSessions(r.Context(), u.ID, r); err != nil {
		return err
	}
	k.audit(r, event, u, attrs...)
	return nil
}

// codeChanged is mfaChanged after a code passed: the user's count of
// code attempts is cleared too.
func (k *AuthKit) codeChanged(r *http.Request, u *User, event string) error {
	if err := k.mfaSucceeded(r, u); err != nil {
		return err
	}
	return k.mfaChanged(r, u, event)
}

// confirmedTOTP returns errTOTPNotEnabled unless u has TOTP on.
func (k *AuthKit) confirmedTOTP(ctx context.Context, u *User) error {
	t, err := k.mfa.store.TOTPOf(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrTOTPNotFound):
		return errTOTPNotEnabled
	case err != nil:
		return err
	case t.ConfirmedAt.IsZero():
		return errTOTPNotEnabled
	}
	return nil
}

func (k *AuthKit) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return err
	}
	pw, _ := f.String("password", true)
	code, recovery := oneCode(f)
	if err := f.err(); err != nil {
		return err
	}
	if err := k.takeMFAUser(r, u); err != nil {
		return err
	}
	ctx := r.Context()
	if err := k.confirmedTOTP(ctx, u); err != nil {
		return err
	}
	if ok, err := k.manager.checkPassword(ctx, u, pw); err != nil {
		return err
	} else if !ok {
		k.audit(r, "mfa.totp.disable_failure", u, "reason", "bad_password")
		return errDetail(http.StatusBadRequest, "UPDATE_USER_BAD_CURRENT_PASSWORD")
	}
	if method, err := k.useFactor(ctx, u, code, recovery); errors.Is(err, errFactor) {
		k.audit(r, "mfa.totp.disable_failure", u, "reason", "bad_code", "method", method)
		return errMFABadCode
	} else if err != nil {
		return err
	}
	if err := k.mfa.store.DeleteTOTP(ctx, u.ID); err != nil {
		return err
	}
	if err := k.codeChanged(r, u, "mfa.totp.disabled"); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

func (k *AuthKit) regenerateCodes(w http.ResponseWriter, r *http.Request) error {
	u, _ := UserFrom(r.Context())
	f, err := k.decodeJSON(w, r)
	if err != nil {
		return err
	}
	code, hasCode := f.String("code", false)
	pw, hasPW := f.String("password", false)
	if hasCode == hasPW && len(f.errs) == 0 {
		f.fail("missing", "code", "Field required: code or password, not both")
	}
	if err := f.err(); err != nil {
		return err
	}
	if err := k.takeMFAUser(r, u); err != nil {
		return err
	}
	ctx := r.Context()
	if err := k.confirmedTOTP(ctx, u); err != nil {
		return err
	}
	if hasPW {
		if ok, err := k.manager.checkPassword(ctx, u, pw); err != nil {
			return err
		} else if !ok {
			return errDetail(http.StatusBadRequest, "UPDATE_USER_BAD_CURRENT_PASSWORD")
		}
	} else if _, err := k.useFactor(ctx, u, code, ""); errors.Is(err, errFactor) {
		return errMFABadCode
	} else if err != nil {
		return err
	}
	codes, hashes := mfa.NewRecoveryCodes(mfa.RecoveryCodes)
	if err := k.mfa.store.ReplaceRecoveryCodes(ctx, u.ID, hashes, k.manager.timestamp()); err != nil {
		return err
	}
	if err := k.codeChanged(r, u, "mfa.recovery_codes.regenerated"); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, recoveryCodes{Codes: codes})
	return nil
}

func (k *AuthKit) resetUserMFA(w http.ResponseWriter, r *http.Request) error {
	u, err := k.userByPath(r)
	if err != nil {
		return err
	}
	if err := k.ResetMFA(r.Context(), u, r); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusNoContent, nil)
	return nil
}

// ResetMFA deletes every second factor of u — TOTP secret, recovery codes,
// passkeys — and ends every session of theirs, for a user who lost their
// device; audited as mfa.reset (with the superuser of r, when there is
// one, as actor_id). r may be nil (a CLI). It needs a store that implements
// store.MFAStore (and store.PasskeyStore for passkeys), whether or not
// this kit serves MFA.
func (k *AuthKit) ResetMFA(ctx context.Context, u *User, r *http.Request) error {
	ms, ok := k.cfg.Users.(store.MFAStore)
	if !ok {
		return errors.New("authkit: the user store does not implement store.MFAStore")
	}
	if err := ms.DeleteTOTP(ctx, u.ID); err != nil {
		return err
	}
	if ps, ok := k.cfg.Users.(store.PasskeyStore); ok {
		list, err := ps.PasskeysOfUser(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, p := range list {
			if err := ps.DeletePasskey(ctx, u.ID, p.ID); err != nil && !errors.Is(err, store.ErrPasskeyNotFound) {
				return err
			}
		}
	}
	if err := k.manager.EndSessions(ctx, u.ID, nil); err != nil {
		return err
	}
	if r != nil {
		k.auditBy(r, "mfa.reset", u)
	} else {
		k.auditCtx(ctx, nil, "mfa.reset", u)
	}
	return nil
}

func mfaStatusSchema() *openapi.Schema {
	return object("MFAStatus", "The user's second factors.", map[string]*openapi.Schema{
		"totp":                boolean("Whether TOTP is on."),
		"recovery_codes_left": {Type: "integer", Description: "Unused recovery codes."},
		"passkeys":            {Type: "integer", Description: "Registered passkeys."},
	}, "totp", "recovery_codes_left", "passkeys")
}

func enrolTokenSchema() *openapi.Schema {
	return object("MFAEnrolRequest", "Empty with a session; else the enrolment token.", map[string]*openapi.Schema{
		"mfa_token": str("", "The mfa_token of LOGIN_MFA_ENROLLMENT_REQUIRED, when there is no session."),
	})
}

func totpEnrolSchema() *openapi.Schema {
	return object("TOTPEnrolment", "A new TOTP secret: SHA-1, 6 digits, 30 seconds.", map[string]*openapi.Schema{
		"otpauth_uri": str("uri", "otpauth://totp/... for authenticator apps."),
		"secret":      str("", "The secret in base32, to type in by hand."),
		"qr_code":     str("uri", "The URI as a QR code: a data:image/png;base64 URL."),
	}, "otpauth_uri", "secret", "qr_code")
}

func totpConfirmSchema() *openapi.Schema {
	return object("TOTPConfirmRequest", "", map[string]*openapi.Schema{
		"code":      str("", "A current 6-digit code of the pending secret."),
		"mfa_token": str("", "The mfa_token of LOGIN_MFA_ENROLLMENT_REQUIRED, when there is no session."),
	}, "code")
}

func totpDisableSchema() *openapi.Schema {
	return object("TOTPDisableRequest", "The password and one code: code or recovery_code.", map[string]*openapi.Schema{
		"password":      str("password", "The current password."),
		"code":          str("", "A current 6-digit code."),
		"recovery_code": str("", "A recovery code instead of a code."),
	}, "password")
}

func regenerateSchema() *openapi.Schema {
	return object("RecoveryCodesRequest", "One of code or password.", map[string]*openapi.Schema{
		"code":     str("", "A current 6-digit code."),
		"password": str("password", "The current password."),
	})
}

func recoveryCodesSchema() *openapi.Schema {
	return object("RecoveryCodes", "", map[string]*openapi.Schema{
		"recovery_codes": {Type: "array", Items: str("", ""), Description: "Ten codes, each good once."},
	}, "recovery_codes")
}

func loginMFASchema() *openapi.Schema {
	return object("LoginMFARequest", "The second step of a login: the mfa_token and one code.", map[string]*openapi.Schema{
		"mfa_token":     str("", "The mfa_token of LOGIN_MFA_REQUIRED; good once, for minutes."),
		"code":          str("", "A current 6-digit TOTP code."),
		"recovery_code": str("", "A recovery code instead of a code; each is good once."),
	}, "mfa_token")
}

// mfaRequiredSchema documents the 400 of a right password when a second
// factor is needed.
func mfaRequiredSchema() *openapi.Schema {
	return object("MFARequired", "The password was right; a second step is needed.", map[string]*openapi.Schema{
		"detail":    str("", "LOGIN_MFA_REQUIRED or LOGIN_MFA_ENROLLMENT_REQUIRED."),
		"mfa_token": str("", "For POST login/mfa (or the passkey routes), or for the enrolment routes; good once, for minutes."),
		"methods":   {Type: "array", Items: str("", "totp, recovery_code or passkey."), Description: "The user's second factors, or those the user may enrol."},
	}, "detail", "mfa_token", "methods")
}

// mfaLoginBadRequest is the 400 of a login when second factors are on:
// the codes, and the body of LOGIN_MFA_REQUIRED.
func (k *AuthKit) mfaLoginBadRequest(codes []string) openapi.Response {
	r := badRequest(append(codes, "LOGIN_MFA_REQUIRED"))
	if k.cfg.RequireMFA != MFAOptional {
		r.Codes = append(r.Codes, "LOGIN_MFA_ENROLLMENT_REQUIRED")
	}
	r.Description = "Refused; detail says why. LOGIN_MFA_REQUIRED (the password was right) comes with an mfa_token for the second step and the user's methods."
	r.Schema = &openapi.Schema{AnyOf: []*openapi.Schema{openapi.ErrorModel(), mfaRequiredSchema()}}
	return r
}

// secondStepRoutes are the routes of the auth router that complete a
// login with a second factor, or sign in with a passkey.
func (k *AuthKit) secondStepRoutes(b *AuthenticationBackend, doc openapi.TransportDoc) []Route {
	var routes []Route
	if k.mfa != nil {
		resp := []openapi.Response{doc.Login, badRequest([]string{"LOGIN_BAD_MFA_TOKEN", "LOGIN_BAD_MFA_CODE"}), tooLarge(), unprocessable(), throttled(), unavailable()}
		if refusesCrossSite(b) {
			resp = append(resp, forbidden("Refused: "+crossSite+"."))
		}
		routes = append(routes, Route{
			Method: http.MethodPost, Path: "/login/mfa", Summary: "Log in: second factor (" + b.Name + ")",
			OperationID: "auth:" + b.Name + ".login_mfa", Tags: []string{"auth"},
			Description: "Completes a login that answered LOGIN_MFA_REQUIRED, with a TOTP code or a recovery code, and answers as the login does. " +
				"Each code is good once; the mfa_token is good once (a wrong code leaves it), for this backend, until the password changes. Attempts are throttled per user and per address.",
			Request:   jsonBody(loginMFASchema()),
			Responses: resp,
			Handler:   k.handle(k.loginMFA(b)),
		})
	}
	return append(routes, k.passkeyLoginRoutes(b, doc)...)
}
