package protocol

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestValidatePath(t *testing.T) {
	cases := []struct {
		path       string
		sequential bool
		ok         bool
	}{
		{"/", false, true},
		{"/a", false, true},
		{"/a/b/c", false, true},
		{"/zookeeper/config", false, true},
		{"/a.b", false, true},
		{"/...", false, true},
		{"/.a", false, true},
		{"/a..", false, true},
		{"/ä/日本", false, true},
		{"/a b", false, true},
		{"/\u00a0", false, true},
		{"/\uf900", false, true},
		{"/\uffef", false, true},
		{"", false, false},
		{"a", false, false},
		{"a/b", false, false},
		{"/a/", false, false},
		{"//", false, false},
		{"/a//b", false, false},
		{"/.", false, false},
		{"/..", false, false},
		{"/a/.", false, false},
		{"/a/..", false, false},
		{"/a/./b", false, false},
		{"/a/../b", false, false},
		{"/a\x00b", false, false},
		{"/\x00", false, false},
		{"/a\x01", false, false},
		{"/a\x1f", false, false},
		{"/a\x7f", false, false},
		{"/a\u0080", false, false},
		{"/a\u009f", false, false},
		{"/\ue000", false, false}, // private use, inside D800-F8FF
		{"/\uf8ff", false, false},
		{"/\ufff0", false, false},
		{"/\ufffd", false, false},
		{"/\U0001F600", false, false}, // a surrogate pair in Java
		{"/a\xff", false, false},      // not UTF-8
		// Sequential creates are checked with a "1" appended.
		{"/", true, true},
		{"/a/", true, true},
		{"/a/b", true, true},
		{"/a/.", true, true},
		{"/a/..", true, true},
		{"", true, false},
		{"a", true, false},
		{"/a//", true, false},
		{"//b", true, false},
		{"/./b", true, false},
	}
	for _, c := range cases {
		err := ValidatePath(c.path, c.sequential)
		if (err == nil) != c.ok {
			t.Errorf("ValidatePath(%q, %v) = %v, want ok=%v", c.path, c.sequential, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrBadArguments) {
			t.Errorf("ValidatePath(%q): %v does not match ErrBadArguments", c.path, err)
		}
		if ref := referenceValidatePath(c.path, c.sequential); (ref == "") != c.ok {
			t.Errorf("reference(%q, %v) = %q, want ok=%v", c.path, c.sequential, ref, c.ok)
		}
	}
}

// referenceValidatePath restates ZooKeeper's rules the way PathUtils applies
// them, character by character over UTF-16 units, as an independent check of
// ValidatePath's element-wise version. It returns "" for a valid path.
func referenceValidatePath(path string, sequential bool) string {
	if sequential {
		path += "1"
	}
	if path == "" {
		return "empty"
	}
	s := utf16.Encode([]rune(path)) // invalid UTF-8 becomes U+FFFD, as in Java
	if s[0] != '/' {
		return "must start with /"
	}
	if len(s) == 1 {
		return ""
	}
	if s[len(s)-1] == '/' {
		return "trailing /"
	}
	for i := 1; i < len(s); i++ {
		c, last := s[i], s[i-1]
		elemStart := last == '/'
		elemEnd := i+1 == len(s) || s[i+1] == '/'
		switch {
		case c == 0:
			return "nul"
		case c == '/' && last == '/':
			return "empty element"
		case c == '.' && last == '.' && s[i-2] == '/' && elemEnd:
			return "relative"
		case c == '.' && elemStart && elemEnd:
			return "relative"
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return "invalid character"
		}
	}
	return ""
}

func TestParentBase(t *testing.T) {
	cases := []struct{ path, parent, base string }{
		{"/", "", ""},
		{"/a", "/", "a"},
		{"/a/b", "/a", "b"},
		{"/a/b/c", "/a/b", "c"},
	}
	for _, c := range cases {
		if p := Parent(c.path); p != c.parent {
			t.Errorf("Parent(%q) = %q, want %q", c.path, p, c.parent)
		}
		if b := Base(c.path); b != c.base {
			t.Errorf("Base(%q) = %q, want %q", c.path, b, c.base)
		}
	}
}

func TestPathErrorMessage(t *testing.T) {
	err := ValidatePath("/a//b", false)
	if err == nil || !strings.Contains(err.Error(), "empty node name") || !strings.Contains(err.Error(), `"/a//b"`) {
		t.Fatalf("message %v", err)
	}
}
