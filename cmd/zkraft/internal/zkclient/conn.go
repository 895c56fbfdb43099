// Package zkclient is the small ZooKeeper client of the zkraft CLI, built on
// the protocol package: one session on one server of a connect string,
// requests matched to replies by xid, pings at a third of the session
// timeout, watch events on a channel. A client does not reconnect by itself:
// a one-shot command reports a lost connection and stops, as zkCli's
// one-shot mode does; the shell and "watch" call Reconnect, which resumes the
// session (credentials and watches included) on the next server.
package zkclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// Auth is one credential sent with addauth right after connecting.
type Auth struct {
	Scheme string
	Cred   []byte
}

// Config says where and how to connect.
type Config struct {
	// Servers are host:port addresses, tried in order until one grants a
	// session.
	Servers []string
	// Chroot, when not "", is prefixed to every path sent and removed
	// from every path received, as ZooKeeper clients do.
	Chroot string
	// SessionTimeout is asked of the server; it also bounds each dial.
	SessionTimeout time.Duration
	Auth           []Auth
	// SessionID and Password, when set, resume that session instead of
	// opening a new one (Reconnect sets them); LastZxid is the newest
	// zxid the session saw, so that no server behind it takes it.
	SessionID int64
	Password  []byte
	LastZxid  int64
}

// ParseConnectString splits ZooKeeper's "host:port,host:port/chroot" into
// its servers and chroot. A server without a port gets 2181.
func ParseConnectString(s string) (servers []string, chroot string, err error) {
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		}
		if chroot != "" {
			if err := protocol.ValidatePath(chroot, false); err != nil {
				return nil, "", fmt.Errorf("chroot %q in connect string: %w", chroot, err)
			}
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "2181")
		}
		servers = append(servers, h)
	}
	if len(servers) == 0 {
		return nil, "", fmt.Errorf("connect string %q names no server", s)
	}
	return servers, chroot, nil
}

// Event is a watch notification, its path relative to the chroot.
type Event struct {
	Type  protocol.EventType
	State protocol.State
	Path  string
}

// call is one request waiting for its reply.
type call struct {
	resp protocol.Record
	done chan error
}

// Client is one session. Its methods are safe for concurrent use.
type Client struct {
	conn      net.Conn
	cfg       Config // as dialled; Auth grows with AddAuth
	chroot    string
	server    string
	sessionID int64
	password  []byte
	timeout   time.Duration
	lastZxid  atomic.Int64 // newest zxid in a reply
	watches   watchSet

	writeMu sync.Mutex // one frame at a time on the wire
	authMu  sync.Mutex // one addauth in flight: its reply has the fixed xid -4

	mu      sync.Mutex
	xid     int32
	pending map[int32]*call
	err     error // why the connection ended; set once

	events chan Event
	closed chan struct{}
}

// Dial connects to the first server of cfg that grants a session, then sends
// cfg.Auth. The session lives until Close or until the connection breaks.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("no server to connect to")
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 30 * time.Second
	}
	var errs []error
	for _, addr := range cfg.Servers {
		c, err := dialOne(ctx, addr, cfg)
		if errors.Is(err, protocol.ErrSessionExpired) {
			return nil, err // no other server has it either
		}
		if err == nil {
			for _, a := range cfg.Auth {
				if err := c.AddAuth(ctx, a.Scheme, a.Cred); err != nil {
					c.Close()
					return nil, fmt.Errorf("addauth %s: %w", a.Scheme, err)
				}
			}
			return c, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("no session from %s: %w", strings.Join(cfg.Servers, ","), errors.Join(errs...))
}

func dialOne(ctx context.Context, addr string, cfg Config) (*Client, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.SessionTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := &protocol.ConnectRequest{TimeOut: int32(cfg.SessionTimeout.Milliseconds()), Passwd: make([]byte, 16),
		SessionID: cfg.SessionID, LastZxidSeen: cfg.LastZxid}
	if cfg.SessionID != 0 {
		req.Passwd = cfg.Password
	}
	resp, err := Handshake(conn, conn, req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	cfg.Auth = slices.Clone(cfg.Auth)
	c := &Client{
		conn: conn, cfg: cfg, chroot: cfg.Chroot, server: addr, sessionID: resp.SessionID, password: resp.Passwd,
		timeout: time.Duration(resp.TimeOut) * time.Millisecond,
		pending: map[int32]*call{},
		events:  make(chan Event, 256),
		closed:  make(chan struct{}),
	}
	go c.readLoop()
	go c.pingLoop()
	return c, nil
}

// Handshake sends req on w and reads the server's ConnectResponse from r.
// A server that no longer has the session req resumes answers with a zero
// timeout: that is protocol.ErrSessionExpired.
func Handshake(w io.Writer, r io.Reader, req *protocol.ConnectRequest) (protocol.ConnectResponse, error) {
	var resp protocol.ConnectResponse
	if _, err := w.Write(protocol.AppendFrame(nil, req)); err != nil {
		return resp, err
	}
	frame, err := protocol.ReadFrame(r, protocol.DefaultMaxBuffer, nil)
	if err != nil {
		return resp, fmt.Errorf("handshake: %w", err)
	}
	if err := protocol.Unmarshal(frame, &resp); err != nil {
		return resp, fmt.Errorf("handshake: %w", err)
	}
	if resp.TimeOut <= 0 {
		if req.SessionID != 0 {
			return resp, fmt.Errorf("session 0x%x: %w", req.SessionID, protocol.ErrSessionExpired)
		}
		return resp, errors.New("handshake: the server refused the session")
	}
	return resp, nil
}

// Server is the address the session is on.
func (c *Client) Server() string { return c.server }

// Timeout is the session timeout the server granted.
func (c *Client) Timeout() time.Duration { return c.timeout }

// SessionID is the id the server gave the session.
func (c *Client) SessionID() int64 { return c.sessionID }

// Events delivers watch notifications. It is closed when the connection
// ends; Err then says why.
func (c *Client) Events() <-chan Event { return c.events }

// Err is why the connection ended, or nil while it is up.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the session (closeSession, so its ephemeral nodes go at once)
// and the connection.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.do(ctx, protocol.OpCloseSession, nil, nil)
	c.fail(errClosed)
	if errors.Is(err, errClosed) {
		err = nil
	}
	return err
}

var errClosed = errors.New("zkclient: connection closed")

// fail ends the connection once, failing every pending call with err.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	close(c.closed)
	c.conn.Close()
	for _, p := range pending {
		p.done <- err
	}
}

// readLoop dispatches reply frames until the connection ends.
func (c *Client) readLoop() {
	var buf []byte
	for {
		frame, err := protocol.ReadFrame(c.conn, protocol.DefaultMaxBuffer, buf)
		if err != nil {
			c.fail(fmt.Errorf("%w: %w", protocol.ErrConnectionLoss, err))
			close(c.events)
			return
		}
		buf = frame[:0]
		h, err := protocol.ParseReply(frame, nil)
		if err != nil {
			c.fail(err)
			close(c.events)
			return
		}
		if h.Zxid > c.lastZxid.Load() && h.Xid != protocol.XidNotification {
			c.lastZxid.Store(h.Zxid)
		}
		switch h.Xid {
		case protocol.XidPing:
			continue
		case protocol.XidNotification:
			var ev protocol.WatcherEvent
			if _, err := protocol.ParseReply(frame, &ev); err != nil {
				continue
			}
			c.watches.fired(ev.Type, ev.Path)
			select {
			case c.events <- Event{Type: ev.Type, State: ev.State, Path: c.strip(ev.Path)}:
			case <-c.closed:
			}
			continue
		}
		c.mu.Lock()
		p := c.pending[h.Xid]
		delete(c.pending, h.Xid)
		c.mu.Unlock()
		if p == nil {
			continue
		}
		_, err = protocol.ParseReply(frame, p.resp)
		if err == nil && h.Err != protocol.ErrOK {
			err = h.Err
		}
		p.done <- err
	}
}

// pingLoop keeps the session alive while nothing else is sent.
func (c *Client) pingLoop() {
	t := time.NewTicker(c.timeout / 3)
	defer t.Stop()
	frame := protocol.AppendRequest(nil, protocol.RequestHeader{Xid: protocol.XidPing, Type: protocol.OpPing}, nil)
	for {
		select {
		case <-t.C:
			if err := c.write(frame); err != nil {
				c.fail(fmt.Errorf("%w: %w", protocol.ErrConnectionLoss, err))
				return
			}
		case <-c.closed:
			return
		}
	}
}

func (c *Client) write(frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err := c.conn.Write(frame)
	return err
}

// do sends one request and waits for its reply, decoded into resp (nil for
// none). A ZooKeeper error comes back as a protocol.ErrCode.
func (c *Client) do(ctx context.Context, op protocol.OpCode, req, resp protocol.Record) (protocol.ReplyHeader, error) {
	return c.doXid(ctx, 0, op, req, resp)
}

// doXid is do with a fixed xid (addauth's -4) when xid is not 0.
func (c *Client) doXid(ctx context.Context, xid int32, op protocol.OpCode, req, resp protocol.Record) (protocol.ReplyHeader, error) {
	p := &call{resp: resp, done: make(chan error, 1)}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return protocol.ReplyHeader{}, err
	}
	if xid == 0 {
		c.xid++
		xid = c.xid
	}
	c.pending[xid] = p
	c.mu.Unlock()
	if err := c.write(protocol.AppendRequest(nil, protocol.RequestHeader{Xid: xid, Type: op}, req)); err != nil {
		c.fail(fmt.Errorf("%w: %w", protocol.ErrConnectionLoss, err))
		return protocol.ReplyHeader{}, c.Err()
	}
	select {
	case err := <-p.done:
		return protocol.ReplyHeader{Xid: xid}, err
	case <-ctx.Done():
		// The reply may still come; the session is in an unknown state
		// for this request, so give the connection up as zkCli would.
		c.fail(fmt.Errorf("%v: %w", op, ctx.Err()))
		return protocol.ReplyHeader{}, ctx.Err()
	}
}

// AddAuth sends addauth. A refused credential ends the session, as in
// ZooKeeper, and comes back as protocol.ErrAuthFailed.
func (c *Client) AddAuth(ctx context.Context, scheme string, cred []byte) error {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	_, err := c.doXid(ctx, protocol.XidAuth, protocol.OpAuth, &protocol.AuthPacket{Scheme: scheme, Auth: cred}, nil)
	if err == nil {
		c.mu.Lock()
		c.cfg.Auth = append(c.cfg.Auth, Auth{Scheme: scheme, Cred: cred})
		c.mu.Unlock()
	}
	return err
}

// abs turns a path relative to the chroot into the server's path.
func (c *Client) abs(path string) string {
	if c.chroot == "" {
		return path
	}
	if path == "/" {
		return c.chroot
	}
	return c.chroot + path
}

// strip turns a server path into one relative to the chroot.
func (c *Client) strip(path string) string {
	if c.chroot == "" {
		return path
	}
	if path == c.chroot {
		return "/"
	}
	if strings.HasPrefix(path, c.chroot+"/") {
		return path[len(c.chroot):]
	}
	return path
}
