package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite openapi.json from what the service serves")

//go:generate go test -run TestCommittedDocumentIsServed -update .

// openapi.json in this directory is what the example serves with its
// default flags: its own notebooks routes included. `go generate
// ./examples/notebooks` rewrites it.
func TestCommittedDocumentIsServed(t *testing.T) {
	base := startService(t, "-db", sqliteDSN(t))
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /openapi.json: %d %v", res.StatusCode, err)
	}
	if *update {
		if err := os.WriteFile("openapi.json", served, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, served) {
		t.Fatal("examples/notebooks/openapi.json is stale: run `go generate ./examples/notebooks` and commit it")
	}
}

// The served document says what the service does: display_name is at most
// 100 characters and may be null in a body; ids in paths are strings, since
// a malformed one is answered 404 (not the 422 a proxy validating
// format: uuid would give); the notebooks API is there.
func TestServedDocumentAgreesWithTheService(t *testing.T) {
	base := startService(t, "-db", sqliteDSN(t))
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage
			}
		}
	}
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for schema, want := range map[string]string{
		"UserCreate": `{"description":"The application's own field. null counts as absent.","maxLength":100,"type":["string","null"]}`,
		"UserUpdate": `{"description":"The application's own field. null removes it.","maxLength":100,"type":["string","null"]}`,
		"User":       `{"description":"The application's own field.","maxLength":100,"type":"string"}`,
	} {
		var got bytes.Buffer
		if err := json.Compact(&got, doc.Components.Schemas[schema].Properties["display_name"]); err != nil || got.String() != want {
			t.Errorf("%s.display_name: %s, want %s", schema, got.String(), want)
		}
	}
	for _, p := range []string{"/users/{id}", "/api/notebooks/{id}"} {
		var op struct {
			Parameters []struct {
				Name, In string
				Schema   map[string]any
			}
		}
		if err := json.Unmarshal(doc.Paths[p]["get"], &op); err != nil || len(op.Parameters) != 1 {
			t.Fatalf("GET %s: %v %s", p, err, doc.Paths[p]["get"])
		}
		if s := op.Parameters[0].Schema; len(s) != 1 || s["type"] != "string" {
			t.Errorf("GET %s: id schema %v, want a plain string", p, s)
		}
	}
	for _, p := range []string{"/api/notebooks", "/api/notebooks/{id}"} {
		if len(doc.Paths[p]) == 0 {
			t.Errorf("%s is not documented", p)
		}
	}
	// The behaviour documented: a malformed id is 404, display_name over
	// 100 characters 422, null for it on register accepted as absent.
	register(t, base, "ada@example.com", "analytical-engine-1843")
	c := login(t, base, "jwt", "ada@example.com", "analytical-engine-1843")
	c.expectDetail(404, "GET", "/api/notebooks/not-a-uuid", "", `{"detail":"Not Found"}`)
	c.expect(422, "PATCH", "/users/me", `{"display_name":"`+strings.Repeat("é", 101)+`"}`, nil)
	c.expect(200, "PATCH", "/users/me", `{"display_name":"`+strings.Repeat("é", 100)+`"}`, nil)
	anon := &client{t: t, base: base}
	anon.expect(201, "POST", "/auth/register", `{"email":"bob@example.com","password":"analytical-engine-1843","display_name":null}`, nil)
}
