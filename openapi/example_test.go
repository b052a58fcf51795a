package openapi_test

import (
	"encoding/json"
	"fmt"

	"github.com/go-authkit/authkit/openapi"
)

// An application's own route, documented in the contract's shapes.
func ExampleDocument() {
	doc, err := openapi.Document(openapi.Info{Title: "Notes", Version: "1.0.0"}, openapi.Operation{
		Method: "GET", Path: "/notes/{id}", OperationID: "notes:get", Summary: "A note",
		Params: []openapi.Param{{Name: "id", In: "path", Schema: &openapi.Schema{Type: "string"}}},
		Responses: []openapi.Response{
			{Status: 200, Description: "The note.", Schema: &openapi.Schema{Type: "object"}},
			{Status: 404, Schema: openapi.ErrorModel(), Codes: []string{"Not Found"}},
		},
	})
	if err != nil {
		panic(err)
	}
	var d struct {
		Paths      map[string]map[string]struct{ Responses map[string]any }
		Components struct{ Schemas map[string]any }
	}
	_ = json.Unmarshal(doc, &d)
	fmt.Println(len(d.Paths["/notes/{id}"]["get"].Responses), "responses;", len(d.Components.Schemas), "component schemas")
	// Output: 2 responses; 2 component schemas
}
