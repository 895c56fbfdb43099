package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// rawClient speaks the wire protocol directly, for what go-zookeeper/zk does
// not expose: pipelining without waiting, frame order, addWatch, oversized
// frames, resuming a session by id and password.
type rawClient struct {
	t   testing.TB
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawClient) write(b []byte) {
	r.t.Helper()
	r.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// connect opens (sid 0) or resumes a session and returns the response.
func (r *rawClient) connect(timeoutMs int32, sid int64, passwd []byte) protocol.ConnectResponse {
	r.t.Helper()
	if passwd == nil {
		passwd = make([]byte, 16)
	}
	r.write(protocol.AppendFrame(nil, &protocol.ConnectRequest{
		TimeOut: timeoutMs, SessionID: sid, Passwd: passwd, HasReadOnly: true,
	}))
	frame, err := r.readFrame()
	if err != nil {
		r.t.Fatalf("reading connect response: %v", err)
	}
	var resp protocol.ConnectResponse
	if err := protocol.Unmarshal(frame, &resp); err != nil {
		r.t.Fatalf("decoding connect response: %v", err)
	}
	return resp
}

func (r *rawClient) send(xid int32, op protocol.OpCode, body protocol.Record) {
	r.t.Helper()
	r.write(protocol.AppendRequest(nil, protocol.RequestHeader{Xid: xid, Type: op}, body))
}

func (r *rawClient) readFrame() ([]byte, error) {
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := protocol.ReadFrame(r.br, 16<<20, r.buf)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// recv reads one reply or notification and decodes its body into body
// (which may be nil).
func (r *rawClient) recv(body protocol.Record) protocol.ReplyHeader {
	r.t.Helper()
	frame, err := r.readFrame()
	if err != nil {
		r.t.Fatalf("reading reply: %v", err)
	}
	h, err := protocol.ParseReply(frame, body)
	if err != nil {
		r.t.Fatalf("parsing reply: %v", err)
	}
	return h
}

// recvEvent reads a frame that must be a notification.
func (r *rawClient) recvEvent() protocol.WatcherEvent {
	r.t.Helper()
	var ev protocol.WatcherEvent
	h := r.recv(&ev)
	if h.Xid != protocol.XidNotification {
		r.t.Fatalf("want a notification, got reply xid %d err %v", h.Xid, h.Err)
	}
	return ev
}

// waitClosed reports whether the server closes the connection within d.
func (r *rawClient) waitClosed(d time.Duration) bool {
	r.nc.SetReadDeadline(time.Now().Add(d))
	for {
		_, err := r.br.ReadByte()
		if err == nil {
			continue
		}
		return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}
