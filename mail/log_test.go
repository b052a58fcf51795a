package mail

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogMailer(t *testing.T) {
	var buf bytes.Buffer
	lm, err := NewLogMailer(&buf, testFrom)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := testComposer(t).Verify("bob@example.org", "tok", 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := lm.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"development only",
		"To: bob@example.org\n",
		"Subject: Verify your email address for Ünïcode App\n",
		"https://app.example.com/ui/verify?token=tok\n",
		"30 minutes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<html") {
		t.Error("the summary shows the HTML part")
	}

	buf.Reset()
	if err := lm.Send(t.Context(), Message{To: "a@example.org", Subject: "x\nBcc: y@evil.example", Text: "t"}); !errors.Is(err, ErrHeaderInjection) {
		t.Errorf("Send = %v, want ErrHeaderInjection", err)
	}
	if buf.Len() != 0 {
		t.Errorf("refused message printed: %s", buf.String())
	}
	if _, err := NewLogMailer(nil, "a@example.com"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil writer: %v", err)
	}
}

func TestLogMailerKeepsSummariesWhole(t *testing.T) {
	var buf bytes.Buffer
	lm, err := NewLogMailer(&buf, "app@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := lm.Send(t.Context(), Message{To: "a@example.org", Subject: "s", Text: "line 1\nline 2"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	one := "----- mail (development only: links and tokens shown in clear) -----\n" +
		"From: <app@example.com>\nTo: a@example.org\nSubject: s\n\nline 1\nline 2\n----- end of mail -----\n"
	if buf.String() != strings.Repeat(one, 20) {
		t.Errorf("interleaved output:\n%s", buf.String())
	}
}
