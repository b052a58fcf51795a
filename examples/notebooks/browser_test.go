package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// EnvScreenshots names a directory that receives a screenshot of each step
// of TestBrowser, for a person to look at. Unset: screenshots are only
// taken on failure, into the test's temporary directory.
const EnvScreenshots = "NOTEBOOKS_SCREENSHOTS"

// chromiumPath finds the system's Chromium. Without it the test skips
// loudly, or fails when CI=true.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium not found on PATH (apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("!!!!! SKIPPED, NOT TESTED: " + msg)
	return ""
}

// browser drives one headless Chromium tab.
type browser struct {
	t     *testing.T
	ctx   context.Context // the tab; no deadline
	shots string          // directory of the screenshots
	steps int

	mu      sync.Mutex
	console []string // what the page logged, for failure reports
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// No internet here: without these Chromium keeps dialling out.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, shots: os.Getenv(EnvScreenshots)}
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx
		t.Fatalf("start Chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s: %s", m.Type, m.Text))
			b.mu.Unlock()
		}
	}()
	return b
}

// screenshot saves the viewport as a PNG and returns its path.
func (b *browser) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Sprintf("(no screenshot: %v)", err)
	}
	b.steps++
	path := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.steps, strings.ReplaceAll(name, " ", "-")))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Sprintf("(no screenshot: %v)", err)
	}
	return path
}

// fail ends the test with a screenshot and the page's console.
func (b *browser) fail(step string, err error) {
	b.t.Helper()
	path := b.screenshot("failed " + step)
	b.mu.Lock()
	console := strings.Join(b.console, "\n")
	b.mu.Unlock()
	b.t.Logf("screenshot of the failure: %s", path)
	b.t.Fatalf("%s: %v\npage console:\n%s", step, err, console)
}

// do runs a step's actions, each step within 15 seconds.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, err)
	}
	if os.Getenv(EnvScreenshots) != "" {
		b.screenshot(step)
	}
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](b *browser, step, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail(step, err)
	}
	return v
}

// js quotes s as a JavaScript string.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// waitText waits until the element shows text containing want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); return !!e && !e.hidden && e.textContent.includes(%s); })()`,
		js(sel), js(want)))
}

// waitCount waits until the list shows n notebooks.
func waitCount(n int) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll("#notebook-list .notebook").length === %d`, n))
}

// typeInto clears a field and types v into it, as a person would.
func typeInto(sel, v string) chromedp.Action[chromedp.Void] {
	clear := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ""`, js(sel)))
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), clear, chromedp.SendKeys(chromedp.CSS(sel), v))
}

func (b *browser) titles() []string {
	b.t.Helper()
	return eval[[]string](b, "read titles",
		`Array.from(document.querySelectorAll("#notebook-list .notebook-title"), e => e.textContent)`)
}

// register makes an account, with a display name unless it is empty, and
// is logged in straight away.
func (b *browser) register(email, password, displayName string) {
	b.t.Helper()
	shown := chromedp.WaitNotVisible(chromedp.CSS("#account-name"))
	if displayName != "" {
		shown = waitText("#account-name", displayName)
	}
	b.do("register "+email,
		chromedp.Click(chromedp.CSS("#show-register")),
		chromedp.WaitVisible(chromedp.CSS("#register-form")),
		typeInto("#register-email", email),
		typeInto("#register-password", password),
		typeInto("#register-display-name", displayName),
		chromedp.Click(chromedp.CSS("#register-submit")),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitText("#account-email", email),
		shown,
		waitText("#status", "Your account is created and you are logged in"),
	)
}

// fieldError waits until the input shows an error of its own, right below
// it and tied to it for screen readers, containing want.
func fieldError(input, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
		const i = document.querySelector(%s), p = i && i.nextElementSibling;
		return !!p && p.classList.contains("field-error") && p.textContent.includes(%s) &&
			i.getAttribute("aria-invalid") === "true" && (i.getAttribute("aria-describedby") || "").split(" ").includes(p.id);
	})()`, js(input), js(want)))
}

func (b *browser) login(email, password string) {
	b.t.Helper()
	b.do("log in "+email,
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		typeInto("#login-email", email),
		typeInto("#login-password", password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitText("#account-email", email),
	)
}

func (b *browser) logout() {
	b.t.Helper()
	b.do("log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		waitText("#status", "You are logged out"),
	)
}

func (b *browser) create(title, content string, count int) {
	b.t.Helper()
	b.do("create "+title,
		typeInto("#new-title", title),
		typeInto("#new-content", content),
		chromedp.Click(chromedp.CSS("#create-notebook")),
		waitCount(count),
		waitText("#status", "Created"),
	)
}

// A person's journey through the page in a real Chromium: register (and be
// logged in at once; errors next to the fields they concern), log in
// (the Secure session cookie over http://127.0.0.1), keep notebooks across
// a reload, log out, see nothing of another user's, and reset a forgotten
// password through the mailed link, verify the email address through
// another, and edit the display name.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	mailDir := t.TempDir()
	base := startService(t, "-db", sqliteDSN(t), "-mail-dir", mailDir)
	const (
		ada, adaPW     = "ada@example.com", "analytical-engine-1843"
		grace, gracePW = "grace@example.com", "compiler-of-cobol-1959"
		newPW          = "a-brand-new-passphrase"
	)

	b.do("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.register(ada, adaPW, "")
	b.logout()
	b.do("registering again says so next to the email",
		chromedp.Click(chromedp.CSS("#show-register")),
		typeInto("#register-email", ada),
		typeInto("#register-password", adaPW),
		chromedp.Click(chromedp.CSS("#register-submit")),
		fieldError("#register-email", "An account with this email address already exists"),
		chromedp.WaitNotVisible(chromedp.CSS("#error")),
	)
	b.do("a common password is refused next to the password",
		typeInto("#register-email", "eve@example.com"),
		typeInto("#register-password", "qwertyuiop"),
		chromedp.Click(chromedp.CSS("#register-submit")),
		fieldError("#register-password", "This password cannot be used"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#register-form .field-error").length === 1`),
		chromedp.Click(chromedp.CSS("#register-view .show-login")),
	)
	b.do("a wrong password is refused in words",
		typeInto("#login-email", ada),
		typeInto("#login-password", "not-my-password"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		waitText("#error", "Wrong email or password."),
	)
	b.login(ada, adaPW)
	b.do("empty list", waitText("#empty", "No notebooks yet"))
	b.do("a notebook needs a title, said next to it",
		typeInto("#new-title", "   "),
		chromedp.Click(chromedp.CSS("#create-notebook")),
		fieldError("#new-title", "Give the notebook a title"),
	)
	b.create("Difference engine", "Columns of figure wheels.", 1)
	b.create("Analytical engine", "A mill and a store.", 2)
	b.create("Scratch", "", 3)

	b.do("edit a notebook",
		chromedp.Click(chromedp.CSS(`#notebook-list .notebook:first-child .edit`)),
		chromedp.WaitVisible(chromedp.CSS(`#notebook-list .edit-form`)),
		typeInto(`#notebook-list .edit-title`, "Scratch pad"),
		chromedp.Click(chromedp.CSS(`#notebook-list .save`)),
		waitText("#notebook-list .notebook:first-child .notebook-title", "Scratch pad"),
	)
	b.do("the server's refusal of an edit shows next to the title",
		chromedp.Click(chromedp.CSS(`#notebook-list .notebook:first-child .edit`)),
		chromedp.WaitVisible(chromedp.CSS(`#notebook-list .edit-form`)),
		typeInto(`#notebook-list .edit-title`, "  "),
		chromedp.Click(chromedp.CSS(`#notebook-list .save`)),
		fieldError(`#notebook-list .edit-title`, "Title cannot be empty"),
		chromedp.Click(chromedp.CSS(`#notebook-list .cancel`)),
	)
	b.do("delete a notebook",
		chromedp.Click(chromedp.CSS(`#notebook-list .notebook:first-child .delete`)),
		waitCount(2),
		waitText("#status", "Deleted"),
	)

	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#notebooks-view")), waitCount(2))
	if got := b.titles(); strings.Join(got, "|") != "Analytical engine|Difference engine" {
		b.fail("after reload", fmt.Errorf("titles %q, want the two, newest first", got))
	}
	cookies := eval[string](b, "read document.cookie", `document.cookie`)
	if strings.Contains(cookies, "authkit") {
		b.fail("cookie", fmt.Errorf("the session cookie is readable by scripts: %q", cookies))
	}

	b.logout()
	b.do("reload after logout", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#login-form")))

	b.register(grace, gracePW, "Grace H.")
	b.do("another user sees none of them", waitText("#empty", "No notebooks yet"), waitCount(0))
	if body := eval[string](b, "read the page", `document.body.innerText`); strings.Contains(body, "engine") {
		b.fail("privacy", fmt.Errorf("grace's page shows ada's notebooks:\n%s", body))
	}
	b.do("edit the display name",
		chromedp.WaitVisible(chromedp.CSS("#profile-form")),
		typeInto("#profile-display-name", "Amazing Grace"),
		chromedp.Click(chromedp.CSS("#profile-submit")),
		waitText("#status", "Your profile is saved"),
		waitText("#account-name", "Amazing Grace"),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitText("#account-name", "Amazing Grace"),
	)
	if v := eval[string](b, "read the profile form", `document.querySelector("#profile-display-name").value`); v != "Amazing Grace" {
		b.fail("profile form", fmt.Errorf("display name field %q after a reload", v))
	}
	b.do("a display name over 100 characters is refused next to it",
		// As a client without the input's maxlength would send it.
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#profile-display-name").value = "g".repeat(101)`),
		chromedp.Click(chromedp.CSS("#profile-submit")),
		fieldError("#profile-display-name", "Display name is too long"),
		waitText("#account-name", "Amazing Grace"),
	)
	b.do("an empty display name removes it",
		typeInto("#profile-display-name", ""),
		chromedp.Click(chromedp.CSS("#profile-submit")),
		waitText("#status", "Your profile is saved"),
		chromedp.WaitNotVisible(chromedp.CSS("#account-name")),
		waitText("#account-email", grace),
	)
	b.logout()

	b.do("forgot password",
		chromedp.Click(chromedp.CSS("#show-forgot")),
		chromedp.WaitVisible(chromedp.CSS("#forgot-form")),
		typeInto("#forgot-email", ada),
		chromedp.Click(chromedp.CSS("#forgot-submit")),
		waitText("#status", "we sent it a link"),
	)
	link := base + "/reset-password?token=" + oneLink(t, waitMails(t, mailDir, 3)[2], base+"/reset-password?token=") // after ada's and grace's verify mails
	b.do("follow the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#reset-form")))
	if loc := eval[string](b, "read the location", `location.href`); loc != base+"/reset-password" {
		b.fail("token in the address bar", fmt.Errorf("location %q", loc))
	}
	b.do("two different passwords are refused",
		typeInto("#reset-password", newPW),
		typeInto("#reset-password-confirm", newPW+"!"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		waitText("#error", "not the same"),
	)
	b.do("choose a new password",
		typeInto("#reset-password", newPW),
		typeInto("#reset-password-confirm", newPW),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		waitText("#status", "Your password has been changed"),
	)
	b.do("the old password no longer works",
		typeInto("#login-email", ada),
		typeInto("#login-password", adaPW),
		chromedp.Click(chromedp.CSS("#login-submit")),
		waitText("#error", "Wrong email or password."),
	)
	b.login(ada, newPW)
	b.do("ada's notebooks are still there", waitCount(2))

	b.do("ask for a verification link",
		chromedp.WaitVisible(chromedp.CSS("#verify-banner")),
		chromedp.Click(chromedp.CSS("#request-verify")),
		waitText("#status", "We sent a verification link"),
	)
	verify := base + "/verify?token=" + oneLink(t, waitMails(t, mailDir, 4)[3], base+"/verify?token=")
	b.do("follow the verification link",
		chromedp.Navigate(verify),
		waitText("#verify-result", ada+" is verified"),
		chromedp.Click(chromedp.CSS("#verify-continue")),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitCount(2),
		chromedp.WaitNotVisible(chromedp.CSS("#verify-banner")),
	)

	b.enrolTOTP(ada, newPW)

	b.do("the used link is refused in words",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#reset-form")),
		typeInto("#reset-password", "yet-another-passphrase"),
		typeInto("#reset-password-confirm", "yet-another-passphrase"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		waitText("#error", "This reset link is invalid"),
	)
}

// enrolTOTP turns on two-step sign-in from the page, with the secret the
// page shows and codes computed here as an authenticator app would; then
// logs out and in again with a code, and with a recovery code.
func (b *browser) enrolTOTP(email, password string) {
	b.t.Helper()
	b.do("set up an authenticator app",
		chromedp.WaitVisible(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#totp-qr")),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
	)
	if qr := eval[string](b, "read the QR code", `document.querySelector("#totp-qr").src`); !strings.HasPrefix(qr, "data:image/png;base64,") {
		b.fail("QR code", fmt.Errorf("src %.40q", qr))
	}
	secret := eval[string](b, "read the key", `document.querySelector("#totp-secret").textContent`)
	uri := eval[string](b, "read the otpauth URI", `document.querySelector("#totp-secret").dataset.uri`)
	if !strings.Contains(uri, "secret="+secret) || !strings.HasPrefix(uri, "otpauth://totp/Notebooks:") {
		b.fail("otpauth URI", fmt.Errorf("%q for the key %q", uri, secret))
	}
	now := time.Now()
	b.do("confirm with a code",
		typeInto("#totp-code", code(b.t, secret, now)),
		chromedp.Click(chromedp.CSS("#totp-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	codes := eval[[]string](b, "read the recovery codes", `Array.from(document.querySelectorAll("#recovery-codes li"), e => e.textContent)`)
	if len(codes) != 10 {
		b.fail("recovery codes", fmt.Errorf("%q", codes))
	}
	b.do("saved the codes",
		chromedp.Click(chromedp.CSS("#recovery-done")),
		waitText("#totp-status", "is on (10 recovery codes left)"),
	)
	b.logout()
	b.do("log in: a code is asked for",
		passwordStep(email, password),
		typeInto("#mfa-code", "000000"),
		chromedp.Click(chromedp.CSS("#mfa-submit")),
		waitText("#error", "That code is wrong"),
	)
	// The step after the confirming one: accepted once, within the skew.
	b.do("the code of the app",
		typeInto("#mfa-code", code(b.t, secret, now.Add(30*time.Second))),
		chromedp.Click(chromedp.CSS("#mfa-submit")),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitText("#account-email", email),
	)
	b.logout()
	b.do("log in with a recovery code",
		passwordStep(email, password),
		chromedp.Click(chromedp.CSS("#mfa-use-recovery")),
		typeInto("#mfa-recovery", codes[3]),
		chromedp.Click(chromedp.CSS("#mfa-submit")),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitText("#totp-status", "is on (9 recovery codes left)"),
	)
}

// passwordStep logs in with the password and waits for the second step.
func passwordStep(email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		typeInto("#login-email", email),
		typeInto("#login-password", password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#mfa-view")),
	)
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// addAuthenticator gives the tab a virtual platform authenticator (the
// DevTools WebAuthn domain): resident keys, user verification that
// succeeds, presence confirmed at once, as a laptop's fingerprint reader.
func (b *browser) addAuthenticator() {
	b.t.Helper()
	b.do("add a virtual authenticator", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		return chromedp.Void{}, err
	})
}

// Passkeys in a real Chromium, through its virtual authenticator: register
// a passkey on the page, log out, sign in with it — no email, no password
// typed —, use it as the second step of a password login, remove it.
func TestBrowserPasskey(t *testing.T) {
	b := newBrowser(t)
	// WebAuthn wants a domain: the page at localhost, the relying party
	// the service makes of its listen address.
	base := strings.Replace(startService(t, "-db", sqliteDSN(t)), "127.0.0.1", "localhost", 1)
	const email, pw = "hopper@example.com", "nanoseconds-of-wire-1952"
	b.addAuthenticator()
	b.do("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-login")))
	b.register(email, pw, "") // logged in straight away
	b.do("add a passkey",
		typeInto("#passkey-name", "Chromium"),
		chromedp.Click(chromedp.CSS("#passkey-add")),
		waitText("#status", "Added the passkey"),
		waitText("#passkey-list .passkey-name", "Chromium"),
	)
	b.logout()
	b.do("sign in with the passkey",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#login-email").value = ""`),
		chromedp.Click(chromedp.CSS("#passkey-login")),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitText("#account-email", email),
		waitText("#passkey-list", "last used"),
	)
	if typed := eval[string](b, "read the login form", `document.querySelector("#login-email").value + document.querySelector("#login-password").value`); typed != "" {
		b.fail("nothing typed", fmt.Errorf("the login form holds %q", typed))
	}
	b.logout()
	b.do("a password login asks for the passkey",
		passwordStep(email, pw),
		chromedp.WaitVisible(chromedp.CSS("#mfa-passkey")),
		chromedp.Click(chromedp.CSS("#mfa-passkey")),
		chromedp.WaitVisible(chromedp.CSS("#notebooks-view")),
		waitText("#account-email", email),
	)
	b.do("remove the passkey",
		chromedp.Click(chromedp.CSS("#passkey-list .remove")),
		waitText("#status", "Removed the passkey"),
		chromedp.WaitVisible(chromedp.CSS("#passkeys-empty")),
	)
	b.logout()
	b.do("the removed passkey signs in no more",
		chromedp.Click(chromedp.CSS("#passkey-login")),
		waitText("#error", "That passkey did not work here"),
	)
	b.login(email, pw)
}
