package mail

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"sync"
	"time"
)

// LogMailer writes a readable summary of each message (sender, recipient,
// subject and text body) to a writer instead of sending it.
//
// It is for development only: the text body holds the verification and
// reset links, and so live tokens, in clear, and whoever reads the output
// can take over the account. Never use it in production.
type LogMailer struct {
	from *mail.Address

	mu sync.Mutex // keeps each summary in one piece
	w  io.Writer
}

// NewLogMailer returns a mailer writing to w, with from as the sender.
func NewLogMailer(w io.Writer, from string) (*LogMailer, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: LogMailer needs a writer", ErrInvalidConfig)
	}
	f, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	return &LogMailer{from: f, w: w}, nil
}

// Send writes the summary of m. The message goes through the same checks
// as with any other mailer, so a bad header fails in development too.
func (l *LogMailer) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	env, err := encode(l.from, m, time.Now())
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("----- mail (development only: links and tokens shown in clear) -----\n")
	fmt.Fprintf(&b, "From: %s\nTo: %s\nSubject: %s\n\n", l.from.String(), env.to, m.Subject)
	b.WriteString(strings.TrimRight(m.Text, "\r\n"))
	b.WriteString("\n----- end of mail -----\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = io.WriteString(l.w, b.String())
	return err
}
