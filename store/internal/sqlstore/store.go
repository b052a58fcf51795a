package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Store implements store.UserStore, store.UserLister,
// store.AccessTokenStore, store.RevocationStore, store.RefreshTokenStore,
// store.OAuthAccountStore, store.OAuthStateStore, store.MFAStore,
// store.ChallengeStore, store.PasskeyStore and store.Migrator over any
// database/sql driver
// described by a Dialect.
type Store struct {
	// stmts are the per-request reads, prepared once (query → *prepared):
	// lib/pq would otherwise have PostgreSQL parse and plan each of them at
	// every request (BENCHMARKS.md, fix 3).
	stmts sync.Map
	// native, when set, runs the reads of users (read) past
	// database/sql's driver (store/postgres's NativeReads).
	native RowReader
	db     timedDB
	d      Dialect
	ut     userTable
	q      queries
	ms     []migration
}

var (
	_ store.UserStore          = (*Store)(nil)
	_ store.UserLister         = (*Store)(nil)
	_ store.AccessTokenStore   = (*Store)(nil)
	_ store.RevocationStore    = (*Store)(nil)
	_ store.RefreshTokenStore  = (*Store)(nil)
	_ store.OAuthAccountStore  = (*Store)(nil)
	_ store.OAuthStateStore    = (*Store)(nil)
	_ store.Migrator           = (*Store)(nil)
	_ store.UserVersioner      = (*Store)(nil)
	_ store.StampedTokenReader = (*Store)(nil)
	_ store.MFAStore           = (*Store)(nil)
	_ store.ChallengeStore     = (*Store)(nil)
	_ store.PasskeyStore       = (*Store)(nil)
	_ store.RefreshTokenReader = (*Store)(nil)
)

// New returns a Store over db, keeping its users where sc says, each call
// bounded by timeout (0 means DefaultTimeout, a negative one none). It does
// not touch the database: call Migrate to create or adopt the tables.
func New(db *sqlx.DB, d Dialect, sc Schema, timeout time.Duration) (*Store, error) {
	switch {
	case db == nil:
		return nil, errors.New("authkit/store: nil *sqlx.DB")
	case d.IsUniqueViolation == nil || d.Time == nil || d.Migrations == nil:
		return nil, fmt.Errorf("authkit/store: incomplete %s dialect", d.Name)
	case sc.FastAPIUsers && d.FastAPIUsersMigrations == nil:
		return nil, fmt.Errorf("authkit/store: the %s dialect cannot adopt a FastAPI Users table", d.Name)
	}
	ut, err := sc.userTable()
	if err != nil {
		return nil, fmt.Errorf("authkit/store: %s: %w", d.Name, err)
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	s := &Store{db: timedDB{db, timeout}, d: d, ut: ut, q: rebindQueries(d.BindType, ut, d.SkipLocked, d.RowLocks)}
	if ut.migrationsAreAdopt {
		s.ms, err = loadMigrations(d.FastAPIUsersMigrations)
		if err == nil {
			err = s.prepareAdoptMigrations()
		}
	} else {
		s.ms, err = loadMigrations(d.Migrations)
		if err == nil && len(s.ms) > 0 && s.ms[len(s.ms)-1].version > adoptedBase {
			err = fmt.Errorf("migration %q: authkit's own versions stay at or below %d", s.ms[len(s.ms)-1].name, adoptedBase)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("authkit/store: %s migrations: %w", d.Name, err)
	}
	return s, nil
}

// prepareAdoptMigrations names the adopted table in the adopting
// migrations and hooks the steps SQL cannot do to the first of them.
func (s *Store) prepareAdoptMigrations() error {
	for i := range s.ms {
		m := &s.ms[i]
		if m.version <= adoptedBase {
			return fmt.Errorf("migration %q: versions that adopt a table start above %d", m.name, adoptedBase)
		}
		m.sql = s.ut.expand(m.sql)
		if i == 0 {
			m.before, m.after = s.checkAdoptable, s.adoptEmails
		}
	}
	return nil
}

// DB returns the database the store uses.
func (s *Store) DB() *sqlx.DB { return s.db.DB }

// userColumns lists the columns of the table of users in the order of
// userRow and userScan.dests, under userRow's names whatever the schema
// calls them. No own fields ('{}', most users) read as NULL: nothing to
// copy out of the driver at each request.
const userColumns = `u.id, u.email, u.hashed_password, u.is_active, u.is_superuser, u.is_verified,
	u.{created} AS created_at, u.{updated} AS updated_at, NULLIF(u.{fields}, '{}') AS fields, u.{version} AS version`

// queries holds every statement, rebound once for the dialect. All take
// their values as parameters.
type queries struct {
	createUser, userByID, userByEmail, updateUser, listUsers  string
	deleteUser, deleteUserTokens, deleteUserRevoked           string
	deleteUserCutoff, deleteUserRefresh                       string
	createToken, userByToken, deleteToken, deleteTokensOfUser string
	deleteTokensBefore, tokensOfUser, touchToken              string
	deleteTokenSession                                        string
	userForToken, revokeToken, revokeUserTokens, purgeRevoked string
	selectMigrations, insertMigration                         string
	bumpVersion, lockUser                                     string

	refresh refreshQueries
	oauth   oauthQueries
	outbox  outboxQueries
	mfa     mfaQueries
}

// tokenColumns lists the columns of an access token t under tokenRow's
// names. A token never used has no last_used_at: its creation stands in.
const tokenColumns = `t.hash AS token_hash, t.user_id AS token_user_id, t.created_at AS token_created_at,
	t.session_id AS token_session_id, t.user_agent AS token_user_agent, t.ip AS token_ip,
	COALESCE(t.last_used_at, t.created_at) AS token_last_used_at`

// joinedTokenColumns are what authenticating a request needs of its token,
// in the order UserByAccessToken scans them: not the two the join knows
// already (the hash asked for, the user's id), nor the client's user agent
// and address, which only listings show — four strings fewer to read at
// every authenticated request.
const joinedTokenColumns = `t.created_at, t.session_id, COALESCE(t.last_used_at, t.created_at)`

// rebindQueries writes every statement for the dialect's placeholders and
// the table of users ut: {users}, {canonical}, {created}, {updated} and
// {list_order} stand for its name, columns and order.
func rebindQueries(bindType int, ut userTable, skipLocked string, rowLocks bool) queries {
	share := ""
	if rowLocks {
		share = " FOR SHARE OF u"
	}
	r := func(q string) string {
		return sqlx.Rebind(bindType, strings.ReplaceAll(ut.expand(q), "{share}", share))
	}
	return queries{
		// ON CONFLICT on the canonical email alone: a clash on the primary
		// key is the caller's bug and must stay an error, not ErrEmailTaken.
		createUser: r(`INSERT INTO {users}
			(id, email, {canonical}, hashed_password, is_active, is_superuser, is_verified, {created}, {updated}, {fields})
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT ({canonical}) DO NOTHING`),
		userByID:    r(`SELECT ` + userColumns + ` FROM {users} u WHERE u.id = ?`),
		userByEmail: r(`SELECT ` + userColumns + ` FROM {users} u WHERE u.{canonical} = ?`),
		updateUser: r(`UPDATE {users} SET email = ?, {canonical} = ?, hashed_password = ?,
			is_active = ?, is_superuser = ?, is_verified = ?, {updated} = ?, {fields} = ?,
			{version} = {version} + 1 WHERE id = ? RETURNING {version}`),
		bumpVersion: r(`UPDATE {users} SET {version} = {version} + 1 WHERE id = ? RETURNING {version}`),
		// Taken by whoever ends a user's sessions, before the deletes
		// (PostgreSQL): a rotation holding FOR SHARE finishes first, and one
		// that comes later waits and then finds its family gone.
		lockUser:  r(`SELECT id FROM {users} WHERE id = ? FOR UPDATE`),
		listUsers: r(`SELECT ` + userColumns + ` FROM {users} u ORDER BY {list_order}`),

		// DeleteUser does not count on ON DELETE CASCADE: SQLite enforces
		// foreign keys only when the connection turned them on.
		deleteUser:        r(`DELETE FROM {users} WHERE id = ?`),
		deleteUserTokens:  r(`DELETE FROM authkit_access_tokens WHERE user_id = ?`),
		deleteUserRevoked: r(`DELETE FROM authkit_revoked_tokens WHERE user_id = ?`),
		deleteUserCutoff:  r(`DELETE FROM authkit_token_cutoffs WHERE user_id = ?`),
		deleteUserRefresh: r(`DELETE FROM authkit_refresh_tokens WHERE user_id = ?`),

		// Inserting from the users makes a token for a missing user a
		// no-op that Go sees, whether or not foreign keys are enforced.
		// Only while the user is at the version the login authenticated
		// against; FOR SHARE (PostgreSQL) makes a concurrent change of the
		// user wait for this insert, or this insert see the change.
		createToken: r(`INSERT INTO authkit_access_tokens (hash, user_id, created_at, session_id, user_agent, ip, last_used_at)
			SELECT ?, u.id, ?, ?, ?, ?, ? FROM {users} u WHERE u.id = ? AND u.{version} = ?{share}`),
		// (SELECT ?) hides the value from SQLite's planner, which otherwise
		// re-plans the join at every execution (BENCHMARKS.md, fix 2); the
		// plan is the same two index lookups on both databases.
		userByToken: r(`SELECT ` + userColumns + `, ` + joinedTokenColumns + `
			FROM authkit_access_tokens t JOIN {users} u ON u.id = t.user_id WHERE t.hash = (SELECT ?)`),
		// The session id breaks ties, so that the order is stable.
		tokensOfUser: r(`SELECT ` + tokenColumns + ` FROM authkit_access_tokens t
			WHERE t.user_id = ? ORDER BY t.created_at DESC, t.session_id, t.hash`),
		// Never backwards: two instances touching at once keep the later use.
		touchToken: r(`UPDATE authkit_access_tokens SET last_used_at = ?
			WHERE hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`),
		deleteToken:        r(`DELETE FROM authkit_access_tokens WHERE hash = ?`),
		deleteTokenSession: r(`DELETE FROM authkit_access_tokens WHERE user_id = ? AND session_id = ?`),
		deleteTokensOfUser: r(`DELETE FROM authkit_access_tokens WHERE user_id = ? AND hash <> ?`),
		deleteTokensBefore: r(`DELETE FROM authkit_access_tokens WHERE created_at < ?`),

		// One round trip per authenticated request: the user and whether the
		// token is void, by revocation or by the user's cut-off.
		userForToken: r(`SELECT ` + userColumns + `,
			(EXISTS (SELECT 1 FROM authkit_revoked_tokens r WHERE r.token_id = ?)
			 OR EXISTS (SELECT 1 FROM authkit_token_cutoffs c WHERE c.user_id = u.id
			            AND (c.not_before > ? OR c.not_before_version > ?)
			            AND (c.keep_token_id IS NULL OR c.keep_token_id <> ?))) AS revoked
			FROM {users} u WHERE u.id = ?`),
		// A second revocation keeps the later expiry, so that it never
		// shortens the time the token stays void.
		revokeToken: r(`INSERT INTO authkit_revoked_tokens (token_id, user_id, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (token_id) DO UPDATE SET expires_at = CASE
				WHEN excluded.expires_at > authkit_revoked_tokens.expires_at THEN excluded.expires_at
				ELSE authkit_revoked_tokens.expires_at END`),
		// The cut-off takes the user's version as it is now. One that keeps
		// a token never replaces one that kept none at the same or a later
		// version: a password change in flight does not restore its token
		// after a deactivation ended every session.
		revokeUserTokens: r(`INSERT INTO authkit_token_cutoffs (user_id, not_before, keep_token_id, not_before_version)
			SELECT u.id, ?, ?, u.{version} FROM {users} u WHERE u.id = ?
			ON CONFLICT (user_id) DO UPDATE SET not_before = excluded.not_before, keep_token_id = excluded.keep_token_id,
				not_before_version = excluded.not_before_version
			WHERE NOT (excluded.keep_token_id IS NOT NULL AND authkit_token_cutoffs.keep_token_id IS NULL
				AND authkit_token_cutoffs.not_before_version >= excluded.not_before_version)`),
		purgeRevoked: r(`DELETE FROM authkit_revoked_tokens WHERE expires_at < ?`),

		selectMigrations: r(`SELECT version FROM authkit_migrations`),
		insertMigration:  r(`INSERT INTO authkit_migrations (version, applied_at) VALUES (?, ?)`),

		refresh: rebindRefreshQueries(r),
		oauth:   rebindOAuthQueries(r),
		outbox:  rebindOutboxQueries(r, skipLocked),
		mfa:     rebindMFAQueries(r),
	}
}

// userRow is a row of the table of users as scanned.
type userRow struct {
	ID             uuid.UUID `db:"id"`
	Email          string    `db:"email"`
	HashedPassword string    `db:"hashed_password"`
	IsActive       bool      `db:"is_active"`
	IsSuperuser    bool      `db:"is_superuser"`
	IsVerified     bool      `db:"is_verified"`
	CreatedAt      dbTime    `db:"created_at"`
	UpdatedAt      dbTime    `db:"updated_at"`
	Fields         dbFields  `db:"fields"`
	Version        int64     `db:"version"`
}

func (r *userRow) user() *store.User {
	return &store.User{
		Fields:         r.Fields.m,
		ID:             r.ID,
		Email:          r.Email,
		HashedPassword: r.HashedPassword,
		IsActive:       r.IsActive,
		IsSuperuser:    r.IsSuperuser,
		IsVerified:     r.IsVerified,
		CreatedAt:      r.CreatedAt.Time,
		UpdatedAt:      r.UpdatedAt.Time,
		Version:        r.Version,
	}
}

// userScan is a user as read scans it: the User itself, where the
// columns that need converting land first, and the slices of the query's
// arguments and destinations. One allocation holds it all.
type userScan struct {
	store.User
	created, updated dbTime
	fields           dbFields
	argv             [5]any
	destv            [14]any
}

// args are the query's arguments, kept in r.
func (r *userScan) args(args ...any) []any {
	return append(r.argv[:0], args...)
}

// dests are the destinations of userColumns, in order, then extra.
func (r *userScan) dests(extra ...any) []any {
	d := append(r.destv[:0], &r.ID, &r.Email, &r.HashedPassword, &r.IsActive, &r.IsSuperuser, &r.IsVerified,
		&r.created, &r.updated, &r.fields, &r.Version)
	return append(d, extra...)
}

// user finishes the scan.
func (r *userScan) user() *store.User {
	r.CreatedAt, r.UpdatedAt, r.Fields = r.created.Time, r.updated.Time, r.fields.m
	return &r.User
}

// tokenRow is a row of authkit_access_tokens as scanned, under names that
// cannot clash with userRow's when both come from one join.
type tokenRow struct {
	Hash       string    `db:"token_hash"`
	UserID     uuid.UUID `db:"token_user_id"`
	CreatedAt  dbTime    `db:"token_created_at"`
	SessionID  string    `db:"token_session_id"`
	UserAgent  string    `db:"token_user_agent"`
	IP         string    `db:"token_ip"`
	LastUsedAt dbTime    `db:"token_last_used_at"`
}

func (r *tokenRow) token() store.AccessToken {
	return store.AccessToken{
		Hash:       r.Hash,
		UserID:     r.UserID,
		CreatedAt:  r.CreatedAt.Time,
		SessionID:  r.SessionID,
		UserAgent:  r.UserAgent,
		IP:         r.IP,
		LastUsedAt: r.LastUsedAt.Time,
	}
}

// dbTime scans a time column of either dialect into a UTC time; NULL
// (a row an adopted table had before authkit) into the zero time.
type dbTime struct{ time.Time }

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = utcMicro(v)
	case int64:
		t.Time = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

// SetTime sets t from a time a RowReader scanned natively; !valid is NULL.
func (t *dbTime) SetTime(v time.Time, valid bool) {
	if !valid {
		t.Time = time.Time{}
		return
	}
	t.Time = utcMicro(v)
}

// t converts a Go time to the dialect's column value.
func (s *Store) t(t time.Time) any { return s.d.Time(utcMicro(t)) }

// userTime converts a user's creation or update time. An adopted table
// keeps the zero time (unknown: the user predates authkit) as NULL.
func (s *Store) userTime(t time.Time) any {
	if t.IsZero() && s.ut.nullableTimes {
		return nil
	}
	return s.t(t)
}

// selectRows runs a listing: query's rows scanned into R (sqlx's mapping),
// each converted by conv; a failure is a fault of op.
func selectRows[R, T any](ctx context.Context, s *Store, op string, conv func(*R) T, query string, args ...any) ([]T, error) {
	var rows []R
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, fault(op, err)
	}
	out := make([]T, len(rows))
	for i := range rows {
		out[i] = conv(&rows[i])
	}
	return out, nil
}

// fault wraps a database failure with what the store was doing.
func fault(op string, err error) error {
	return fmt.Errorf("authkit/store: %s: %w", op, err)
}

// CreateUser implements store.UserStore.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	fields, err := encodeFields(u.Fields)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, s.q.createUser,
		u.ID, u.Email, store.CanonicalEmail(u.Email), u.HashedPassword,
		u.IsActive, u.IsSuperuser, u.IsVerified, s.userTime(u.CreatedAt), s.userTime(u.UpdatedAt), fields)
	if err != nil || !changedRows(res) {
		return s.createUserOutcome(ctx, u, err) // taken, or our own row retried (retried.go)
	}
	return nil
}

// UserByID implements store.UserStore.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (*store.User, error) {
	return s.getUser(ctx, "user by id", s.q.userByID, id)
}

// UserByEmail implements store.UserStore.
func (s *Store) UserByEmail(ctx context.Context, email string) (*store.User, error) {
	return s.getUser(ctx, "user by email", s.q.userByEmail, store.CanonicalEmail(email))
}

func (s *Store) getUser(ctx context.Context, op, query string, arg any) (*store.User, error) {
	var r userScan
	if err := s.read(ctx, query, r.args(arg), r.dests()...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrUserNotFound
		}
		return nil, fault(op, err)
	}
	return r.user(), nil
}

// UpdateUser implements store.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	fields, err := encodeFields(u.Fields)
	if err != nil {
		return err
	}
	var version int64
	err = s.db.GetContext(ctx, &version, s.q.updateUser,
		u.Email, store.CanonicalEmail(u.Email), u.HashedPassword,
		u.IsActive, u.IsSuperuser, u.IsVerified, s.userTime(u.UpdatedAt), fields, u.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrUserNotFound
	case err != nil:
		// The id does not change, so the only unique column that can clash
		// is the canonical email.
		if s.d.IsUniqueViolation(err) {
			return store.ErrEmailTaken
		}
		return fault("update user", err)
	}
	u.Version = version
	return nil
}

// ChangeUser implements store.UserVersioner: one UPDATE of the columns
// that change, conditioned on the version (and on the own fields when
// they change), that increments the version when a security field changes.
func (s *Store) ChangeUser(ctx context.Context, old, next *store.User) error {
	var set []string
	var args []any
	security := false
	add := func(col string, v any, sec bool) {
		set = append(set, col+" = ?")
		args = append(args, v)
		security = security || sec
	}
	if next.Email != old.Email {
		add("email", next.Email, true)
		add(s.ut.canonical, store.CanonicalEmail(next.Email), true)
	}
	if next.HashedPassword != old.HashedPassword {
		add("hashed_password", next.HashedPassword, true)
	}
	for _, f := range []struct {
		col       string
		old, next bool
	}{{"is_active", old.IsActive, next.IsActive}, {"is_superuser", old.IsSuperuser, next.IsSuperuser}, {"is_verified", old.IsVerified, next.IsVerified}} {
		if f.old != f.next {
			add(f.col, f.next, true)
		}
	}
	oldFields, err := encodeFields(old.Fields)
	if err != nil {
		return err
	}
	newFields, err := encodeFields(next.Fields)
	if err != nil {
		return err
	}
	if newFields != oldFields {
		add(s.ut.fields, newFields, false)
	}
	add(s.ut.updated, s.userTime(next.UpdatedAt), false)
	bump := "0"
	if security {
		bump = "1"
	}
	q := `UPDATE {users} SET ` + strings.Join(set, ", ") + `, {version} = {version} + ` + bump +
		` WHERE id = ? AND {version} = ?`
	args = append(args, old.ID, old.Version)
	if newFields != oldFields {
		q += ` AND {fields} = ?`
		args = append(args, oldFields)
	}
	var version int64
	err = s.db.GetContext(ctx, &version, sqlx.Rebind(s.d.BindType, s.ut.expand(q+` RETURNING {version}`)), args...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return s.conflictOrGone(ctx, old.ID)
	case err != nil:
		if s.d.IsUniqueViolation(err) {
			return store.ErrEmailTaken
		}
		return fault("change user", err)
	}
	next.Version = version
	return nil
}

// BumpUserVersion implements store.UserVersioner.
func (s *Store) BumpUserVersion(ctx context.Context, id uuid.UUID) (int64, error) {
	var version int64
	switch err := s.db.GetContext(ctx, &version, s.q.bumpVersion, id); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, store.ErrUserNotFound
	case err != nil:
		return 0, fault("bump user version", err)
	}
	return version, nil
}

// conflictOrGone tells a conditional write that changed nothing apart:
// the user is gone, or at another version.
func (s *Store) conflictOrGone(ctx context.Context, id uuid.UUID) error {
	if _, err := s.UserByID(ctx, id); err != nil {
		return err
	}
	return store.ErrVersionConflict
}

// DeleteUser implements store.UserStore.
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID) (err error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fault("delete user", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// The first statement writes, so SQLite takes its write lock at once
	// even in a deferred transaction.
	res, err := tx.ExecContext(ctx, s.q.deleteUser, id)
	if err != nil {
		return fault("delete user", err)
	}
	if err := mustHaveChanged(res, "delete user", store.ErrUserNotFound); err != nil {
		return err
	}
	for _, q := range append([]string{s.q.deleteUserTokens, s.q.deleteUserRefresh, s.q.deleteUserRevoked, s.q.deleteUserCutoff, s.q.oauth.deleteOfUser}, s.q.mfa.userDeletes()...) {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fault("delete user", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fault("delete user", err)
	}
	return nil
}

// changedRows reports whether res changed a row; a driver that cannot say
// is taken at its word that it did.
func changedRows(res sql.Result) bool {
	n, err := res.RowsAffected()
	return err != nil || n > 0
}

// inTx runs fn in a transaction, committed when fn returns nil; fn's
// error is returned as it is.
func (s *Store) inTx(ctx context.Context, op string, fn func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fault(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fault(op, err)
	}
	return nil
}

// mustHaveChanged returns notFound when res changed no row.
func mustHaveChanged(res sql.Result, op string, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fault(op, err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// ListUsers implements store.UserLister.
func (s *Store) ListUsers(ctx context.Context) ([]*store.User, error) {
	return selectRows(ctx, s, "list users", (*userRow).user, s.q.listUsers)
}

// CreateAccessToken implements store.AccessTokenStore. It returns
// store.ErrUserNotFound when t.UserID names no user. A zero LastUsedAt is
// stored as NULL, which reads back as CreatedAt.
func (s *Store) CreateAccessToken(ctx context.Context, t store.AccessToken) error {
	var used any
	if !t.LastUsedAt.IsZero() {
		used = s.t(t.LastUsedAt)
	}
	res, err := s.db.ExecContext(ctx, s.q.createToken,
		t.Hash, s.t(t.CreatedAt), t.SessionID, t.UserAgent, t.IP, used, t.UserID, t.UserVersion)
	if err != nil || !changedRows(res) {
		err := insertOutcome(ctx, "create access token", err, errNotInserted, func(ctx context.Context) bool {
			_, got, err := s.UserByAccessToken(ctx, t.Hash)
			return err == nil && got.UserID == t.UserID
		})
		if errors.Is(err, errNotInserted) {
			return s.conflictOrGone(ctx, t.UserID)
		}
		return err
	}
	return nil
}

// UserByAccessToken implements store.AccessTokenStore.
func (s *Store) UserByAccessToken(ctx context.Context, hash string) (*store.User, store.AccessToken, error) {
	var r struct {
		userScan
		created, used dbTime
		session       string
	}
	if err := s.read(ctx, s.q.userByToken, r.args(hash), r.dests(&r.created, &r.session, &r.used)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.AccessToken{}, store.ErrTokenNotFound
		}
		return nil, store.AccessToken{}, fault("user by access token", err)
	}
	u := r.user()
	// The hash and the user's id are the join's keys.
	return u, store.AccessToken{Hash: hash, UserID: u.ID, CreatedAt: r.created.Time, SessionID: r.session, LastUsedAt: r.used.Time}, nil
}

// AccessTokensOfUser implements store.AccessTokenStore.
func (s *Store) AccessTokensOfUser(ctx context.Context, userID uuid.UUID) ([]store.AccessToken, error) {
	return selectRows(ctx, s, "access tokens of user", (*tokenRow).token, s.q.tokensOfUser, userID)
}

// TouchAccessToken implements store.AccessTokenStore.
func (s *Store) TouchAccessToken(ctx context.Context, hash string, t time.Time) error {
	at := s.t(t)
	if _, err := s.db.ExecContext(ctx, s.q.touchToken, at, hash, at); err != nil {
		return fault("touch access token", err)
	}
	return nil
}

// DeleteAccessTokenSession implements store.AccessTokenStore.
func (s *Store) DeleteAccessTokenSession(ctx context.Context, userID uuid.UUID, sessionID string) error {
	if sessionID == "" {
		return nil // "" is every token written before sessions: not one session
	}
	if _, err := s.db.ExecContext(ctx, s.q.deleteTokenSession, userID, sessionID); err != nil {
		return fault("delete access token session", err)
	}
	return nil
}

// DeleteAccessToken implements store.AccessTokenStore.
func (s *Store) DeleteAccessToken(ctx context.Context, hash string) error {
	if _, err := s.db.ExecContext(ctx, s.q.deleteToken, hash); err != nil {
		return fault("delete access token", err)
	}
	return nil
}

// DeleteUserAccessTokens implements store.AccessTokenStore.
func (s *Store) DeleteUserAccessTokens(ctx context.Context, userID uuid.UUID, keepHash string) error {
	// No stored hash is empty, so keepHash "" keeps none.
	if _, err := s.db.ExecContext(ctx, s.q.deleteTokensOfUser, userID, keepHash); err != nil {
		return fault("delete user access tokens", err)
	}
	return nil
}

// DeleteAccessTokensBefore implements store.AccessTokenStore.
func (s *Store) DeleteAccessTokensBefore(ctx context.Context, t time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q.deleteTokensBefore, s.t(t)); err != nil {
		return fault("delete access tokens before", err)
	}
	return nil
}

// UserForToken implements store.RevocationStore.
func (s *Store) UserForToken(ctx context.Context, userID uuid.UUID, tokenID string, issuedAt time.Time) (*store.User, error) {
	// A token without a stamp is held to the cut-off time alone.
	return s.UserForStampedToken(ctx, userID, tokenID, issuedAt, math.MaxInt64)
}

// UserForStampedToken implements store.StampedTokenReader, in the one
// query of UserForToken.
func (s *Store) UserForStampedToken(ctx context.Context, userID uuid.UUID, tokenID string, issuedAt time.Time, stamp int64) (*store.User, error) {
	var r struct {
		userScan
		revoked bool
	}
	id := any(tokenID) // boxed once, for its two places
	err := s.read(ctx, s.q.userForToken, r.args(id, s.t(issuedAt), stamp, id, userID), r.dests(&r.revoked)...)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrUserNotFound
		}
		return nil, fault("user for token", err)
	}
	if r.revoked {
		return nil, store.ErrTokenNotFound
	}
	return r.user(), nil
}

// RevokeToken implements store.RevocationStore.
func (s *Store) RevokeToken(ctx context.Context, tokenID string, userID uuid.UUID, expiresAt time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q.revokeToken, tokenID, userID, s.t(expiresAt)); err != nil {
		return fault("revoke token", err)
	}
	return nil
}

// RevokeUserTokens implements store.RevocationStore. For a user that does
// not exist it does nothing: the user's tokens are void already.
func (s *Store) RevokeUserTokens(ctx context.Context, userID uuid.UUID, t time.Time, keepTokenID string) error {
	// NULL, not "", means no kept token, so that a token without an id
	// is never taken for the kept one.
	keep := sql.NullString{String: keepTokenID, Valid: keepTokenID != ""}
	if _, err := s.db.ExecContext(ctx, s.q.revokeUserTokens, s.t(t), keep, userID); err != nil {
		return fault("revoke user tokens", err)
	}
	return nil
}

// DeleteExpiredRevocations implements store.RevocationStore.
func (s *Store) DeleteExpiredRevocations(ctx context.Context, t time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q.purgeRevoked, s.t(t)); err != nil {
		return fault("delete expired revocations", err)
	}
	return nil
}

// encodeFields is the stored form of a user's own fields: a JSON object,
// "{}" for none.
func encodeFields(f map[string]any) (string, error) {
	if len(f) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("authkit/store: user fields: %w", err)
	}
	return string(b), nil
}

// dbFields scans the JSON object of a user's own fields; NULL or "{}" is
// none (nil). Numbers come back as json.Number, exact.
type dbFields struct{ m map[string]any }

// Scan implements sql.Scanner.
func (f *dbFields) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		f.m = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("authkit/store: user fields: unexpected %T", src)
	}
	if string(b) == "{}" { // most users: no decoder, no map
		f.m = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("authkit/store: user fields: %w", err)
	}
	if len(m) == 0 {
		m = nil
	}
	f.m = m
	return nil
}

// get runs a per-request read through its prepared statement, preparing it
// on first use, and scans the row into dest, a pointer to a struct whose
// db tags name the columns (sqlx's mapping). database/sql prepares the
// statement again on each connection that needs it. (Behind PgBouncer in
// transaction mode, prepared statements need its max_prepared_statements.)
func (s *Store) get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	p, err := s.prepare(ctx, query)
	if err != nil {
		return err
	}
	return p.get(ctx, s.db.Mapper, dest, args...)
}

// prepare returns the prepared statement of query, preparing it on first
// use.
func (s *Store) prepare(ctx context.Context, query string) (*prepared, error) {
	if v, ok := s.stmts.Load(query); ok {
		return v.(*prepared), nil
	}
	st, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	v, loaded := s.stmts.LoadOrStore(query, &prepared{stmt: st})
	if loaded {
		st.Close()
	}
	return v.(*prepared), nil
}
