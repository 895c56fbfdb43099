package zkfile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/golang/snappy"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// ZooKeeper's snapshot file (FileSnap, format version 2), all jute:
//
//	FileHeader {magic int "ZKSN", version int 2, dbid long -1}
//	sessions: count int, then {id long, timeout int}...
//	ACL cache: count int, then {ref long, vector<ACL>}...
//	nodes, depth first from the root (path ""), each
//	    {path ustring, data buffer, acl ref long,
//	     StatPersisted {czxid, mzxid, ctime, mtime long, version, cversion,
//	                    aversion int, ephemeralOwner, pzxid long}}
//	end marker: path "/"
//	seal: Adler32 of every byte before it as a long, then the string "/"
//	optional (3.6+ with digests on): ZxidDigest then a second seal
//
// The snapshot's zxid is in its file name (snapshot.<hex zxid>). An ACL ref
// of -1 stands for world:anyone with all permissions.
const (
	snapMagic   = 0x5a4b534e // "ZKSN"
	logMagic    = 0x5a4b4c47 // "ZKLG"
	fileVersion = 2
)

var worldAll = []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}

// ReadSnapshot reads and checks a ZooKeeper snapshot file, plain, gzip or
// snappy (snapshot.compression.method=gz or snappy). The
// tree's zxid is taken from the file name when it has one.
func ReadSnapshot(file string) (*Tree, error) {
	b, err := readSnapshotFile(file)
	if err != nil {
		return nil, err
	}
	t, err := DecodeSnapshot(b)
	if err != nil {
		return nil, fmt.Errorf("zookeeper snapshot %s is damaged: %w", file, err)
	}
	if z, ok := zxidFromName(file, "snapshot"); ok {
		t.Zxid = z
	}
	return t, nil
}

// readSnapshotFile reads a snapshot file, uncompressing a .gz or .snappy
// one (its Adler32 seal covers the uncompressed bytes).
func readSnapshotFile(file string) ([]byte, error) {
	switch {
	case strings.HasSuffix(file, ".snappy"):
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		out, err := unsnappyStream(b)
		if err != nil {
			return nil, fmt.Errorf("zookeeper snapshot %s is damaged: snappy: %w", file, err)
		}
		return out, nil
	case strings.HasSuffix(file, ".gz"):
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("zookeeper snapshot %s is damaged: gzip: %w", file, err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("zookeeper snapshot %s is damaged: gzip: %w", file, err)
		}
		return b, nil
	}
	return os.ReadFile(file)
}

// snappyMagic opens the stream ZooKeeper writes for
// snapshot.compression.method=snappy (xerial snappy-java's
// SnappyOutputStream): the magic, then a format version and the oldest
// compatible one (int32 big-endian each), then blocks, each an int32
// big-endian length and that many bytes of raw snappy.
var snappyMagic = []byte("\x82SNAPPY\x00")

// unsnappyStream uncompresses such a stream.
func unsnappyStream(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, snappyMagic) || len(b) < len(snappyMagic)+8 {
		return nil, errors.New("no snappy-java stream header")
	}
	b = b[len(snappyMagic)+8:]
	var out []byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated block length")
		}
		n := int(binary.BigEndian.Uint32(b))
		b = b[4:]
		if n < 0 || n > len(b) {
			return nil, fmt.Errorf("block of %d bytes with %d left", n, len(b))
		}
		size, err := snappy.DecodedLen(b[:n])
		if err != nil {
			return nil, err
		}
		start := len(out)
		out = slices.Grow(out, size)[:start+size]
		if _, err := snappy.Decode(out[start:], b[:n]); err != nil {
			return nil, err
		}
		b = b[n:]
	}
	return out, nil
}

// DecodeSnapshot parses a whole snapshot and checks its Adler32 seal.
func DecodeSnapshot(b []byte) (*Tree, error) {
	d := protocol.NewDecoder(b)
	if magic, version := d.Int(), d.Int(); magic != snapMagic || version != fileVersion {
		return nil, fmt.Errorf("not a ZooKeeper snapshot (magic %#x version %d)", magic, version)
	}
	d.Long() // dbid
	t := newTree()
	nsess := d.VectorLen(12)
	for range max(nsess, 0) {
		id := d.Long()
		t.Sessions[id] = d.Int()
	}
	nacl := d.VectorLen(12)
	acls := map[int64][]protocol.ACL{-1: worldAll}
	for range max(nacl, 0) {
		ref := d.Long()
		acls[ref] = d.ACLs()
	}
	for d.Err() == nil {
		path := d.String()
		if path == "/" {
			break
		}
		n := fsm.ImageNode{Path: path, Data: d.Buffer()}
		ref := d.Long()
		n.Czxid, n.Mzxid, n.Ctime, n.Mtime = d.Long(), d.Long(), d.Long(), d.Long()
		n.Version, n.Cversion, n.Aversion = d.Int(), d.Int(), d.Int()
		n.Owner, n.Pzxid = d.Long(), d.Long()
		if d.Err() != nil {
			break
		}
		acl, ok := acls[ref]
		if !ok {
			return nil, fmt.Errorf("node %q names ACL %d, which the snapshot does not hold", path, ref)
		}
		n.ACL = acl
		if n.Path == "" {
			n.Path = "/"
		}
		if n.Data == nil {
			n.Data = []byte{}
		}
		if _, dup := t.nodes[n.Path]; dup || !t.insert(n) {
			return nil, fmt.Errorf("node %q is repeated or comes before its parent", n.Path)
		}
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("truncated or damaged: %w", err)
	}
	if err := checkSeal(b, d); err != nil {
		return nil, err
	}
	if t.nodes["/"] == nil {
		return nil, errors.New("no root node")
	}
	return t, nil
}

// checkSeal reads the Adler32 seal that follows the nodes. What may follow
// it (a digest and a second seal) is not needed and not checked.
func checkSeal(b []byte, d *protocol.Decoder) error {
	at := len(b) - d.Remaining()
	want := int64(adler32.Checksum(b[:at]))
	got := d.Long()
	if d.Err() != nil || d.String() != "/" {
		return errors.New("truncated: the checksum seal is missing")
	}
	if got != want {
		return fmt.Errorf("checksum mismatch (file says %#x, content sums to %#x): the file is corrupt", got, want)
	}
	return nil
}

// WriteSnapshot writes img as a ZooKeeper 3.8 snapshot (no digest, which
// ZooKeeper reads as an older snapshot). Put it in a dataDir as
// version-2/snapshot.<hex img.LastZxid>.
func WriteSnapshot(w io.Writer, img *fsm.Image) error {
	sum := adler32.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, sum), 256<<10)
	e := protocol.NewEncoder(make([]byte, 0, 4096))
	flush := func() error {
		_, err := bw.Write(e.Bytes())
		e.Reset()
		return err
	}
	e.Int(snapMagic)
	e.Int(fileVersion)
	e.Long(-1)
	e.Int(int32(len(img.Sessions)))
	for _, s := range img.Sessions {
		e.Long(s.ID)
		e.Int(s.Timeout)
	}
	// ACL cache: one ref per distinct list, in order of first use.
	refs := make([]int64, len(img.Nodes))
	var lists [][]protocol.ACL
	seen := map[string]int64{}
	key := protocol.NewEncoder(nil)
	for i, n := range img.Nodes {
		key.Reset()
		key.ACLs(n.ACL)
		ref, ok := seen[string(key.Bytes())]
		if !ok {
			lists = append(lists, n.ACL)
			ref = int64(len(lists))
			seen[string(key.Bytes())] = ref
		}
		refs[i] = ref
	}
	e.Int(int32(len(lists)))
	for i, l := range lists {
		e.Long(int64(i + 1))
		e.ACLs(l)
	}
	for i, n := range img.Nodes {
		path := n.Path
		if path == "/" {
			path = ""
		}
		e.String(path)
		e.Buffer(n.Data)
		e.Long(refs[i])
		e.Long(n.Czxid)
		e.Long(n.Mzxid)
		e.Long(n.Ctime)
		e.Long(n.Mtime)
		e.Int(n.Version)
		e.Int(n.Cversion)
		e.Int(n.Aversion)
		e.Long(n.Owner)
		e.Long(n.Pzxid)
		if len(e.Bytes()) > 64<<10 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	e.String("/")
	if err := flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	e.Long(int64(sum.Sum32()))
	e.String("/")
	_, err := w.Write(e.Bytes())
	return err
}
