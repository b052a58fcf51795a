package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/dbopen"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// migrate applies the store's migrations and says which.
func (c *cli) migrate(ctx context.Context, args []string) error {
	fs := c.flagSet("migrate", "[-db URL]", "Creates or upgrades the database schema. Safe to run at any time.")
	dbURL := dbFlag(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	st, err := dbopen.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.DB().Close()
	// authkit_migrations is the SQL stores' record of what they applied;
	// a fresh database does not have it yet.
	before, _ := migrationVersions(ctx, st.DB())
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	after, err := migrationVersions(ctx, st.DB())
	if err != nil {
		return fmt.Errorf("migrate: read the applied migrations: %w", err)
	}
	applied := 0
	for _, v := range after {
		if !slices.Contains(before, v) {
			fmt.Fprintf(c.stdout, "applied migration %d\n", v)
			applied++
		}
	}
	schema := "empty"
	if len(after) > 0 {
		schema = "at version " + strconv.Itoa(after[len(after)-1])
	}
	if applied == 0 {
		fmt.Fprintf(c.stdout, "nothing to do: schema %s\n", schema)
	} else {
		fmt.Fprintf(c.stdout, "schema %s\n", schema)
	}
	return nil
}

// migrationVersions returns the versions the SQL stores recorded as applied.
func migrationVersions(ctx context.Context, db *sqlx.DB) ([]int, error) {
	var vs []int
	err := db.SelectContext(ctx, &vs, `SELECT version FROM authkit_migrations ORDER BY version`)
	return vs, err
}

// createSuperuser creates an active, verified superuser through the user
// manager, so that the password policy and the production hashing apply.
func (c *cli) createSuperuser(ctx context.Context, args []string) error {
	fs := c.flagSet("createsuperuser", "-email EMAIL [-db URL]",
		"Creates an active, verified superuser. The password comes from the environment\n"+
			"variable "+envPassword+", or else is asked for twice at the terminal, without echo.")
	dbURL := dbFlag(fs)
	email := fs.String("email", "", "the superuser's email address (required)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return c.usageError(fs, "createsuperuser: -email is required")
	}
	addr, err := authkit.ParseEmail(*email)
	if err != nil {
		return fmt.Errorf("-email %s: %w", printable(*email), err)
	}
	// Know where the password will come from before touching the database.
	pw := c.getenv(envPassword)
	fd, tty := c.terminal()
	if pw == "" && !tty {
		return errNoPassword
	}

	st, err := openStore(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.DB().Close()
	kit, err := newKit(st, c.stderr)
	if err != nil {
		return err
	}
	m := kit.Manager()
	// Checked before asking for a password, which would be typed in vain.
	// Create checks again, atomically.
	switch _, err := m.GetByEmail(ctx, addr); {
	case err == nil:
		return existsError(addr)
	case !errors.Is(err, authkit.ErrUserNotFound):
		return err
	}
	if pw == "" {
		if pw, err = askPassword(ctx, fd, c.stderr); err != nil {
			return err
		}
	}
	u, err := m.Create(ctx, authkit.UserCreate{
		Email:       addr,
		Password:    pw,
		IsActive:    true,
		IsSuperuser: true,
		IsVerified:  true,
	}, nil)
	var bad *authkit.InvalidPasswordError
	switch {
	case errors.As(err, &bad):
		return fmt.Errorf("password refused: %s", bad.Reason)
	case errors.Is(err, authkit.ErrUserAlreadyExists):
		return existsError(addr)
	case err != nil:
		return err
	}
	fmt.Fprintf(c.stdout, "created superuser %s (id %s)\n", printable(u.Email), u.ID)
	return nil
}

func existsError(email string) error {
	return fmt.Errorf("a user with email %s already exists (change it with: authkit users set)", printable(email))
}

// users runs the users subcommands.
func (c *cli) users(ctx context.Context, args []string) error {
	const about = "Commands:\n" +
		"  list   list the users\n" +
		"  set    change a user's active, superuser and verified flags\n" +
		"  mfa-reset  delete a user's second factors (TOTP, recovery codes, passkeys)\n\n" +
		"Run 'authkit help users list', 'authkit help users set' or 'authkit help users mfa-reset' for their flags."
	return c.subcommands("users", about, args, map[string]func([]string) error{
		"list":      func(args []string) error { return c.usersList(ctx, args) },
		"set":       func(args []string) error { return c.usersSet(ctx, args) },
		"mfa-reset": func(args []string) error { return c.usersMFAReset(ctx, args) },
	})
}

// subcommands runs the command of group that args name.
func (c *cli) subcommands(group, about string, args []string, cmds map[string]func([]string) error) error {
	usage := func(w io.Writer) { fmt.Fprintf(w, "usage: authkit %s <command> [flags]\n\n%s\n", group, about) }
	if len(args) == 0 {
		usage(c.stderr)
		return errUsage
	}
	if cmd, ok := cmds[args[0]]; ok {
		return cmd(args[1:])
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(c.stderr)
		return flag.ErrHelp
	default:
		fmt.Fprintf(c.stderr, "authkit: unknown command \"%s %s\"\n\n", group, args[0])
		usage(c.stderr)
		return errUsage
	}
}

// usersList prints every user, oldest first: as a table, or as JSON.
func (c *cli) usersList(ctx context.Context, args []string) error {
	fs := c.flagSet("users list", "[-json] [-db URL]", "Lists the users, oldest first. Password hashes are never shown.")
	dbURL := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	st, err := openExisting(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.DB().Close()
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.stdout, users)
	}
	return writeTable(c.stdout, users)
}

// usersSet changes the flags given, and only those, through the user
// manager: deactivating a user ends their sessions.
func (c *cli) usersSet(ctx context.Context, args []string) error {
	fs := c.flagSet("users set", "-email EMAIL [-active=BOOL] [-superuser=BOOL] [-verified=BOOL] [-db URL]",
		"Changes the flags given, and only those. Deactivating a user ends their sessions.")
	dbURL := dbFlag(fs)
	email := fs.String("email", "", "the user's email address (required)")
	var upd authkit.UserUpdate
	flags := map[string]**bool{"active": &upd.IsActive, "superuser": &upd.IsSuperuser, "verified": &upd.IsVerified}
	values := map[string]*bool{
		"active":    fs.Bool("active", false, "whether the user may log in"),
		"superuser": fs.Bool("superuser", false, "whether the user administers the others"),
		"verified":  fs.Bool("verified", false, "whether the user's email is verified"),
	}
	if err := c.parse(fs, args); err != nil {
		return err
	}
	// Only the flags on the command line change: flag.Visit sees those.
	fs.Visit(func(f *flag.Flag) {
		if p, ok := flags[f.Name]; ok {
			*p = values[f.Name]
		}
	})
	switch {
	case *email == "":
		return c.usageError(fs, "users set: -email is required")
	case upd.IsActive == nil && upd.IsSuperuser == nil && upd.IsVerified == nil:
		return c.usageError(fs, "users set: nothing to change: give -active, -superuser or -verified")
	}
	return c.withUser(ctx, *dbURL, *email, func(kit *authkit.AuthKit, u *authkit.User) error {
		u, err := kit.Manager().Update(ctx, u, upd, nil)
		if err != nil {
			return err
		}
		return writeTable(c.stdout, []*store.User{u})
	})
}

// withUser opens the database, builds the kit and runs fn with the user
// of email.
func (c *cli) withUser(ctx context.Context, dbURL, email string, fn func(*authkit.AuthKit, *authkit.User) error) error {
	addr, err := authkit.ParseEmail(email)
	if err != nil {
		return fmt.Errorf("-email %s: %w", printable(email), err)
	}
	st, err := openExisting(ctx, dbURL)
	if err != nil {
		return err
	}
	defer st.DB().Close()
	kit, err := newKit(st, c.stderr)
	if err != nil {
		return err
	}
	u, err := kit.Manager().GetByEmail(ctx, addr)
	if errors.Is(err, authkit.ErrUserNotFound) {
		return fmt.Errorf("no user with email %s", printable(addr))
	}
	if err != nil {
		return err
	}
	return fn(kit, u)
}

// usersMFAReset deletes a user's second factors, for a user who lost the
// device, through the same code as the superuser's DELETE /users/{id}/mfa:
// every session of the user ends, and the reset is audited (on stderr).
func (c *cli) usersMFAReset(ctx context.Context, args []string) error {
	fs := c.flagSet("users mfa-reset", "-email EMAIL [-db URL]",
		"Deletes the user's TOTP secret, recovery codes and passkeys, and ends every session\n"+
			"of theirs: the password alone logs in again. Audited.")
	dbURL := dbFlag(fs)
	email := fs.String("email", "", "the user's email address (required)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return c.usageError(fs, "users mfa-reset: -email is required")
	}
	return c.withUser(ctx, *dbURL, *email, func(kit *authkit.AuthKit, u *authkit.User) error {
		if err := kit.ResetMFA(ctx, u, nil); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "reset the second factors of %s (id %s); their sessions are over\n", printable(u.Email), u.ID)
		return nil
	})
}

// version prints the module's version and the Go release it was built with.
func (c *cli) version(args []string) error {
	fs := c.flagSet("version", "", "Prints the version of authkit and of Go.")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	v, goVersion := "(devel)", runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
	}
	fmt.Fprintf(c.stdout, "authkit %s %s %s/%s\n", v, goVersion, runtime.GOOS, runtime.GOARCH)
	return nil
}

// userJSON is a user as users list -json prints it: the HTTP contract's
// fields and the times, then the application's own fields as the HTTP API
// serves them; never the hash.
type userJSON struct {
	ID          uuid.UUID `json:"id"`
	Email       string    `json:"email"`
	IsActive    bool      `json:"is_active"`
	IsSuperuser bool      `json:"is_superuser"`
	IsVerified  bool      `json:"is_verified"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func writeJSON(w io.Writer, users []*store.User) error {
	out := make([]json.RawMessage, 0, len(users)) // [] rather than null when empty
	for _, u := range users {
		b, err := json.Marshal(userJSON{
			ID: u.ID, Email: u.Email,
			IsActive: u.IsActive, IsSuperuser: u.IsSuperuser, IsVerified: u.IsVerified,
			CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
		})
		if err != nil {
			return err
		}
		own := maps.Clone(u.Fields)
		for _, k := range []string{"id", "email", "is_active", "is_superuser", "is_verified", "created_at", "updated_at", "hashed_password"} {
			delete(own, k) // a standard name is never an application field
		}
		if len(own) > 0 {
			fields, err := json.Marshal(own) // sorted by name
			if err != nil {
				return err
			}
			b = append(append(b[:len(b)-1], ','), fields[1:]...)
		}
		out = append(out, b)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeTable(w io.Writer, users []*store.User) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tACTIVE\tSUPERUSER\tVERIFIED\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%t\t%t\t%t\t%s\n", u.ID, printable(u.Email),
			u.IsActive, u.IsSuperuser, u.IsVerified, u.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// printable returns s, or s quoted when it is not valid UTF-8 or holds a
// character that is not printable: emails are chosen by whoever registers, and a terminal must
// not be fed escape sequences or bidirectional overrides.
func printable(s string) string {
	if !utf8.ValidString(s) {
		return strconv.QuoteToGraphic(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}
