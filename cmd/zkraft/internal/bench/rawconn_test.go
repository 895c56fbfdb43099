package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// dialTestRaw starts a zkraft server and opens a rawConn session on it.
func dialTestRaw(t *testing.T) *rawConn {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Servers = []string{startServer(t)}
	c, err := dialRaw(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRawConnOpsAndReconnect runs every op of the lean client against
// zkraft, breaks its connection and checks that the next op reconnects
// into the same session and finds the znode it created.
func TestRawConnOpsAndReconnect(t *testing.T) {
	c := dialTestRaw(t)
	defer c.close()
	if err := c.create("/raw", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := c.create("/raw", nil); !errors.Is(err, protocol.ErrNodeExists) {
		t.Fatalf("second create: %v, want node exists", err)
	}
	for name, op := range map[string]func() error{
		"get":      func() error { return c.get("/raw") },
		"set":      func() error { return c.set("/raw", []byte("b")) },
		"children": func() error { return c.children("/") },
	} {
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := c.get("/missing"); !errors.Is(err, protocol.ErrNoNode) {
		t.Fatalf("get of a missing znode: %v, want no node", err)
	}

	session := c.session
	c.nc.Close() // the connection breaks under the client
	if err := c.get("/raw"); !errors.Is(err, protocol.ErrConnectionLoss) {
		t.Fatalf("op on the broken connection: %v, want connection loss", err)
	}
	if err := c.delete("/raw"); err != nil {
		t.Fatalf("op after the break: %v", err)
	}
	if c.session != session {
		t.Fatalf("reconnected into session %#x, want the same %#x", c.session, session)
	}
	if err := c.get("/raw"); !errors.Is(err, protocol.ErrNoNode) {
		t.Fatalf("get after delete: %v, want no node", err)
	}
}

// TestRawConnExpiredSession: a session the server no longer knows is
// reported as expired, not retried for ever.
func TestRawConnExpiredSession(t *testing.T) {
	c := dialTestRaw(t)
	c.close() // the server ends the session
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.connect(ctx)
	if err == nil || !errors.Is(err, errExpired) {
		t.Fatalf("resuming a closed session: %v, want session expired", err)
	}
}
