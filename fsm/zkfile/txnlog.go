package zkfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/zkraft/zkraft/protocol"
)

// ZooKeeper's transaction log (FileTxnLog, format version 2):
//
//	FileHeader {magic int "ZKLG", version int 2, dbid long}
//	entries: {crc long (Adler32 of txn), txn buffer, 'B' byte}...
//	txn: TxnHeader {clientId long, cxid int, zxid long, time long, type int}
//	     then the type's record, then (3.6+, digests on) a TxnDigest
//
// Files are preallocated with zeros: an entry of length 0 ends the log.
// A torn entry (cut short, or without its 'B') ends the file, as in
// ZooKeeper; an entry whose checksum does not match ends the replay.

// Txn is one logged transaction with its record still encoded.
type Txn struct {
	ClientID int64
	Cxid     int32
	Zxid     int64
	Time     int64
	Type     protocol.OpCode
	Body     []byte // the record (and any digest after it)
}

// LogStop says why reading a log file ended before its last entry.
type LogStop struct {
	File   string
	Offset int64
	Reason string
	// Fatal is set for a checksum mismatch: later entries (and files)
	// cannot be trusted to follow on.
	Fatal bool
}

func (s *LogStop) Error() string {
	return fmt.Sprintf("%s at offset %d: %s", s.File, s.Offset, s.Reason)
}

// ReadLog reads the transactions of one log file in order and calls fn for
// each. It returns a *LogStop (also as the error when fatal) when the file
// ends in a torn or corrupt entry; an unreadable header is an error.
func ReadLog(file string, fn func(*Txn) error) (*LogStop, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	d := protocol.NewDecoder(b)
	if magic, version := d.Int(), d.Int(); d.Err() != nil || magic != logMagic || version != fileVersion {
		return nil, fmt.Errorf("%s: not a ZooKeeper transaction log (magic %#x version %d)", file, magic, version)
	}
	off := 16 // after the header
	for off < len(b) {
		stop := func(reason string, fatal bool) *LogStop {
			return &LogStop{File: file, Offset: int64(off), Reason: reason, Fatal: fatal}
		}
		if len(b)-off < 12 {
			return stop("torn entry header", false), nil
		}
		crc := int64(binary.BigEndian.Uint64(b[off:]))
		n := int(int32(binary.BigEndian.Uint32(b[off+8:])))
		if n == 0 {
			return nil, nil // preallocated zeros: the end of the log
		}
		body := off + 12
		if n < 0 || n > len(b)-body-1 {
			return stop(fmt.Sprintf("torn entry (length %d, %d bytes left)", n, len(b)-body), false), nil
		}
		raw := b[body : body+n]
		if b[body+n] != 'B' {
			return stop("entry without its end-of-record marker", false), nil
		}
		if int64(adler32.Checksum(raw)) != crc {
			s := stop("checksum mismatch: the log is corrupt from here on", true)
			return s, s
		}
		td := protocol.NewDecoder(raw)
		t := &Txn{ClientID: td.Long(), Cxid: td.Int(), Zxid: td.Long(), Time: td.Long(), Type: protocol.OpCode(td.Int())}
		if td.Err() != nil {
			s := stop("entry too short for a txn header", true)
			return s, s
		}
		t.Body = td.Rest()
		if err := fn(t); err != nil {
			return nil, fmt.Errorf("%s: txn zxid %#x: %w", file, t.Zxid, err)
		}
		off = body + n + 1
	}
	return nil, nil
}

// zxidFromName parses the hex zxid of "snapshot.<zxid>" or "log.<zxid>".
func zxidFromName(file, prefix string) (int64, bool) {
	name := filepath.Base(file)
	if prefix == "snapshot" { // snapshot.compression.method adds a suffix
		name = strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".snappy")
	}
	hex, ok := strings.CutPrefix(name, prefix+".")
	if !ok {
		return 0, false
	}
	z, err := strconv.ParseUint(hex, 16, 64)
	return int64(z), err == nil
}

// dataFiles lists dir's files named prefix.<hex zxid>, newest zxid first.
func dataFiles(dir, prefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type f struct {
		name string
		zxid int64
	}
	var fs []f
	for _, e := range entries {
		if z, ok := zxidFromName(e.Name(), prefix); ok && !e.IsDir() {
			fs = append(fs, f{filepath.Join(dir, e.Name()), z})
		}
	}
	slices.SortFunc(fs, func(a, b f) int { return cmpInt64(b.zxid, a.zxid) })
	out := make([]string, len(fs))
	for i, x := range fs {
		out[i] = x.name
	}
	return out, nil
}

var errNoData = errors.New("no snapshot and no transaction log")
