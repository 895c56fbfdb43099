package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
	"github.com/zkraft/zkraft/protocol"
)

// The closed-loop workloads (create, set, get, mixed) run on rawConn, a
// session that writes each request and reads its reply on the calling
// goroutine. The load generator shares the machine with the servers it
// measures: go-zookeeper's connection hands every request to a send
// goroutine and every reply back from a receive goroutine: 48 µs of CPU
// per operation on 2 cores at 32 clients, against 35 µs for rawConn (most
// of what is left is the loopback TCP stack and Go's netpoller), so 7%
// more set throughput for a 3-member zkraft. With one request in flight per
// session those hand-offs buy nothing. rawConn reads only what it reports
// (the reply header's error), reconnects to another server with the same
// session after a connection loss as any ZooKeeper client does, and answers
// nothing else: watches and session churn keep go-zookeeper.
type rawConn struct {
	cfg     *Config
	nc      net.Conn
	br      *bufio.Reader
	out     []byte // the request frame being built
	in      []byte // the reply frame buffer
	xid     int32
	session int64
	passwd  []byte
	zxid    int64     // last zxid seen, for a reconnect
	renewed time.Time // when the connection's deadline was last pushed out
	timeout time.Duration
}

// errConnLoss is what an op returns when its connection broke; the next op
// reconnects first. errExpired: the server no longer has the session.
var (
	errConnLoss = protocol.ErrConnectionLoss
	errExpired  = protocol.ErrSessionExpired
)

func dialRaw(ctx context.Context, cfg *Config) (*rawConn, error) {
	c := &rawConn{cfg: cfg, timeout: cfg.SessionTimeout, passwd: make([]byte, 16)}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// connect opens a connection to a random server (each in turn on failure)
// and starts or resumes the session.
func (c *rawConn) connect(ctx context.Context) error {
	var errs []error
	start := rand.IntN(len(c.cfg.Servers))
	for i := range c.cfg.Servers {
		addr := c.cfg.Servers[(start+i)%len(c.cfg.Servers)]
		err := c.connectTo(ctx, addr)
		if err == nil {
			return nil
		}
		if errors.Is(err, errExpired) {
			return err
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return errors.Join(errs...)
}

func (c *rawConn) connectTo(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: c.timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	nc.SetDeadline(time.Now().Add(c.timeout))
	req := &protocol.ConnectRequest{LastZxidSeen: c.zxid, TimeOut: int32(c.timeout / time.Millisecond),
		SessionID: c.session, Passwd: c.passwd, HasReadOnly: true}
	br := bufio.NewReaderSize(nc, 4096)
	resp, err := zkclient.Handshake(nc, br, req)
	if err != nil {
		nc.Close()
		return err
	}
	c.nc, c.br = nc, br
	c.session, c.passwd = resp.SessionID, resp.Passwd
	c.timeout = time.Duration(resp.TimeOut) * time.Millisecond
	c.renewed = time.Now()
	return nil
}

// call sends one request and waits for its reply, returning the error the
// reply carries. A connection that fails is dropped: this op reports a
// connection loss and the next one reconnects.
func (c *rawConn) call(op protocol.OpCode, body protocol.Record) error {
	if c.nc == nil {
		if err := c.connect(context.Background()); err != nil {
			if errors.Is(err, errExpired) {
				return errExpired
			}
			return errConnLoss
		}
	}
	// The deadline bounds a request the server never answers; moving it
	// once a second instead of per request keeps a timer update off the
	// hot path.
	if now := time.Now(); now.Sub(c.renewed) > time.Second {
		c.nc.SetDeadline(now.Add(c.timeout))
		c.renewed = now
	}
	c.xid++
	xid := c.xid
	c.out = protocol.AppendRequest(c.out[:0], protocol.RequestHeader{Xid: xid, Type: op}, body)
	if _, err := c.nc.Write(c.out); err != nil {
		c.drop()
		return errConnLoss
	}
	for {
		frame, err := protocol.ReadFrame(c.br, protocol.DefaultMaxBuffer, c.in)
		if err != nil {
			c.drop()
			return errConnLoss
		}
		c.in = frame[:0]
		h, err := protocol.ParseReply(frame, nil)
		if err != nil {
			c.drop()
			return err
		}
		if h.Xid != xid {
			continue // a watch event (-1) or ping answer (-2): not ours
		}
		if h.Zxid > 0 {
			c.zxid = h.Zxid
		}
		if h.Err != protocol.ErrOK {
			return h.Err
		}
		return nil
	}
}

func (c *rawConn) drop() {
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
}

func (c *rawConn) get(path string) error {
	return c.call(protocol.OpGetData, &protocol.PathWatchRequest{Path: path})
}

func (c *rawConn) children(path string) error {
	return c.call(protocol.OpGetChildren, &protocol.PathWatchRequest{Path: path})
}

func (c *rawConn) set(path string, data []byte) error {
	return c.call(protocol.OpSetData, &protocol.SetDataRequest{Path: path, Data: data, Version: -1})
}

func (c *rawConn) create(path string, data []byte) error {
	return c.call(protocol.OpCreate, &protocol.CreateRequest{Path: path, Data: data, ACL: rawOpenACL})
}

func (c *rawConn) delete(path string) error {
	return c.call(protocol.OpDelete, &protocol.DeleteRequest{Path: path, Version: -1})
}

var rawOpenACL = []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}

// close ends the session (the server removes it at once rather than at its
// timeout) and the connection.
func (c *rawConn) close() {
	if c.nc == nil {
		return
	}
	c.nc.SetDeadline(time.Now().Add(time.Second))
	c.call(protocol.OpCloseSession, nil)
	c.drop()
}
