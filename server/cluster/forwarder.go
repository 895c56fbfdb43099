package cluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Call is one forwarded request. Done is closed when Err (and Payload) are
// set.
type Call struct {
	Gen     uint64 // the connection it went out on; 0 if it never did
	Payload []byte
	Err     error
	done    chan struct{}
	seq     uint64
	kind    byte
}

// Done is closed when the call completed.
func (c *Call) Done() <-chan struct{} { return c.done }

// Wait blocks until the call completed and returns its error.
func (c *Call) Wait() error {
	<-c.done
	return c.Err
}

func (c *Call) finish(payload []byte, err error) {
	c.Payload, c.Err = payload, err
	close(c.done)
}

func failed(err error) *Call {
	c := &Call{done: make(chan struct{})}
	c.finish(nil, err)
	return c
}

// Forwarder is a follower's side of the forwarding protocol: one pipelined
// connection to whichever member leads, redialled when the leader changes
// or the connection breaks.
//
// When the leader changes, the connection to the old one is retired rather
// than closed: new requests go to the new leader, while the retired
// connection still takes the answers it owes (a leader handing over
// forwards the writes it held and relays the answers) for one grace
// period, then fails what is left with ErrConnLost. A leader that vanished
// without closing the connection (its host crashed, a partition) thus
// fails its requests after the grace instead of never.
type Forwarder struct {
	leader      func() (addr string, ok bool)
	dialTimeout time.Duration
	leaderWait  time.Duration
	grace       time.Duration
	log         *slog.Logger

	mu        sync.Mutex
	cur       *fconn
	retired   []*fconn // retired connections that may still owe answers
	gen       uint64
	closed    bool
	writeDone func(payload []byte)
}

// NewForwarder returns a forwarder that asks leader for the leader's quorum
// address before each request. A request made while no leader is known
// waits up to leaderWait for one; dialTimeout bounds a connection attempt;
// grace is how long a retired connection may still deliver answers.
func NewForwarder(leader func() (string, bool), dialTimeout, leaderWait, grace time.Duration, logger *slog.Logger) *Forwarder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Forwarder{leader: leader, dialTimeout: dialTimeout, leaderWait: leaderWait, grace: grace, log: logger}
}

// OnWriteDone makes the forwarder call fn with the payload of every
// successful KindWrite answer, on the goroutine that reads the answers,
// before the call completes. fn must not block. Set it before the first
// Send.
func (f *Forwarder) OnWriteDone(fn func(payload []byte)) {
	f.mu.Lock()
	f.writeDone = fn
	f.mu.Unlock()
}

// Gen is the number of the current connection (0 before the first). A
// caller that must not mix connections (a session's writes must apply in
// order) compares it with the Gen of its earlier calls.
func (f *Forwarder) Gen() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur == nil || f.cur.dead() {
		return 0
	}
	return f.cur.gen
}

// Send forwards one request without waiting for its answer. Requests sent
// from one goroutine reach the leader in the order sent, on one connection,
// unless the returned calls carry different Gens.
func (f *Forwarder) Send(kind byte, payload []byte) *Call {
	fc, err := f.conn()
	if err != nil {
		return failed(err)
	}
	return fc.send(kind, payload)
}

// conn returns a live connection to the current leader, dialling one if
// needed.
func (f *Forwarder) conn() (*fconn, error) {
	addr, err := f.waitLeader()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, net.ErrClosed
	}
	if fc := f.cur; fc != nil && !fc.dead() && fc.addr == addr {
		return fc, nil
	}
	f.retireLocked()
	nc, err := Dial(addr, ProtoForward, f.dialTimeout)
	if err != nil {
		f.log.Info("cannot reach the leader to forward", "leader", addr, "err", err)
		return nil, ErrConnLost
	}
	f.gen++
	fc := newFconn(nc, addr, f.gen, f.writeDone)
	f.cur = fc
	f.log.Debug("forwarding to the leader", "leader", addr, "gen", f.gen)
	return fc, nil
}

func (f *Forwarder) waitLeader() (string, error) {
	deadline := time.Now().Add(f.leaderWait)
	for {
		if addr, ok := f.leader(); ok {
			return addr, nil
		}
		if time.Now().After(deadline) {
			return "", ErrNoLeader
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// LeaderChanged tells the forwarder that the leader is now at addr (known
// false: none is known), so that a connection to another member retires
// even if no request comes to replace it.
func (f *Forwarder) LeaderChanged(addr string, known bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fc := f.cur; fc != nil && (!known || fc.addr != addr) {
		f.retireLocked()
	}
}

// retireLocked retires the current connection, if any. f.mu is held.
func (f *Forwarder) retireLocked() {
	fc := f.cur
	if fc == nil {
		return
	}
	f.cur = nil
	live := f.retired[:0]
	for _, r := range f.retired {
		if !r.dead() {
			live = append(live, r)
		}
	}
	f.retired = append(live, fc)
	fc.retire(f.grace)
}

// Close fails outstanding calls and refuses new ones.
func (f *Forwarder) Close() {
	f.mu.Lock()
	f.closed = true
	conns := append(f.retired, f.cur)
	f.cur, f.retired = nil, nil
	f.mu.Unlock()
	for _, fc := range conns {
		if fc != nil {
			fc.fail(net.ErrClosed)
		}
	}
}

// fconn is one forwarding connection: requests are appended to out and
// flushed by the writer goroutine; the reader matches answers to the
// pending calls, which are answered in order.
type fconn struct {
	nc        net.Conn
	addr      string
	gen       uint64
	writeDone func(payload []byte) // may be nil

	mu      sync.Mutex
	out     []byte
	spare   []byte
	pending []*Call
	seq     uint64
	retired bool  // no longer the current connection: closes once drained
	err     error // set once the connection failed
	wake    chan struct{}
	done    chan struct{}
}

func newFconn(nc net.Conn, addr string, gen uint64, writeDone func([]byte)) *fconn {
	fc := &fconn{nc: nc, addr: addr, gen: gen, writeDone: writeDone, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go fc.writeLoop()
	go fc.readLoop()
	return fc
}

func (fc *fconn) dead() bool {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.err != nil
}

func (fc *fconn) send(kind byte, payload []byte) *Call {
	c := &Call{Gen: fc.gen, kind: kind, done: make(chan struct{})}
	fc.mu.Lock()
	if fc.err != nil {
		err := fc.err
		fc.mu.Unlock()
		c.finish(nil, err)
		return c
	}
	fc.seq++
	c.seq = fc.seq
	fc.out = binary.BigEndian.AppendUint32(fc.out, uint32(9+len(payload)))
	fc.out = append(fc.out, kind)
	fc.out = binary.BigEndian.AppendUint64(fc.out, c.seq)
	fc.out = append(fc.out, payload...)
	fc.pending = append(fc.pending, c)
	fc.mu.Unlock()
	select {
	case fc.wake <- struct{}{}:
	default:
	}
	return c
}

// retire makes the connection close once every pending call is answered,
// and fail what is still pending after grace.
func (fc *fconn) retire(grace time.Duration) {
	fc.mu.Lock()
	fc.retired = true
	idle := len(fc.pending) == 0
	fc.mu.Unlock()
	if idle {
		fc.fail(ErrConnLost)
		return
	}
	fc.nc.SetReadDeadline(time.Now().Add(grace))
}

func (fc *fconn) writeLoop() {
	for {
		select {
		case <-fc.wake:
		case <-fc.done:
			return
		}
		fc.mu.Lock()
		buf := fc.out
		fc.out, fc.spare = fc.spare[:0], nil
		fc.mu.Unlock()
		if len(buf) > 0 {
			fc.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fc.nc.Write(buf); err != nil {
				fc.fail(ErrConnLost)
				return
			}
		}
		fc.mu.Lock()
		fc.spare = buf[:0]
		fc.mu.Unlock()
	}
}

func (fc *fconn) readLoop() {
	br := bufio.NewReaderSize(fc.nc, 64<<10)
	var hdr [13]byte
	for {
		if _, err := io.ReadFull(br, hdr[:4]); err != nil {
			fc.fail(ErrConnLost)
			return
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n < 9 || n > maxFrame {
			fc.fail(ErrConnLost)
			return
		}
		if _, err := io.ReadFull(br, hdr[4:13]); err != nil {
			fc.fail(ErrConnLost)
			return
		}
		payload := make([]byte, n-9)
		if _, err := io.ReadFull(br, payload); err != nil {
			fc.fail(ErrConnLost)
			return
		}
		seq := binary.BigEndian.Uint64(hdr[4:12])
		fc.mu.Lock()
		if len(fc.pending) == 0 || fc.pending[0].seq != seq {
			fc.mu.Unlock()
			fc.fail(ErrConnLost)
			return
		}
		c := fc.pending[0]
		fc.pending[0] = nil
		fc.pending = fc.pending[1:]
		drained := fc.retired && len(fc.pending) == 0
		fc.mu.Unlock()
		switch hdr[12] {
		case statusOK:
			if c.kind == KindWrite && fc.writeDone != nil {
				fc.writeDone(payload)
			}
			c.finish(payload, nil)
		case statusNotLeader:
			c.finish(nil, ErrNotLeader)
		default:
			c.finish(nil, errors.New("cluster: leader: "+string(payload)))
		}
		if drained {
			fc.fail(ErrConnLost) // nothing is pending: just the close
			return
		}
	}
}

// fail closes the connection and fails every pending call with err.
func (fc *fconn) fail(err error) {
	fc.mu.Lock()
	if fc.err != nil {
		fc.mu.Unlock()
		return
	}
	fc.err = err
	pending := fc.pending
	fc.pending = nil
	close(fc.done)
	fc.mu.Unlock()
	fc.nc.Close()
	for _, c := range pending {
		c.finish(nil, err)
	}
}

// SendOn is Send restricted to the connection numbered gen: if the
// connection to the leader is another one (it broke, or the leader changed)
// the call fails with ErrConnLost without being sent. gen 0 allows any.
func (f *Forwarder) SendOn(gen uint64, kind byte, payload []byte) *Call {
	fc, err := f.conn()
	if err != nil {
		return failed(err)
	}
	if gen != 0 && fc.gen != gen {
		return failed(ErrConnLost)
	}
	return fc.send(kind, payload)
}
