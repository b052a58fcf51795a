package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

// The document lists every error code CONTRACT.md gives these routes
// (the OAuth codes belong to routes authkit does not have yet), and only
// those.
func TestDocumentListsTheContractsCodes(t *testing.T) {
	doc, err := document()
	if err != nil {
		t.Fatal(err)
	}
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			if detail, ok := n["detail"]; ok {
				if m, ok := detail.(map[string]any); ok {
					detail = m["code"]
				}
				if s, ok := detail.(string); ok && strings.ToUpper(s) == s {
					found[s] = true
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
	walk(root)
	want := []string{
		"REGISTER_INVALID_PASSWORD", "REGISTER_USER_ALREADY_EXISTS",
		"LOGIN_BAD_CREDENTIALS", "LOGIN_USER_NOT_VERIFIED",
		"RESET_PASSWORD_BAD_TOKEN", "RESET_PASSWORD_INVALID_PASSWORD",
		"VERIFY_USER_BAD_TOKEN", "VERIFY_USER_ALREADY_VERIFIED",
		"UPDATE_USER_EMAIL_ALREADY_EXISTS", "UPDATE_USER_INVALID_PASSWORD", "UPDATE_USER_BAD_CURRENT_PASSWORD",
		"TOO_MANY_REQUESTS", "REFRESH_TOKEN_INVALID",
	}
	for _, code := range want {
		if !found[code] {
			t.Errorf("%s is not in the document", code)
		}
		delete(found, code)
	}
	for code := range found {
		t.Errorf("%s is in the document but not in the contract", code)
	}
}
