package mail

import (
	"fmt"
	"net"
	"net/textproto"
	"testing"
)

func TestPermanent(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("mail: smtp RCPT TO: %w", &textproto.Error{Code: 550, Msg: "no such mailbox"}), true},
		{fmt.Errorf("mail: smtp DATA: %w", &textproto.Error{Code: 554, Msg: "rejected"}), true},
		{fmt.Errorf("mail: smtp RCPT TO: %w", &textproto.Error{Code: 451, Msg: "try again later"}), false},
		{fmt.Errorf("mail: smtp dial: %w", &net.OpError{Op: "dial", Err: fmt.Errorf("connection refused")}), false},
		{fmt.Errorf("%w: no recipient", ErrInvalidMessage), true},
	} {
		if got := Permanent(tc.err); got != tc.want {
			t.Errorf("Permanent(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
