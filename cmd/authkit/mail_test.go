package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// mail list shows the outbox without bodies; mail retry makes the failed
// mails (all, or those named) due again.
func TestMailListRetry(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		st, _ := openKit(t, db)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		n := 0
		add := func(to string) store.OutboxMail {
			n++
			at := now.Add(time.Duration(n) * time.Millisecond) // in this order
			m := store.OutboxMail{ID: uuid.New(), To: to, Subject: "Reset your password",
				Message: []byte(`{"Text":"https://camelot.bt/reset?token=SECRET"}`), CreatedAt: at, GiveUpAt: at.Add(time.Hour), NextAttemptAt: at}
			if err := st.AddMail(ctx, m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		failed, other, pending := add("arthur@camelot.bt"), add("gawain@camelot.bt"), add("kay@camelot.bt")
		for _, m := range []store.OutboxMail{failed, other} {
			got, err := st.ClaimMails(ctx, "test", m.NextAttemptAt, time.Minute, 1)
			if err != nil || len(got) != 1 || got[0].ID != m.ID {
				t.Fatalf("claim %v %v", got, err)
			}
			if err := st.MailFailed(ctx, got[0], "550 no such mailbox", now, true); err != nil {
				t.Fatal(err)
			}
		}

		r := runCLI(t, nil, "mail", "list", "-db", db).want(t, 0)
		if strings.Contains(r.stdout, "SECRET") || strings.Count(r.stdout, "failed") != 2 || !strings.Contains(r.stdout, "kay@camelot.bt") ||
			!strings.Contains(r.stdout, "550 no such mailbox") {
			t.Fatalf("mail list:\n%s", r.stdout)
		}
		var list []mailJSON
		if err := json.Unmarshal([]byte(runCLI(t, nil, "mail", "list", "-json", "-db", db).want(t, 0).stdout), &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].ID != failed.ID || list[0].State != "failed" || list[2].State != "pending" || list[0].Attempts != 1 {
			t.Fatalf("mail list -json: %+v", list)
		}

		if r := runCLI(t, nil, "mail", "retry", "-db", db, failed.ID.String()).want(t, 0); r.stdout != "1 mails due again\n" {
			t.Fatalf("mail retry ID: %q", r.stdout)
		}
		if r := runCLI(t, nil, "mail", "retry", "-db", db).want(t, 0); r.stdout != "1 mails due again\n" {
			t.Fatalf("mail retry: %q", r.stdout)
		}
		got, err := st.ClaimMails(ctx, "test", time.Now().Add(time.Second), time.Minute, 10)
		if err != nil || len(got) != 3 {
			t.Fatalf("after mail retry, %d mails due (%v), want 3", len(got), err)
		}
		_ = pending
		runCLI(t, nil, "mail", "retry", "-db", db, "not-an-id").want(t, exitUsage)
		runCLI(t, nil, "mail", "retry", "-db", db, "-max-age", "0s").want(t, exitUsage)
		runCLI(t, nil, "mail", "bogus").want(t, exitUsage)
		runCLI(t, nil, "mail").want(t, exitUsage)
	})
}
