package config

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: any input parses without panicking, every error is a placed
// *Problem within the file, and whatever parses can be validated and
// printed.
func FuzzParse(f *testing.F) {
	f.Add("tickTime=2000\ndataDir=/d\nclientPort=2181\n")
	f.Add("server.1=[::1]:2888:3888:observer;127.0.0.1:2181\nserver.2=h:1:2\ninitLimit=5\nsyncLimit=2\n")
	f.Add("a\\\n  b=c\\u0041\\\n")
	f.Add("jute.maxbuffer=0x10\n4lw.commands.whitelist=ruok, *\nautopurge.snapRetainCount=1\n")
	f.Add("# c\n! c\n k : v \r\nk2 v2\rk3\\uD83D\\uDE00=1")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(strings.NewReader(in), "zoo.cfg")
		lines := strings.Count(in, "\n") + strings.Count(in, "\r") + 1
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var p *Problem
				if !errors.As(e, &p) || p.Source != "zoo.cfg" || p.Line < 1 || p.Line > lines {
					t.Fatalf("unplaced problem %#v for %q", e, in)
				}
			}
			return
		}
		_ = c.Validate()
		if len(c.Lines()) == 0 {
			t.Fatal("no Lines")
		}
		for _, w := range c.Warnings {
			if w.Line < 1 || w.Line > lines {
				t.Fatalf("warning outside the file: %v", w)
			}
		}
	})
}

// FuzzPropertiesRoundTrip: a key and value escaped as a .properties writer
// would escape them read back as themselves (trimmed, as ZooKeeper trims).
func FuzzPropertiesRoundTrip(f *testing.F) {
	f.Add("dataDir", "/var/lib/zookeeper")
	f.Add("a key=with:separators", "  a value\twith\nnewlines \\ and # ! ")
	f.Add("é", "😀")
	f.Fuzz(func(t *testing.T, key, value string) {
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			return
		}
		in := escapeProperty(key, true) + " = " + escapeProperty(value, false) + "\n"
		got, problems, err := readProperties(strings.NewReader(in), "zoo.cfg")
		if err != nil || len(problems) > 0 {
			t.Fatalf("%q: %v %v", in, err, problems)
		}
		if len(got) != 1 {
			t.Fatalf("%q: %d entries", in, len(got))
		}
		if got[0].key != javaTrim(key) || got[0].value != javaTrim(value) {
			t.Fatalf("%q read back as %q=%q", in, got[0].key, got[0].value)
		}
	})
}

// escapeProperty escapes s as Properties.store does: separators, blanks,
// comment characters and backslashes in keys, line breaks as escapes, and
// everything outside printable ASCII as \uXXXX.
func escapeProperty(s string, isKey bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == ' ' && (isKey || i == 0):
			b.WriteString(`\ `)
		case r == '=' || r == ':' || r == '#' || r == '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			for _, u := range utf16Units(r) {
				b.WriteString(`\u`)
				b.WriteString(strings.ToUpper(hex4String(u)))
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + (r >> 10)), uint16(0xdc00 + (r & 0x3ff))}
}

func hex4String(u uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[u>>12], digits[u>>8&0xf], digits[u>>4&0xf], digits[u&0xf]})
}
