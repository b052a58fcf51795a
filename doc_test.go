package authkit_test

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Every exported function's doc comment starts with its name, as go doc
// shows it: a comment that drifted onto the wrong declaration (Bearer's
// CarriesRefresh once read "loginBody is the OAuth2 token response") fails.
func TestDocCommentsNameTheirFunction(t *testing.T) {
	fset := gotoken.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || !fn.Name.IsExported() || fn.Doc == nil {
				continue
			}
			name := fn.Name.Name
			if text := fn.Doc.Text(); !strings.HasPrefix(text, name+" ") && !strings.HasPrefix(text, name+",") && !strings.HasPrefix(text, name+":") {
				t.Errorf("%s: the doc of %s starts %q", fset.Position(fn.Pos()), name, strings.SplitN(text, "\n", 2)[0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
