package authkit

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/go-authkit/authkit/hasher"
	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/mail/outbox"
	"github.com/go-authkit/authkit/password"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/google/uuid"
)

// PasswordPolicy decides whether a password may be set. Validate gets the
// NFKC-normalised password and the user's email; its error is shown to the
// user (a *password.Error's Reason, or else the error's text).
type PasswordPolicy interface {
	Validate(password, email string) error
}

// Hooks are called after (or before) the manager's operations, as FastAPI
// Users' UserManager hooks are. r is the HTTP request when there is one,
// and nil when the call came from elsewhere (a CLI, a test). Hooks run on
// the request's goroutine: keep them quick or hand work off.
type Hooks struct {
	OnAfterRegister func(ctx context.Context, u *User, r *http.Request)
	OnAfterLogin    func(ctx context.Context, u *User, r *http.Request)
	// OnAfterUpdate gets the names of the fields that changed
	// ("email", "password", "is_active", ...).
	OnAfterUpdate func(ctx context.Context, u *User, changed []string, r *http.Request)
	// OnBeforeDelete may veto the deletion by returning an error.
	OnBeforeDelete func(ctx context.Context, u *User, r *http.Request) error
	OnAfterDelete  func(ctx context.Context, u *User, r *http.Request)
	// OnAfterRequestVerify gets the verify token issued to u (also mailed
	// when Config.Mailer is set).
	OnAfterRequestVerify func(ctx context.Context, u *User, token string, r *http.Request)
	OnAfterVerify        func(ctx context.Context, u *User, r *http.Request)
	// OnAfterForgotPassword gets the reset token issued to u (also mailed
	// when Config.Mailer is set).
	OnAfterForgotPassword func(ctx context.Context, u *User, token string, r *http.Request)
	OnAfterResetPassword  func(ctx context.Context, u *User, r *http.Request)
}

// Manager is the user manager: it creates, authenticates, updates and
// deletes users, applying the password policy, hashing, hooks, and ending
// sessions when a password changes or an account goes away. The HTTP
// routes use it; so can an application's own code and tools.
type Manager struct {
	users  store.UserStore
	cas    store.UserVersioner // nil: the store writes whole users, unconditionally
	hasher *boundedHasher
	policy PasswordPolicy
	hooks  Hooks
	// verifyOnRegister: Config.VerifyOnRegister.
	verifyOnRegister bool
	enders           []enderGroup
	fields           []UserField
	log              *slog.Logger
	now              func() time.Time
	// dummyHash is hashed once, lazily: verifying against it makes an
	// unknown email cost the same as a known one.
	dummyHash func() (string, error)
	// dummyUser stands in for unknown emails in the verify and reset flows.
	dummyUser *User

	reset, verify *strategy.Signer
	composer      *mail.Composer // nil: no mail
	outbox        *outbox.Worker // nil: no mail
}

func newManager(cfg *Config, backends []*AuthenticationBackend, log *slog.Logger) (*Manager, error) {
	m := &Manager{
		users:            cfg.Users,
		policy:           cfg.PasswordPolicy,
		hooks:            cfg.Hooks,
		enders:           groupEnders(backends),
		verifyOnRegister: cfg.VerifyOnRegister,
		fields:           cfg.UserFields,
		log:              log,
		now:              cfg.Now,
	}
	m.cas, _ = cfg.Users.(store.UserVersioner)
	h := cfg.Hasher
	if h == nil {
		h = hasher.Default()
	}
	slots, wait := cfg.MaxConcurrentHashes, cfg.HashWait
	if slots == 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	if wait == 0 {
		wait = DefaultHashWait
	}
	m.hasher = newBoundedHasher(h, slots, wait)
	if m.policy == nil {
		m.policy = password.Policy{}
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.dummyHash = sync.OnceValues(func() (string, error) {
		return m.hasher.h.Hash("authkit: a password no account has")
	})
	m.dummyUser = &User{ID: uuid.New(), Email: "nobody@authkit.invalid", HashedPassword: rand.Text()}
	var err error
	if m.reset, err = newSigner(cfg.ResetSecret, ResetAudience, cfg.ResetTokenLifetime, cfg.Now, log); err != nil {
		return nil, err
	}
	if m.verify, err = newSigner(cfg.VerifySecret, VerifyAudience, cfg.VerifyTokenLifetime, cfg.Now, log); err != nil {
		return nil, err
	}
	if cfg.Mailer != nil {
		if m.composer, err = mail.NewComposer(cfg.Mail); err != nil {
			return nil, err
		}
		if m.outbox, err = m.startOutbox(cfg, log); err != nil { // outbox.go
			return nil, err
		}
	}
	return m, nil
}

// Get returns the user with the id, or ErrUserNotFound.
func (m *Manager) Get(ctx context.Context, id uuid.UUID) (*User, error) {
	return m.users.UserByID(ctx, id)
}

// GetByEmail returns the user with the email (compared canonically), or
// ErrUserNotFound.
func (m *Manager) GetByEmail(ctx context.Context, email string) (*User, error) {
	return m.users.UserByEmail(ctx, email)
}

// Register creates an active, unverified, non-superuser account: what a
// client may create for itself. The flags of in and its privileged fields
// are ignored. With Config.VerifyOnRegister the new user is sent a verify
// token.
func (m *Manager) Register(ctx context.Context, in UserCreate, r *http.Request) (*User, error) {
	in.IsActive, in.IsSuperuser, in.IsVerified = true, false, false
	in.Fields = m.ownFields(in.Fields)
	u, err := m.Create(ctx, in, r)
	if err != nil || !m.verifyOnRegister {
		return u, err
	}
	if err := m.sendVerify(ctx, u, false, r); err != nil {
		// The account exists: the user can ask for a token again.
		m.log.ErrorContext(ctx, "authkit: verify token at registration", "user_id", u.ID, "error", err)
	}
	return u, nil
}

// ownFields drops the privileged fields from fs: what a user may set on
// their own.
func (m *Manager) ownFields(fs map[string]any) map[string]any {
	if len(fs) == 0 {
		return nil
	}
	own := maps.Clone(fs)
	for _, d := range m.fields {
		if d.Privileged {
			delete(own, d.Name)
		}
	}
	return own
}

// Create creates a user with every field of in applied. The password policy
// runs before the existence check, as FastAPI Users does.
func (m *Manager) Create(ctx context.Context, in UserCreate, r *http.Request) (*User, error) {
	email, err := ParseEmail(in.Email)
	if err != nil {
		return nil, err
	}
	hash, err := m.newPasswordHash(ctx, in.Password, email)
	if err != nil {
		return nil, err
	}
	now := m.timestamp()
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("authkit: new user id: %w", err)
	}
	u := &User{
		ID:             id,
		Email:          email,
		HashedPassword: hash,
		IsActive:       in.IsActive,
		IsSuperuser:    in.IsSuperuser,
		IsVerified:     in.IsVerified,
		CreatedAt:      now,
		UpdatedAt:      now,
		Fields:         maps.Clone(in.Fields),
	}
	if err := m.users.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrEmailTaken) {
			return nil, ErrUserAlreadyExists
		}
		return nil, err
	}
	if m.hooks.OnAfterRegister != nil {
		m.hooks.OnAfterRegister(ctx, u, r)
	}
	return u, nil
}

// Authenticate returns the active user with this email and password, or
// ErrBadCredentials. Unknown emails, wrong passwords and inactive users
// take the same time: a hash is verified in every case. A hash in an old
// format or with old parameters is replaced on success.
func (m *Manager) Authenticate(ctx context.Context, email, pw string) (*User, error) {
	norm, err := password.Normalize(pw)
	if err != nil {
		return nil, ErrBadCredentials
	}
	u, err := m.userByLogin(ctx, email)
	if errors.Is(err, store.ErrUserNotFound) {
		dummy, herr := m.dummyHash()
		if herr != nil {
			return nil, fmt.Errorf("authkit: dummy hash: %w", herr)
		}
		if _, _, err := m.verifyLogin(ctx, pw, norm, dummy); errors.Is(err, ErrBusy) || ctx.Err() != nil {
			return nil, cmp.Or(ctx.Err(), err)
		}
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	match, rehash, err := m.verifyLogin(ctx, pw, norm, u.HashedPassword)
	if errors.Is(err, ErrBusy) || ctx.Err() != nil {
		return nil, cmp.Or(ctx.Err(), err)
	}
	if err != nil {
		// A hash no hasher reads, or one with planted parameters, logs in nobody.
		m.log.WarnContext(ctx, "authkit: stored password hash refused", "user_id", u.ID, "error", err)
		return nil, ErrBadCredentials
	}
	if !match || !u.IsActive {
		return nil, ErrBadCredentials
	}
	if rehash {
		m.rehash(ctx, u, norm)
	}
	return u, nil
}

// verifyLogin checks a login's password against a stored hash: its NFKC
// form, as authkit hashes passwords, and — when that fails and NFKC changed
// it — the password as typed, as systems that do not normalise (FastAPI
// Users) hashed it; a match that way asks for a rehash of the normal form.
// Unknown emails go through the same steps, so they cost the same.
func (m *Manager) verifyLogin(ctx context.Context, typed, norm, encoded string) (match, rehash bool, err error) {
	match, rehash, err = m.hasher.verify(ctx, norm, encoded)
	if match || err != nil || typed == norm {
		return match, rehash, err
	}
	match, _, err = m.hasher.verify(ctx, typed, encoded)
	return match, match, err
}

// userByLogin finds the user a login names. A username that is no email
// address names nobody (and never reaches the database, which may refuse
// some strings outright).
func (m *Manager) userByLogin(ctx context.Context, username string) (*User, error) {
	email, err := ParseEmail(username)
	if err != nil {
		return nil, store.ErrUserNotFound
	}
	return m.users.UserByEmail(ctx, email)
}

// rehash upgrades u's stored hash; a failure only costs the upgrade.
func (m *Manager) rehash(ctx context.Context, u *User, pw string) {
	hash, err := m.hasher.hash(ctx, pw)
	if err == nil {
		next := *u
		next.HashedPassword, next.UpdatedAt = hash, m.timestamp()
		// By compare-and-set: a change since the login read the user is
		// never overwritten; the upgrade waits for the next login.
		if err = m.write(ctx, u, &next); err == nil {
			*u = next
		}
	}
	if errors.Is(err, store.ErrVersionConflict) {
		return
	}
	if err != nil {
		m.log.WarnContext(ctx, "authkit: rehash failed", "user_id", u.ID, "error", err)
	}
}

// UpdateOwn applies a self-service update: the email, the password and the
// application's fields that are not Privileged. A change of email or
// password needs the right current password when requireCurrent is set
// (PATCH /users/me sets it unless Config.NoCurrentPassword). IsActive,
// IsSuperuser, IsVerified and Privileged fields in upd are ignored. When
// the user changed while it was under way, a change of the email or
// password is refused (ErrUpdateConflict): it was authorised against the
// user as it was; one of own fields alone is re-applied.
func (m *Manager) UpdateOwn(ctx context.Context, u *User, upd UserUpdate, requireCurrent bool, r *http.Request) (*User, error) {
	upd.IsActive, upd.IsSuperuser, upd.IsVerified = nil, nil, nil
	upd.Fields = m.ownFields(upd.Fields)
	changesEmail := upd.Email != nil && *upd.Email != u.Email
	if requireCurrent && (changesEmail || upd.Password != nil) {
		if upd.CurrentPassword == nil {
			return nil, ErrBadCurrentPassword
		}
		if ok, err := m.checkPassword(ctx, u, *upd.CurrentPassword); err != nil {
			return nil, err
		} else if !ok {
			return nil, ErrBadCurrentPassword
		}
	}
	return m.update(ctx, u, upd, r, false)
}

// checkPassword verifies pw against u's hash. Its error is a fault or
// ErrBusy, never a mismatch.
func (m *Manager) checkPassword(ctx context.Context, u *User, pw string) (bool, error) {
	pw, err := password.Normalize(pw)
	if err != nil {
		return false, nil
	}
	match, _, err := m.hasher.verify(ctx, pw, u.HashedPassword)
	if errors.Is(err, ErrBusy) || ctx.Err() != nil {
		return false, cmp.Or(ctx.Err(), err)
	}
	if err != nil {
		m.log.WarnContext(ctx, "authkit: stored password hash refused", "user_id", u.ID, "error", err)
		return false, nil
	}
	return match, nil
}

// Update applies every non-nil field of upd to u, as a superuser may.
// Changing the email (other than its case) unverifies the user; changing
// the password ends the user's other sessions; deactivating ends them all.
//
// Only the fields that change are written, on the condition that the
// stored user is still u (store.UserVersioner). When it is not, upd is
// re-applied to the stored user if none of the fields it writes changed
// meanwhile; otherwise nothing is written and the error is
// ErrUpdateConflict.
func (m *Manager) Update(ctx context.Context, u *User, upd UserUpdate, r *http.Request) (*User, error) {
	return m.update(ctx, u, upd, r, true)
}

// update is Update; reapply says whether a conflict on the security
// fields may be resolved by re-applying upd: not for a change that was
// authorised against u itself (a self-service change checked with the
// current password, a reset or verify token).
func (m *Manager) update(ctx context.Context, u *User, upd UserUpdate, r *http.Request, reapply bool) (*User, error) {
	var email, hash string
	if upd.Email != nil && *upd.Email != u.Email {
		var err error
		if email, err = ParseEmail(*upd.Email); err != nil {
			return nil, err
		}
	}
	if upd.Password != nil {
		var err error
		if hash, err = m.newPasswordHash(ctx, *upd.Password, cmp.Or(email, u.Email)); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		next, changed := m.apply(u, upd, email, hash)
		if len(changed) == 0 {
			return u, nil
		}
		err := m.write(ctx, u, next)
		if errors.Is(err, store.ErrVersionConflict) {
			fresh, ferr := m.users.UserByID(ctx, u.ID)
			if ferr != nil {
				return nil, ferr
			}
			if attempt == maxUpdateAttempts-1 || !reapplicable(u, fresh, upd, reapply) {
				return nil, ErrUpdateConflict
			}
			u = fresh
			continue
		}
		if errors.Is(err, store.ErrEmailTaken) {
			return nil, ErrUserAlreadyExists
		}
		if err != nil {
			return nil, err
		}
		if err := m.afterUpdate(ctx, u, next, changed, r); err != nil {
			return nil, err
		}
		return next, nil
	}
}

// maxUpdateAttempts bounds the re-applications of one update.
const maxUpdateAttempts = 3

// apply returns u with upd applied (email and hash already checked), and
// the names of the fields that changed.
func (m *Manager) apply(u *User, upd UserUpdate, email, hash string) (*User, []string) {
	next := *u
	var changed []string
	if email != "" && email != u.Email {
		if store.CanonicalEmail(email) != store.CanonicalEmail(u.Email) {
			next.IsVerified = false
		}
		next.Email = email
		changed = append(changed, "email")
	}
	if hash != "" {
		next.HashedPassword = hash
		changed = append(changed, "password")
	}
	setFlag := func(dst *bool, v *bool, name string) {
		if v != nil && *v != *dst {
			*dst = *v
			changed = append(changed, name)
		}
	}
	setFlag(&next.IsActive, upd.IsActive, "is_active")
	setFlag(&next.IsSuperuser, upd.IsSuperuser, "is_superuser")
	setFlag(&next.IsVerified, upd.IsVerified, "is_verified")
	var fieldsChanged []string
	next.Fields, fieldsChanged = applyFields(u.Fields, upd.Fields)
	changed = append(changed, fieldsChanged...)
	next.UpdatedAt = m.timestamp()
	return &next, changed
}

// reapplicable reports whether upd, made against old, may be applied to
// fresh: when it sets own fields only, or — when allowed — when none of
// the fields it writes changed between old and fresh, so that applying it
// undoes nobody's change.
func reapplicable(old, fresh *User, upd UserUpdate, allowed bool) bool {
	security := upd.Email != nil || upd.Password != nil || upd.IsActive != nil || upd.IsSuperuser != nil || upd.IsVerified != nil
	if !security {
		return true
	}
	if !allowed {
		return false
	}
	same := (upd.Email == nil || old.Email == fresh.Email && old.IsVerified == fresh.IsVerified) &&
		(upd.Password == nil || old.HashedPassword == fresh.HashedPassword) &&
		(upd.IsActive == nil || old.IsActive == fresh.IsActive) &&
		(upd.IsSuperuser == nil || old.IsSuperuser == fresh.IsSuperuser) &&
		(upd.IsVerified == nil || old.IsVerified == fresh.IsVerified)
	for k := range upd.Fields {
		same = same && reflect.DeepEqual(old.Fields[k], fresh.Fields[k])
	}
	return same
}

// write stores next in place of u: by compare-and-set when the store can.
func (m *Manager) write(ctx context.Context, u, next *User) error {
	if m.cas == nil {
		return m.users.UpdateUser(ctx, next)
	}
	return m.cas.ChangeUser(ctx, u, next)
}

// afterUpdate ends the sessions an update ends, tells the old address of
// an email change, and calls the hook.
func (m *Manager) afterUpdate(ctx context.Context, u, next *User, changed []string, r *http.Request) error {
	switch {
	case u.IsActive && !next.IsActive:
		if err := m.endSessions(ctx, next.ID, nil); err != nil {
			return err
		}
	case slices.Contains(changed, "password"):
		if err := m.endSessions(ctx, next.ID, r); err != nil {
			return err
		}
	}
	if slices.Contains(changed, "email") && m.composer != nil {
		oldEmail, newEmail := u.Email, next.Email
		err := m.deliver(ctx, false, func() (mail.Message, error) { return m.composer.EmailChanged(oldEmail, newEmail) })
		if err != nil {
			// The change is made: a notice that could not be queued is
			// logged, not the update's failure.
			m.log.ErrorContext(ctx, "authkit: email change notice", "user_id", next.ID, "error", err)
		}
	}
	if m.hooks.OnAfterUpdate != nil {
		m.hooks.OnAfterUpdate(ctx, next, changed, r)
	}
	return nil
}

// Delete deletes the user after ending every session of theirs.
func (m *Manager) Delete(ctx context.Context, u *User, r *http.Request) error {
	if m.hooks.OnBeforeDelete != nil {
		if err := m.hooks.OnBeforeDelete(ctx, u, r); err != nil {
			return err
		}
	}
	if err := m.EndSessions(ctx, u.ID, nil); err != nil {
		return err
	}
	if err := m.users.DeleteUser(ctx, u.ID); err != nil {
		return err
	}
	if m.hooks.OnAfterDelete != nil {
		m.hooks.OnAfterDelete(ctx, u, r)
	}
	return nil
}

// EndSessions ends the user's sessions in every strategy that can. When r
// was authenticated as this same user, the token it came with is kept (the
// "other sessions" of a password change); otherwise all end. The user's
// security version moves on first, so that a login that authenticated
// before cannot issue its token after.
func (m *Manager) EndSessions(ctx context.Context, userID uuid.UUID, r *http.Request) error {
	if m.cas != nil {
		if _, err := m.cas.BumpUserVersion(ctx, userID); err != nil && !errors.Is(err, store.ErrUserNotFound) {
			return err
		}
	}
	return m.endSessions(ctx, userID, r)
}

// endSessions is EndSessions after a write that moved the version on.
func (m *Manager) endSessions(ctx context.Context, userID uuid.UUID, r *http.Request) error {
	var keep *session
	if r != nil {
		if s, ok := sessionFrom(r.Context()); ok && s.user.ID == userID {
			keep = s
		}
	}
	token := ""
	if keep != nil {
		token = keep.token
	}
	for _, g := range m.enders {
		// Every strategy sees the kept token, not only its own backend's:
		// strategies may share state (two JWT backends, one store and one
		// cut-off per user), and a token a strategy cannot read keeps
		// nothing of its own.
		if err := g.ender.EndSessions(ctx, userID, token); err != nil {
			return fmt.Errorf("authkit: end sessions in backend %q: %w", g.backends[0].Name, err)
		}
	}
	return nil
}

// enderGroup is one strategy that can end sessions, with the backends that
// share it: it must be asked once, keeping the current token whichever of
// them the request came through.
type enderGroup struct {
	ender    strategy.SessionEnder
	backends []*AuthenticationBackend
}

func groupEnders(backends []*AuthenticationBackend) []enderGroup {
	var groups []enderGroup
next:
	for _, b := range backends {
		ender, ok := b.Strategy.(strategy.SessionEnder)
		if !ok {
			continue
		}
		// Only comparable strategies (pointers, in practice) can be shared.
		if reflect.TypeOf(ender).Comparable() {
			for i := range groups {
				if reflect.TypeOf(groups[i].ender) == reflect.TypeOf(ender) && groups[i].ender == ender {
					groups[i].backends = append(groups[i].backends, b)
					continue next
				}
			}
		}
		groups = append(groups, enderGroup{ender: ender, backends: []*AuthenticationBackend{b}})
	}
	return groups
}

// newPasswordHash applies the policy to a new password and hashes it.
func (m *Manager) newPasswordHash(ctx context.Context, pw, email string) (string, error) {
	norm, err := password.Normalize(pw)
	if err == nil {
		err = m.policy.Validate(norm, email)
	}
	if err != nil {
		reason := err.Error()
		var pe *password.Error
		if errors.As(err, &pe) {
			reason = pe.Reason
		}
		return "", &InvalidPasswordError{Reason: reason, Err: err}
	}
	hash, err := m.hasher.hash(ctx, norm)
	if errors.Is(err, ErrBusy) || ctx.Err() != nil {
		return "", cmp.Or(ctx.Err(), err)
	}
	if err != nil {
		return "", fmt.Errorf("authkit: hash password: %w", err)
	}
	return hash, nil
}

// timestamp is now at the precision every store keeps.
func (m *Manager) timestamp() time.Time {
	return m.now().UTC().Truncate(time.Microsecond)
}
