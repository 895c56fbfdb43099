package server

import (
	"reflect"
	"testing"
	"time"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

func whoAmI(t *testing.T, r *rawClient, xid int32) []protocol.ClientInfo {
	t.Helper()
	var resp protocol.WhoAmIResponse
	r.send(xid, protocol.OpWhoAmI, nil)
	if h := r.recv(&resp); h.Err != protocol.ErrOK {
		t.Fatal(h.Err)
	}
	return resp.ClientInfo
}

func TestAuthDigestAndWhoAmI(t *testing.T) {
	o := testOptions(t)
	o.SuperDigest = fsm.DigestID("super:pw")
	s := startServer(t, o)
	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	if got, want := whoAmI(t, r, 1), []protocol.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("whoAmI before auth: %+v", got)
	}
	r.send(protocol.XidAuth, protocol.OpAuth, &protocol.AuthPacket{Scheme: "digest", Auth: []byte("bob:secret")})
	if h := r.recv(nil); h.Xid != protocol.XidAuth || h.Err != protocol.ErrOK {
		t.Fatalf("auth reply %+v", h)
	}
	want := []protocol.ClientInfo{{AuthScheme: "digest", User: "bob"}, {AuthScheme: "ip", User: "127.0.0.1"}}
	if got := whoAmI(t, r, 2); !reflect.DeepEqual(got, want) {
		t.Fatalf("whoAmI after digest: %+v", got)
	}
	// A node only bob may read.
	acl := []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "digest", ID: fsm.DigestID("bob:secret")}}}
	r.send(3, protocol.OpCreate, &protocol.CreateRequest{Path: "/bob", ACL: acl})
	if h := r.recv(nil); h.Err != protocol.ErrOK {
		t.Fatal(h.Err)
	}
	other := dialRaw(t, s.Addr().String())
	other.connect(5000, 0, nil)
	other.send(1, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/bob"})
	if h := other.recv(nil); h.Err != protocol.ErrNoAuth {
		t.Fatalf("unauthenticated read: %v", h.Err)
	}
	// super reads anything.
	other.send(protocol.XidAuth, protocol.OpAuth, &protocol.AuthPacket{Scheme: "digest", Auth: []byte("super:pw")})
	other.recv(nil)
	other.send(2, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/bob"})
	if h := other.recv(&protocol.GetDataResponse{}); h.Err != protocol.ErrOK {
		t.Fatalf("super read: %v", h.Err)
	}
}

// An unknown scheme: AuthFailed, then the server closes the connection.
func TestAuthUnknownScheme(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	r.send(protocol.XidAuth, protocol.OpAuth, &protocol.AuthPacket{Scheme: "foo", Auth: []byte("x")})
	if h := r.recv(nil); h.Err != protocol.ErrAuthFailed {
		t.Fatalf("auth reply %+v", h)
	}
	if !r.waitClosed(5 * time.Second) {
		t.Fatal("connection stayed open after AuthFailed")
	}
}
