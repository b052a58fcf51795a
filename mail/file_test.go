package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestFileMailer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox") // created by NewFileMailer
	fm, err := NewFileMailer(dir, testFrom)
	if err != nil {
		t.Fatal(err)
	}
	c := testComposer(t)
	const n = 5
	for i := range n {
		msg, err := c.Reset("user"+strconv.Itoa(i)+"@example.org", "token-"+strconv.Itoa(i), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := fm.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("%d files, want %d (no temporary file left behind)", len(entries), n)
	}
	name := regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-[A-Z2-7]{10}\.eml$`)
	for i, e := range entries { // ReadDir sorts by name: the send order
		if !name.MatchString(e.Name()) {
			t.Errorf("file name %q", e.Name())
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", e.Name(), perm)
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		p := parseMessage(t, raw)
		if to := p.Header.Get("To"); to != "<user"+strconv.Itoa(i)+"@example.org>" {
			t.Errorf("file %d is for %q: names do not sort in send order", i, to)
		}
		checkOneLink(t, p, "https://app.example.com/ui/reset-password?token=token-"+strconv.Itoa(i))
		if strings.Contains(p.Text, "expires") {
			t.Error("a lifetime of 0 should not be mentioned")
		}
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, %v; want 700", info.Mode().Perm(), err)
	}
}

func TestFileMailerConcurrentNamesAreUnique(t *testing.T) {
	fm, err := NewFileMailer(t.TempDir(), "app@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := fm.Send(context.Background(), Message{To: "a@example.org", Text: "t"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	entries, _ := os.ReadDir(fm.Dir())
	if len(entries) != 50 {
		t.Errorf("%d files, want 50", len(entries))
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()[:len("20060102T150405.000000000Z")]
	}
	if len(slices.Compact(names)) != 50 {
		t.Error("two files share a timestamp")
	}
}

func TestFileMailerRefuses(t *testing.T) {
	dir := t.TempDir()
	fm, err := NewFileMailer(dir, "app@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := fm.Send(t.Context(), Message{To: "a@example.org\r\nBcc: x@evil.example", Text: "t"}); !errors.Is(err, ErrHeaderInjection) {
		t.Errorf("Send = %v, want ErrHeaderInjection", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := fm.Send(ctx, Message{To: "a@example.org", Text: "t"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files written for refused messages", len(entries))
	}
	if _, err := NewFileMailer("", "app@example.com"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := NewFileMailer(dir, "bad\r\n"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad From: %v", err)
	}
}
