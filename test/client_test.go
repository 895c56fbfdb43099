package test

// go-zookeeper/zk client helpers and the four-letter-word client.

import (
	"errors"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

var worldAll = zk.WorldACL(zk.PermAll)

// client is a go-zookeeper connection whose session events are recorded, so
// a test can wait for a state without racing the library's small channel.
type client struct {
	*zk.Conn
	mu     sync.Mutex
	states []zk.State
	cond   chan struct{}
}

// connect opens a session with a 10s timeout and waits until it is
// established; the connection is closed when the test ends.
func connect(t testing.TB, tg target) *client {
	t.Helper()
	return connectTimeout(t, tg, 10*time.Second)
}

func connectTimeout(t testing.TB, tg target, timeout time.Duration) *client {
	t.Helper()
	log := &testLog{}
	c := &client{cond: make(chan struct{}, 1)}
	conn, events, err := zk.Connect([]string{tg.Addr()}, timeout, zk.WithLogger(log))
	if err != nil {
		t.Fatalf("zk.Connect(%s): %v", tg.Addr(), err)
	}
	c.Conn = conn
	go func() {
		for ev := range events {
			if ev.Type != zk.EventSession {
				continue
			}
			c.mu.Lock()
			c.states = append(c.states, ev.State)
			c.mu.Unlock()
			select {
			case c.cond <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		// go-zookeeper's Close may wait a second for a close request that it
		// never sent; nothing in a test depends on it finishing.
		go conn.Close()
		log.flush(t, "go-zookeeper client")
	})
	c.waitState(t, zk.StateHasSession, 15*time.Second)
	return c
}

// waitState waits until the session reaches state after the states already
// consumed by earlier waits.
func (c *client) waitState(t testing.TB, state zk.State, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		c.mu.Lock()
		for i, s := range c.states {
			if s == state {
				c.states = c.states[i+1:]
				c.mu.Unlock()
				return
			}
		}
		seen := append([]zk.State(nil), c.states...)
		c.mu.Unlock()
		select {
		case <-c.cond:
		case <-deadline:
			t.Fatalf("waited %v for session state %v; states seen: %v", within, state, seen)
		}
	}
}

// superClient is a connection authenticated as the super user.
func superClient(t testing.TB, tg target) *client {
	t.Helper()
	c := connect(t, tg)
	if err := c.AddAuth("digest", []byte(superUser+":"+superPassword)); err != nil {
		t.Fatalf("super auth: %v", err)
	}
	return c
}

// deleteTree removes path and everything below it as the super user. It is
// cleanup: failures are logged, not fatal.
func deleteTree(t testing.TB, tg target, path string) {
	conn, events, err := zk.Connect([]string{tg.Addr()}, 10*time.Second, zk.WithLogger(&testLog{}))
	if err != nil {
		return
	}
	defer func() { go conn.Close() }()
	go func() {
		for range events {
		}
	}()
	if err := conn.AddAuth("digest", []byte(superUser+":"+superPassword)); err != nil {
		t.Logf("cleanup of %s: super auth: %v", path, err)
		return
	}
	var del func(p string) error
	del = func(p string) error {
		kids, _, err := conn.Children(p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := del(p + "/" + k); err != nil {
				return err
			}
		}
		if err := conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return err
		}
		return nil
	}
	if err := del(path); err != nil {
		t.Logf("cleanup of %s: %v", path, err)
	}
}

// fourLetterWord sends a four-letter word and returns the whole answer.
func fourLetterWord(addr, word string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(word)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// mustCreate creates a node and fails the test on error.
func mustCreate(t testing.TB, c *client, path string, data []byte, flags int32) string {
	t.Helper()
	p, err := c.Create(path, data, flags, worldAll)
	if err != nil {
		t.Fatalf("create %s (flags %d): %v", path, flags, err)
	}
	return p
}

// wantErr fails the test unless err is want.
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// checkCode reports a raw reply that did not carry want and lets the test go on.
func checkCode(t testing.TB, what string, got, want errCode) bool {
	t.Helper()
	if got != want {
		t.Errorf("%s: got error code %d, want %d", what, int32(got), int32(want))
		return false
	}
	return true
}

// wantCode fails the test unless a raw reply carried want.
func wantCode(t testing.TB, what string, got, want errCode) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got error code %d, want %d", what, int32(got), int32(want))
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// raw opens a raw-protocol session on the target with a 10s timeout.
func raw(t testing.TB, tg target) *rawConn {
	t.Helper()
	return rawConnect(t, tg.Addr(), 10000, 0, nil, 0)
}
