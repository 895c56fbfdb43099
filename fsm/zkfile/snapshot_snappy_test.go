package zkfile

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/golang/snappy"
)

// TestUnsnappyStream: snappy-java's stream (ZooKeeper's
// snapshot.compression.method=snappy) in blocks comes back whole; a cut or
// foreign stream is an error, never a short result. Real ZooKeeper
// snapshots in this format are read by test/TestImportFromZooKeeper/snappy.
func TestUnsnappyStream(t *testing.T) {
	want := bytes.Repeat([]byte("ZKSN snapshot bytes "), 5000)
	stream := append([]byte(nil), snappyMagic...)
	stream = binary.BigEndian.AppendUint32(stream, 1)
	stream = binary.BigEndian.AppendUint32(stream, 1)
	for rest := want; len(rest) > 0; {
		n := min(len(rest), 32<<10)
		block := snappy.Encode(nil, rest[:n])
		stream = binary.BigEndian.AppendUint32(stream, uint32(len(block)))
		stream = append(stream, block...)
		rest = rest[n:]
	}
	got, err := unsnappyStream(stream)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("unsnappyStream: %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	for _, bad := range [][]byte{stream[:len(stream)-3], stream[:18], []byte("ZKSN not snappy at all")} {
		if _, err := unsnappyStream(bad); err == nil {
			t.Errorf("a %d-byte damaged stream decoded", len(bad))
		}
	}
}
