package test

// TestCompatibilityTable keeps COMPATIBILITY.md complete: a row for every op
// code the protocol package knows, every four-letter word the server
// answers and every zoo.cfg key the config package reads, and no test named
// there that does not exist. The words and keys are read from the Go sources
// (they are unexported), so adding one without a row fails here.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

func TestCompatibilityTable(t *testing.T) {
	b, err := os.ReadFile("../COMPATIBILITY.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rows := map[string]string{} // first cell -> status cell, per table row
	for _, line := range strings.Split(doc, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "|") {
			continue
		}
		first := strings.TrimSpace(cells[1])
		status := strings.TrimSpace(cells[2])
		if _, err := strconv.Atoi(first); err == nil { // op code rows: | code | op | status |
			first = first + " " + strings.TrimSpace(cells[2])
			status = strings.TrimSpace(cells[3])
		}
		rows[first] = status
	}
	checkStatus := func(what, status string) {
		switch status {
		case "supported", "differs", "planned":
		default:
			t.Errorf("COMPATIBILITY.md: %s has status %q, want supported, differs or planned", what, status)
		}
	}

	for _, op := range protocol.AllOpCodes() {
		key := fmt.Sprintf("%d %s", int32(op), op)
		status, ok := rows[key]
		if !ok {
			t.Errorf("COMPATIBILITY.md has no row for op code %d (%s)", int32(op), op)
			continue
		}
		checkStatus("op "+key, status)
	}

	words := mapKeys(t, "../server/fourlw.go", "fourLetterWords")
	if len(words) < 10 {
		t.Fatalf("found only %d four-letter words in server/fourlw.go: %v", len(words), words)
	}
	for _, w := range words {
		status, ok := rows[w]
		if !ok {
			t.Errorf("COMPATIBILITY.md has no row for the four-letter word %s", w)
			continue
		}
		checkStatus("word "+w, status)
	}

	keys, ignored := configKeys(t, "../config/keys.go")
	for _, k := range keys {
		status, ok := rows[k]
		if !ok {
			t.Errorf("COMPATIBILITY.md has no row for the zoo.cfg key %s", k)
			continue
		}
		checkStatus("key "+k, status)
	}
	for _, k := range ignored {
		if !strings.Contains(doc, k) {
			t.Errorf("COMPATIBILITY.md does not list the ignored zoo.cfg key %s", k)
		}
	}

	// Every test the page names exists somewhere in the module.
	defined := map[string]bool{}
	funcRe := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	_ = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err == nil {
			for _, m := range funcRe.FindAllStringSubmatch(string(src), -1) {
				defined[m[1]] = true
			}
		}
		return nil
	})
	for _, name := range regexp.MustCompile(`\bTest[A-Z]\w*`).FindAllString(doc, -1) {
		if !defined[name] {
			t.Errorf("COMPATIBILITY.md names %s, which no test file defines", name)
		}
	}
}

// mapKeys returns the string keys of the composite literal assigned to the
// package-level variable name in file.
func mapKeys(t *testing.T, file, name string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != name || len(vs.Values) != 1 {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.CompositeLit); ok {
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if s, ok := stringLit(kv.Key); ok {
						out = append(out, s)
					}
				}
			}
		}
		return false
	})
	return out
}

// configKeys returns the typed keys of config/keys.go (the key* constants and
// literal keys of the settings table) and the ignored ones (ignoredKeys and
// ignoredPrefixes).
func configKeys(t *testing.T, file string) (keys, ignored []string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			name := vs.Names[0].Name
			switch {
			case gd.Tok == token.CONST && strings.HasPrefix(name, "key"):
				if s, ok := stringLit(vs.Values[0]); ok {
					keys = append(keys, s)
				}
			case name == "settings":
				for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if s, ok := stringLit(kv.Key); ok {
							keys = append(keys, s)
						}
					}
				}
			case name == "ignoredKeys":
				if call, ok := vs.Values[0].(*ast.CallExpr); ok && len(call.Args) == 1 {
					if s, ok := stringLit(call.Args[0]); ok {
						ignored = append(ignored, strings.Fields(s)...)
					}
				}
			case name == "ignoredPrefixes":
				for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
					if s, ok := stringLit(e); ok {
						ignored = append(ignored, s)
					}
				}
			}
		}
	}
	if len(keys) < 20 || len(ignored) < 10 {
		t.Fatalf("config/keys.go: found %d keys and %d ignored keys; has its layout changed?", len(keys), len(ignored))
	}
	return keys, ignored
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}
