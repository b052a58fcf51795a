package mail_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/go-authkit/authkit/mail"
)

func ExampleParseSMTPURL() {
	cfg, err := mail.ParseSMTPURL("smtp://mailer%40example.com:secret@smtp.example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Host, cfg.Port, cfg.TLS, cfg.Username)
	fmt.Println(cfg) // the password is redacted
	// Output:
	// smtp.example.com 587 starttls mailer@example.com
	// smtp://mailer%40example.com:xxxxx@smtp.example.com:587
}

func ExampleNewSMTPMailer() {
	cfg, err := mail.ParseSMTPURL(os.Getenv("SMTP_URL")) // e.g. smtps://user:pass@smtp.example.com
	if err != nil {
		log.Fatal(err)
	}
	cfg.From = "Example <no-reply@example.com>"
	m, err := mail.NewSMTPMailer(cfg)
	if err != nil {
		log.Fatal(err)
	}
	err = m.Send(context.Background(), mail.Message{
		To:      "user@example.org",
		Subject: "Hello",
		Text:    "Hello in text.",
		HTML:    "<p>Hello in <b>HTML</b>.</p>",
	})
	if err != nil {
		log.Fatal(err)
	}
}

func ExampleNewComposer() {
	c, err := mail.NewComposer(mail.ComposerConfig{
		PublicURL: "https://app.example.com",
		AppName:   "Example",
	})
	if err != nil {
		log.Fatal(err)
	}
	msg, err := c.Reset("user@example.org", "the-reset-token", time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	// LogMailer is for development only: it prints the link, token included.
	lm, err := mail.NewLogMailer(os.Stdout, "Example <no-reply@example.com>")
	if err != nil {
		log.Fatal(err)
	}
	if err := lm.Send(context.Background(), msg); err != nil {
		log.Fatal(err)
	}
	// Output:
	// ----- mail (development only: links and tokens shown in clear) -----
	// From: "Example" <no-reply@example.com>
	// To: user@example.org
	// Subject: Reset your Example password
	//
	// Hello,
	//
	// Someone asked to reset the Example password of user@example.org. To choose a new password, open this link:
	//
	// https://app.example.com/reset-password?token=the-reset-token
	//
	// The link expires in 1 hour and works only once.
	//
	// If you did not ask for this, ignore this message: your password stays as it is.
	//
	// Example
	// ----- end of mail -----
}

func ExampleNewFileMailer() {
	dir, err := os.MkdirTemp("", "outbox")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	fm, err := mail.NewFileMailer(dir, "no-reply@example.com")
	if err != nil {
		log.Fatal(err)
	}
	if err := fm.Send(context.Background(), mail.Message{To: "user@example.org", Subject: "Hi", Text: "Hello"}); err != nil {
		log.Fatal(err)
	}
	files, _ := os.ReadDir(dir)
	fmt.Println(len(files), "file")
	// Output: 1 file
}
