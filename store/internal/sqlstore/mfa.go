package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// mfaQueries are the statements of store.MFAStore, store.ChallengeStore
// and store.PasskeyStore.
type mfaQueries struct {
	putTOTP, totpOf, confirmTOTP, useStep, deleteTOTP  string
	deleteCodes, insertCode, useCode, codesLeft        string
	createChallenge, challengeByHash, takeChallenge    string
	deleteChallengesBefore                             string
	createPasskey, passkeysOfUser, passkeyByCredential string
	updatePasskeyUse, deletePasskey, passkeyExists     string
	deleteUserChallenges, deleteUserPasskeys           string
}

const passkeyColumns = `id, user_id, credential_id, name, credential, sign_count, created_at, last_used_at`

// rebindMFAQueries writes the statements with r, which names the table of
// users and rebinds the placeholders.
func rebindMFAQueries(r func(string) string) mfaQueries {
	return mfaQueries{
		// From the users, as createToken: a missing user inserts nothing.
		// A confirmed secret is left alone: the update's condition.
		putTOTP: r(`INSERT INTO authkit_totp (user_id, secret, confirmed_at, last_step, created_at)
			SELECT u.id, ?, NULL, 0, ? FROM {users} u WHERE u.id = ?
			ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
				last_step = 0 WHERE authkit_totp.confirmed_at IS NULL`),
		totpOf: r(`SELECT user_id, secret, confirmed_at, last_step, created_at FROM authkit_totp WHERE user_id = ?`),
		confirmTOTP: r(`UPDATE authkit_totp SET confirmed_at = ?, last_step = ?
			WHERE user_id = ? AND secret = ? AND confirmed_at IS NULL`),
		// The condition on last_step makes a replay lose, also when two
		// requests race (on PostgreSQL the second waits, then changes none).
		useStep: r(`UPDATE authkit_totp SET last_step = ?
			WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?`),
		deleteTOTP:  r(`DELETE FROM authkit_totp WHERE user_id = ?`),
		deleteCodes: r(`DELETE FROM authkit_recovery_codes WHERE user_id = ?`),
		insertCode:  r(`INSERT INTO authkit_recovery_codes (user_id, hash, created_at) VALUES (?, ?, ?)`),
		useCode:     r(`DELETE FROM authkit_recovery_codes WHERE user_id = ? AND hash = ?`),
		codesLeft:   r(`SELECT count(*) FROM authkit_recovery_codes WHERE user_id = ?`),

		createChallenge: r(`INSERT INTO authkit_challenges (hash, kind, user_id, data, expires_at) VALUES (?, ?, ?, ?, ?)`),
		challengeByHash: r(`SELECT hash, kind, user_id, data, expires_at FROM authkit_challenges
			WHERE hash = ? AND kind = ? AND expires_at > ?`),
		// One DELETE: of racing takers, one deletes the row and gets it back.
		takeChallenge: r(`DELETE FROM authkit_challenges WHERE hash = ? AND kind = ? AND expires_at > ?
			RETURNING hash, kind, user_id, data, expires_at`),
		deleteChallengesBefore: r(`DELETE FROM authkit_challenges WHERE expires_at < ?`),
		deleteUserChallenges:   r(`DELETE FROM authkit_challenges WHERE user_id = ?`),

		createPasskey: r(`INSERT INTO authkit_passkeys (` + passkeyColumns + `)
			SELECT ?, u.id, ?, ?, ?, ?, ?, ? FROM {users} u WHERE u.id = ?
			ON CONFLICT (credential_id) DO NOTHING`),
		passkeyExists:       r(`SELECT count(*) FROM authkit_passkeys WHERE credential_id = ?`),
		passkeysOfUser:      r(`SELECT ` + passkeyColumns + ` FROM authkit_passkeys WHERE user_id = ? ORDER BY created_at, id`),
		passkeyByCredential: r(`SELECT ` + passkeyColumns + ` FROM authkit_passkeys WHERE credential_id = ?`),
		updatePasskeyUse: r(`UPDATE authkit_passkeys SET sign_count = ?, credential = ?, last_used_at = ?
			WHERE id = ? AND sign_count = ?`),
		deletePasskey:      r(`DELETE FROM authkit_passkeys WHERE user_id = ? AND id = ?`),
		deleteUserPasskeys: r(`DELETE FROM authkit_passkeys WHERE user_id = ?`),
	}
}

// userDeletes are the statements that delete a user's second factors
// with the user.
func (q mfaQueries) userDeletes() []string {
	return []string{q.deleteTOTP, q.deleteCodes, q.deleteUserChallenges, q.deleteUserPasskeys}
}

// PutPendingTOTP implements store.MFAStore.
func (s *Store) PutPendingTOTP(ctx context.Context, t store.TOTP) error {
	const op = "put pending totp"
	res, err := s.db.ExecContext(ctx, s.q.mfa.putTOTP, t.Secret, s.t(t.CreatedAt), t.UserID)
	if err != nil {
		return fault(op, err)
	}
	if err := mustHaveChanged(res, op, errNotInserted); !errors.Is(err, errNotInserted) {
		return err
	}
	// Nothing changed: the user is gone, or has a confirmed secret.
	switch _, err := s.TOTPOf(ctx, t.UserID); {
	case errors.Is(err, store.ErrTOTPNotFound):
		return store.ErrUserNotFound
	case err != nil:
		return err
	}
	return store.ErrTOTPEnabled
}

type totpRow struct {
	UserID      uuid.UUID `db:"user_id"`
	Secret      []byte    `db:"secret"`
	ConfirmedAt dbTime    `db:"confirmed_at"`
	LastStep    int64     `db:"last_step"`
	CreatedAt   dbTime    `db:"created_at"`
}

// TOTPOf implements store.MFAStore.
func (s *Store) TOTPOf(ctx context.Context, userID uuid.UUID) (store.TOTP, error) {
	var r totpRow
	switch err := s.get(ctx, &r, s.q.mfa.totpOf, userID); {
	case errors.Is(err, sql.ErrNoRows):
		return store.TOTP{}, store.ErrTOTPNotFound
	case err != nil:
		return store.TOTP{}, fault("totp of user", err)
	}
	return store.TOTP{UserID: r.UserID, Secret: r.Secret, ConfirmedAt: r.ConfirmedAt.Time, LastStep: r.LastStep, CreatedAt: r.CreatedAt.Time}, nil
}

// ConfirmTOTP implements store.MFAStore.
func (s *Store) ConfirmTOTP(ctx context.Context, userID uuid.UUID, secret []byte, step int64, at time.Time, hashes []string) error {
	const op = "confirm totp"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.mfa.confirmTOTP, s.t(at), step, userID, secret)
		if err != nil {
			return fault(op, err)
		}
		if err := mustHaveChanged(res, op, store.ErrTOTPNotFound); err != nil {
			return err
		}
		return s.replaceCodes(ctx, tx, userID, hashes, at)
	})
}

func (s *Store) replaceCodes(ctx context.Context, tx *sqlx.Tx, userID uuid.UUID, hashes []string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, s.q.mfa.deleteCodes, userID); err != nil {
		return fault("replace recovery codes", err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, s.q.mfa.insertCode, userID, h, s.t(at)); err != nil {
			return fault("replace recovery codes", err)
		}
	}
	return nil
}

// UseTOTPStep implements store.MFAStore.
func (s *Store) UseTOTPStep(ctx context.Context, userID uuid.UUID, step int64) error {
	const op = "use totp step"
	res, err := s.db.ExecContext(ctx, s.q.mfa.useStep, step, userID, step)
	if err != nil {
		return fault(op, err)
	}
	if err := mustHaveChanged(res, op, store.ErrTOTPStepUsed); !errors.Is(err, store.ErrTOTPStepUsed) {
		return err
	}
	switch t, err := s.TOTPOf(ctx, userID); {
	case err != nil:
		return err
	case t.ConfirmedAt.IsZero():
		return store.ErrTOTPNotFound
	}
	return store.ErrTOTPStepUsed
}

// DeleteTOTP implements store.MFAStore.
func (s *Store) DeleteTOTP(ctx context.Context, userID uuid.UUID) error {
	const op = "delete totp"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		for _, q := range []string{s.q.mfa.deleteTOTP, s.q.mfa.deleteCodes} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return fault(op, err)
			}
		}
		return nil
	})
}

// ReplaceRecoveryCodes implements store.MFAStore.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID uuid.UUID, hashes []string, at time.Time) error {
	return s.inTx(ctx, "replace recovery codes", func(tx *sqlx.Tx) error {
		return s.replaceCodes(ctx, tx, userID, hashes, at)
	})
}

// UseRecoveryCode implements store.MFAStore.
func (s *Store) UseRecoveryCode(ctx context.Context, userID uuid.UUID, hash string) error {
	res, err := s.db.ExecContext(ctx, s.q.mfa.useCode, userID, hash)
	if err != nil {
		return fault("use recovery code", err)
	}
	return mustHaveChanged(res, "use recovery code", store.ErrRecoveryCodeNotFound)
}

// RecoveryCodesLeft implements store.MFAStore.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, s.q.mfa.codesLeft, userID); err != nil {
		return 0, fault("recovery codes left", err)
	}
	return n, nil
}

type challengeRow struct {
	Hash      string        `db:"hash"`
	Kind      string        `db:"kind"`
	UserID    uuid.NullUUID `db:"user_id"`
	Data      []byte        `db:"data"`
	ExpiresAt dbTime        `db:"expires_at"`
}

func (r *challengeRow) challenge() store.Challenge {
	return store.Challenge{Hash: r.Hash, Kind: r.Kind, UserID: r.UserID.UUID, Data: r.Data, ExpiresAt: r.ExpiresAt.Time}
}

// CreateChallenge implements store.ChallengeStore.
func (s *Store) CreateChallenge(ctx context.Context, c store.Challenge) error {
	user := uuid.NullUUID{UUID: c.UserID, Valid: c.UserID != uuid.Nil}
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	if _, err := s.db.ExecContext(ctx, s.q.mfa.createChallenge, c.Hash, c.Kind, user, data, s.t(c.ExpiresAt)); err != nil {
		return fault("create challenge", err)
	}
	return nil
}

// ChallengeByHash implements store.ChallengeStore.
func (s *Store) ChallengeByHash(ctx context.Context, hash, kind string, now time.Time) (store.Challenge, error) {
	return s.challenge(ctx, "challenge by hash", s.q.mfa.challengeByHash, hash, kind, now)
}

// TakeChallenge implements store.ChallengeStore.
func (s *Store) TakeChallenge(ctx context.Context, hash, kind string, now time.Time) (store.Challenge, error) {
	return s.challenge(ctx, "take challenge", s.q.mfa.takeChallenge, hash, kind, now)
}

func (s *Store) challenge(ctx context.Context, op, query, hash, kind string, now time.Time) (store.Challenge, error) {
	var r challengeRow
	switch err := s.db.GetContext(ctx, &r, query, hash, kind, s.t(now)); {
	case errors.Is(err, sql.ErrNoRows):
		return store.Challenge{}, store.ErrChallengeNotFound
	case err != nil:
		return store.Challenge{}, fault(op, err)
	}
	return r.challenge(), nil
}

// DeleteChallengesBefore implements store.ChallengeStore.
func (s *Store) DeleteChallengesBefore(ctx context.Context, t time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q.mfa.deleteChallengesBefore, s.t(t)); err != nil {
		return fault("delete challenges before", err)
	}
	return nil
}

type passkeyRow struct {
	ID           uuid.UUID `db:"id"`
	UserID       uuid.UUID `db:"user_id"`
	CredentialID []byte    `db:"credential_id"`
	Name         string    `db:"name"`
	Credential   []byte    `db:"credential"`
	SignCount    int64     `db:"sign_count"`
	CreatedAt    dbTime    `db:"created_at"`
	LastUsedAt   dbTime    `db:"last_used_at"`
}

func (r *passkeyRow) passkey() store.Passkey {
	return store.Passkey{
		ID: r.ID, UserID: r.UserID, CredentialID: r.CredentialID, Name: r.Name, Credential: r.Credential,
		SignCount: uint32(r.SignCount), CreatedAt: r.CreatedAt.Time, LastUsedAt: r.LastUsedAt.Time,
	}
}

// CreatePasskey implements store.PasskeyStore.
func (s *Store) CreatePasskey(ctx context.Context, p store.Passkey) error {
	const op = "create passkey"
	res, err := s.db.ExecContext(ctx, s.q.mfa.createPasskey, p.ID, p.CredentialID, p.Name, p.Credential,
		int64(p.SignCount), s.t(p.CreatedAt), s.nullTime(p.LastUsedAt), p.UserID)
	if err != nil {
		return fault(op, err)
	}
	if err := mustHaveChanged(res, op, errNotInserted); !errors.Is(err, errNotInserted) {
		return err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.q.mfa.passkeyExists, p.CredentialID); err != nil {
		return fault(op, err)
	}
	if n > 0 {
		return store.ErrPasskeyTaken
	}
	return store.ErrUserNotFound
}

// PasskeysOfUser implements store.PasskeyStore.
func (s *Store) PasskeysOfUser(ctx context.Context, userID uuid.UUID) ([]store.Passkey, error) {
	return selectRows(ctx, s, "passkeys of user", (*passkeyRow).passkey, s.q.mfa.passkeysOfUser, userID)
}

// PasskeyByCredentialID implements store.PasskeyStore.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (store.Passkey, error) {
	var r passkeyRow
	switch err := s.db.GetContext(ctx, &r, s.q.mfa.passkeyByCredential, credentialID); {
	case errors.Is(err, sql.ErrNoRows):
		return store.Passkey{}, store.ErrPasskeyNotFound
	case err != nil:
		return store.Passkey{}, fault("passkey by credential id", err)
	}
	return r.passkey(), nil
}

// UpdatePasskeyUse implements store.PasskeyStore.
func (s *Store) UpdatePasskeyUse(ctx context.Context, p store.Passkey, old uint32) error {
	const op = "update passkey use"
	res, err := s.db.ExecContext(ctx, s.q.mfa.updatePasskeyUse, int64(p.SignCount), p.Credential, s.nullTime(p.LastUsedAt), p.ID, int64(old))
	if err != nil {
		return fault(op, err)
	}
	if err := mustHaveChanged(res, op, errNotInserted); !errors.Is(err, errNotInserted) {
		return err
	}
	if _, err := s.PasskeyByCredentialID(ctx, p.CredentialID); err != nil {
		return err
	}
	return store.ErrSignCountChanged
}

// DeletePasskey implements store.PasskeyStore.
func (s *Store) DeletePasskey(ctx context.Context, userID, id uuid.UUID) error {
	res, err := s.db.ExecContext(ctx, s.q.mfa.deletePasskey, userID, id)
	if err != nil {
		return fault("delete passkey", err)
	}
	return mustHaveChanged(res, "delete passkey", store.ErrPasskeyNotFound)
}
