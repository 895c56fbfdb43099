package zkclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/testserver"
	"github.com/zkraft/zkraft/protocol"
	"github.com/zkraft/zkraft/server"
)

func TestParseConnectString(t *testing.T) {
	cases := []struct {
		in      string
		servers string
		chroot  string
		err     string
	}{
		{"127.0.0.1:2181", "127.0.0.1:2181", "", ""},
		{"a:1, b ,c:3/app/x", "a:1,b:2181,c:3", "/app/x", ""},
		{"[::1]:2182,[::1]/", "[::1]:2182,[::1]:2181", "", ""},
		{"a:1/app/", "", "", "must not end with /"},
		{" , ", "", "", "names no server"},
	}
	for _, c := range cases {
		servers, chroot, err := ParseConnectString(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(servers, ",") != c.servers || chroot != c.chroot {
			t.Errorf("%q = %q %q %v, want %q %q", c.in, servers, chroot, err, c.servers, c.chroot)
		}
	}
}

// startServer runs zkraft with sessions from 200 ms, so that an idle test
// session expires fast without pings.
func startServer(t *testing.T) *server.Server {
	return testserver.Start(t, func(o *server.Options) {
		o.TickTime = 100 * time.Millisecond
		o.MinSessionTimeout = 200 * time.Millisecond
	})
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// An idle session outlives several session timeouts (pings), the first
// dead server of the list is skipped, and the end of the server ends the
// client: its calls fail and Events closes.
func TestSessionLifecycle(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, Config{Servers: []string{deadAddr(t), srv.Addr().String()}, SessionTimeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Server() != srv.Addr().String() {
		t.Errorf("session on %s, want the live server %s", c.Server(), srv.Addr())
	}
	if _, _, err := c.Create(ctx, "/eph", nil, OpenACL, protocol.ModeEphemeral, 0); err != nil {
		t.Fatal(err)
	}
	// Idle for five session timeouts: only the pings keep it.
	time.Sleep(2 * time.Second)
	st, err := c.Exists(ctx, "/eph", false)
	if err != nil || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("after idling: owner %#x, %v; want the session %#x alive", st.EphemeralOwner, err, c.SessionID())
	}

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-c.Events():
		if ok {
			t.Fatal("an event instead of the end of the connection")
		}
	case <-ctx.Done():
		t.Fatal("Events not closed after the server stopped")
	}
	if _, err := c.Exists(ctx, "/eph", false); !errors.Is(err, protocol.ErrConnectionLoss) {
		t.Errorf("call after the server stopped: %v, want connection loss", err)
	}
}

func TestChrootAndWatchEvents(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	root, err := Dial(ctx, Config{Servers: []string{srv.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, _, err := root.Create(ctx, "/app", nil, OpenACL, protocol.ModePersistent, 0); err != nil {
		t.Fatal(err)
	}
	c, err := Dial(ctx, Config{Servers: []string{srv.Addr().String()}, Chroot: "/app"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AddWatch(ctx, "/", protocol.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	p, _, err := c.Create(ctx, "/job-", []byte("x"), OpenACL, protocol.ModePersistentSequential, 0)
	if err != nil || p != "/job-0000000000" {
		t.Fatalf("sequential create under the chroot: %q, %v", p, err)
	}
	select {
	case ev := <-c.Events():
		if ev.Type != protocol.EventNodeCreated || ev.Path != "/job-0000000000" {
			t.Errorf("event %+v, want NodeCreated of /job-0000000000 (chroot stripped)", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event")
	}
	if n, err := root.AllChildrenNumber(ctx, "/app"); err != nil || n != 1 {
		t.Errorf("the chrooted create is not under /app: %d, %v", n, err)
	}
}

func TestAuthFailureEndsDial(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := Dial(ctx, Config{Servers: []string{srv.Addr().String()}, Auth: []Auth{{Scheme: "nosuchscheme", Cred: []byte("x")}}})
	if !errors.Is(err, protocol.ErrAuthFailed) {
		t.Errorf("dial with an unknown auth scheme: %v, want auth failed", err)
	}
	c, err := Dial(ctx, Config{Servers: []string{srv.Addr().String()}, Auth: []Auth{{Scheme: "digest", Cred: []byte("u:p")}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids, err := c.WhoAmI(ctx)
	if err != nil || len(ids) != 2 || ids[0].AuthScheme != "digest" || ids[0].User != "u" {
		t.Errorf("whoami after digest auth: %+v, %v", ids, err)
	}
}

// TestReconnectResumesSession: after the server restarts, Reconnect resumes
// the same session with its credentials, and the watches set before the
// break fire for changes made while it was away and after; once the session
// is closed, Reconnect reports it expired.
func TestReconnectResumesSession(t *testing.T) {
	srv, restart := testserver.StartRestartable(t)
	addr := srv.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, Config{Servers: []string{addr}, SessionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/data", "/tree"} {
		if _, _, err := c.Create(ctx, p, nil, OpenACL, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AddAuth(ctx, "digest", []byte("alice:pw")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "/data", true); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, "/tree", protocol.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Children(ctx, "/tree", true); err != nil {
		t.Fatal(err)
	}

	restart()
	for range c.Events() {
	}
	if c.Err() == nil {
		t.Fatal("no error after the server closed")
	}
	other, err := Dial(ctx, Config{Servers: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Set(ctx, "/data", []byte("while away"), -1); err != nil {
		t.Fatal(err)
	}

	n, err := c.Reconnect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.SessionID() != c.SessionID() {
		t.Fatalf("session 0x%x after reconnect, want 0x%x", n.SessionID(), c.SessionID())
	}
	who, err := n.WhoAmI(ctx)
	if err != nil || !strings.Contains(fmt.Sprint(who), "alice") {
		t.Fatalf("whoami after reconnect: %v %v", who, err)
	}
	if _, _, err := other.Create(ctx, "/tree/x", nil, OpenACL, 0, 0); err != nil {
		t.Fatal(err)
	}
	type event struct {
		t protocol.EventType
		p string
	}
	want := map[event]bool{{protocol.EventNodeDataChanged, "/data"}: true, {protocol.EventNodeCreated, "/tree/x"}: true,
		{protocol.EventNodeChildrenChanged, "/tree"}: true}
	for len(want) > 0 {
		select {
		case ev, ok := <-n.Events():
			if !ok {
				t.Fatalf("events ended: %v (still waiting for %v)", n.Err(), want)
			}
			delete(want, event{ev.Type, ev.Path})
		case <-ctx.Done():
			t.Fatalf("no events %v after reconnect", want)
		}
	}

	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Reconnect(ctx); !errors.Is(err, protocol.ErrSessionExpired) {
		t.Fatalf("reconnect to a closed session: %v, want session expired", err)
	}
}

// TestSetWatchesListsNotNull: the setWatches2 that Reconnect sends carries
// empty lists as empty vectors; ZooKeeper 3.8 fails a null one with a
// NullPointerException and never answers (found against the real server).
func TestSetWatchesListsNotNull(t *testing.T) {
	var w watchSet
	w.add(&w.tree, "/a")
	r := w.request(7)
	if r == nil || r.DataWatches == nil || r.ExistWatches == nil || r.ChildWatches == nil || r.PersistentWatches == nil ||
		len(r.PersistentRecursiveWatches) != 1 || r.RelativeZxid != 7 {
		t.Fatalf("setWatches2 = %+v", r)
	}
	w.fired(protocol.EventNodeCreated, "/a") // persistent watches stay
	if r := w.request(7); r == nil || len(r.PersistentRecursiveWatches) != 1 {
		t.Fatalf("after an event: %+v", r)
	}
	if (&watchSet{}).request(1) != nil {
		t.Fatal("a request for no watches")
	}
}
