// Package cluster runs multi-process zkraft ensembles: the binary built once,
// one generated zoo.cfg and myid per member on loopback ports, every process
// stopped by PID when the test ends.
package cluster

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zkraft-cluster-test-")
	if err != nil {
		log.Fatal(err)
	}
	binary = filepath.Join(dir, "zkraft")
	args := []string{"build", "-o", binary}
	if os.Getenv("ZKRAFT_RACE") == "1" {
		args = append(args, "-race") // the servers report data races in their logs
	}
	build := exec.Command("go", append(args, "github.com/zkraft/zkraft/cmd/zkraft")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		log.Fatalf("building zkraft: %v", err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// member is one server of a test ensemble.
type member struct {
	id                           int
	dir                          string
	clientPort, quorumPort, elec int
	adminPort                    int      // picked with the others; used once enableAdmin ran
	args                         []string // more "zkraft server" flags (--join)
	host                         string   // its address: 127.0.0.1, or on a test network (netns_test.go)
	netns                        string   // the network namespace it runs in, if any

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (m *member) clientAddr() string { return net.JoinHostPort(m.host, strconv.Itoa(m.clientPort)) }

type ensemble struct {
	t       *testing.T
	members []*member
	net     *netnsNet // nil: every member on loopback
}

// freePorts returns n distinct loopback ports free at the time of the call.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// newEnsemble writes zoo.cfg and myid for n members on loopback; extra
// lines go into every zoo.cfg. Nothing is started.
func newEnsemble(t *testing.T, n int, extra string) *ensemble {
	t.Helper()
	return newEnsembleOn(t, nil, n, extra)
}

// newNetnsEnsemble is newEnsemble with every member in a network namespace
// of its own (netns_test.go), so that the test can cut members off.
func newNetnsEnsemble(t *testing.T, n int, extra string) *ensemble {
	t.Helper()
	requireNetns(t)
	return newEnsembleOn(t, newNetnsNet(t), n, extra)
}

func newEnsembleOn(t *testing.T, nn *netnsNet, n int, extra string) *ensemble {
	t.Helper()
	// Every port at once, the AdminServer's too: ports picked later could
	// collide with these, which are free until the members start.
	ports := freePorts(t, 4*n)
	e := &ensemble{t: t, net: nn}
	defer t.Cleanup(e.checkLogs) // after every process is stopped
	var lines strings.Builder
	for i := range n {
		m := &member{id: i + 1, dir: t.TempDir(), clientPort: ports[4*i], quorumPort: ports[4*i+1], elec: ports[4*i+2], adminPort: ports[4*i+3],
			host: "127.0.0.1"}
		if nn != nil {
			m.netns, m.host = nn.addHost(m.id)
		}
		e.members = append(e.members, m)
		fmt.Fprintf(&lines, "server.%d=%s:%d:%d;%s:%d\n", m.id, m.host, m.quorumPort, m.elec, m.host, m.clientPort)
	}
	for _, m := range e.members {
		cfg := fmt.Sprintf("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%s\n4lw.commands.whitelist=*\nadmin.enableServer=false\n%s%s",
			filepath.Join(m.dir, "data"), extra, lines.String())
		if err := os.MkdirAll(filepath.Join(m.dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(m.dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(m.dir, "data", "myid"), []byte(strconv.Itoa(m.id)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// start runs member m (1-based id) as a separate process.
func (e *ensemble) start(id int) {
	e.t.Helper()
	m := e.members[id-1]
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		e.t.Fatalf("member %d already running", id)
	}
	logf, err := os.OpenFile(filepath.Join(m.dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	args := append([]string{"server", "--config", filepath.Join(m.dir, "zoo.cfg"), "--log-level", "debug"}, m.args...)
	cmd := exec.Command(binary, args...)
	if m.netns != "" {
		// ip execs the server in place: the PID is the server's.
		cmd = exec.Command("ip", append([]string{"netns", "exec", m.netns, binary}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	m.cmd, m.done = cmd, done
	e.t.Cleanup(func() {
		// Through the os.Process (a pidfd): once the process ended and was
		// reaped, its PID may belong to another process, which a kill by
		// number would hit.
		cmd.Process.Kill()
		<-done
	})
}

// kill ends member id with SIGKILL and waits for the process to go.
func (e *ensemble) kill(id int) { e.signal(id, syscall.SIGKILL) }

// stop ends member id with SIGTERM (graceful) and waits.
func (e *ensemble) stop(id int) { e.signal(id, syscall.SIGTERM) }

func (e *ensemble) signal(id int, sig syscall.Signal) {
	e.t.Helper()
	m := e.members[id-1]
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		e.t.Fatalf("member %d is not running", id)
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		e.t.Fatalf("member %d did not end after %v", id, sig)
	}
}

func (e *ensemble) running(id int) bool {
	m := e.members[id-1]
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cmd != nil
}

// fourLetter sends a four-letter word and returns the answer ("" on error).
func fourLetter(addr, cmd string) string {
	nc, err := dial("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := nc.Write([]byte(cmd)); err != nil {
		return ""
	}
	b, _ := io.ReadAll(nc)
	return string(b)
}

// field returns the value of "key: value" (srvr) or "key\tvalue" (mntr).
func field(out, key string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			return v
		}
		if v, ok := strings.CutPrefix(line, key+"\t"); ok {
			return v
		}
	}
	return ""
}

// modes asks every running member for its srvr Mode.
func (e *ensemble) modes() map[int]string {
	out := map[int]string{}
	for _, m := range e.members {
		if e.running(m.id) {
			out[m.id] = field(fourLetter(m.clientAddr(), "srvr"), "Mode")
		}
	}
	return out
}

// currentLeader is the id of the one running member that reports Mode
// leader while every other running member follows; 0 if there is none.
func (e *ensemble) currentLeader() int {
	leader := 0
	for id, mode := range e.modes() {
		switch mode {
		case "leader":
			if leader != 0 {
				return 0
			}
			leader = id
		case "follower", "observer":
		default:
			return 0
		}
	}
	return leader
}

// waitLeader waits until exactly one running member reports Mode leader and
// every other running member follower, and returns the leader's id.
func (e *ensemble) waitLeader(timeout time.Duration) int {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if id := e.currentLeader(); id != 0 {
			return id
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("no single leader within %v; modes %v", timeout, e.modes())
	return 0
}

// connect opens a go-zookeeper session to the given members only.
func (e *ensemble) connect(ids ...int) *zk.Conn {
	e.t.Helper()
	var addrs []string
	for _, id := range ids {
		addrs = append(addrs, e.members[id-1].clientAddr())
	}
	c, ev, err := zk.Connect(addrs, 6*time.Second, zk.WithLogger(quiet{}), zk.WithDialer(dial))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-ev:
			if s.State == zk.StateHasSession {
				go func() {
					for range ev {
					}
				}()
				return c
			}
		case <-deadline:
			e.t.Fatalf("no session with %v within 20s", addrs)
		}
	}
}

// checkLogs fails the test when a server log reports a data race (with
// ZKRAFT_RACE=1) or a panic.
func (e *ensemble) checkLogs() {
	for _, m := range e.members {
		b, _ := os.ReadFile(filepath.Join(m.dir, "server.log"))
		for _, bad := range []string{"WARNING: DATA RACE", "panic:"} {
			if i := strings.Index(string(b), bad); i >= 0 {
				e.t.Errorf("member %d log has %q:\n%s", m.id, bad, b[i:min(len(b), i+4000)])
			}
		}
	}
}

// dumpLogs prints the tail of each member's log when the test failed.
func (e *ensemble) dumpLogs() {
	if !e.t.Failed() {
		return
	}
	for _, m := range e.members {
		b, _ := os.ReadFile(filepath.Join(m.dir, "server.log"))
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		e.t.Logf("--- member %d log tail ---\n%s", m.id, b)
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// setObserver marks member id as an observer in every member's zoo.cfg.
// Call it before starting anything.
func (e *ensemble) setObserver(id int) {
	e.t.Helper()
	m := e.members[id-1]
	old := fmt.Sprintf("server.%d=127.0.0.1:%d:%d;", m.id, m.quorumPort, m.elec)
	repl := fmt.Sprintf("server.%d=127.0.0.1:%d:%d:observer;", m.id, m.quorumPort, m.elec)
	for _, x := range e.members {
		p := filepath.Join(x.dir, "zoo.cfg")
		b, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		s := strings.Replace(string(b), old, repl, 1)
		if s == string(b) {
			e.t.Fatalf("no line %q in %s", old, p)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
}

// wipe empties member id's dataDir but for its myid, as a replaced disk.
func (e *ensemble) wipe(id int) {
	e.t.Helper()
	data := filepath.Join(e.members[id-1].dir, "data")
	if err := os.RemoveAll(data); err != nil {
		e.t.Fatal(err)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintln(id)), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// waitLog waits until member id's log holds text.
func (e *ensemble) waitLog(id int, text string, timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(filepath.Join(e.members[id-1].dir, "server.log"))
		if strings.Contains(string(b), text) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("member %d logged no %q within %v", id, text, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkChildren syncs member id with the leader and checks that / has n
// children there.
func (e *ensemble) checkChildren(id, n int) {
	e.t.Helper()
	o := e.connect(id)
	if _, err := o.Sync("/"); err != nil {
		e.t.Fatalf("sync on %d: %v", id, err)
	}
	kids, _, err := o.Children("/")
	if err != nil {
		e.t.Fatal(err)
	}
	if len(kids) != n {
		e.t.Fatalf("member %d has %d children of /, want %d", id, len(kids), n)
	}
}
