package fsm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

// Snapshot stream, version 2:
//
//	magic "ZKRFSNAP", version uint32
//	lastZxid long, secret buffer
//	sessions int, then per session {id long, timeout int, owner long}
//	nodes long, then per node in tree order (every parent before its children)
//	    {path ustring, data buffer, acl int + {perms int, scheme ustring, id ustring}...,
//	     czxid, mzxid, pzxid, ctime, mtime long, version, creates, aversion int, owner long}
//	trailer: CRC32C (Castagnoli) of everything before it, uint32 big-endian
//
// Version 1 (still read) has no session owner (restored as 0, unchecked).
// Numbers are big-endian as in jute. Child counts, indexes and counters are
// derived again on restore, so a snapshot cannot carry them inconsistently.
const (
	snapMagic   = "ZKRFSNAP"
	snapVersion = 2
	// maxSnapField caps any one length read from a snapshot before allocating.
	maxSnapField = 256 << 20
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// ErrSnapshotCorrupt means a snapshot failed its checks; the FSM keeps
	// its state.
	ErrSnapshotCorrupt = errors.New("fsm: snapshot corrupt")
)

// fsmSnapshot is an immutable state waiting to be written.
type fsmSnapshot struct{ s *state }

func (f *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := writeSnapshot(sink, f.s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (f *fsmSnapshot) Release() {}

// writeSnapshot streams s to w.
func writeSnapshot(w io.Writer, s *state) error {
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 256<<10)
	e := protocol.NewEncoder(make([]byte, 0, 4096))
	head := append([]byte(snapMagic), 0, 0, 0, 0)
	binary.BigEndian.PutUint32(head[8:], snapVersion)
	e.Long(s.lastZxid)
	e.Buffer(s.secret)
	e.Int(int32(s.sessions.Len()))
	it := s.sessions.Root().Iterator()
	for _, v, ok := it.Next(); ok; _, v, ok = it.Next() {
		e.Long(v.id)
		e.Int(v.timeout)
		e.Long(v.owner)
	}
	e.Long(int64(s.nodes.Len()))
	if _, err := bw.Write(head); err != nil {
		return err
	}
	if _, err := bw.Write(e.Bytes()); err != nil {
		return err
	}
	nit := s.nodes.Root().Iterator()
	for k, n, ok := nit.Next(); ok; k, n, ok = nit.Next() {
		e.Reset()
		e.String(string(k[4:]))
		e.Buffer(n.data)
		e.Int(int32(len(n.acl)))
		for _, a := range n.acl {
			e.Int(a.Perms)
			e.String(a.ID.Scheme)
			e.String(a.ID.ID)
		}
		e.Long(n.czxid)
		e.Long(n.mzxid)
		e.Long(n.pzxid)
		e.Long(n.ctime)
		e.Long(n.mtime)
		e.Int(n.version)
		e.Int(n.creates)
		e.Int(n.aversion)
		e.Long(n.owner)
		if _, err := bw.Write(e.Bytes()); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc.Sum32())
	_, err := w.Write(sum[:])
	return err
}

// snapReader reads snapshot fields, hashing every byte it consumes.
type snapReader struct {
	r   *bufio.Reader
	crc uint32
	buf []byte
	err error
}

func (r *snapReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > maxSnapField {
		r.err = fmt.Errorf("%w: field length %d", ErrSnapshotCorrupt, n)
		return nil
	}
	// Grow the buffer only as bytes actually arrive, so that a damaged
	// length costs what the stream holds, not what the length claims.
	b := r.buf[:0]
	for len(b) < n {
		chunk := min(n-len(b), 1<<20)
		b = slices.Grow(b, chunk)
		got, err := io.ReadFull(r.r, b[len(b):len(b)+chunk])
		b = b[:len(b)+got]
		if err != nil {
			r.err = fmt.Errorf("%w: %v", ErrSnapshotCorrupt, err)
			return nil
		}
	}
	r.buf = b
	r.crc = crc32.Update(r.crc, castagnoli, b)
	return b
}

func (r *snapReader) int() int32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (r *snapReader) long() int64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (r *snapReader) string() string {
	return string(r.take(int(r.int())))
}

func (r *snapReader) buffer() []byte {
	n := r.int()
	if n == -1 {
		return nil
	}
	b := r.take(int(n))
	if r.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...) // empty, not null, for n == 0
}

// readSnapshot decodes and checks a whole snapshot into a new state.
func readSnapshot(src io.Reader) (*state, error) {
	r := &snapReader{r: bufio.NewReaderSize(src, 256<<10)}
	head := r.take(12)
	if r.err != nil {
		return nil, r.err
	}
	if string(head[:8]) != snapMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrSnapshotCorrupt)
	}
	version := binary.BigEndian.Uint32(head[8:])
	if version != 1 && version != snapVersion {
		return nil, fmt.Errorf("fsm: snapshot version %d not supported", version)
	}
	b := newStateBuilder(r.long(), r.buffer())
	nsess := r.int()
	if nsess < 0 {
		return nil, fmt.Errorf("%w: session count %d", ErrSnapshotCorrupt, nsess)
	}
	for i := int32(0); i < nsess && r.err == nil; i++ {
		id := r.long()
		timeout := r.int()
		var owner int64
		if version >= 2 {
			owner = r.long()
		}
		b.session(id, timeout, owner)
	}
	count := r.long()
	if count < 1 {
		return nil, fmt.Errorf("%w: node count %d", ErrSnapshotCorrupt, count)
	}
	for i := int64(0); i < count && r.err == nil; i++ {
		path := r.string()
		n := &znode{data: r.buffer()}
		nacl := r.int()
		if nacl < 0 || nacl > maxSnapField/12 {
			return nil, fmt.Errorf("%w: acl length %d", ErrSnapshotCorrupt, nacl)
		}
		acl := make([]protocol.ACL, 0, min(nacl, 8))
		for j := int32(0); j < nacl && r.err == nil; j++ {
			perms := r.int()
			scheme := r.string()
			acl = append(acl, protocol.ACL{Perms: perms, ID: protocol.Id{Scheme: scheme, ID: r.string()}})
		}
		n.acl = acl
		n.czxid, n.mzxid, n.pzxid = r.long(), r.long(), r.long()
		n.ctime, n.mtime = r.long(), r.long()
		n.version, n.creates, n.aversion = r.int(), r.int(), r.int()
		n.owner = r.long()
		if r.err != nil {
			break
		}
		if err := b.node(path, n); err != nil {
			return nil, err
		}
	}
	want := r.crc
	if r.err != nil {
		return nil, r.err
	}
	var sum [4]byte
	if _, err := io.ReadFull(r.r, sum[:]); err != nil {
		return nil, fmt.Errorf("%w: missing checksum: %v", ErrSnapshotCorrupt, err)
	}
	if got := binary.BigEndian.Uint32(sum[:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, computed %08x", ErrSnapshotCorrupt, got, want)
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the checksum", ErrSnapshotCorrupt)
	}
	return b.finish(), nil
}
