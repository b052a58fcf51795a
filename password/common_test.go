package password

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go/data"
)

const zxcvbnModule = "github.com/ccojocar/zxcvbn-go"

func TestCommonListSize(t *testing.T) {
	// ASVS 6.2.4: at least the top 3,000 passwords that fit the policy.
	set := commonSet()
	if n := len(set); n < 3000 {
		t.Fatalf("the common password list has %d entries, want at least 3000", n)
	}
	for p := range set {
		if utf8.RuneCountInString(p) < DefaultMinLength || p != strings.ToLower(p) {
			t.Fatalf("entry %q: every entry is lower-case and fits the policy's least length", p)
		}
	}
	for _, p := range []string{"password", "12345678", "iloveyou", "trustno1", "PASSWORD", "TrustNo1",
		// Once let through: the list then held 1,751 entries of 8 characters or more.
		"password123", "Password123", "letmein123"} {
		if !IsCommon(p) {
			t.Errorf("IsCommon(%q) = false", p)
		}
		if err := (Policy{}).Validate(p, "someone@example.com"); !errors.Is(err, ErrCommon) {
			t.Errorf("Validate(%q) = %v, want ErrCommon", p, err)
		}
	}
	if IsCommon("correct horse battery staple") {
		t.Error(`IsCommon("correct horse battery staple") = true`)
	}
}

// TestCommonListUpToDate fails when common.txt no longer matches its
// sources: the zxcvbn-go module go.mod selects (checked here, entry by
// entry) and the npm package the generator pins (its version and
// integrity, recorded in the header; CI's go run
// ./internal/gen/commonpasswords -check compares the entries, which needs
// npm). Run go generate ./password.
func TestCommonListUpToDate(t *testing.T) {
	raw, err := data.Asset("data/Passwords.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ List []string }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}

	var header, entries []string
	for line := range strings.Lines(commonText) {
		line = strings.TrimSuffix(line, "\n")
		if len(entries) == 0 && strings.HasPrefix(line, "#") {
			header = append(header, line)
		} else {
			entries = append(entries, line)
		}
	}
	set := commonSet()
	if len(set) != len(entries) {
		t.Errorf("common.txt holds %d lines but %d distinct entries", len(entries), len(set))
	}
	missing := 0
	for _, p := range doc.List {
		if p = strings.ToLower(p); utf8.RuneCountInString(p) >= DefaultMinLength {
			if _, ok := set[p]; !ok {
				missing++
			}
		}
	}
	if missing > 0 {
		t.Errorf("common.txt lacks %d entries of %s's data/Passwords.json; run go generate ./password", missing, zxcvbnModule)
	}
	if want := fmt.Sprintf("(%d entries).", len(entries)); !strings.HasSuffix(header[1], want) {
		t.Errorf("header %q does not count the %d entries", header[1], len(entries))
	}

	version := goModVersion(t, zxcvbnModule)
	source := "# Source: " + zxcvbnModule + " " + version + ", asset data/Passwords.json."
	if !slices.Contains(header, source) {
		t.Errorf("common.txt header %q does not record %s %s; run go generate ./password", header, zxcvbnModule, version)
	}
	// The npm package's pins, as the generator holds them.
	gen, err := os.ReadFile("../internal/gen/commonpasswords/main.go")
	if err != nil {
		t.Fatal(err)
	}
	pin := func(name string) string {
		m := regexp.MustCompile(`(?m)^\s*` + name + `\s*=\s*"([^"]+)"`).FindSubmatch(gen)
		if m == nil {
			t.Fatalf("the generator has no %s", name)
		}
		return string(m[1])
	}
	npm := "# Source: npm " + pin("npmPackage") + " " + pin("npmVersion") + " (" + pin("npmIntegrity") + "), "
	if !slices.ContainsFunc(header, func(l string) bool { return strings.HasPrefix(l, npm) }) {
		t.Errorf("common.txt header %q does not record %s; run go generate ./password", header, npm)
	}
	if n := len(slices.DeleteFunc(slices.Clone(header), func(l string) bool { return !strings.HasPrefix(l, "# Licence: MIT") })); n != 2 {
		t.Errorf("common.txt header %q records %d licences, want one per source", header, n)
	}
}

// goModVersion reads the version of module that the main module's go.mod
// requires. (Test binaries carry no dependency versions in their build
// information, and go.mod is what decides the version anyway.)
func goModVersion(t *testing.T, module string) string {
	t.Helper()
	f, err := os.Open("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	version := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && fields[0] == module {
			version = fields[1]
		}
		if len(fields) > 0 && fields[0] == "replace" && slices.Contains(fields, module) {
			t.Fatalf("go.mod replaces %s; the list must come from the real module", module)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if version == "" {
		t.Fatalf("go.mod does not require %s", module)
	}
	return version
}
