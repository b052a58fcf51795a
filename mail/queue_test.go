package mail

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while workers log into it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLog() (*slog.Logger, *syncBuffer) {
	var buf syncBuffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

func TestQueueDrainsOnClose(t *testing.T) {
	fm, err := NewFileMailer(t.TempDir(), "app@example.com")
	if err != nil {
		t.Fatal(err)
	}
	log, buf := testLog()
	q := NewQueue(fm, 3, 50, log)
	for i := range 40 {
		if !q.Enqueue(Message{To: "u" + strconv.Itoa(i) + "@example.org", Subject: "s", Text: "t"}) {
			t.Fatalf("message %d refused by a queue with room", i)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(fm.Dir()); len(entries) != 40 {
		t.Errorf("%d messages sent before Close returned, want 40", len(entries))
	}
	if q.Enqueue(Message{To: "late@example.org", Text: "t"}) {
		t.Error("Enqueue accepted a message after Close")
	}
	if !strings.Contains(buf.String(), "queue closed") {
		t.Errorf("no log for the late message:\n%s", buf.String())
	}
	if err := q.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestQueueNeverBlocksWhenFull(t *testing.T) {
	ca := newTestCA(t)
	block := make(chan struct{})
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass, block: block})
	m := newTestMailer(t, ts, StartTLS, ca, testUser, testPass)
	log, buf := testLog()
	q := NewQueue(m, 1, 1, log)

	const secret = "SECRET-TOKEN-abc123"
	msg := Message{To: "a@example.org", Subject: "Reset", Text: "https://app.example.com/reset-password?token=" + secret}
	if !q.Enqueue(msg) {
		t.Fatal("first message refused")
	}
	select { // the one worker is now stuck in DATA
	case <-ts.dataStarted:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never reached the server")
	}
	if !q.Enqueue(msg) {
		t.Fatal("second message refused: the buffer has room for one")
	}
	start := time.Now()
	if q.Enqueue(msg) {
		t.Fatal("third message accepted by a full queue")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Enqueue on a full queue took %v", d)
	}
	if out := buf.String(); !strings.Contains(out, "queue full") || !strings.Contains(out, "level=ERROR") {
		t.Errorf("no error logged for the dropped message:\n%s", out)
	}

	close(block)
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	ts.next(t)
	ts.next(t)
	if strings.Contains(buf.String(), secret) {
		t.Errorf("the log shows the body:\n%s", buf.String())
	}
}

func TestQueueCloseGivesUp(t *testing.T) {
	ca := newTestCA(t)
	ts := startServer(t, serverOpts{tls: ca.server, user: testUser, pass: testPass, block: make(chan struct{})})
	m := newTestMailer(t, ts, StartTLS, ca, testUser, testPass)
	log, buf := testLog()
	q := NewQueue(m, 1, 10, log)
	for range 3 {
		q.Enqueue(Message{To: "a@example.org", Subject: "s", Text: "t"})
	}
	<-ts.dataStarted

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want DeadlineExceeded", err)
	}
	// Close cancelled the send in flight: the worker stops promptly.
	select {
	case <-q.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker still runs after Close gave up")
	}
	out := buf.String()
	if !strings.Contains(out, "send failed") || strings.Count(out, "queue stopped, message dropped") != 2 {
		t.Errorf("log:\n%s", out)
	}
}

func TestQueueLogsFailuresWithoutBody(t *testing.T) {
	fm, err := NewFileMailer(t.TempDir(), "app@example.com")
	if err != nil {
		t.Fatal(err)
	}
	log, buf := testLog()
	q := NewQueue(fm, 0, 0, log) // defaults
	if cap(q.ch) != DefaultQueueSize {
		t.Errorf("size %d, want %d", cap(q.ch), DefaultQueueSize)
	}
	const secret = "SECRET-TOKEN-xyz789"
	q.Enqueue(Message{To: "not an address", Subject: "Verify", Text: "token=" + secret, HTML: secret})
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "send failed") || !strings.Contains(out, "subject=Verify") {
		t.Errorf("failure not logged:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the log shows the body:\n%s", out)
	}
}
