// Package mail delivers authkit's emails: the "verify your email address"
// and "reset your password" messages.
//
// A Composer turns a token into a Message whose one link points at the
// application's front end (never at a URL taken from a request). A Mailer
// delivers it: SMTPMailer in production, FileMailer and LogMailer in
// development. Package mail/outbox sends off the request path, durably,
// with retries: a slow or failing mail server never slows a request down
// nor loses a message.
//
//	cfg, err := mail.ParseSMTPURL(os.Getenv("SMTP_URL")) // smtp://user:pass@smtp.example.com:587
//	if err != nil { ... }
//	cfg.From = "Example <no-reply@example.com>"
//	smtp, err := mail.NewSMTPMailer(cfg)
//	if err != nil { ... }
//	c, err := mail.NewComposer(mail.ComposerConfig{PublicURL: "https://app.example.com", AppName: "Example"})
//	if err != nil { ... }
//	msg, err := c.Reset(user.Email, token, time.Hour) // https://app.example.com/reset-password?token=...
//	if err == nil { err = smtp.Send(ctx, msg) }
//
// SMTPMailer requires TLS by default (STARTTLS, or implicit TLS with
// smtps://) and refuses a server that does not offer it; plain text is
// only allowed to a loopback host. Messages are MIME multipart/alternative
// (text and HTML), UTF-8, quoted-printable; To, Subject and From are checked
// for header injection.
package mail
