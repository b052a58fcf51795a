package mail

import (
	"errors"
	"net/textproto"
)

// Permanent reports whether err, returned by a Mailer's Send, means that
// sending the same message again would fail again: an SMTP reply in the
// 5xx range (RFC 5321 §4.2.1: "permanent negative completion"), or a
// message that cannot be sent as it is. Everything else — a refused or
// broken connection, a timeout, a 4xx reply such as 451 "try again later"
// — is temporary: the message may go through later.
func Permanent(err error) bool {
	if errors.Is(err, ErrInvalidMessage) || errors.Is(err, ErrHeaderInjection) {
		return true
	}
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}
