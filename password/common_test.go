package password

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ccojocar/zxcvbn-go/data"
)

const zxcvbnModule = "github.com/ccojocar/zxcvbn-go"

func TestCommonListSize(t *testing.T) {
	// ASVS 6.2.4: at least the top 3,000 passwords.
	if n := len(commonSet()); n < 3000 {
		t.Fatalf("the common password list has %d entries, want at least 3000", n)
	}
	for _, p := range []string{"password", "12345678", "qwerty", "iloveyou", "trustno1"} {
		if !IsCommon(p) {
			t.Errorf("IsCommon(%q) = false", p)
		}
	}
	if IsCommon("correct horse battery staple") {
		t.Error(`IsCommon("correct horse battery staple") = true`)
	}
}

// TestCommonListUpToDate fails when common.txt no longer matches the
// zxcvbn-go module go.mod selects: run go generate ./password.
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
		if strings.HasPrefix(line, "#") {
			header = append(header, line)
		} else {
			entries = append(entries, line)
		}
	}
	if !slices.Equal(entries, doc.List) {
		t.Errorf("common.txt holds %d entries that differ from the %d of %s's data/Passwords.json; run go generate ./password",
			len(entries), len(doc.List), zxcvbnModule)
	}

	version := goModVersion(t, zxcvbnModule)
	source := "# Source: " + zxcvbnModule + " " + version + ", asset data/Passwords.json."
	if !slices.Contains(header, source) {
		t.Errorf("common.txt header %q does not record %s %s; run go generate ./password", header, zxcvbnModule, version)
	}
	if !slices.ContainsFunc(header, func(l string) bool { return strings.HasPrefix(l, "# Licence: MIT") }) {
		t.Errorf("common.txt header %q does not record the licence", header)
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
