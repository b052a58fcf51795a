package storetest

// The mail outbox part of the suite, run when the store implements
// store.MailOutbox.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// outboxStore returns s as a MailOutbox, or skips the test.
func outboxStore(t *testing.T, s Store) store.MailOutbox {
	t.Helper()
	return capability[store.MailOutbox](t, s, "store.MailOutbox")
}

func newMail(to string, at time.Time) store.OutboxMail {
	return store.OutboxMail{
		ID: uuid.New(), To: to, Subject: "Reset your password",
		Message:   []byte(`{"to":"` + to + `","text":"https://app.example/reset?token=x'; DROP TABLE authkit_users; --"}`),
		CreatedAt: at, GiveUpAt: at.Add(time.Hour), NextAttemptAt: at,
	}
}

func mustAddMail(t *testing.T, o store.MailOutbox, m store.OutboxMail) store.OutboxMail {
	t.Helper()
	if err := o.AddMail(context.Background(), m); err != nil {
		t.Fatalf("AddMail: %v", err)
	}
	return m
}

func claim(t *testing.T, o store.MailOutbox, who string, now time.Time, n int) []store.OutboxMail {
	t.Helper()
	got, err := o.ClaimMails(context.Background(), who, now, time.Minute, n)
	if err != nil {
		t.Fatalf("ClaimMails: %v", err)
	}
	return got
}

func listMails(t *testing.T, o store.MailOutbox) []store.OutboxMail {
	t.Helper()
	got, err := o.ListMails(context.Background())
	if err != nil {
		t.Fatalf("ListMails: %v", err)
	}
	return got
}

// A mail goes in, is claimed once (with its message verbatim and an
// attempt counted), is not claimable while leased, and is gone once sent;
// decoys are never claimed nor listed.
func testOutboxClaimAndSend(t *testing.T, s Store) {
	o := outboxStore(t, s)
	ctx := context.Background()
	m := mustAddMail(t, o, newMail("a@camelot.bt", base))
	later := mustAddMail(t, o, newMail("b@camelot.bt", base.Add(time.Minute)))
	decoy := newMail("nobody@authkit.invalid", base)
	decoy.Decoy = true
	mustAddMail(t, o, decoy)

	if l := listMails(t, o); len(l) != 2 || l[0].ID != m.ID || l[1].ID != later.ID {
		t.Fatalf("ListMails = %+v, want the two real mails, oldest first", l)
	}
	got := claim(t, o, "w1", base, 10)
	if len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("claim at base = %+v, want only the mail due", got)
	}
	c := got[0]
	if string(c.Message) != string(m.Message) || c.To != m.To || c.Subject != m.Subject || c.Attempts != 1 || c.Claim != "w1" || c.Decoy {
		t.Fatalf("claimed %+v, want %+v with one attempt, claim w1", c, m)
	}
	checkTime(t, "GiveUpAt", c.GiveUpAt, m.GiveUpAt)
	checkTime(t, "CreatedAt", c.CreatedAt, m.CreatedAt)
	if again := claim(t, o, "w2", base.Add(30*time.Second), 10); len(again) != 0 {
		t.Fatalf("a leased mail was claimed again: %+v", again)
	}
	// Another claim's report changes nothing.
	other := c
	other.Claim = "w2"
	if err := o.MailSent(ctx, other); err != nil {
		t.Fatal(err)
	}
	if l := listMails(t, o); len(l) != 2 {
		t.Fatalf("MailSent of another claim deleted the mail: %+v", l)
	}
	if err := o.MailSent(ctx, c); err != nil {
		t.Fatal(err)
	}
	if l := listMails(t, o); len(l) != 1 || l[0].ID != later.ID {
		t.Fatalf("after MailSent, ListMails = %+v", l)
	}
}

// A lease that ends (its worker died) makes the mail claimable again.
func testOutboxLeaseExpires(t *testing.T, s Store) {
	o := outboxStore(t, s)
	m := mustAddMail(t, o, newMail("a@camelot.bt", base))
	claim(t, o, "dead", base, 1)
	got := claim(t, o, "w2", base.Add(time.Minute), 1)
	if len(got) != 1 || got[0].ID != m.ID || got[0].Attempts != 2 || got[0].Claim != "w2" {
		t.Fatalf("after the lease ended, claim = %+v", got)
	}
}

// A failed attempt makes the mail due at the time given, with its reason;
// a given-up mail is never claimed until RetryMails.
func testOutboxFailAndRetry(t *testing.T, s Store) {
	o := outboxStore(t, s)
	ctx := context.Background()
	m := mustAddMail(t, o, newMail("a@camelot.bt", base))
	c := claim(t, o, "w", base, 1)[0]
	if err := o.MailFailed(ctx, c, "451 try later", base.Add(10*time.Second), false); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, o, "w", base.Add(5*time.Second), 1); len(got) != 0 {
		t.Fatalf("claimed before it was due again: %+v", got)
	}
	c = claim(t, o, "w", base.Add(10*time.Second), 1)[0]
	if c.LastError != "451 try later" || c.Attempts != 2 {
		t.Fatalf("second claim %+v", c)
	}
	if err := o.MailFailed(ctx, c, "550 no such user", base.Add(20*time.Second), true); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, o, "w", base.Add(time.Hour), 1); len(got) != 0 {
		t.Fatalf("a failed mail was claimed: %+v", got)
	}
	l := listMails(t, o)
	if len(l) != 1 || !l[0].Failed || l[0].LastError != "550 no such user" {
		t.Fatalf("ListMails = %+v, want the failed mail", l)
	}
	other := mustAddMail(t, o, newMail("b@camelot.bt", base))
	n, err := o.RetryMails(ctx, nil, base.Add(time.Hour), base.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RetryMails(all failed) = %d, %v; want 1", n, err)
	}
	got := claim(t, o, "w", base.Add(time.Hour), 10)
	if len(got) != 2 || got[0].ID != other.ID && got[1].ID != other.ID {
		t.Fatalf("after RetryMails, claim = %+v", got)
	}
	for _, g := range got {
		if g.ID == m.ID {
			checkTime(t, "GiveUpAt after retry", g.GiveUpAt, base.Add(2*time.Hour))
			if g.Failed || g.Attempts != 1 {
				t.Fatalf("retried mail %+v", g)
			}
		}
	}
	if n, err := o.RetryMails(ctx, []uuid.UUID{m.ID, uuid.New()}, base.Add(time.Hour), base.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("RetryMails(id, unknown) = %d, %v; want 1", n, err)
	}
}

// Workers claiming at once, behind a barrier, never share a mail, and
// every mail is claimed.
func testOutboxClaimRace(t *testing.T, s Store) {
	o := outboxStore(t, s)
	const mails, workers = 40, 8
	for i := range mails {
		mustAddMail(t, o, newMail(fmt.Sprintf("u%d@camelot.bt", i), base))
	}
	var (
		mu    sync.Mutex
		owner = map[uuid.UUID]string{}
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for w := range workers {
		wg.Go(func() {
			<-start
			who := fmt.Sprint("w", w)
			for {
				got, err := o.ClaimMails(context.Background(), who, base, time.Minute, 3)
				if err != nil {
					t.Errorf("ClaimMails: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					if prev, ok := owner[m.ID]; ok {
						t.Errorf("mail %s claimed by %s and %s", m.ID, prev, who)
					}
					owner[m.ID] = who
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(owner) != mails {
		t.Fatalf("%d of %d mails claimed", len(owner), mails)
	}
}
