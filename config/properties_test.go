package config

import (
	"reflect"
	"strings"
	"testing"
)

// The .properties dialect, case by case as java.util.Properties.load reads
// it (then trimmed, as ZooKeeper trims keys and values).
func TestReadProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []entry
	}{
		{"equals", "a=b\n", []entry{{"a", "b", 1}}},
		{"colon", "a:b\n", []entry{{"a", "b", 1}}},
		{"blank separator", "a b\n", []entry{{"a", "b", 1}}},
		{"tab separator", "a\tb\n", []entry{{"a", "b", 1}}},
		{"blanks around separator", "  a  =  b  \n", []entry{{"a", "b", 1}}},
		{"blank then equals", "a = = b\n", []entry{{"a", "= b", 1}}},
		{"only the first separator counts", "a=b=c:d\n", []entry{{"a", "b=c:d", 1}}},
		{"colon after blank", "a : b\n", []entry{{"a", "b", 1}}},
		{"key only", "a\n", []entry{{"a", "", 1}}},
		{"key and separator only", "a=\n", []entry{{"a", "", 1}}},
		{"empty key", "=b\n", []entry{{"", "b", 1}}},
		{"hash comment", "# a=b\nc=d\n", []entry{{"c", "d", 2}}},
		{"bang comment", "! a=b\nc=d\n", []entry{{"c", "d", 2}}},
		{"indented comment", "   # a=b\nc=d\n", []entry{{"c", "d", 2}}},
		{"hash inside value is data", "a=b # not a comment\n", []entry{{"a", "b # not a comment", 1}}},
		{"blank lines", "\n   \n\t\na=b\n\n", []entry{{"a", "b", 4}}},
		{"no final newline", "a=b", []entry{{"a", "b", 1}}},
		{"CRLF", "a=b\r\nc=d\r\n", []entry{{"a", "b", 1}, {"c", "d", 2}}},
		{"lone CR", "a=b\rc=d\r", []entry{{"a", "b", 1}, {"c", "d", 2}}},
		{"continuation", "a=b\\\n   c\nd=e\n", []entry{{"a", "bc", 1}, {"d", "e", 3}}},
		{"continuation keeps inner blanks", "a=b \\\n   c\n", []entry{{"a", "b c", 1}}},
		{"continuation over three lines", "a=1,\\\n 2,\\\n 3\nz=9\n", []entry{{"a", "1,2,3", 1}, {"z", "9", 4}}},
		{"continued line starting with hash is data", "a=b\\\n#c\n", []entry{{"a", "b#c", 1}}},
		{"comment does not continue", "# x\\\na=b\n", []entry{{"a", "b", 2}}},
		{"escaped backslash at end does not continue", "a=b\\\\\nc=d\n", []entry{{"a", `b\`, 1}, {"c", "d", 2}}},
		{"three backslashes continue", "a=b\\\\\\\nc\n", []entry{{"a", `b\c`, 1}}},
		{"continuation at end of input", "a=b\\", []entry{{"a", "b", 1}}},
		{"continuation into blank line ends", "a=b\\\n\nc=d\n", []entry{{"a", "b", 1}, {"c", "d", 3}}},
		{"escaped separator in key", "a\\=b=c\n", []entry{{"a=b", "c", 1}}},
		{"escaped colon in key", "a\\:b:c\n", []entry{{"a:b", "c", 1}}},
		{"escaped blank in key", "a\\ b c\n", []entry{{"a b", "c", 1}}},
		{"escapes", `a=\t\n\r\f` + "\n", []entry{{"a", "", 1}}}, // all trimmed away
		{"inner escapes", `a=x\ty\nz` + "\n", []entry{{"a", "x\ty\nz", 1}}},
		{"unicode escape", `a=\u0041\u00e9` + "\n", []entry{{"a", "Aé", 1}}},
		{"surrogate pair", `a=\uD83D\uDE00` + "\n", []entry{{"a", "😀", 1}}},
		{"other escapes drop the backslash", `a=C:\dir\sub` + "\n", []entry{{"a", "C:dirsub", 1}}},
		{"UTF-8 passes through", "dataDir=/tmp/données\n", []entry{{"dataDir", "/tmp/données", 1}}},
		{"byte order mark", "\ufefftickTime=1\n", []entry{{"tickTime", "1", 1}}},
		{"value with leading escaped blank is trimmed", "a=\\ b\n", []entry{{"a", "b", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems, err := readProperties(strings.NewReader(tt.in), "zoo.cfg")
			if err != nil || len(problems) > 0 {
				t.Fatalf("err %v, problems %v", err, problems)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadPropertiesMalformedUnicode(t *testing.T) {
	in := "a=1\nb=\\u00zz\nc=\\u12\nd=4\n"
	got, problems, err := readProperties(strings.NewReader(in), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if want := []entry{{"a", "1", 1}, {"d", "4", 4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("entries %+v, want %+v", got, want)
	}
	want := []string{
		`zoo.cfg:2: b: malformed \uxxxx escape "\\u00zz"`,
		`zoo.cfg:3: c: malformed \uxxxx escape "\\u12"`,
	}
	if len(problems) != len(want) {
		t.Fatalf("problems %v, want %v", problems, want)
	}
	for i, p := range problems {
		if p.Error() != want[i] {
			t.Errorf("problem %d = %q, want %q", i, p.Error(), want[i])
		}
	}
}

func TestReadPropertiesLongLine(t *testing.T) {
	long := strings.Repeat("x", 200000)
	got, _, err := readProperties(strings.NewReader("a="+long+"\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].value != long {
		t.Fatalf("long value not read back (%d entries)", len(got))
	}
}
