package mail

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/mail/mailtest"
)

var messageIDRE = regexp.MustCompile(`^<[A-Z2-7]{26}@[a-zA-Z0-9.-]+>$`)

// parseMessage reads raw back as a mail client would, with mailtest.Parse,
// which fails on any departure from the format Encode promises.
func parseMessage(t *testing.T, raw []byte) mailtest.Message {
	t.Helper()
	m, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !messageIDRE.MatchString(m.MessageID) {
		t.Errorf("Message-ID = %q", m.MessageID)
	}
	return m
}

var urlRE = regexp.MustCompile(`https?://[^\s"'<>]+`)

// links returns the distinct URLs in s, HTML entities decoded, in order.
func links(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range urlRE.FindAllString(s, -1) {
		u = html.UnescapeString(u)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// checkOneLink checks that both parts show one link, the same, and that it is want.
func checkOneLink(t *testing.T, p mailtest.Message, want string) {
	t.Helper()
	if got := links(p.Text); len(got) != 1 || got[0] != want {
		t.Errorf("text part links = %q, want exactly [%q]", got, want)
	}
	if n := strings.Count(p.Text, want); n != 1 {
		t.Errorf("text part shows the link %d times, want 1", n)
	}
	if got := links(p.HTML); len(got) != 1 || got[0] != want {
		t.Errorf("HTML part links = %q, want exactly [%q]", got, want)
	}
}
