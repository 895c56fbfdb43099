package test

// The harness starts the server under test. ZKRAFT_TARGET=zookeeper starts
// Apache ZooKeeper 3.8 (the oracle) as a Java process; unset or "zkraft"
// starts zkraft in-process. Both get the same settings, so every test is
// identical for both targets: all target differences live in this file and
// in target_*_test.go.

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Settings shared by both targets. A short tick keeps expiry and reaping
// tests fast; the session bounds are set explicitly so negotiation can be
// checked.
const (
	tickTime          = 250 * time.Millisecond
	minSessionTimeout = 500 * time.Millisecond
	maxSessionTimeout = 20 * time.Second
	containerInterval = 200 * time.Millisecond
	maxBuffer         = 0xfffff

	superUser     = "super"
	superPassword = "superpw"
)

// superDigest is DigestAuthenticationProvider.superDigest for superPassword:
// "super:" + base64(sha1("super:superpw")).
func superDigest() string { return digestID(superUser, superPassword) }

// digestID is the id of a digest ACL for user:password.
func digestID(user, password string) string {
	sum := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// target is a running server under test.
type target interface {
	// Addr is the client address, host:port on 127.0.0.1.
	Addr() string
	// Restart stops the server and starts it again on the same data dir and
	// port; sessions survive.
	Restart(t testing.TB)
	// Stop stops the server; it is safe to call more than once.
	Stop()
	// Kind is "zookeeper" or "zkraft".
	Kind() string
	// LogTail returns the last n lines of the server's log.
	LogTail(n int) string
}

func targetKind() string {
	switch k := os.Getenv("ZKRAFT_TARGET"); k {
	case "", "zkraft":
		return "zkraft"
	case "zookeeper":
		return "zookeeper"
	default:
		fmt.Fprintf(os.Stderr, "ZKRAFT_TARGET=%q: want zkraft or zookeeper\n", k)
		os.Exit(2)
		return ""
	}
}

// shared is the target of tests that need no restart. Each test works under
// its own path prefix (see testRoot), so they do not see each other.
var shared target

func TestMain(m *testing.M) {
	var err error
	shared, err = startTargetKind(targetKind(), nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the shared %s target: %v\n", targetKind(), err)
		os.Exit(1)
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "last lines of the shared %s server's log:\n%s\n", shared.Kind(), shared.LogTail(100))
	}
	shared.Stop()
	os.Exit(code)
}

// startTarget starts a private target for a test that restarts or stops it;
// it is stopped and its data removed when the test ends.
func startTarget(t testing.TB) target {
	t.Helper()
	tg, err := startTargetKind(targetKind(), t)
	if err != nil {
		t.Fatalf("starting a %s target: %v", targetKind(), err)
	}
	t.Cleanup(tg.Stop)
	return tg
}

func startTargetKind(kind string, t testing.TB) (target, error) {
	if kind == "zookeeper" {
		return startZooKeeper(t)
	}
	return startZkraft(t)
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// testLog collects log lines of a target or client and prints them only when
// the test fails, so passing runs stay quiet.
type testLog struct {
	mu    sync.Mutex
	lines []string
	done  bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.lines = append(l.lines, strings.TrimRight(string(p), "\n"))
		if len(l.lines) > 2000 {
			l.lines = l.lines[len(l.lines)-1000:]
		}
	}
	return len(p), nil
}

func (l *testLog) Printf(format string, args ...any) { fmt.Fprintf(l, format, args...) }

func (l *testLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// flush prints the last lines to t if it failed and stops collecting.
func (l *testLog) flush(t testing.TB, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
	if t == nil || !t.Failed() {
		return
	}
	lines := l.lines
	if len(lines) > 200 {
		lines = lines[len(lines)-200:]
	}
	t.Logf("last %d log lines of %s:\n%s", len(lines), name, strings.Join(lines, "\n"))
}

var rootSeq atomic.Int64

var unsafePathChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// testRoot creates a persistent node unique to this test and returns its
// path; the subtree is removed (as super) when the test ends.
func testRoot(t testing.TB, tg target) string {
	t.Helper()
	name := unsafePathChars.ReplaceAllString(t.Name(), "_")
	root := fmt.Sprintf("/%s-%d-%d", name, os.Getpid(), rootSeq.Add(1))
	c := connect(t, tg)
	if _, err := c.Create(root, nil, 0, worldAll); err != nil {
		t.Fatalf("create test root %s: %v", root, err)
	}
	t.Cleanup(func() { deleteTree(t, tg, root) })
	return root
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
