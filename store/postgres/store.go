package postgres

import "github.com/go-authkit/authkit/store"

var (
	_ store.UserStore         = (*Store)(nil)
	_ store.UserLister        = (*Store)(nil)
	_ store.AccessTokenStore  = (*Store)(nil)
	_ store.RevocationStore   = (*Store)(nil)
	_ store.RefreshTokenStore = (*Store)(nil)
	_ store.OAuthAccountStore = (*Store)(nil)
	_ store.OAuthStateStore   = (*Store)(nil)
	_ store.MFAStore          = (*Store)(nil)
	_ store.ChallengeStore    = (*Store)(nil)
	_ store.PasskeyStore      = (*Store)(nil)
	_ store.Migrator          = (*Store)(nil)
	_ store.MailOutbox        = (*Store)(nil)
)
