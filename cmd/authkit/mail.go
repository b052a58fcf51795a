package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/go-authkit/authkit/mail/outbox"
	"github.com/go-authkit/authkit/store"
	"github.com/google/uuid"
)

// mail administers the mail outbox: the verify and reset mails not sent
// yet.
func (c *cli) mail(ctx context.Context, args []string) error {
	const about = "Commands:\n" +
		"  list    list the mails not sent yet, failed ones included\n" +
		"  retry   send failed mails again\n\n" +
		"Run 'authkit help mail list' or 'authkit help mail retry' for their flags."
	return c.subcommands("mail", about, args, map[string]func([]string) error{
		"list":  func(args []string) error { return c.mailList(ctx, args) },
		"retry": func(args []string) error { return c.mailRetry(ctx, args) },
	})
}

// mailJSON is a mail as mail list -json prints it: never its body, which
// holds a live token.
type mailJSON struct {
	ID            uuid.UUID `json:"id"`
	To            string    `json:"to"`
	Subject       string    `json:"subject"`
	State         string    `json:"state"`
	Attempts      int       `json:"attempts"`
	LastError     string    `json:"last_error"`
	CreatedAt     time.Time `json:"created_at"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	GiveUpAt      time.Time `json:"give_up_at"`
}

func mailState(m store.OutboxMail) string {
	if m.Failed {
		return "failed"
	}
	return "pending"
}

// mailList prints the outbox, oldest first: as a table, or as JSON.
func (c *cli) mailList(ctx context.Context, args []string) error {
	fs := c.flagSet("mail list", "[-json] [-db URL]",
		"Lists the mails not sent yet, oldest first: pending ones (waiting for an attempt,\n"+
			"or retried after a temporary failure) and failed ones (given up). Bodies, which\n"+
			"hold live links, are never shown.")
	dbURL := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.DB().Close()
	mails, err := st.ListMails(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]mailJSON, 0, len(mails))
		for _, m := range mails {
			out = append(out, mailJSON{ID: m.ID, To: m.To, Subject: m.Subject, State: mailState(m), Attempts: m.Attempts,
				LastError: m.LastError, CreatedAt: m.CreatedAt.UTC(), NextAttemptAt: m.NextAttemptAt.UTC(), GiveUpAt: m.GiveUpAt.UTC()})
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTO\tSUBJECT\tSTATE\tATTEMPTS\tCREATED\tLAST ERROR")
	for _, m := range mails {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, printable(m.To), printable(m.Subject), mailState(m),
			m.Attempts, m.CreatedAt.UTC().Format(time.RFC3339), printable(m.LastError))
	}
	return tw.Flush()
}

// mailRetry makes failed mails due again.
func (c *cli) mailRetry(ctx context.Context, args []string) error {
	fs := c.flagSet("mail retry", "[-max-age DURATION] [-db URL] [ID ...]",
		"Makes the mails with the IDs given — or, with none, every failed mail — due again at\n"+
			"once, to be tried for -max-age more. The service's worker sends them. A mail older\n"+
			"than its link's lifetime (one hour by default) carries a dead link: the user then\n"+
			"asks for a new one.")
	dbURL := dbFlag(fs)
	maxAge := fs.Duration("max-age", outbox.DefaultMaxAge, "how long to try the mails again")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *maxAge <= 0 {
		return c.usageError(fs, "-max-age must be positive")
	}
	var ids []uuid.UUID
	for _, a := range fs.Args() {
		id, err := uuid.Parse(a)
		if err != nil {
			return c.usageError(fs, "%q is not a mail id", a)
		}
		ids = append(ids, id)
	}
	st, err := openStore(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.DB().Close()
	now := time.Now()
	n, err := st.RetryMails(ctx, ids, now, now.Add(*maxAge))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%d mails due again\n", n)
	return nil
}
