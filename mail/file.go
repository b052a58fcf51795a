package mail

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileMailer writes each message as an .eml file into a directory, like
// Django's file-based email backend: for development, tests and staging.
//
// Files are created with mode 0600 (they hold live tokens) and named
// "20060102T150405.000000000Z-<random>.eml" in UTC, so that sorting the names
// sorts the messages by time. A file appears whole: it is written under a
// temporary name and renamed. It is safe for concurrent use.
type FileMailer struct {
	dir  string
	from *mail.Address

	mu   sync.Mutex
	last time.Time // the last name's time, to keep names strictly increasing
}

// NewFileMailer returns a mailer writing into dir, created (mode 0700) when
// missing, with from as the sender of every message.
func NewFileMailer(dir, from string) (*FileMailer, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: FileMailer needs a directory", ErrInvalidConfig)
	}
	f, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: file mailer: %w", err)
	}
	return &FileMailer{dir: dir, from: f}, nil
}

// Dir returns the directory the mailer writes into.
func (f *FileMailer) Dir() string { return f.dir }

// Send writes m into a new file.
func (f *FileMailer) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := f.tick()
	env, err := encode(f.from, m, now)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.dir, ".authkit-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("mail: file mailer: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(env.raw); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: file mailer: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mail: file mailer: %w", err)
	}
	name := now.Format("20060102T150405.000000000Z") + "-" + rand.Text()[:10] + ".eml"
	if err := os.Rename(tmp.Name(), filepath.Join(f.dir, name)); err != nil {
		return fmt.Errorf("mail: file mailer: %w", err)
	}
	return nil
}

// tick returns the current UTC time, later than the previous tick, so that
// names from this mailer never tie.
func (f *FileMailer) tick() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UTC().Round(0)
	if !now.After(f.last) {
		now = f.last.Add(time.Nanosecond)
	}
	f.last = now
	return now
}
