package mailtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/mail"
	"github.com/go-authkit/authkit/mail/mailtest"
)

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	fm, err := mail.NewFileMailer(dir, "Camelot <noreply@camelot.bt>")
	if err != nil {
		t.Fatal(err)
	}
	c, err := mail.NewComposer(mail.ComposerConfig{PublicURL: "http://localhost:8000", AppName: "Camelot"})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"elaine@camelot.bt", "lynette@camelot.bt"} {
		msg, err := c.Verify(to, "tok", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := fm.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	// Not a message: ignored.
	if err := os.WriteFile(filepath.Join(dir, ".authkit-1.tmp"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	msgs := mailtest.ReadDir(t, dir)
	if len(msgs) != 2 || msgs[0].To != "elaine@camelot.bt" || msgs[1].To != "lynette@camelot.bt" {
		t.Fatalf("messages %+v", msgs)
	}
	m := msgs[0]
	if m.From != `"Camelot" <noreply@camelot.bt>` || m.Subject != "Verify your email address for Camelot" ||
		!strings.Contains(m.Text, "http://localhost:8000/verify?token=tok") ||
		!strings.Contains(m.HTML, `href="http://localhost:8000/verify?token=tok"`) ||
		time.Since(m.Date) > time.Minute || filepath.Dir(m.File) != dir {
		t.Errorf("message %+v", m)
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	good, err := mail.Encode("a@example.com", mail.Message{To: "b@example.org", Subject: "s", Text: "t", HTML: "<p>h</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mailtest.Parse(good); err != nil {
		t.Fatalf("Parse(Encode(...)): %v", err)
	}
	s := string(good)
	for name, bad := range map[string]string{
		"bare LF":         strings.Replace(s, "\r\n", "\n", 1),
		"no MIME-Version": strings.Replace(s, "MIME-Version: 1.0\r\n", "", 1),
		"no Date":         strings.Replace(s, "Date:", "X-Date:", 1),
		"two recipients":  strings.Replace(s, "To: <b@example.org>", "To: <b@example.org>, <c@example.org>", 1),
		"latin1":          strings.Replace(s, "text/html; charset=utf-8", "text/html; charset=iso-8859-1", 1),
		"8bit":            strings.Replace(s, "Content-Transfer-Encoding: quoted-printable", "Content-Transfer-Encoding: 8bit", 1),
		"long line":       strings.Replace(s, "Subject: s", "Subject: "+strings.Repeat("s", 1000), 1),
	} {
		if _, err := mailtest.Parse([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	good, err := mail.Encode("A <a@example.com>", mail.Message{To: "b@example.org", Subject: "sübject", Text: "t=\n.x", HTML: "<p>h</p>"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("From: a@b\r\nTo: c@d\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mailtest.Parse(raw)
		if err == nil && (m.To == "" || m.From == "" || m.Date.IsZero()) {
			t.Fatalf("accepted an incomplete message: %+v", m)
		}
	})
}
