package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// checkedIn is openapi.json at the root of the repository.
var checkedIn = filepath.Join("..", "..", "..", "openapi.json")

// The checked-in document is what the routers make today.
func TestCheckedInDocumentIsCurrent(t *testing.T) {
	want, err := document()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(checkedIn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("openapi.json is stale: run `go generate .` at the root of the repository and commit it")
	}
}

// contract is docs/contract.md.
var contract = filepath.Join("..", "..", "..", "docs", "contract.md")

var (
	// contractCode is an error code as the contract writes them; every
	// such name in it is one.
	contractCode = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)
	// contractRoute is "GET /users/me" or "GET/PATCH /users/me" or
	// "GET|PATCH|DELETE /users/{id}".
	contractRoute = regexp.MustCompile(`\b((?:GET|POST|PUT|PATCH|DELETE)(?:[/|](?:GET|POST|PUT|PATCH|DELETE))*) (/[A-Za-z0-9_./{}-]*)`)
	// placeholders are the contract's path parameters that stand for a
	// prefix, and what the document has for each.
	placeholders = map[string][]string{"{backend}": {"jwt", "cookie"}, "{provider}": {"github"}}
)

// documented is every "METHOD path" of doc and every error code its
// responses name.
func documented(t *testing.T, doc []byte) (routes, codes map[string]bool) {
	t.Helper()
	var root struct {
		Paths map[string]map[string]any
	}
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	routes, codes = map[string]bool{}, map[string]bool{}
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			if detail, ok := n["detail"]; ok {
				if m, ok := detail.(map[string]any); ok {
					detail = m["code"]
				}
				if s, ok := detail.(string); ok && contractCode.MatchString(s) {
					codes[s] = true
				}
			}
			for _, v := range n {
				walk(v)
			}
		case []any:
			for _, v := range n {
				walk(v)
			}
		}
	}
	for path, ops := range root.Paths {
		for method, op := range ops {
			routes[strings.ToUpper(method)+" "+path] = true
			walk(op)
		}
	}
	var components any
	if err := json.Unmarshal(doc, &components); err != nil {
		t.Fatal(err)
	}
	walk(components.(map[string]any)["components"])
	return routes, codes
}

// docs/contract.md and the document agree: every route of the contract is
// documented, and the error codes are the same on both sides. The codes
// and routes are read from the contract itself, so that a feature that
// adds either to it is checked too.
func TestDocumentFollowsTheContract(t *testing.T) {
	doc, err := document()
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(contract)
	if err != nil {
		t.Fatal(err)
	}
	routes, codes := documented(t, doc)

	want := map[string]bool{}
	for _, c := range contractCode.FindAllString(string(text), -1) {
		want[c] = true
	}
	if len(want) < 20 {
		t.Fatalf("only %d codes read from %s: is the pattern still right?", len(want), contract)
	}
	for _, c := range slices.Sorted(maps.Keys(want)) {
		if !codes[c] {
			t.Errorf("%s is in docs/contract.md but no route of the document answers it", c)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(codes)) {
		if !want[c] {
			t.Errorf("%s is in the document but not in docs/contract.md", c)
		}
	}

	n := 0
	for _, m := range contractRoute.FindAllStringSubmatch(string(text), -1) {
		paths := []string{m[2]}
		for ph, values := range placeholders {
			var next []string
			for _, p := range paths {
				if !strings.Contains(p, ph) {
					next = append(next, p)
					continue
				}
				for _, v := range values {
					next = append(next, strings.ReplaceAll(p, ph, v))
				}
			}
			paths = next
		}
		for _, method := range strings.FieldsFunc(m[1], func(r rune) bool { return r == '/' || r == '|' }) {
			for _, p := range paths {
				n++
				if !routes[method+" "+p] {
					t.Errorf("%s %s (docs/contract.md: %q) is not in the document", method, p, m[0])
				}
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d routes read from %s: is the pattern still right?", n, contract)
	}
}
