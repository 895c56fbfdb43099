package cluster

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/protocol"
)

// roClient is a raw wire client: go-zookeeper/zk cannot ask for a
// read-only server (the connect request's canBeReadOnly byte).
type roClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// dialConnect connects with canBeReadOnly as given and returns the
// connect response; ok is false when the server closed the connection
// instead of answering.
func dialConnect(t *testing.T, addr string, canBeReadOnly bool) (*roClient, protocol.ConnectResponse, bool) {
	t.Helper()
	return dialSession(t, addr, 0, nil, canBeReadOnly)
}

// dialSession opens (sid 0) or resumes a session over a raw connection.
func dialSession(t *testing.T, addr string, sid int64, passwd []byte, canBeReadOnly bool) (*roClient, protocol.ConnectResponse, bool) {
	t.Helper()
	if passwd == nil {
		passwd = make([]byte, 16)
	}
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := &roClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	r.write(protocol.AppendFrame(nil, &protocol.ConnectRequest{
		TimeOut: 6000, SessionID: sid, Passwd: passwd, HasReadOnly: true, ReadOnly: canBeReadOnly,
	}))
	frame, err := r.readFrame(5 * time.Second)
	if err != nil {
		return r, protocol.ConnectResponse{}, false
	}
	var resp protocol.ConnectResponse
	if err := protocol.Unmarshal(frame, &resp); err != nil {
		t.Fatalf("decoding connect response: %v", err)
	}
	return r, resp, true
}

func (r *roClient) write(b []byte) {
	r.t.Helper()
	r.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *roClient) readFrame(d time.Duration) ([]byte, error) {
	r.nc.SetReadDeadline(time.Now().Add(d))
	b, err := protocol.ReadFrame(r.br, 16<<20, nil)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// call sends one request and returns its reply header, decoding the body
// into resp (may be nil).
func (r *roClient) call(xid int32, op protocol.OpCode, req, resp protocol.Record) protocol.ReplyHeader {
	r.t.Helper()
	r.write(protocol.AppendRequest(nil, protocol.RequestHeader{Xid: xid, Type: op}, req))
	frame, err := r.readFrame(5 * time.Second)
	if err != nil {
		r.t.Fatalf("reading reply to %v: %v", op, err)
	}
	h, err := protocol.ParseReply(frame, resp)
	if err != nil {
		r.t.Fatalf("parsing reply to %v: %v", op, err)
	}
	return h
}

// waitFourLetter waits until cmd on member id answers want.
func (e *ensemble) waitFourLetter(id int, cmd, want string, timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var got string
	for time.Now().Before(deadline) {
		if got = fourLetter(e.members[id-1].clientAddr(), cmd); got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("member %d %s = %q after %v, want %q", id, cmd, got, timeout, want)
}

// TestReadOnlyMode: with readonlymode.enabled, a member whose two peers are
// killed serves reads to clients that allow a read-only server (their
// connect response says readOnly), refuses writes with NotReadOnly and
// other clients entirely, and says "ro" to isro and Mode read-only to
// srvr. Once the peers are back it is read-write again and closes the
// read-only connections.
func TestReadOnlyMode(t *testing.T) {
	// isro is answered although the whitelist leaves it out: read-only
	// mode adds it, as ZooKeeper does.
	e := newEnsemble(t, 3, "readonlymode.enabled=true\n")
	t.Cleanup(e.dumpLogs)
	for _, m := range e.members {
		if err := appendLine(m.dir, "4lw.commands.whitelist=srvr,mntr\n"); err != nil {
			t.Fatal(err)
		}
	}
	for id := 1; id <= 3; id++ {
		e.start(id)
	}
	e.waitLeader(20 * time.Second)
	const alone = 1
	c := e.connect(alone)
	if _, err := c.Create("/ro", []byte("before"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if got := fourLetter(e.members[alone-1].clientAddr(), "isro"); got != "rw" {
		t.Fatalf("isro with quorum = %q, want rw", got)
	}

	cut := time.Now()
	e.kill(2)
	e.kill(3)
	e.waitFourLetter(alone, "isro", "ro", 15*time.Second)
	t.Logf("member %d read-only %v after losing its peers", alone, time.Since(cut).Round(time.Millisecond))
	if m := field(fourLetter(e.members[alone-1].clientAddr(), "srvr"), "Mode"); m != "read-only" {
		t.Errorf("srvr Mode %q, want read-only", m)
	}
	// As ZooKeeper 3.8's read-only server: no quorum peer keys in mntr.
	if out := fourLetter(e.members[alone-1].clientAddr(), "mntr"); field(out, "zk_server_state") != "read-only" ||
		field(out, "zk_peer_state") != "" || field(out, "zk_quorum_size") != "" {
		t.Errorf("read-only mntr:\n%s", out)
	}

	addr := e.members[alone-1].clientAddr()
	if _, _, ok := dialConnect(t, addr, false); ok {
		t.Error("a client that does not allow read-only got a session without a quorum")
	}
	ro, resp, ok := dialConnect(t, addr, true)
	if !ok {
		t.Fatal("a canBeReadOnly client was refused by the read-only member")
	}
	if !resp.ReadOnly || resp.SessionID == 0 || resp.TimeOut == 0 {
		t.Fatalf("connect response %+v, want a read-only session", resp)
	}
	var data protocol.GetDataResponse
	if h := ro.call(1, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/ro"}, &data); h.Err != protocol.ErrOK || string(data.Data) != "before" {
		t.Fatalf("read-only getData: err %v data %q", h.Err, data.Data)
	}
	create := &protocol.CreateRequest{Path: "/ro-write", ACL: []protocol.ACL{{Perms: zk.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}}
	if h := ro.call(2, protocol.OpCreate, create, nil); h.Err != protocol.ErrNotReadOnly {
		t.Fatalf("create on a read-only member: %v, want NotReadOnly", h.Err)
	}
	if h := ro.call(3, protocol.OpExists, &protocol.PathWatchRequest{Path: "/ro"}, &protocol.StatResponse{}); h.Err != protocol.ErrOK {
		t.Fatalf("exists after the refused write: %v", h.Err)
	}

	back := time.Now()
	e.start(2)
	e.start(3)
	e.waitFourLetter(alone, "isro", "rw", 30*time.Second)
	t.Logf("member %d read-write again %v after its peers restarted", alone, time.Since(back).Round(time.Millisecond))
	// The read-only connection is closed so its client reconnects.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := ro.readFrame(time.Until(deadline)); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the read-only connection stayed open after the quorum came back")
			}
			break
		}
	}
	if _, _, ok := dialConnect(t, addr, false); !ok {
		t.Error("a read-write client is refused after the quorum came back")
	}
	c2 := e.connect(alone)
	if _, err := c2.Create("/ro-after", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("write after the quorum came back: %v", err)
	}
}

// appendLine appends to a member's zoo.cfg (the last setting of a key wins).
func appendLine(dir, line string) error {
	f, err := os.OpenFile(filepath.Join(dir, "zoo.cfg"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
