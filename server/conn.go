package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// maxOutbound bounds what may queue for a client that does not read its
// socket; past it the connection is closed (its session lives on).
const maxOutbound = 64 << 20

// sessionlessTimeout is how long a connection may stay without a session
// (zookeeper.nio.sessionlessCnxnTimeout).
const sessionlessTimeout = 10 * time.Second

// conn is one client connection. Its reader goroutine decodes requests and
// drives them through the pipeline in order; its writer goroutine flushes the
// outbound queue, in which replies and watch events sit in the order they
// were produced.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string // ip:port, as cons shows it
	ip     string
	br     *bufio.Reader
	buf    []byte // frame buffer, reused

	// Set by the handshake (the reader, or onApply for a new session while
	// the reader waits); fixed afterwards except that a reader-side change of
	// auth happens only on the reader.
	sess      atomic.Pointer[localSession]
	sessionID atomic.Int64
	timeout   atomic.Int64 // negotiated, ns
	readOnly  bool         // the connect request had the readOnly byte
	roConn    atomic.Bool  // accepted while the server was read-only (readonly.go)
	roLocal   atomic.Bool  // its session is local to this read-only server
	owner     int64        // ensemble: random, non-zero, names this connection in owned entries (session_move.go)
	route     writeRoute   // ensemble: where in-flight writes went (reader only)
	// releasedRoute is the route its writes held during a leadership
	// transfer took once released (handover.go); submit makes it route.
	releasedRoute atomic.Pointer[writeRoute]
	auth          []protocol.Id
	// authView is auth as other goroutines may read it: the watch trigger
	// checks READ with it. Replaced whenever auth is, never mutated.
	authView atomic.Pointer[[]protocol.Id]
	watchFn  func(fsm.WatchKind, string)

	// Outbound queue: frames appended under outMu into out; the writer swaps
	// out and spare and writes without holding the lock.
	outMu     sync.Mutex
	out       *protocol.Encoder
	spare     *protocol.Encoder
	outWake   chan struct{}
	closeSoon bool // close once what is queued is written
	closed    bool

	// In-flight writes of this connection; a read waits for zero.
	wmu      sync.Mutex
	inflight int
	idle     chan struct{}

	done      chan struct{}
	closeOnce sync.Once

	stats connStats
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		s:       s,
		nc:      nc,
		remote:  nc.RemoteAddr().String(),
		out:     protocol.NewEncoder(make([]byte, 0, 4096)),
		spare:   protocol.NewEncoder(make([]byte, 0, 4096)),
		outWake: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	c.ip = c.remote
	if host, _, err := net.SplitHostPort(c.remote); err == nil {
		c.ip = host
	}
	if tcp, ok := nc.(*net.TCPConn); ok {
		tcp.SetNoDelay(true)
	}
	ids := []protocol.Id{{Scheme: "ip", ID: c.ip}}
	c.auth = ids
	c.authView.Store(&ids)
	c.watchFn = c.onWatch
	if s.ens != nil {
		c.owner = newOwner() // standalone: no other server to move to
	}
	c.stats.init(time.Now())
	return c
}

func (c *conn) start() {
	go c.readLoop()
	go c.writeLoop()
}

// errClose ends a connection quietly: the reason is already handled.
var errClose = errors.New("server: connection closing")

func (c *conn) readLoop() {
	defer c.closeWhenFlushed()
	c.br = bufio.NewReaderSize(c.nc, 16<<10)
	// A connection that never sends a connect request is dropped, as
	// ZooKeeper's NIO server drops sessionless connections after 10s.
	c.nc.SetReadDeadline(time.Now().Add(sessionlessTimeout))
	var first [4]byte
	if _, err := io.ReadFull(c.br, first[:]); err != nil {
		return
	}
	if cmd, ok := fourLetterWord(first); ok {
		c.s.serveFourLetter(c, cmd)
		return
	}
	frame, err := c.readBody(int32(binary.BigEndian.Uint32(first[:])))
	if err != nil {
		c.s.log.Debug("bad first frame", "client", c.remote, "err", err)
		return
	}
	c.stats.received(time.Now())
	c.s.stats.packetsReceived.Add(1)
	if err := c.handshake(frame); err != nil {
		if !errors.Is(err, errClose) {
			c.s.log.Debug("handshake failed", "client", c.remote, "err", err)
		}
		return
	}
	sess := c.sess.Load()
	for {
		c.nc.SetReadDeadline(time.Now().Add(time.Duration(c.timeout.Load()) + c.s.opts.TickTime))
		frame, err := c.readFrame()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug("closing connection", "client", c.remote, "err", err)
			}
			return
		}
		now := time.Now()
		sess.touch(now)
		c.stats.received(now)
		c.s.stats.packetsReceived.Add(1)
		if len(frame) < 8 {
			return
		}
		xid := int32(binary.BigEndian.Uint32(frame))
		op := protocol.OpCode(int32(binary.BigEndian.Uint32(frame[4:])))
		if err := c.handle(xid, op, frame[8:], now); err != nil {
			if !errors.Is(err, errClose) {
				c.s.log.Debug("closing connection", "client", c.remote, "op", op, "err", err)
			}
			return
		}
	}
}

var errFrameTooLarge = errors.New("server: frame larger than jute.maxbuffer")

func (c *conn) readFrame() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, err
	}
	return c.readBody(int32(binary.BigEndian.Uint32(hdr[:])))
}

// readBody reads a frame of n bytes into the connection's buffer. A length
// past MaxBuffer (or negative) closes this connection only, as ZooKeeper does.
func (c *conn) readBody(n int32) ([]byte, error) {
	if n < 0 || int(n) > c.s.opts.MaxBuffer {
		c.s.stats.largeRejected.Add(1)
		c.s.log.Warn("closing connection: frame too large", "client", c.remote, "len", n, "max", c.s.opts.MaxBuffer)
		return nil, errFrameTooLarge
	}
	if cap(c.buf) < int(n) {
		c.buf = make([]byte, n)
	}
	b := c.buf[:n]
	if _, err := io.ReadFull(c.br, b); err != nil {
		return nil, err
	}
	c.s.stats.bytesReceived.Add(int64(n) + 4)
	return b, nil
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.outWake:
		case <-c.done:
			return
		}
		c.outMu.Lock()
		buf := c.out
		c.out, c.spare = c.spare, nil
		closeSoon := c.closeSoon
		c.outMu.Unlock()
		if b := buf.Bytes(); len(b) > 0 {
			c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout()))
			if _, err := c.nc.Write(b); err != nil {
				c.close()
				return
			}
		}
		buf.Reset()
		c.outMu.Lock()
		c.spare = buf
		c.outMu.Unlock()
		if closeSoon {
			// The last reply is out. Closing with input the client sent
			// after it still unread resets the connection, and a client
			// that writes before it reads (the Java client) then sees a
			// plain disconnect and loses the reply. End with FIN instead
			// and discard input until the client closes, for at most a
			// second (set on every read: a reader still running after a
			// session ended moves the deadline on each frame).
			if tc, ok := c.nc.(*net.TCPConn); ok && tc.CloseWrite() == nil {
				until := time.Now().Add(time.Second)
				var discard [4096]byte
				for time.Now().Before(until) {
					tc.SetReadDeadline(until)
					if _, err := tc.Read(discard[:]); err != nil {
						break
					}
				}
			}
			c.close()
			return
		}
	}
}

func (c *conn) writeTimeout() time.Duration {
	if t := c.timeout.Load(); t > 0 {
		return time.Duration(t)
	}
	return c.s.opts.MaxSessionTimeout
}

// wake tells the writer there is something to flush. Called with outMu held
// or not; the channel keeps at most one wake-up pending.
func (c *conn) wake() {
	select {
	case c.outWake <- struct{}{}:
	default:
	}
}

// beginFrame starts a length-prefixed frame in the outbound queue; endFrame
// patches its length. outMu must be held. It returns false on a closed conn.
func (c *conn) beginFrame() (int, bool) {
	if c.closed || c.closeSoon {
		return 0, false
	}
	start := len(c.out.Bytes())
	c.out.Int(0)
	return start, true
}

func (c *conn) endFrame(start int) {
	b := c.out.Bytes()
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	c.s.stats.packetsSent.Add(1)
	c.s.stats.bytesSent.Add(int64(len(b) - start))
	c.stats.sent.Add(1)
	if len(b) > maxOutbound {
		c.s.log.Warn("closing connection: client not reading", "client", c.remote, "queued", len(b))
		c.closed = true
		go c.close()
		return
	}
	c.wake()
}

// queueReply queues a reply; body is written only when err is OK.
func (c *conn) queueReply(xid int32, zxid int64, err protocol.ErrCode, body protocol.Record) {
	c.outMu.Lock()
	c.appendReplyLocked(xid, zxid, err, body)
	c.outMu.Unlock()
}

func (c *conn) appendReplyLocked(xid int32, zxid int64, err protocol.ErrCode, body protocol.Record) {
	start, ok := c.beginFrame()
	if !ok {
		return
	}
	c.out.Int(xid)
	c.out.Long(zxid)
	c.out.Int(int32(err))
	if err == protocol.ErrOK && body != nil {
		body.Encode(c.out)
	}
	c.endFrame(start)
	c.stats.replied(xid, zxid)
}

// queueEvent queues a watch notification. outMu must not be held.
func (c *conn) queueEvent(typ protocol.EventType, state protocol.State, path string, zxid int64) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	start, ok := c.beginFrame()
	if !ok {
		return
	}
	c.out.Int(protocol.XidNotification)
	c.out.Long(zxid)
	c.out.Int(0)
	ev := protocol.WatcherEvent{Type: typ, State: state, Path: path}
	ev.Encode(c.out)
	c.endFrame(start)
}

// queueRecord queues a frame holding only rec (the connect response).
func (c *conn) queueRecord(rec protocol.Record) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	start, ok := c.beginFrame()
	if !ok {
		return
	}
	rec.Encode(c.out)
	c.endFrame(start)
}

// closeAfterFlush closes the connection once what is queued has been written.
func (c *conn) closeAfterFlush() {
	c.outMu.Lock()
	c.closeSoon = true
	c.outMu.Unlock()
	c.wake()
}

// closeWhenFlushed closes the connection when the reader stops: at once,
// unless a last reply (AuthFailed, a refused resume) is still to be written,
// which the writer does before it closes.
func (c *conn) closeWhenFlushed() {
	c.outMu.Lock()
	soon := c.closeSoon
	c.outMu.Unlock()
	if soon {
		t := time.NewTimer(c.writeTimeout())
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
	}
	c.close()
}

// close tears the connection down; the session, if any, lives on until it
// is closed or expires.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.outMu.Lock()
		c.closed = true
		c.outMu.Unlock()
		c.nc.Close()
		close(c.done)
		c.s.conns.remove(c)
		c.s.watches.removeConn(c)
		if ls := c.sess.Load(); ls != nil {
			c.s.sessions.detach(ls, c)
		}
		c.forgetReadOnly()
	})
}

// beginWrite counts a proposed write; endWrite uncounts it and releases a
// reader waiting for the connection's writes to apply.
func (c *conn) beginWrite() {
	c.wmu.Lock()
	c.inflight++
	c.wmu.Unlock()
}

func (c *conn) endWrite() {
	c.wmu.Lock()
	c.inflight--
	if c.inflight == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
	c.wmu.Unlock()
}

// waitWrites blocks until every write this connection proposed has applied.
// It returns false if the connection closed meanwhile.
func (c *conn) waitWrites() bool {
	c.wmu.Lock()
	if c.inflight == 0 {
		c.wmu.Unlock()
		return true
	}
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	idle := c.idle
	c.wmu.Unlock()
	select {
	case <-idle:
		return true
	case <-c.done:
		return false
	}
}

func (c *conn) outstanding() int {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.inflight
}
