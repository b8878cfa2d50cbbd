package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const webPath = "github.com/kapstone/kapstone/internal/web"

// faces are the packages that hold handlers; each may import the shell but
// no other web package.
var faces = []string{"site", "account", "portal", "staff", "admin", "notes", "skills", "messages", "safety", "diagnoses", "billing", "billingreports", "superbill", "controlled", "remsform", "chaperone", "timeline", "inquiries"}

// TestLayout keeps the web layer's shape: every route pattern is in
// routes.go, a face imports no other face (nor the root), the shell imports
// no web package, nothing in the web layer imports the job runner, and no
// package grows past about 3,000 lines of non-test code.
func TestLayout(t *testing.T) {
	dirs := append([]string{".", "shell", "webtest"}, faces...)
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		lines := 0
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			lines += strings.Count(string(src), "\n")
			f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range f.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				if path == "github.com/kapstone/kapstone/internal/job" || path == "github.com/kapstone/kapstone/internal/mailjob" {
					t.Errorf("%s imports %s: the web layer queues jobs through the store and never runs them", name, path)
				}
				if dir == "." || dir == "webtest" || !strings.HasPrefix(path, webPath) {
					continue
				}
				if path != webPath+"/shell" || dir == "shell" {
					t.Errorf("%s imports %s: a face imports only the shell, and the shell no web package", name, path)
				}
			}
			if name == "routes.go" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && (strings.HasPrefix(s, "GET /") || strings.HasPrefix(s, "POST /")) {
						t.Errorf("%s holds the route pattern %q: every route belongs in routes.go", name, s)
					}
				}
				return true
			})
		}
		if lines > 3000 {
			t.Errorf("package %s has %d lines of non-test code; split it (aim: under 3,000)", dir, lines)
		}
	}
}
