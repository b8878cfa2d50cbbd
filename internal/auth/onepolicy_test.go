package auth

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// roleAsData are the places outside this package that look at a role
// without deciding what the caller may do: they read the role of the
// account being made or changed, or of whoever recorded a clinical fact.
var roleAsData = map[string]string{
	"internal/web/admin/admin.go":    "an invitation must be for a staff role; a reset link is refused for a patient's account",
	"internal/web/account/tokens.go": "a staff invitation's account must set up two-step verification",
	"internal/clinic/session.go":     "an override counts only when a prescriber recorded it (the gate's rule)",
	"internal/fhir/mapping.go":       "only a staff account is mapped to a FHIR Practitioner; a patient's never is",
	"internal/demo/demo.go":          "the demo finds its administrator among the people it seeds",
	"internal/demo/site.go":          "the demo finds its administrator among the people it seeds",
	"cmd/kapstone/user.go":           "the command line refuses to make a patient's account (they join by invitation)",
	"cmd/kapstone/loadtest.go":       "the load test signs in as the demo's therapist, found among its logins",
}

// engineAsData are the places outside store/dialect.go that name a
// database engine without deciding how a query is written: they drive the
// engine's own tools or report per engine.
var engineAsData = map[string]string{
	"cmd/kapstone/backup.go":   "a backup is made by the engine's own tool (VACUUM INTO, pg_dump) and names its engine in the manifest",
	"cmd/kapstone/loadtest.go": "the load test starts a server on each engine and reports the targets per engine",
}

// TestOnePolicy walks kapstone's non-test code and fails on a decision
// about a role (== or != against a role, a switch on a role, Staff())
// outside this package, and on a conditional that names a database engine
// outside store/dialect.go. Who may do what is Can's to answer, and how the
// engines differ is the dialect's.
func TestOnePolicy(t *testing.T) {
	root := filepath.Join("..", "..")
	used := map[string]bool{}
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, "internal/auth/") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			check := func(n ast.Node, what string) {
				if _, ok := roleAsData[rel]; ok && what == "role" {
					used[rel] = true
					return
				}
				if what == "engine" && rel == "internal/store/dialect.go" {
					return
				}
				if _, ok := engineAsData[rel]; ok && what == "engine" {
					used[rel+"#engine"] = true
					return
				}
				t.Errorf("%s:%d: a %s decision outside its one home", rel, fset.Position(n.Pos()).Line, what)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BinaryExpr:
					if (n.Op == token.EQL || n.Op == token.NEQ) && (isRole(n.X) || isRole(n.Y)) {
						check(n, "role")
					}
				case *ast.SwitchStmt:
					if n.Tag != nil && isRole(n.Tag) {
						check(n, "role")
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Staff" {
						check(n, "role")
					}
				case *ast.IfStmt:
					if namesEngine(n.Cond) {
						check(n, "engine")
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for file := range roleAsData {
		if !used[file] {
			t.Errorf("%s is listed as reading a role as data but reads none: take it off the list", file)
		}
	}
	for file := range engineAsData {
		if !used[file+"#engine"] {
			t.Errorf("%s is listed as naming an engine as data but names none: take it off the list", file)
		}
	}
}

// isRole reports whether e reads a role: x.Role, x.ByRole, or a role
// constant (clinic.RoleAdmin ...).
func isRole(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	name := sel.Sel.Name
	return name == "Role" || name == "ByRole" || strings.HasPrefix(name, "Role") && len(name) > 4
}

// namesEngine reports whether a condition asks which database engine is in
// use: an engine's name as a string, or IsPostgresDSN.
func namesEngine(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			v := strings.ToLower(strings.Trim(n.Value, "\"`"))
			if v == "sqlite" || v == "sqlite3" || v == "postgres" || v == "pgx" || v == "postgresql" {
				found = true
			}
		case *ast.Ident:
			if n.Name == "IsPostgresDSN" || n.Name == "isSQLite" || n.Name == "isPostgres" {
				found = true
			}
		}
		return !found
	})
	return found
}
