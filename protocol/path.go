package protocol

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// PathError is a path that ZooKeeper's path rules reject. It matches
// ErrBadArguments (errors.Is), the code ZooKeeper answers with.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return "zk: invalid path " + strconv.Quote(e.Path) + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrBadArguments) hold.
func (e *PathError) Unwrap() error { return ErrBadArguments }

// ValidatePath checks path against ZooKeeper's rules (PathUtils): not empty,
// absolute, no trailing '/' except the root, no NUL, no empty element ("//"),
// no "." or ".." element, and none of the characters U+0001-U+001F,
// U+007F-U+009F, U+D800-U+F8FF, U+FFF0-U+FFFF. ZooKeeper checks Java's UTF-16
// units, so a character beyond U+FFFF (a surrogate pair there) is rejected
// too, and so are bytes that are not UTF-8 (Java decodes them to U+FFFD).
//
// A sequential create is checked as path+"1", as ZooKeeper does: its path may
// end with '/' (the node is then named by the sequence number alone).
func ValidatePath(path string, sequential bool) error {
	if path == "" {
		if sequential {
			return &PathError{Path: path, Reason: "must start with /"}
		}
		return &PathError{Path: path, Reason: "empty"}
	}
	if path[0] != '/' {
		return &PathError{Path: path, Reason: "must start with /"}
	}
	if len(path) == 1 {
		return nil
	}
	if path[len(path)-1] == '/' && !sequential {
		return &PathError{Path: path, Reason: "must not end with /"}
	}
	// Walk the elements after the leading '/'. For a sequential path ending
	// in '/', the last element is the empty name the suffix will fill.
	rest := path[1:]
	for {
		elem, tail, more := strings.Cut(rest, "/")
		last := !more
		switch {
		case elem == "" && !(last && sequential):
			return &PathError{Path: path, Reason: "empty node name"}
		case (elem == "." || elem == "..") && !(last && sequential):
			// With a sequential suffix "/a/." becomes "/a/.1", a valid name.
			return &PathError{Path: path, Reason: "relative paths not allowed"}
		}
		if r := invalidRune(elem); r >= 0 {
			if r == 0 {
				return &PathError{Path: path, Reason: "null character not allowed"}
			}
			return &PathError{Path: path, Reason: "invalid character " + strconv.QuoteRuneToASCII(r)}
		}
		if last {
			return nil
		}
		rest = tail
	}
}

// invalidRune returns the first rune of s that a path may not hold, or -1.
func invalidRune(s string) rune {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= 0x1f || c == 0x7f {
				return rune(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r <= 0x9f || (r >= 0xd800 && r <= 0xf8ff) || r >= 0xfff0 {
			return r // RuneError (U+FFFD) from bad bytes lands in the last range
		}
		i += size
	}
	return -1
}

// Parent returns the parent of an absolute path: "/a/b" -> "/a", "/a" -> "/".
// The root has no parent and gives "".
func Parent(path string) string {
	i := strings.LastIndexByte(path, '/')
	switch {
	case path == "/" || i < 0:
		return ""
	case i == 0:
		return "/"
	}
	return path[:i]
}

// Base returns the last element of a path: "/a/b" -> "b". The root gives "".
func Base(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}
