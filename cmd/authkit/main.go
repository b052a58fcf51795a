// Command authkit administers the users of an authkit database: it applies
// the migrations, creates superusers and changes users' flags; and it
// writes the key pairs that sign the access tokens (keys generate|rotate).
//
//	authkit migrate                          # SQLite file notebooks.db
//	AUTHKIT_PASSWORD=... authkit createsuperuser -email admin@example.com
//	authkit createsuperuser -email admin@example.com   # asks twice, without echo
//	authkit users list -json
//	authkit users set -email bob@example.com -active=false
//	authkit users mfa-reset -email bob@example.com
//	authkit keys generate -dir keys          # the key pair of -jwt-keys keys
//	authkit keys rotate -dir keys
//	authkit mail list                        # the outbox: mails not sent yet
//	authkit mail retry                       # send the failed mails again
//	authkit version
//
// Every command but keys and version takes -db: sqlite:PATH or a postgres:// URL,
// as examples/notebooks does. Rather than a PostgreSQL password on the
// command line, where other users see it, use PGPASSWORD or ~/.pgpass.
// Every command migrates first, so a fresh database works.
//
// Users are created and changed through the user manager, as the HTTP
// routes do: the password policy and the production argon2id parameters
// apply, and deactivating a user ends their sessions.
//
// Exit status: 0 on success, 1 on an error, 2 on a usage mistake,
// 130 when interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses, as a shell user expects them.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT
)

// defaultDB is examples/notebooks' database.
const defaultDB = "sqlite:notebooks.db"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli is what the commands read from and write to.
type cli struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// errUsage reports a usage mistake whose message and usage have already
// been printed: exit status 2.
var errUsage = errors.New("usage")

// run runs the command line args (without the program name) and returns
// the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	err := c.dispatch(ctx, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case ctx.Err() != nil:
		// Whatever failed, it failed because the command was stopped.
		fmt.Fprintln(stderr, "authkit: interrupted")
		return exitInterrupted
	default:
		// The library's own errors already start with "authkit: ".
		fmt.Fprintln(stderr, "authkit:", strings.TrimPrefix(err.Error(), "authkit: "))
		return exitError
	}
}

const usage = `usage: authkit <command> [flags]

Administers the users of an authkit database, and the key pairs that sign
its access tokens.

Commands:
  migrate           create or upgrade the database schema
  createsuperuser   create an active, verified superuser
  users list        list the users
  users set         change a user's active, superuser and verified flags
  users mfa-reset   delete a user's second factors (TOTP, recovery codes, passkeys)
  keys generate     write the first key pair of a key directory (-jwt-keys)
  keys rotate       write the next key pair; delete the keys whose tokens expired
  mail list         list the mails not sent yet (the outbox)
  mail retry        send failed mails again
  version           print the version
  help [command]    print this help, or a command's

Every command but keys and version takes -db: sqlite:PATH or a postgres:// URL
(default ` + defaultDB + `), and migrates the database first; users list and
users set refuse an SQLite file that does not exist.
createsuperuser reads the password from AUTHKIT_PASSWORD, or else asks
for it at the terminal.
`

// dispatch runs the command args name.
func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return errUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "migrate":
		return c.migrate(ctx, rest)
	case "createsuperuser":
		return c.createSuperuser(ctx, rest)
	case "users":
		return c.users(ctx, rest)
	case "keys":
		return c.keys(rest)
	case "mail":
		return c.mail(ctx, rest)
	case "version":
		return c.version(rest)
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			fmt.Fprint(c.stdout, usage)
			return nil
		}
		// A command's help is its -h, asked for: on stdout.
		h := *c
		h.stderr = c.stdout
		return h.dispatch(ctx, append(rest, "-h"))
	default:
		fmt.Fprintf(c.stderr, "authkit: unknown command %q\n\n%s", name, usage)
		return errUsage
	}
}

// flagSet returns a flag set for the command name whose usage line is
// synopsis and which writes to c.stderr.
func (c *cli) flagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("authkit "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\n%s\n", strings.TrimSpace("authkit "+name+" "+synopsis), about)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args into fs and refuses positional arguments: a stray one
// is most often "-active false", which the flag package reads as
// -active=true followed by an argument.
func (c *cli) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage // the flag package printed the mistake and the usage
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "unexpected argument %q (write boolean flags as -flag=false)", fs.Arg(0))
	}
	return nil
}

// usageError prints a usage mistake and fs's usage, and returns errUsage.
func (c *cli) usageError(fs *flag.FlagSet, format string, a ...any) error {
	fmt.Fprintf(c.stderr, "authkit: "+format+"\n\n", a...)
	fs.Usage()
	return errUsage
}

// dbFlag adds the -db flag to fs.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", defaultDB, "database: sqlite:PATH or a postgres:// URL")
}
