package cluster

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// gate forwards TCP connections to target while open; while shut it
// drops its connections and refuses new ones, so a client behind it sees
// that server go away and come back.
type gate struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	open   bool
	conns  []net.Conn
}

func newGate(t *testing.T, target string, open bool) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, target: target, open: open}
	t.Cleanup(func() { ln.Close(); g.set(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			g.mu.Lock()
			if !g.open {
				g.mu.Unlock()
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", g.target)
			if err != nil {
				g.mu.Unlock()
				c.Close()
				continue
			}
			g.conns = append(g.conns, c, s)
			g.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return g
}

func (g *gate) addr() string { return g.ln.Addr().String() }

// set opens or shuts the gate; shutting drops every forwarded connection.
func (g *gate) set(open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = open
	if !open {
		for _, c := range g.conns {
			c.Close()
		}
		g.conns = nil
	}
}

// connectVia opens a go-zookeeper session through addrs and returns it
// with its event channel drained into states.
func connectVia(t *testing.T, timeout time.Duration, addrs ...string) (*zk.Conn, chan zk.State) {
	t.Helper()
	c, ev, err := zk.Connect(addrs, timeout, zk.WithLogger(quiet{}), zk.WithDialer(dial))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	states := make(chan zk.State, 64)
	go func() {
		for e := range ev {
			if e.Type == zk.EventSession {
				select {
				case states <- e.State:
				default:
				}
			}
		}
	}()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-states:
			if s == zk.StateHasSession {
				return c, states
			}
		case <-deadline:
			t.Fatalf("no session through %v within 20s", addrs)
		}
	}
}

// TestSessionMovesToAnotherMember: a client with an ephemeral and watches
// loses its server and reconnects to another member. It keeps its session
// and ephemeral, and the changes made while it was away fire its watches
// (go-zookeeper re-registers them with setWatches).
func TestSessionMovesToAnotherMember(t *testing.T) {
	e, leader := started(t)
	fs := followers(leader)
	first := newGate(t, e.members[fs[0]-1].clientAddr(), true)
	second := newGate(t, e.members[fs[1]-1].clientAddr(), false)
	c, states := connectVia(t, 8*time.Second, first.addr(), second.addr())
	other := e.connect(leader)
	if _, err := c.Create("/moving", []byte("v0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/mine", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	_, _, dataW, err := c.GetW("/moving")
	if err != nil {
		t.Fatal(err)
	}
	_, _, childW, err := c.ChildrenW("/moving")
	if err != nil {
		t.Fatal(err)
	}
	sid := c.SessionID()

	first.set(false) // the client's server goes away
	waitState(t, states, zk.StateDisconnected)
	if _, err := other.Set("/moving", []byte("v1"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Create("/moving/kid", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	moved := time.Now()
	second.set(true)
	waitState(t, states, zk.StateHasSession)
	t.Logf("session 0x%x resumed on member %d %v after the other member opened", sid, fs[1], time.Since(moved).Round(time.Millisecond))
	if got := c.SessionID(); got != sid {
		t.Fatalf("session 0x%x replaced by 0x%x", sid, got)
	}
	for name, ch := range map[string]<-chan zk.Event{"data": dataW, "child": childW} {
		select {
		case ev := <-ch:
			if ev.Path != "/moving" {
				t.Errorf("%s watch fired for %q", name, ev.Path)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the %s watch did not fire after the move", name)
		}
	}
	ok, st, err := other.Exists("/mine")
	if err != nil || !ok || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral after the move: exists %v owner 0x%x err %v", ok, st.EphemeralOwner, err)
	}
	// The moved session still writes, through its new member.
	if _, err := c.Set("/moving", []byte("v2"), -1); err != nil {
		t.Fatalf("write after the move: %v", err)
	}
}

func waitState(t *testing.T, states <-chan zk.State, want zk.State) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-states:
			if s == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %v within 20s", want)
		}
	}
}

// TestSessionExpiryAcrossFailover: a client goes silent and the leader is
// killed right after. The new leader gives every session a fresh full
// timeout, then still expires the silent one (its ephemeral goes); a live
// client on a surviving member keeps its session and ephemeral.
func TestSessionExpiryAcrossFailover(t *testing.T) {
	e, leader := started(t)
	fs := followers(leader)
	g := newGate(t, e.members[fs[0]-1].clientAddr(), true)
	gone, _ := connectVia(t, 4*time.Second, g.addr())
	live := e.connect(fs[1])
	if _, err := gone.Create("/gone", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := live.Create("/live", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	liveID := live.SessionID()
	watcher := e.connect(fs[1])
	ok, _, ev, err := watcher.ExistsW("/gone")
	if err != nil || !ok {
		t.Fatalf("/gone: %v %v", ok, err)
	}

	g.set(false)
	cut := time.Now()
	e.kill(leader)
	select {
	case got := <-ev:
		if got.Type != zk.EventNodeDeleted {
			t.Fatalf("event %+v", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the silent session did not expire within 30s across the failover")
	}
	took := time.Since(cut)
	t.Logf("silent session (4s timeout) expired %v after it went silent, the leader killed meanwhile", took.Round(time.Millisecond))
	if took < 4*time.Second {
		t.Errorf("expired after %v, before its 4s timeout", took)
	}
	// The live client's session outlives the failover and the expiry.
	time.Sleep(time.Second)
	if live.SessionID() != liveID {
		t.Fatalf("live session 0x%x replaced by 0x%x", liveID, live.SessionID())
	}
	if _, err := live.Sync("/"); err != nil {
		t.Fatal(err)
	}
	ok, st, err := live.Exists("/live")
	if err != nil || !ok || st.EphemeralOwner != liveID {
		t.Fatalf("/live after the failover: exists %v owner 0x%x err %v", ok, st.EphemeralOwner, err)
	}
}
