package zkfile

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

var world = []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}

// txn encodes one logged transaction: header, then the record fields.
func txn(client int64, zxid int64, op protocol.OpCode, record func(e *protocol.Encoder)) []byte {
	e := protocol.NewEncoder(nil)
	e.Long(client)
	e.Int(1)
	e.Long(zxid)
	e.Long(1700000000000 + zxid)
	e.Int(int32(op))
	if record != nil {
		record(e)
	}
	return e.Bytes()
}

func createRec(path string, ephemeral bool, parentCV int32) func(e *protocol.Encoder) {
	return func(e *protocol.Encoder) {
		e.String(path)
		e.Buffer([]byte(path))
		e.ACLs(world)
		e.Bool(ephemeral)
		e.Int(parentCV)
	}
}

// writeLog writes a log file holding txns, then preallocated zeros.
func writeLog(t *testing.T, file string, txns ...[]byte) {
	t.Helper()
	e := protocol.NewEncoder(nil)
	e.Int(logMagic)
	e.Int(fileVersion)
	e.Long(0)
	for _, x := range txns {
		e.Long(int64(adler32.Checksum(x)))
		e.Buffer(x)
		e.Bool(true)
		e.Bytes()[len(e.Bytes())-1] = 'B'
	}
	if err := os.WriteFile(file, append(e.Bytes(), make([]byte, 64)...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReplayAndSnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const sess = 0x100
	writeLog(t, filepath.Join(dir, "log.1"),
		txn(sess, 1, protocol.OpCreateSession, func(e *protocol.Encoder) { e.Int(30000) }),
		txn(sess, 2, protocol.OpCreate, createRec("/a", false, 1)),
		txn(sess, 3, protocol.OpCreate2, createRec("/a/eph", true, 1)),
		txn(sess, 4, protocol.OpCreate, createRec("/a/keep", false, 2)),
		// A multi with an error sub-txn failed: nothing of it applies.
		txn(sess, 5, protocol.OpMulti, func(e *protocol.Encoder) {
			e.Int(2)
			e.Int(int32(protocol.OpCreate))
			sub := protocol.NewEncoder(nil)
			createRec("/never", false, 2)(sub)
			e.Buffer(sub.Bytes())
			e.Int(int32(protocol.OpError))
			e.Buffer([]byte{0, 0, 0, 0xff})
		}),
		txn(sess, 6, protocol.OpSetData, func(e *protocol.Encoder) { e.String("/a/keep"); e.Buffer([]byte("v1")); e.Int(1) }),
		txn(sess, 7, protocol.OpCloseSession, nil))
	tree, rep, err := LoadDataDir(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Txns != 7 || rep.LastZxid != 7 || len(rep.Warnings) != 0 {
		t.Errorf("report %+v", rep)
	}
	img := tree.Image()
	paths := []string{}
	for _, n := range img.Nodes {
		paths = append(paths, n.Path)
	}
	if want := []string{"/", "/a", "/a/keep", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	a := tree.nodes["/a"]
	if a.Cversion != 2 || a.Pzxid != 7 || len(img.Sessions) != 0 {
		t.Errorf("/a cversion %d pzxid %d (want 2, 7: the ephemeral's delete); sessions %v", a.Cversion, a.Pzxid, img.Sessions)
	}
	if k := tree.nodes["/a/keep"]; string(k.Data) != "v1" || k.Version != 1 || k.Mzxid != 6 || k.Czxid != 4 {
		t.Errorf("/a/keep %+v", k.ImageNode)
	}

	// ZooKeeper snapshot round trip keeps everything.
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, img); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSnapshot(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	back.Zxid = img.LastZxid
	if !reflect.DeepEqual(back.Image(), img) {
		t.Errorf("round trip differs:\n%+v\n%+v", back.Image(), img)
	}
	// So does a zkraft snapshot.
	buf.Reset()
	if err := fsm.WriteImage(&buf, img); err != nil {
		t.Fatal(err)
	}
	// (zkraft keeps nodes by depth, then path: compare as trees.)
	if got, err := fsm.ReadImage(&buf); err != nil || !reflect.DeepEqual(TreeFromImage(got).Image(), img) {
		t.Errorf("zkraft round trip: %v", err)
	}
}

func TestTornAndCorruptLog(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "log.1")
	writeLog(t, file, txn(1, 1, protocol.OpCreate, createRec("/a", false, 1)),
		txn(1, 2, protocol.OpCreate, createRec("/b", false, 2)))
	b, _ := os.ReadFile(file)
	// Cut inside the second entry: a torn tail, read up to the first.
	second := 16 + 12 + int(binary.BigEndian.Uint32(b[16+8:])) + 1
	if err := os.WriteFile(file, b[:second+20], 0o644); err != nil {
		t.Fatal(err)
	}
	tree, rep, err := LoadDataDir(dir, "", nil)
	if err != nil || tree.nodes["/a"] == nil || tree.nodes["/b"] != nil || len(rep.Warnings) != 1 ||
		!strings.Contains(rep.Warnings[0], "torn") || !strings.Contains(rep.Warnings[0], file) {
		t.Errorf("torn tail: %v, warnings %v", err, rep.Warnings)
	}
	// A flipped byte in the first entry stops the replay before it.
	b[16+12+5] ^= 0xff
	os.WriteFile(file, b, 0o644)
	tree, rep, err = LoadDataDir(dir, "", nil)
	if err != nil || tree.nodes["/a"] != nil || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "checksum") {
		t.Errorf("corrupt entry: %v, warnings %v", err, rep.Warnings)
	}
}
