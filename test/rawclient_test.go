package test

// rawConn is a minimal ZooKeeper client for what go-zookeeper/zk v1.0.4 does
// not offer (create2, addWatch, removeWatches, getEphemerals, whoAmI,
// multiRead, ...) and for checks that need the server's exact bytes: every
// reply and notification is numbered in arrival order, and one-shot watches
// are not filtered on the client side.

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// rawEvent is one watch notification with its arrival number.
type rawEvent struct {
	Type  int32
	State int32
	Path  string
	Seq   int64
}

// rawReply is one reply: header fields, body and arrival number.
type rawReply struct {
	Zxid int64
	Err  errCode
	Body []byte
	Seq  int64
}

type rawConn struct {
	t    testing.TB
	conn net.Conn

	SessionID int64
	Passwd    []byte
	Timeout   int32 // negotiated session timeout, ms

	writeMu  sync.Mutex
	xid      int32
	lastSend time.Time // when the last frame left, under writeMu

	mu       sync.Mutex
	waiting  map[int32]chan rawReply
	events   []rawEvent
	eventsCh chan struct{} // signalled on every new event
	seq      int64
	lastZxid int64
	readErr  error
	closed   chan struct{} // closed when the reader stops

	stopPing chan struct{}
	pingOnce sync.Once
}

// rawConnect opens a session (sessionID 0) or resumes one. It fails the test
// when the handshake cannot be done; a refused resume (timeout 0) is returned
// with Timeout 0 for the caller to check.
func rawConnect(t testing.TB, addr string, timeoutMs int32, sessionID int64, passwd []byte, lastZxid int64) *rawConn {
	t.Helper()
	r, err := tryRawConnect(addr, timeoutMs, sessionID, passwd, lastZxid)
	if err != nil {
		t.Fatalf("raw connect to %s: %v", addr, err)
	}
	r.t = t
	t.Cleanup(r.Drop)
	return r
}

func tryRawConnect(addr string, timeoutMs int32, sessionID int64, passwd []byte, lastZxid int64) (*rawConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if passwd == nil {
		passwd = make([]byte, 16)
	}
	req := (&enc{}).i32(0).i64(lastZxid).i32(timeoutMs).i64(sessionID).buf(passwd).boolean(false)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := writeFrame(c, req.b); err != nil {
		c.Close()
		return nil, err
	}
	body, err := readFrame(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("reading connect response: %w", err)
	}
	_ = c.SetDeadline(time.Time{})
	d := &dec{b: body}
	d.i32() // protocol version
	r := &rawConn{
		conn:     c,
		Timeout:  d.i32(),
		waiting:  map[int32]chan rawReply{},
		eventsCh: make(chan struct{}, 1),
		closed:   make(chan struct{}),
		stopPing: make(chan struct{}),
		lastZxid: lastZxid,
	}
	r.SessionID = d.i64()
	r.Passwd = d.buf()
	if d.err != nil {
		c.Close()
		return nil, fmt.Errorf("decoding connect response: %w", d.err)
	}
	go r.readLoop()
	if r.Timeout > 0 {
		go r.pingLoop(time.Duration(r.Timeout) * time.Millisecond / 3)
	}
	return r, nil
}

func writeFrame(w io.Writer, body []byte) error {
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	_, err := w.Write(append(frame, body...))
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 64<<20 {
		return nil, fmt.Errorf("frame of %d bytes", size)
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}

func (r *rawConn) readLoop() {
	defer close(r.closed)
	for {
		body, err := readFrame(r.conn)
		if err != nil {
			r.mu.Lock()
			r.readErr = err
			r.mu.Unlock()
			return
		}
		d := &dec{b: body}
		xid, zxid, code := d.i32(), d.i64(), errCode(d.i32())
		r.mu.Lock()
		r.seq++
		seq := r.seq
		if zxid > 0 {
			r.lastZxid = zxid
		}
		switch xid {
		case xidNotification:
			ev := rawEvent{Type: d.i32(), State: d.i32(), Path: d.str(), Seq: seq}
			r.events = append(r.events, ev)
			select {
			case r.eventsCh <- struct{}{}:
			default:
			}
		case xidPing:
		default:
			if ch, ok := r.waiting[xid]; ok {
				delete(r.waiting, xid)
				ch <- rawReply{Zxid: zxid, Err: code, Body: d.b, Seq: seq}
			}
		}
		r.mu.Unlock()
	}
}

func (r *rawConn) pingLoop(every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			hdr := (&enc{}).i32(xidPing).i32(opPing)
			r.writeMu.Lock()
			err := writeFrame(r.conn, hdr.b)
			r.lastSend = time.Now()
			r.writeMu.Unlock()
			if err != nil {
				return
			}
		case <-r.stopPing:
			return
		case <-r.closed:
			return
		}
	}
}

// StopPings stops the keep-alive, so the server will expire the session.
func (r *rawConn) StopPings() { r.pingOnce.Do(func() { close(r.stopPing) }) }

// LastSend is when the last frame was written to the server.
func (r *rawConn) LastSend() time.Time {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	return r.lastSend
}

// Drop closes the TCP connection without closing the session.
func (r *rawConn) Drop() {
	r.StopPings()
	r.conn.Close()
	<-r.closed
}

// LastZxid is the highest zxid seen in a reply header.
func (r *rawConn) LastZxid() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastZxid
}

// Closed reports whether the server closed the connection within d.
func (r *rawConn) Closed(d time.Duration) bool {
	select {
	case <-r.closed:
		return true
	case <-time.After(d):
		return false
	}
}

// send writes one request with the given xid and returns the channel its
// reply will arrive on, without waiting: requests can be pipelined.
func (r *rawConn) send(xid, op int32, body []byte) (chan rawReply, error) {
	ch := make(chan rawReply, 1)
	r.mu.Lock()
	r.waiting[xid] = ch
	r.mu.Unlock()
	hdr := (&enc{}).i32(xid).i32(op)
	r.writeMu.Lock()
	err := writeFrame(r.conn, append(hdr.b, body...))
	r.lastSend = time.Now()
	r.writeMu.Unlock()
	return ch, err
}

// wait waits for the reply on ch.
func (r *rawConn) wait(op int32, ch chan rawReply) (rawReply, error) {
	select {
	case rep := <-ch:
		return rep, nil
	case <-r.closed:
		// The reader may have delivered the reply just before it stopped.
		select {
		case rep := <-ch:
			return rep, nil
		default:
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return rawReply{}, fmt.Errorf("connection closed: %v", r.readErr)
	case <-time.After(15 * time.Second):
		return rawReply{}, fmt.Errorf("no reply to op %d within 15s", op)
	}
}

// nextXid returns the next xid of an ordinary request.
func (r *rawConn) nextXid() int32 {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.xid++
	return r.xid
}

// callXid sends one request with the given xid and waits for its reply.
func (r *rawConn) callXid(xid, op int32, body []byte) (rawReply, error) {
	ch, err := r.send(xid, op, body)
	if err != nil {
		return rawReply{}, err
	}
	return r.wait(op, ch)
}

// call sends a request with the next xid and fails the test on a transport
// error; ZooKeeper error codes are returned in the reply.
func (r *rawConn) call(op int32, body []byte) rawReply {
	r.t.Helper()
	rep, err := r.callXid(r.nextXid(), op, body)
	if err != nil {
		r.t.Fatalf("op %d: %v", op, err)
	}
	return rep
}

// Events returns a copy of the notifications received so far.
func (r *rawConn) Events() []rawEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rawEvent(nil), r.events...)
}

// WaitEvents waits until at least n notifications arrived and returns them all.
func (r *rawConn) WaitEvents(n int, within time.Duration) []rawEvent {
	r.t.Helper()
	deadline := time.After(within)
	for {
		if evs := r.Events(); len(evs) >= n {
			return evs
		}
		select {
		case <-r.eventsCh:
		case <-deadline:
			r.t.Fatalf("waited %v for %d watch events, got %+v", within, n, r.Events())
		}
	}
}

// Quiesce proves no notification is still on its way: ZooKeeper queues a
// notification before the reply of any later request on the connection, so
// after the reply of a round trip every earlier event has arrived.
func (r *rawConn) Quiesce() []rawEvent {
	r.t.Helper()
	r.Sync("/")
	return r.Events()
}

// Typed operations. Each returns the ZooKeeper error code, errOK on success.

func (r *rawConn) Create(path string, data []byte, acl []zk.ACL, flags int32) (string, errCode) {
	r.t.Helper()
	rep := r.call(opCreate, (&enc{}).str(path).buf(data).acls(acl).i32(flags).b)
	return (&dec{b: rep.Body}).str(), rep.Err
}

func (r *rawConn) Create2(path string, data []byte, acl []zk.ACL, flags int32) (string, zk.Stat, errCode) {
	r.t.Helper()
	rep := r.call(opCreate2, (&enc{}).str(path).buf(data).acls(acl).i32(flags).b)
	d := &dec{b: rep.Body}
	if rep.Err != errOK {
		return "", zk.Stat{}, rep.Err
	}
	return d.str(), d.stat(), rep.Err
}

func (r *rawConn) CreateTTL(path string, data []byte, acl []zk.ACL, flags int32, ttl int64) (string, zk.Stat, errCode) {
	r.t.Helper()
	rep := r.call(opCreateTTL, (&enc{}).str(path).buf(data).acls(acl).i32(flags).i64(ttl).b)
	if rep.Err != errOK {
		return "", zk.Stat{}, rep.Err
	}
	d := &dec{b: rep.Body}
	return d.str(), d.stat(), rep.Err
}

func (r *rawConn) Delete(path string, version int32) errCode {
	r.t.Helper()
	return r.call(opDelete, (&enc{}).str(path).i32(version).b).Err
}

func (r *rawConn) Exists(path string, watch bool) (zk.Stat, errCode) {
	r.t.Helper()
	rep := r.call(opExists, (&enc{}).str(path).boolean(watch).b)
	if rep.Err != errOK {
		return zk.Stat{}, rep.Err
	}
	return (&dec{b: rep.Body}).stat(), rep.Err
}

func (r *rawConn) GetData(path string, watch bool) ([]byte, zk.Stat, rawReply) {
	r.t.Helper()
	rep := r.call(opGetData, (&enc{}).str(path).boolean(watch).b)
	if rep.Err != errOK {
		return nil, zk.Stat{}, rep
	}
	d := &dec{b: rep.Body}
	return d.buf(), d.stat(), rep
}

func (r *rawConn) SetData(path string, data []byte, version int32) (zk.Stat, errCode) {
	r.t.Helper()
	rep := r.call(opSetData, (&enc{}).str(path).buf(data).i32(version).b)
	if rep.Err != errOK {
		return zk.Stat{}, rep.Err
	}
	return (&dec{b: rep.Body}).stat(), rep.Err
}

func (r *rawConn) GetChildren(path string, watch bool) ([]string, errCode) {
	r.t.Helper()
	rep := r.call(opGetChildren, (&enc{}).str(path).boolean(watch).b)
	return (&dec{b: rep.Body}).strs(), rep.Err
}

func (r *rawConn) GetChildren2(path string, watch bool) ([]string, zk.Stat, errCode) {
	r.t.Helper()
	rep := r.call(opGetChildren2, (&enc{}).str(path).boolean(watch).b)
	if rep.Err != errOK {
		return nil, zk.Stat{}, rep.Err
	}
	d := &dec{b: rep.Body}
	return d.strs(), d.stat(), rep.Err
}

func (r *rawConn) GetACL(path string) ([]zk.ACL, zk.Stat, errCode) {
	r.t.Helper()
	rep := r.call(opGetACL, (&enc{}).str(path).b)
	if rep.Err != errOK {
		return nil, zk.Stat{}, rep.Err
	}
	d := &dec{b: rep.Body}
	return d.acls(), d.stat(), rep.Err
}

func (r *rawConn) SetACL(path string, acl []zk.ACL, version int32) (zk.Stat, errCode) {
	r.t.Helper()
	rep := r.call(opSetACL, (&enc{}).str(path).acls(acl).i32(version).b)
	if rep.Err != errOK {
		return zk.Stat{}, rep.Err
	}
	return (&dec{b: rep.Body}).stat(), rep.Err
}

func (r *rawConn) Sync(path string) (string, errCode) {
	r.t.Helper()
	rep := r.call(opSync, (&enc{}).str(path).b)
	return (&dec{b: rep.Body}).str(), rep.Err
}

func (r *rawConn) AddWatch(path string, mode int32) errCode {
	r.t.Helper()
	return r.call(opAddWatch, (&enc{}).str(path).i32(mode).b).Err
}

func (r *rawConn) RemoveWatches(path string, typ int32) errCode {
	r.t.Helper()
	return r.call(opRemoveWatches, (&enc{}).str(path).i32(typ).b).Err
}

func (r *rawConn) CheckWatches(path string, typ int32) errCode {
	r.t.Helper()
	return r.call(opCheckWatches, (&enc{}).str(path).i32(typ).b).Err
}

func (r *rawConn) GetEphemerals(prefix string) ([]string, errCode) {
	r.t.Helper()
	rep := r.call(opGetEphemerals, (&enc{}).str(prefix).b)
	return (&dec{b: rep.Body}).strs(), rep.Err
}

func (r *rawConn) GetAllChildrenNumber(path string) (int32, errCode) {
	r.t.Helper()
	rep := r.call(opGetAllChildrenNumber, (&enc{}).str(path).b)
	return (&dec{b: rep.Body}).i32(), rep.Err
}

// WhoAmI returns the connection's identities as "scheme:user".
func (r *rawConn) WhoAmI() ([]string, errCode) {
	r.t.Helper()
	rep := r.call(opWhoAmI, nil)
	d := &dec{b: rep.Body}
	n := d.i32()
	var out []string
	for i := int32(0); i < n && d.err == nil; i++ {
		out = append(out, d.str()+":"+d.str())
	}
	return out, rep.Err
}

// Auth sends an auth packet (xid -4) and returns the reply's error code.
func (r *rawConn) Auth(scheme string, auth []byte) (errCode, error) {
	rep, err := r.callXid(xidAuth, opAuth, (&enc{}).i32(0).str(scheme).buf(auth).b)
	return rep.Err, err
}

// SetWatches re-registers watches as a reconnecting client does.
func (r *rawConn) SetWatches(relZxid int64, data, exist, child []string) errCode {
	r.t.Helper()
	rep, err := r.callXid(xidSetWatches, opSetWatches, (&enc{}).i64(relZxid).strs(data).strs(exist).strs(child).b)
	if err != nil {
		r.t.Fatalf("setWatches: %v", err)
	}
	return rep.Err
}

// CloseSession ends the session and waits for the server's reply.
func (r *rawConn) CloseSession() errCode {
	r.t.Helper()
	return r.call(opCloseSession, nil).Err
}

// multiOp is one operation of a multi or multiRead request.
type multiOp struct {
	Op      int32
	Path    string
	Data    []byte
	ACL     []zk.ACL
	Flags   int32
	Version int32
}

// multiResult is one per-op result of a multi or multiRead response.
type multiResult struct {
	Op       int32
	Err      errCode
	Path     string
	Stat     zk.Stat
	Data     []byte
	Children []string
}

func (r *rawConn) multi(code int32, ops []multiOp) ([]multiResult, rawReply) {
	r.t.Helper()
	e := &enc{}
	for _, op := range ops {
		e.i32(op.Op).boolean(false).i32(-1)
		switch op.Op {
		case opCreate, opCreate2, opCreateContainer:
			e.str(op.Path).buf(op.Data).acls(op.ACL).i32(op.Flags)
		case opDelete, opCheck:
			e.str(op.Path).i32(op.Version)
		case opSetData:
			e.str(op.Path).buf(op.Data).i32(op.Version)
		case opGetData, opGetChildren:
			e.str(op.Path).boolean(false) // the watch flag of GetDataRequest and GetChildrenRequest
		default:
			r.t.Fatalf("multi: op %d not supported by the test client", op.Op)
		}
	}
	e.i32(-1).boolean(true).i32(-1)
	rep := r.call(code, e.b)
	d := &dec{b: rep.Body}
	var out []multiResult
	for d.err == nil {
		typ, done, code := d.i32(), d.boolean(), errCode(d.i32())
		if done {
			break
		}
		res := multiResult{Op: typ, Err: code}
		switch typ {
		case opError:
			res.Err = errCode(d.i32())
		case opCreate:
			res.Path = d.str()
		case opCreate2:
			res.Path, res.Stat = d.str(), d.stat()
		case opSetData:
			res.Stat = d.stat()
		case opGetData:
			res.Data, res.Stat = d.buf(), d.stat()
		case opGetChildren:
			res.Children = d.strs()
		}
		out = append(out, res)
	}
	if d.err != nil {
		r.t.Fatalf("decoding multi response: %v (%d results so far)", d.err, len(out))
	}
	return out, rep
}

// Multi runs a transaction; MultiRead runs a batch of reads.
func (r *rawConn) Multi(ops ...multiOp) ([]multiResult, rawReply) {
	r.t.Helper()
	return r.multi(opMulti, ops)
}

func (r *rawConn) MultiRead(ops ...multiOp) ([]multiResult, rawReply) {
	r.t.Helper()
	return r.multi(opMultiRead, ops)
}

// SendRaw writes one frame as it is, for malformed-request tests.
func (r *rawConn) SendRaw(frame []byte) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	_, err := r.conn.Write(frame)
	return err
}
