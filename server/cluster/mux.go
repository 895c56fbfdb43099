// Package cluster is the quorum-port plumbing of an ensemble: one TCP
// listener that carries raft's transport and the follower-to-leader
// forwarding protocol, told apart by the first byte of each connection.
package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Protocol bytes: the first byte a dialer writes on a quorum-port
// connection. Values below 0x20 so that a stray text client (telnet, a
// four-letter word) is refused rather than misread.
const (
	ProtoRaft    byte = 0x01
	ProtoForward byte = 0x02
	ProtoCommit  byte = 0x03 // the leader's commit pushes (zkraft's server/commitpush.go)
)

// firstByteTimeout is how long an accepted connection may take to name its
// protocol before it is dropped.
const firstByteTimeout = 5 * time.Second

// Mux accepts connections on the quorum port and hands each to the listener
// registered for its first byte.
type Mux struct {
	ln        net.Listener
	advertise string
	log       *slog.Logger

	mu     sync.Mutex
	subs   map[byte]*subListener
	closed bool
	wg     sync.WaitGroup
}

// Listen opens the quorum port on bind. advertise is the address the other
// members dial (host:quorumPort as zoo.cfg writes it); it is also raft's
// address of this member.
func Listen(bind, advertise string, logger *slog.Logger) (*Mux, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("cluster: listening on quorum address %s: %w", bind, err)
	}
	if advertise == "" {
		advertise = ln.Addr().String()
	}
	m := &Mux{ln: ln, advertise: advertise, log: logger, subs: make(map[byte]*subListener)}
	m.wg.Add(1)
	go m.acceptLoop()
	return m, nil
}

// Addr is the bound address (useful with port 0 in tests).
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// Advertise is the address other members dial.
func (m *Mux) Advertise() string { return m.advertise }

// Listener returns the listener of connections that start with proto. It
// panics if proto is already taken: that is a programming error.
func (m *Mux) Listener(proto byte) net.Listener {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.subs[proto]; ok {
		panic(fmt.Sprintf("cluster: protocol byte %#x registered twice", proto))
	}
	l := &subListener{m: m, proto: proto, ch: make(chan net.Conn, 16), done: make(chan struct{})}
	m.subs[proto] = l
	return l
}

// Close stops accepting and closes every sub-listener. Connections already
// handed out belong to their protocol and are closed by it.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	subs := m.subs
	m.mu.Unlock()
	err := m.ln.Close()
	for _, l := range subs {
		l.shut()
	}
	m.wg.Wait()
	return err
}

func (m *Mux) acceptLoop() {
	defer m.wg.Done()
	for {
		nc, err := m.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			m.log.Warn("quorum port accept failed", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		// Reading the byte happens off the accept loop, so one silent
		// dialer cannot hold up the others.
		go m.route(nc)
	}
}

func (m *Mux) route(nc net.Conn) {
	nc.SetReadDeadline(time.Now().Add(firstByteTimeout))
	var b [1]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		m.log.Debug("quorum connection sent no protocol byte", "remote", nc.RemoteAddr().String(), "err", err)
		nc.Close()
		return
	}
	nc.SetReadDeadline(time.Time{})
	m.mu.Lock()
	l := m.subs[b[0]]
	m.mu.Unlock()
	if l == nil {
		m.log.Warn("quorum connection with unknown protocol byte", "remote", nc.RemoteAddr().String(), "byte", b[0])
		nc.Close()
		return
	}
	select {
	case l.ch <- nc:
	case <-l.done:
		nc.Close()
	}
}

// subListener is the net.Listener of one protocol.
type subListener struct {
	m     *Mux
	proto byte
	ch    chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *subListener) shut() { l.once.Do(func() { close(l.done) }) }

// Close closes only this protocol's listener; the port stays open.
func (l *subListener) Close() error {
	l.shut()
	return nil
}

func (l *subListener) Addr() net.Addr { return advertised(l.m.advertise) }

// advertised is a net.Addr whose String is the address as configured (a
// host name stays a host name), which raft uses as this member's address.
type advertised string

func (a advertised) Network() string { return "tcp" }
func (a advertised) String() string  { return string(a) }

// Dial connects to a member's quorum port and names the protocol.
func Dial(addr string, proto byte, timeout time.Duration) (net.Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if tcp, ok := nc.(*net.TCPConn); ok {
		tcp.SetNoDelay(true)
	}
	nc.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := nc.Write([]byte{proto}); err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetWriteDeadline(time.Time{})
	return nc, nil
}
