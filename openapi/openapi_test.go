package openapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/openapi"
)

var info = openapi.Info{Title: "test", Version: "1"}

func op(id string) openapi.Operation {
	return openapi.Operation{Method: "GET", Path: "/x", Summary: "X", OperationID: id,
		Responses: []openapi.Response{{Status: 200, Description: "OK"}}}
}

func with(id string, f func(*openapi.Operation)) openapi.Operation {
	o := op(id)
	f(&o)
	return o
}

// Operations that cannot be documented are an error, not a wrong document.
func TestDocumentRefusesUndocumentable(t *testing.T) {
	named := func(typ string) *openapi.Schema { return &openapi.Schema{Name: "Thing", Type: typ} }
	for _, tc := range []struct {
		name string
		info openapi.Info
		ops  []openapi.Operation
	}{
		{"no title", openapi.Info{Version: "1"}, nil},
		{"no operation ID", info, []openapi.Operation{op("")}},
		{"no responses", info, []openapi.Operation{with("a", func(o *openapi.Operation) { o.Responses = nil })}},
		{"bad method", info, []openapi.Operation{with("a", func(o *openapi.Operation) { o.Method = "FETCH" })}},
		{"path without slash", info, []openapi.Operation{with("a", func(o *openapi.Operation) { o.Path = "x" })}},
		{"duplicate operation ID", info, []openapi.Operation{op("a"), with("a", func(o *openapi.Operation) { o.Path = "/y" })}},
		{"documented twice", info, []openapi.Operation{op("a"), op("b")}},
		{"status twice", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Responses = append(o.Responses, o.Responses[0])
		})}},
		{"not a status", info, []openapi.Operation{with("a", func(o *openapi.Operation) { o.Responses[0].Status = 600 })}},
		{"two schemas, one name", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Responses = []openapi.Response{{Status: 200, Schema: named("string")}, {Status: 201, Schema: named("integer")}}
		})}},
		{"two responses, one name", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Responses = []openapi.Response{{Name: "R", Status: 200}, {Name: "R", Status: 201}}
		})}},
		{"two schemes, one name", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Security = []openapi.Security{{Name: "s", Scheme: openapi.SecurityScheme{Type: "http", Scheme: "bearer"}}}
		}), with("b", func(o *openapi.Operation) {
			o.Path = "/y"
			o.Security = []openapi.Security{{Name: "s", Scheme: openapi.SecurityScheme{Type: "apiKey", In: "cookie", Name: "c"}}}
		})}},
		{"bad component name", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Responses[0].Schema = &openapi.Schema{Name: "a b", Type: "string"}
		})}},
		{"undeclared path parameter", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Params = []openapi.Param{{Name: "id", In: "path"}}
		})}},
		{"required non-property", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Request = &openapi.Body{ContentTypes: []string{"application/json"}, Schema: &openapi.Schema{Type: "object", Required: []string{"x"}}}
		})}},
		{"body without content types", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Request = &openapi.Body{Schema: &openapi.Schema{Type: "object"}}
		})}},
		{"codes without a body", info, []openapi.Operation{with("a", func(o *openapi.Operation) {
			o.Responses = []openapi.Response{{Status: 400, Codes: []string{"NOPE"}}}
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if doc, err := openapi.Document(tc.info, tc.ops...); err == nil {
				t.Errorf("no error; document:\n%s", doc)
			}
		})
	}
}

// Named schemas and responses are components, defined once and referred
// to; undeclared path segments are string parameters; codes are examples.
func TestDocumentComponents(t *testing.T) {
	thing := func() *openapi.Schema {
		return &openapi.Schema{Name: "Thing", Type: "object",
			Properties: map[string]*openapi.Schema{"detail": {Type: "string"}}, Required: []string{"detail"}}
	}
	gone := func() openapi.Response {
		return openapi.Response{Name: "Gone", Status: 410, Schema: thing(), Codes: []string{"GONE_FOR_GOOD"}}
	}
	raw, err := openapi.Document(info,
		with("a", func(o *openapi.Operation) { o.Path = "/a/{id}"; o.Responses = append(o.Responses, gone()) }),
		with("b", func(o *openapi.Operation) { o.Path = "/b"; o.Responses = append(o.Responses, gone()) }),
	)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string
		Paths      map[string]map[string]map[string]any
		Components struct {
			Schemas   map[string]any
			Responses map[string]map[string]any
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != openapi.Version {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	if len(doc.Components.Schemas) != 1 || len(doc.Components.Responses) != 1 {
		t.Errorf("components %v", doc.Components)
	}
	ref, _ := json.Marshal(doc.Paths["/b"]["get"]["responses"])
	if !strings.Contains(string(ref), `"410":{"$ref":"#/components/responses/Gone"}`) {
		t.Errorf("responses of /b: %s", ref)
	}
	params, _ := json.Marshal(doc.Paths["/a/{id}"]["get"]["parameters"])
	if string(params) != `[{"in":"path","name":"id","required":true,"schema":{"type":"string"}}]` {
		t.Errorf("parameters of /a/{id}: %s", params)
	}
	if !strings.Contains(string(raw), `"GONE_FOR_GOOD": {`) {
		t.Error("the code is not an example")
	}
}
