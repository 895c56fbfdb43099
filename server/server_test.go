package server

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// testOptions returns options for a server on a free loopback port with its
// data in a test temp dir and short timers.
func testOptions(t testing.TB) Options {
	o := DefaultOptions()
	o.ClientAddr = "127.0.0.1:0"
	o.DataDir = t.TempDir()
	o.TickTime = 100 * time.Millisecond
	o.MinSessionTimeout = 400 * time.Millisecond
	o.MaxSessionTimeout = 10 * time.Second
	o.FourLetterWords = []string{"*"}
	if os.Getenv("ZKRAFT_TEST_LOG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o
}

func startServer(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

func connect(t testing.TB, s *Server, timeout time.Duration) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect([]string{s.Addr().String()}, timeout, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(10 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-ev:
		case <-deadline:
			t.Fatalf("no session after 10s, state %v", c.State())
		}
	}
	return c, ev
}

func TestRoundTrip(t *testing.T) {
	s := startServer(t, testOptions(t))
	c, _ := connect(t, s, 5*time.Second)
	p, err := c.Create("/a", []byte("hello"), 0, zk.WorldACL(zk.PermAll))
	if err != nil || p != "/a" {
		t.Fatalf("create: %q %v", p, err)
	}
	data, st, err := c.Get("/a")
	if err != nil || string(data) != "hello" || st.Version != 0 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	if _, err := c.Set("/a", []byte("bye"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("/a", []byte("x"), 0); err != zk.ErrBadVersion {
		t.Fatalf("set with stale version: %v", err)
	}
	kids, _, err := c.Children("/")
	if err != nil || len(kids) != 2 {
		t.Fatalf("children: %v %v", kids, err)
	}
	if err := c.Delete("/a", -1); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Exists("/a"); ok || err != nil {
		t.Fatalf("exists after delete: %v %v", ok, err)
	}
}
