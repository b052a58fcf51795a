package outbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/go-authkit/authkit/internal/smtptest"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/internal/testlog"
	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/mail/outbox"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/postgres"
	"github.com/go-authkit/authkit/store/sqlite"
)

// outboxes are the real stores the worker runs on.
var outboxes = []struct {
	name string
	open func(t *testing.T) store.MailOutbox
}{
	{"sqlite", func(t *testing.T) store.MailOutbox {
		s, err := sqlite.New(testdb.SQLite(t))
		return migrated(t, s, err)
	}},
	{"postgres", func(t *testing.T) store.MailOutbox {
		s, err := postgres.New(testdb.Postgres(t, "pgx"))
		return migrated(t, s, err)
	}},
}

func migrated[S interface {
	store.MailOutbox
	store.Migrator
}](t *testing.T, s S, err error) store.MailOutbox {
	t.Helper()
	if err == nil {
		err = s.Migrate(context.Background())
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fast is a worker configuration for tests: short waits everywhere.
func fast(st store.MailOutbox, srv *smtptest.Server, t *testing.T) (outbox.Config, *testlog.Buffer) {
	t.Helper()
	m, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: "127.0.0.1", Port: srv.Port(), TLS: mail.NoTLS,
		From: "Camelot <no-reply@camelot.bt>", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	return outbox.Config{
		Store: st, Mailer: m, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Poll: 20 * time.Millisecond, SendTimeout: 2 * time.Second,
	}, logs
}

func start(t *testing.T, cfg outbox.Config) *outbox.Worker {
	t.Helper()
	w, err := outbox.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

func add(t *testing.T, w *outbox.Worker, n int) {
	t.Helper()
	for i := range n {
		msg := mail.Message{To: fmt.Sprintf("user%d@camelot.bt", i), Subject: "Reset your password", Text: "https://camelot.bt/reset?token=t"}
		if err := w.Add(context.Background(), msg, false); err != nil {
			t.Fatal(err)
		}
	}
	w.Kick()
}

// checkOnce fails unless the server got each of the n mails exactly once.
func checkOnce(t *testing.T, got []smtptest.Mail, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range got {
		seen[strings.Join(m.To, ",")]++
	}
	for i := range n {
		if to := fmt.Sprintf("user%d@camelot.bt", i); seen[to] != 1 {
			t.Errorf("%s got %d mails, want 1", to, seen[to])
		}
	}
	if len(got) != n {
		t.Errorf("%d mails delivered, want %d", len(got), n)
	}
}

func waitEmpty(t *testing.T, st store.MailOutbox) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l, err := st.ListMails(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(l) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails still in the outbox: %+v", len(l), l[0])
		}
	}
}

// A mail server that answers 451 "try later", or that is down, loses no
// mail: each is retried until the server takes it, then sent once.
func TestTemporaryFailuresRetried(t *testing.T) {
	for _, ob := range outboxes {
		for _, mode := range []smtptest.Mode{smtptest.TryLater, smtptest.Down} {
			t.Run(fmt.Sprint(ob.name, "/", map[smtptest.Mode]string{smtptest.TryLater: "451", smtptest.Down: "refused"}[mode]), func(t *testing.T) {
				t.Parallel()
				st, srv := ob.open(t), smtptest.Start(t)
				srv.Set(mode)
				cfg, logs := fast(st, srv, t)
				w := start(t, cfg)
				const n = 20
				add(t, w, n)
				// Every mail fails at least once, then the server recovers.
				for deadline := time.Now().Add(5 * time.Second); !allTried(t, st, n); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the mails were not all tried")
					}
				}
				if mode == smtptest.TryLater && srv.Refused() < n {
					t.Fatalf("the server refused %d recipients, want at least %d", srv.Refused(), n)
				}
				srv.Set(smtptest.Accept)
				checkOnce(t, srv.Wait(n, 10*time.Second), n)
				waitEmpty(t, st)
				time.Sleep(100 * time.Millisecond) // nothing more arrives
				checkOnce(t, srv.Mails(), n)
				if !strings.Contains(logs.String(), "will retry") {
					t.Errorf("no retry logged:\n%s", logs)
				}
			})
		}
	}
}

// allTried reports whether each of the n mails failed an attempt.
func allTried(t *testing.T, st store.MailOutbox, n int) bool {
	l, err := st.ListMails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for _, m := range l {
		if m.Attempts > 0 && m.LastError != "" {
			tried++
		}
	}
	return tried == n
}

// A 5xx reply gives the mail up at once; a mail still failing at MaxAge
// is given up then. Either way: an ERROR log, OnGiveUp, the mail kept as
// failed for an operator's retry — which then sends it.
func TestGiveUp(t *testing.T) {
	for _, ob := range outboxes {
		for _, tc := range []struct {
			name   string
			mode   smtptest.Mode
			maxAge time.Duration
			reason string
		}{
			{"550", smtptest.Reject, time.Hour, "refused for good"},
			{"too old", smtptest.TryLater, 300 * time.Millisecond, "too old"},
		} {
			t.Run(ob.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				st, srv := ob.open(t), smtptest.Start(t)
				srv.Set(tc.mode)
				cfg, logs := fast(st, srv, t)
				cfg.MaxAge = tc.maxAge
				var mu sync.Mutex
				var given []string
				cfg.OnGiveUp = func(_ context.Context, m store.OutboxMail, reason string) {
					mu.Lock()
					defer mu.Unlock()
					given = append(given, m.To+": "+reason)
				}
				w := start(t, cfg)
				add(t, w, 1)
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
					mu.Lock()
					n := len(given)
					mu.Unlock()
					if n > 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("not given up:\n%s", logs)
					}
				}
				if !strings.Contains(given[0], tc.reason) || !strings.Contains(logs.String(), "level=ERROR") {
					t.Fatalf("given up: %v\n%s", given, logs)
				}
				l, _ := st.ListMails(context.Background())
				if len(l) != 1 || !l[0].Failed {
					t.Fatalf("outbox after giving up: %+v", l)
				}
				srv.Set(smtptest.Accept)
				now := time.Now()
				if n, err := st.RetryMails(context.Background(), nil, now, now.Add(time.Hour)); err != nil || n != 1 {
					t.Fatalf("RetryMails = %d, %v", n, err)
				}
				w.Kick()
				checkOnce(t, srv.Wait(1, 5*time.Second), 1)
			})
		}
	}
}

// Close while the mail server is down returns within its budget and
// loses nothing: the next worker on the database sends every mail.
func TestCloseHandsBack(t *testing.T) {
	for _, ob := range outboxes {
		t.Run(ob.name, func(t *testing.T) {
			t.Parallel()
			st, srv := ob.open(t), smtptest.Start(t)
			srv.Set(smtptest.Down)
			cfg, _ := fast(st, srv, t)
			w, err := outbox.Start(cfg)
			if err != nil {
				t.Fatal(err)
			}
			const n = 10
			add(t, w, n)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_ = w.Close(ctx)
			if took := time.Since(start); took > time.Second {
				t.Fatalf("Close took %v", took)
			}
			l, _ := st.ListMails(context.Background())
			if len(l) != n {
				t.Fatalf("%d mails in the outbox after Close, want %d", len(l), n)
			}
			srv.Set(smtptest.Accept)
			next := start2(t, cfg)
			next.Kick()
			checkOnce(t, srv.Wait(n, 10*time.Second), n)
		})
	}
}

func start2(t *testing.T, cfg outbox.Config) *outbox.Worker { return start(t, cfg) }

// Two workers — two instances — on one PostgreSQL database deliver each
// mail exactly once.
func TestTwoWorkersOnePostgres(t *testing.T) {
	db := testdb.Postgres(t, "pgx")
	srv := smtptest.Start(t)
	var workers []*outbox.Worker
	var first store.MailOutbox
	for range 2 {
		// Each instance has its own pool on the one database.
		st, err := postgres.New(sqlx.NewDb(db.DB, "pgx"))
		box := migrated(t, st, err)
		if first == nil {
			first = box
		}
		cfg, _ := fast(box, srv, t)
		workers = append(workers, start(t, cfg))
	}
	const n = 60
	srv.Set(smtptest.Down) // the mails pile up, then both workers race for them
	add(t, workers[0], n)
	time.Sleep(50 * time.Millisecond)
	srv.Set(smtptest.Accept)
	for _, w := range workers {
		w.Kick()
	}
	checkOnce(t, srv.Wait(n, 20*time.Second), n)
	waitEmpty(t, first)
	time.Sleep(200 * time.Millisecond)
	checkOnce(t, srv.Mails(), n)
}
