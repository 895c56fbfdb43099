package test

// A hand-written jute encoder and decoder for the raw test client. It is kept
// apart from zkraft's protocol package on purpose: the system tests must not
// share a codec bug with the server they check.

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

// Op codes, error codes and event types the raw client uses, as ZooKeeper
// numbers them (ZooDefs.OpCode, KeeperException.Code, Watcher.Event).
const (
	opCreate               int32 = 1
	opDelete               int32 = 2
	opExists               int32 = 3
	opGetData              int32 = 4
	opSetData              int32 = 5
	opGetACL               int32 = 6
	opSetACL               int32 = 7
	opGetChildren          int32 = 8
	opSync                 int32 = 9
	opPing                 int32 = 11
	opGetChildren2         int32 = 12
	opCheck                int32 = 13
	opMulti                int32 = 14
	opCreate2              int32 = 15
	opCheckWatches         int32 = 17
	opRemoveWatches        int32 = 18
	opCreateContainer      int32 = 19
	opCreateTTL            int32 = 21
	opMultiRead            int32 = 22
	opAuth                 int32 = 100
	opSetWatches           int32 = 101
	opGetEphemerals        int32 = 103
	opGetAllChildrenNumber int32 = 104
	opSetWatches2          int32 = 105
	opAddWatch             int32 = 106
	opWhoAmI               int32 = 107
	opCloseSession         int32 = -11
	opError                int32 = -1

	xidNotification int32 = -1
	xidPing         int32 = -2
	xidAuth         int32 = -4
	xidSetWatches   int32 = -8
)

// errCode is a ZooKeeper error code as it appears on the wire.
type errCode int32

const (
	errOK                      errCode = 0
	errRuntimeInconsistency    errCode = -2
	errUnimplemented           errCode = -6
	errBadArguments            errCode = -8
	errNoNode                  errCode = -101
	errNoAuth                  errCode = -102
	errBadVersion              errCode = -103
	errNoChildrenForEphemerals errCode = -108
	errNodeExists              errCode = -110
	errNotEmpty                errCode = -111
	errSessionExpired          errCode = -112
	errInvalidACL              errCode = -114
	errAuthFailed              errCode = -115
	errNoWatcher               errCode = -121
	errQuotaExceeded           errCode = -125
)

func (e errCode) Error() string { return fmt.Sprintf("zk error %d", int32(e)) }

// Watch event types and the keeper state of an ordinary event.
const (
	evNodeCreated            int32 = 1
	evNodeDeleted            int32 = 2
	evNodeDataChanged        int32 = 3
	evNodeChildrenChanged    int32 = 4
	evDataWatchRemoved       int32 = 5
	evChildWatchRemoved      int32 = 6
	evPersistentWatchRemoved int32 = 7

	stateSyncConnected int32 = 3
)

// addWatch modes and removeWatches/checkWatches watcher types.
const (
	addWatchPersistent          int32 = 0
	addWatchPersistentRecursive int32 = 1

	watcherChildren int32 = 1
	watcherData     int32 = 2
	watcherAny      int32 = 3
)

// Create flags (CreateMode).
const (
	modePersistent           int32 = 0
	modeEphemeral            int32 = 1
	modePersistentSequential int32 = 2
	modeEphemeralSequential  int32 = 3
	modeContainer            int32 = 4
	modePersistentTTL        int32 = 5
)

var errShort = errors.New("jute: record truncated")

// enc appends jute values.
type enc struct{ b []byte }

func (e *enc) i32(v int32) *enc { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)); return e }
func (e *enc) i64(v int64) *enc { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)); return e }

func (e *enc) boolean(v bool) *enc {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
	return e
}

func (e *enc) str(s string) *enc {
	e.i32(int32(len(s)))
	e.b = append(e.b, s...)
	return e
}

func (e *enc) buf(b []byte) *enc {
	if b == nil {
		return e.i32(-1)
	}
	e.i32(int32(len(b)))
	e.b = append(e.b, b...)
	return e
}

func (e *enc) strs(v []string) *enc {
	e.i32(int32(len(v)))
	for _, s := range v {
		e.str(s)
	}
	return e
}

func (e *enc) acls(v []zk.ACL) *enc {
	if v == nil {
		return e.i32(-1)
	}
	e.i32(int32(len(v)))
	for _, a := range v {
		e.i32(a.Perms).str(a.Scheme).str(a.ID)
	}
	return e
}

// dec reads jute values; the first failure sticks.
type dec struct {
	b   []byte
	err error
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errShort
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *dec) i32() int32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (d *dec) i64() int64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (d *dec) boolean() bool {
	b := d.take(1)
	return b != nil && b[0] != 0
}

func (d *dec) buf() []byte {
	n := d.i32()
	if n < 0 {
		return nil
	}
	return append([]byte{}, d.take(int(n))...)
}

func (d *dec) str() string { return string(d.buf()) }

func (d *dec) strs() []string {
	n := d.i32()
	if n < 0 || d.err != nil {
		return nil
	}
	if int(n) > len(d.b)/4 {
		d.err = errShort
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *dec) stat() zk.Stat {
	return zk.Stat{
		Czxid: d.i64(), Mzxid: d.i64(), Ctime: d.i64(), Mtime: d.i64(),
		Version: d.i32(), Cversion: d.i32(), Aversion: d.i32(),
		EphemeralOwner: d.i64(), DataLength: d.i32(), NumChildren: d.i32(), Pzxid: d.i64(),
	}
}

func (d *dec) acls() []zk.ACL {
	n := d.i32()
	if n < 0 || d.err != nil {
		return nil
	}
	if int(n) > len(d.b)/12 {
		d.err = errShort
		return nil
	}
	out := make([]zk.ACL, n)
	for i := range out {
		out[i] = zk.ACL{Perms: d.i32(), Scheme: d.str(), ID: d.str()}
	}
	return out
}
