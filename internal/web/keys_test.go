package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/okpay/okpay/internal/web/i18n"
)

// templateKeys returns every message key the templates pass to .T, and
// fails the test for a .T whose key is not a string literal: such a key
// could not be checked here.
func templateKeys(t *testing.T) map[string][]string {
	t.Helper()
	s := mustSite(t, Options{})
	pages, err := s.parseTemplates() // fresh: not yet rewritten by the escaper
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{} // key -> where used
	for _, pt := range pages {
		for _, tmpl := range pt.tmpl.Templates() {
			if tmpl.Tree == nil {
				continue
			}
			where := pt.name + ":" + tmpl.Name()
			walk(tmpl.Tree.Root, func(cmd *parse.CommandNode) {
				if !callsT(cmd) {
					return
				}
				if len(cmd.Args) < 2 {
					t.Errorf("%s: .T without a key: %s", where, cmd)
					return
				}
				lit, ok := cmd.Args[1].(*parse.StringNode)
				if !ok {
					t.Errorf("%s: .T key must be a string literal so it can be checked, got %s", where, cmd.Args[1])
					return
				}
				keys[lit.Text] = append(keys[lit.Text], where)
			})
		}
	}
	return keys
}

// callsT reports whether cmd is {{.T ...}} or {{$.T ...}}.
func callsT(cmd *parse.CommandNode) bool {
	if len(cmd.Args) == 0 {
		return false
	}
	switch n := cmd.Args[0].(type) {
	case *parse.FieldNode:
		return len(n.Ident) == 1 && n.Ident[0] == "T"
	case *parse.VariableNode:
		return len(n.Ident) == 2 && n.Ident[0] == "$" && n.Ident[1] == "T"
	}
	return false
}

func walk(n parse.Node, visit func(*parse.CommandNode)) {
	switch n := n.(type) {
	case nil:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, visit)
		}
	case *parse.ActionNode:
		walk(n.Pipe, visit)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, visit)
		}
	case *parse.CommandNode:
		visit(n)
		for _, a := range n.Args {
			walk(a, visit)
		}
	case *parse.IfNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.TemplateNode:
		walk(n.Pipe, visit)
	}
}

func walkBranch(b *parse.BranchNode, visit func(*parse.CommandNode)) {
	walk(b.Pipe, visit)
	walk(b.List, visit)
	walk(b.ElseList, visit)
}

// goKeys returns the literal keys that the package's Go code passes to a
// T method (loc.T("devclock.error.time")).
func goKeys(t *testing.T) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			// A table of keys (var historyKeys = map[...]string{...}):
			// every string value in it is a key.
			if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) == 1 && strings.HasSuffix(vs.Names[0].Name, "Keys") {
				ast.Inspect(vs, func(n ast.Node) bool {
					if kv, ok := n.(*ast.KeyValueExpr); ok {
						if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							k, _ := strconv.Unquote(lit.Value)
							keys[k] = append(keys[k], fset.Position(lit.Pos()).String())
						}
					}
					return true
				})
				return false
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "T" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				k, _ := strconv.Unquote(lit.Value)
				keys[k] = append(keys[k], fset.Position(lit.Pos()).String())
			}
			return true
		})
	}
	return keys
}

// TestMessageKeys proves that every key the pages use exists in every
// language, and that the catalogues hold no key nothing uses.
func TestMessageKeys(t *testing.T) {
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	used := templateKeys(t)
	for k, where := range goKeys(t) {
		used[k] = append(used[k], where...)
	}
	if len(used) < 10 {
		t.Fatalf("found only %d keys in use; is the scan broken?", len(used))
	}
	for _, l := range msgs.Locales() {
		for _, k := range slices.Sorted(maps.Keys(used)) {
			if !l.Has(k) {
				t.Errorf("%s lacks %q, used in %v", l.Code(), k, used[k])
			}
		}
	}
	for _, k := range msgs.Default().Keys() {
		if _, ok := used[k]; !ok {
			t.Errorf("catalogue key %q is used by no template or Go code: remove it", k)
		}
	}
}

var (
	formRE   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	methodRE = regexp.MustCompile(`(?i)\bmethod\s*=\s*"?post"?`)
)

// TestPostFormsCarryToken proves every POST form in the templates includes
// the form token field, which browsers without Sec-Fetch-Site and Origin
// need (see csrf.go).
func TestPostFormsCarryToken(t *testing.T) {
	n := 0
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range formRE.FindAllStringSubmatch(string(b), -1) {
			if !methodRE.MatchString(m[1]) {
				continue
			}
			n++
			if !strings.Contains(m[2], ".CSRFField}}") {
				t.Errorf("%s: a POST form lacks {{.CSRFField}}: <form%s>", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("found no POST forms; is the scan broken?")
	}
}
