package cluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Members on a network of their own, so that a test can cut one off from
// the others while clients still reach it: each member runs in a network
// namespace with one address (10.77.N.id), all joined by a bridge in a
// "switch" namespace. The test process stays in its own namespace and
// reaches the members by dialling from inside the switch namespace (dial).
// A cut is a pair of blackhole routes per peer, so packets between the cut
// member and the others vanish in both directions (established connections
// stall, as on a real partition) while the bridge still carries clients.
// It needs root (CAP_NET_ADMIN) and iproute2's ip.

// netnsNet is one test's namespaces.
type netnsNet struct {
	t      *testing.T
	name   string // namespace name prefix
	subnet string // "10.77.N."
}

var netnsSeq atomic.Int32

// netnsSubnets maps a subnet prefix ("10.77.N.") to the path of the
// namespace clients dial it from.
var netnsSubnets sync.Map

// requireNetns fails (CI) or skips the test when network namespaces cannot
// be made here.
func requireNetns(t *testing.T) {
	t.Helper()
	missing := func(reason string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s", reason)
		}
		t.Skipf("skipping the partition test: %s (set CI=true to make this a failure)", reason)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		missing("no ip (iproute2) in PATH")
	}
	if os.Geteuid() != 0 {
		missing("network namespaces need root")
	}
}

// newNetnsNet makes the switch namespace and its bridge.
func newNetnsNet(t *testing.T) *netnsNet {
	t.Helper()
	n := netnsSeq.Add(1)
	if n > 250 {
		t.Fatal("out of test subnets")
	}
	nn := &netnsNet{t: t, name: fmt.Sprintf("zkt%d-%d", os.Getpid(), n), subnet: fmt.Sprintf("10.77.%d.", n)}
	t.Cleanup(nn.remove) // registered first: runs after the members are stopped
	nn.ip("netns", "add", nn.ns("sw"))
	nn.ip("-n", nn.ns("sw"), "link", "set", "lo", "up")
	nn.ip("-n", nn.ns("sw"), "link", "add", "br0", "type", "bridge")
	nn.ip("-n", nn.ns("sw"), "addr", "add", nn.subnet+"254/24", "dev", "br0")
	nn.ip("-n", nn.ns("sw"), "link", "set", "br0", "up")
	netnsSubnets.Store(nn.subnet, filepath.Join("/var/run/netns", nn.ns("sw")))
	return nn
}

func (nn *netnsNet) ns(suffix string) string { return nn.name + "-" + suffix }

// addHost makes member id's namespace, wired to the bridge, and returns
// the namespace's name and the member's address.
func (nn *netnsNet) addHost(id int) (ns, addr string) {
	ns, addr = nn.ns(fmt.Sprint(id)), nn.subnet+fmt.Sprint(id)
	veth := fmt.Sprintf("v%d", id)
	nn.ip("netns", "add", ns)
	nn.ip("-n", ns, "link", "set", "lo", "up")
	nn.ip("-n", ns, "link", "add", "e0", "type", "veth", "peer", "name", veth, "netns", nn.ns("sw"))
	nn.ip("-n", nn.ns("sw"), "link", "set", veth, "master", "br0", "up")
	nn.ip("-n", ns, "addr", "add", addr+"/24", "dev", "e0")
	nn.ip("-n", ns, "link", "set", "e0", "up")
	return ns, addr
}

// cut isolates member id from the members in others; heal undoes it.
func (nn *netnsNet) cut(id int, others []int)  { nn.routes("add", id, others) }
func (nn *netnsNet) heal(id int, others []int) { nn.routes("del", id, others) }

func (nn *netnsNet) routes(op string, id int, others []int) {
	for _, o := range others {
		nn.ip("-n", nn.ns(fmt.Sprint(id)), "route", op, "blackhole", nn.subnet+fmt.Sprint(o)+"/32")
		nn.ip("-n", nn.ns(fmt.Sprint(o)), "route", op, "blackhole", nn.subnet+fmt.Sprint(id)+"/32")
	}
}

func (nn *netnsNet) ip(args ...string) {
	nn.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		nn.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// remove deletes every namespace of the test (their links go with them).
func (nn *netnsNet) remove() {
	netnsSubnets.Delete(nn.subnet)
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if name, _, _ := strings.Cut(line, " "); strings.HasPrefix(name, nn.name+"-") {
			if b, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
				nn.t.Errorf("removing namespace %s: %v: %s", name, err, b)
			}
		}
	}
}

// dial connects to addr, from inside a test network's switch namespace
// when addr is on one (go-zookeeper's Dialer signature).
func dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	var nsPath string
	netnsSubnets.Range(func(k, v any) bool {
		if strings.HasPrefix(host, k.(string)) {
			nsPath = v.(string)
			return false
		}
		return true
	})
	if nsPath == "" {
		return net.DialTimeout(network, addr, timeout)
	}
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	// A socket belongs to the namespace its thread was in when it was
	// made. The thread enters the namespace for the dial only; if it
	// cannot go back it stays locked, and the runtime ends it with the
	// goroutine.
	go func() {
		runtime.LockOSThread()
		c, err, back := dialFrom(nsPath, network, addr, timeout)
		if back {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

func dialFrom(nsPath, network, addr string, timeout time.Duration) (c net.Conn, err error, back bool) {
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		return nil, err, true
	}
	defer self.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		return nil, err, true
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("entering %s: %w", nsPath, err), true
	}
	c, err = net.DialTimeout(network, addr, timeout)
	return c, err, unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil
}
