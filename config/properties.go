package config

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
)

// entry is one logical line of a .properties file: a key, its value and the
// line on which it starts (a value continued with a trailing backslash spans
// several physical lines; errors point at the first).
type entry struct {
	key, value string
	line       int
}

// readProperties splits r into entries following java.util.Properties.load,
// which is what ZooKeeper uses to read zoo.cfg:
//
//   - a line whose first non-blank character is '#' or '!' is a comment, and a
//     comment never continues onto the next line;
//   - the key ends at the first unescaped '=', ':' or blank; blanks around the
//     separator are skipped, so "k=v", "k: v" and "k v" are the same;
//   - a line ending in an odd number of backslashes continues on the next one,
//     whose leading blanks are dropped; at end of input the backslash is
//     simply dropped;
//   - \t \n \r \f and \uXXXX are escapes; a backslash before any other
//     character stands for that character (so "C:\dir" reads "C:dir", as in
//     ZooKeeper).
//
// Java reads the bytes as ISO-8859-1; zkraft reads UTF-8, so non-ASCII paths
// come through unmangled, and drops a leading UTF-8 byte order mark. Keys and values are then trimmed, as ZooKeeper does.
//
// A malformed \u escape makes Java reject the whole file; here it is an error
// for that line, collected with the others.
func readProperties(r io.Reader, name string) ([]entry, []*Problem, error) {
	sc := bufio.NewScanner(r)
	// Lines are short in practice, but a long value must not fail with
	// bufio.ErrTooLong: allow up to 16 MiB per physical line.
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	sc.Split(scanLines)

	var (
		entries  []entry
		problems []*Problem
		logical  strings.Builder
		start    int  // line number where the current logical line began
		inLogic  bool // inside a continued logical line
		lineNo   int
	)
	flush := func() {
		key, value, err := splitEntry(logical.String())
		if err != nil {
			problems = append(problems, &Problem{Source: name, Line: start, Key: key, Msg: err.Error()})
		} else {
			entries = append(entries, entry{key: key, value: value, line: start})
		}
		logical.Reset()
		inLogic = false
	}
	for sc.Scan() {
		lineNo++
		text := sc.Text()
		if lineNo == 1 {
			// Editors on Windows may start the file with a byte order
			// mark; Java would glue it to the first key and ignore that
			// setting.
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if inLogic {
			text = strings.TrimLeft(text, " \t\f")
		} else {
			trimmed := strings.TrimLeft(text, " \t\f")
			if trimmed == "" || trimmed[0] == '#' || trimmed[0] == '!' {
				continue
			}
			text = trimmed
			start = lineNo
		}
		if continues(text) {
			logical.WriteString(text[:len(text)-1])
			inLogic = true
			continue
		}
		logical.WriteString(text)
		flush()
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if inLogic {
		flush()
	}
	return entries, problems, nil
}

// scanLines is bufio.ScanLines that also ends a line at a lone '\r', as
// Properties.load does (old Mac line endings).
func scanLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	for i, b := range data {
		switch b {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			// Need one more byte to tell "\r" from "\r\n".
			return 0, nil, nil
		}
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// continues reports whether line ends in an odd number of backslashes, i.e.
// its last backslash is not itself escaped.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitEntry splits one logical line (leading blanks already removed) into
// its unescaped, trimmed key and value. On error the key is returned as far
// as it could be read, for the message.
func splitEntry(line string) (key, value string, err error) {
	// Find the end of the key: the first unescaped separator or blank.
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++ // the escaped character belongs to the key
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rest := line[end:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, kerr := unescape(line[:end])
	key = javaTrim(key)
	if kerr != nil {
		return key, "", kerr
	}
	value, verr := unescape(rest)
	if verr != nil {
		return key, "", verr
	}
	return key, javaTrim(value), nil
}

// unescape resolves the escapes of a .properties key or value.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break // a lone trailing backslash stands for nothing
		}
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf(`malformed \uxxxx escape %q`, s[i-1:])
			}
			r, ok := hex4(s[i+1 : i+5])
			if !ok {
				return "", fmt.Errorf(`malformed \uxxxx escape %q`, s[i-1:i+5])
			}
			i += 4
			// Java strings are UTF-16: a character outside the BMP is
			// written as two escapes, a surrogate pair.
			if utf16.IsSurrogate(r) && i+7 <= len(s) && strings.HasPrefix(s[i+1:], `\u`) {
				if low, ok := hex4(s[i+3 : i+7]); ok {
					if pair := utf16.DecodeRune(r, low); pair != unicode.ReplacementChar {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// hex4 decodes exactly four hex digits.
func hex4(s string) (rune, bool) {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// javaTrim removes what Java's String.trim removes: every character at or
// below U+0020 at either end.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}
