package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// superDigest is DigestAuthenticationProvider.superDigest for super:test.
const (
	superDigest = "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"
	reconfigOn  = "reconfigEnabled=true\n" + superDigest
)

// line is member m's server.N line as zkraft writes it in /zookeeper/config.
func (m *member) line(role string) string {
	return fmt.Sprintf("server.%d=127.0.0.1:%d:%d:%s;127.0.0.1:%d", m.id, m.quorumPort, m.elec, role, m.clientPort)
}

// addMember prepares one more member whose zoo.cfg lists every member so
// far and itself (as ZooKeeper's docs add a server), or with join only
// itself (its --join flag names member 1); nothing is started.
func (e *ensemble) addMember(extra, role string, join bool) *member {
	e.t.Helper()
	ports := freePorts(e.t, 3)
	m := &member{id: len(e.members) + 1, dir: e.t.TempDir(), clientPort: ports[0], quorumPort: ports[1], elec: ports[2], host: "127.0.0.1"}
	e.members = append(e.members, m)
	var lines strings.Builder
	for _, x := range e.members {
		switch {
		case x == m && join && role == "observer":
			// A lone observer line is not a valid zoo.cfg (as in
			// ZooKeeper): peerType says it instead.
			fmt.Fprintln(&lines, m.line("participant"))
			extra += "peerType=observer\n"
		case x == m:
			fmt.Fprintln(&lines, m.line(role))
		case !join:
			fmt.Fprintf(&lines, "server.%d=127.0.0.1:%d:%d;127.0.0.1:%d\n", x.id, x.quorumPort, x.elec, x.clientPort)
		}
	}
	if join {
		m.args = []string{"--join", fmt.Sprintf("127.0.0.1:%d", e.members[0].elec)}
	}
	data := filepath.Join(m.dir, "data")
	cfg := fmt.Sprintf("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%s\n4lw.commands.whitelist=*\nadmin.enableServer=false\n%s%s",
		data, extra, lines.String())
	if err := os.MkdirAll(data, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "myid"), []byte(strconv.Itoa(m.id)+"\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// useDynamicFile moves the server lines of every member's zoo.cfg into a
// dynamic config file (zoo.cfg.dynamic) named by dynamicConfigFile.
func (e *ensemble) useDynamicFile() {
	e.t.Helper()
	for _, m := range e.members {
		p := filepath.Join(m.dir, "zoo.cfg")
		b, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		var static, dynamic []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if strings.HasPrefix(l, "server.") {
				dynamic = append(dynamic, l)
			} else {
				static = append(static, l)
			}
		}
		static = append(static, "dynamicConfigFile="+p+".dynamic")
		if err := os.WriteFile(p+".dynamic", []byte(strings.Join(dynamic, "\n")+"\n"), 0o644); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Join(static, "\n")+"\n"), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
}

// superConn is a session on member id authenticated as the super user.
func (e *ensemble) superConn(id int) *zk.Conn {
	e.t.Helper()
	c := e.connect(id)
	if err := c.AddAuth("digest", []byte("super:test")); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// configOf reads /zookeeper/config through c (after a sync) and returns
// its server lines, its version and its Stat.
// A membership change may drop connections (a leader that leaves steps
// down), so a dropped connection is retried while the client reconnects.
func configOf(t *testing.T, c *zk.Conn) ([]string, int64, *zk.Stat) {
	t.Helper()
	var data []byte
	var st *zk.Stat
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.Sync("/zookeeper/config")
		if err == nil {
			data, st, err = c.Get("/zookeeper/config")
		}
		if err == nil {
			break
		}
		if !errors.Is(err, zk.ErrConnectionClosed) || time.Now().After(deadline) {
			t.Fatalf("reading /zookeeper/config: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	lines := strings.Split(string(data), "\n")
	last := lines[len(lines)-1]
	v, err := strconv.ParseInt(strings.TrimPrefix(last, "version="), 16, 64)
	if !strings.HasPrefix(last, "version=") || err != nil {
		t.Fatalf("/zookeeper/config does not end in version=<hex>: %q", data)
	}
	return lines[:len(lines)-1], v, st
}

// waitMode waits until member id reports mode in srvr ("" = not serving).
func (e *ensemble) waitMode(id int, mode string, timeout time.Duration) {
	e.t.Helper()
	e.waitModeIn(id, timeout, mode)
}

// waitModeIn waits until member id reports one of modes in srvr.
func (e *ensemble) waitModeIn(id int, timeout time.Duration, modes ...string) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	got := ""
	for time.Now().Before(deadline) {
		out := fourLetter(e.members[id-1].clientAddr(), "srvr")
		got = field(out, "Mode")
		for _, mode := range modes {
			if got == mode || (mode == "" && strings.Contains(out, "not currently serving")) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("member %d: mode %q after %v, want one of %q", id, got, timeout, modes)
}

// writeThrough creates path through member id and reads it back through
// every member in check (after a sync).
func (e *ensemble) writeThrough(id int, path string, check ...int) {
	e.t.Helper()
	// A leader change (after a removal's election, leadership still moves
	// to the highest sid) cuts the connections of writes in flight; the
	// client retries, as ZooKeeper's clients do after a connection loss.
	c := e.connect(id)
	deadline := time.Now().Add(15 * time.Second)
	for retried := false; ; retried = true {
		_, err := c.Create(path, []byte(path), 0, zk.WorldACL(zk.PermAll))
		if err == nil || retried && errors.Is(err, zk.ErrNodeExists) {
			break
		}
		if !errors.Is(err, zk.ErrConnectionClosed) || time.Now().After(deadline) {
			e.t.Fatalf("create %s through %d: %v", path, id, err)
		}
		e.t.Logf("create %s through %d: %v; retrying", path, id, err)
	}
	for _, r := range check {
		c := e.connect(r)
		if _, err := c.Sync(path); err != nil {
			e.t.Fatal(err)
		}
		if data, _, err := c.Get(path); err != nil || string(data) != path {
			e.t.Fatalf("read %s through %d: %q, %v", path, r, data, err)
		}
	}
}

// TestReconfigAddRemove: /zookeeper/config holds ZooKeeper's format from
// formation on (and the dynamic config files follow it); reconfig refuses
// without auth (NoAuth), with a stale fromConfig (BadVersion) and without a
// reachable quorum (NewConfigNoQuorum); a fourth server started with the
// full config is added and becomes a voting follower that serves; the
// leader is removed (writes go on, it stops serving); it comes back as an
// observer.
func TestReconfigAddRemove(t *testing.T) {
	e := newEnsemble(t, 3, reconfigOn)
	t.Cleanup(e.dumpLogs)
	e.useDynamicFile()
	for id := 1; id <= 3; id++ {
		e.start(id)
	}
	leader := e.waitLeader(20 * time.Second)

	admin := e.superConn(followers(leader)[0])
	lines, version, st := configOf(t, admin)
	want := []string{e.members[0].line("participant"), e.members[1].line("participant"), e.members[2].line("participant")}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("formed config %q, want %q", lines, want)
	}
	if st.Version != -1 || st.Mzxid != version || st.Czxid != 0 {
		t.Fatalf("config stat %+v (version %x)", st, version)
	}
	// Every member shows the same node, and its dynamic file.
	for id := 1; id <= 3; id++ {
		if l, v, _ := configOf(t, e.connect(id)); v != version || len(l) != 3 {
			t.Fatalf("member %d: config version %x lines %q", id, v, l)
		}
		waitDynamicFile(t, e.members[id-1], version, want)
	}

	if _, err := e.connect(leader).IncrementalReconfig(nil, []string{"3"}, -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("reconfig without auth: %v, want NoAuth", err)
	}
	if _, err := admin.IncrementalReconfig(nil, []string{"3"}, version+1); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("reconfig with a stale fromConfig: %v, want BadVersion", err)
	}
	if _, err := admin.IncrementalReconfig([]string{"server.9=nowhere"}, nil, version); !errors.Is(err, zk.ErrBadArguments) {
		t.Fatalf("reconfig with a malformed server line: %v, want BadArguments", err)
	}
	// Three new participants that are not running: 3 of 6 voters are
	// reachable, no majority.
	var ghosts []string
	for i, p := range freePorts(t, 3) {
		ghosts = append(ghosts, fmt.Sprintf("server.%d=127.0.0.1:%d:%d:participant;127.0.0.1:%d", 10+i, p, p, p))
	}
	if _, err := admin.IncrementalReconfig(ghosts, nil, -1); err == nil || !strings.Contains(err.Error(), "-13") {
		t.Fatalf("reconfig without a reachable quorum: %v, want NewConfigNoQuorum (-13)", err)
	}
	if _, v, _ := configOf(t, admin); v != version {
		t.Fatalf("a refused reconfig changed the config version to %x", v)
	}

	// A fourth server, started with the full config, is added (the leader
	// may admit it by itself first, having seen it join through gossip).
	m4 := e.addMember(reconfigOn, "participant", false)
	e.start(4)
	start := time.Now()
	reconfigRetry(t, admin, []string{m4.line("participant")}, nil)
	t.Logf("server 4 added in %v", time.Since(start).Round(time.Millisecond))
	// A joiner does not take over, even inside the window after the
	// election in which leadership still moves to the highest sid.
	e.waitMode(4, "follower", 10*time.Second)
	lines, version, _ = configOf(t, admin)
	if len(lines) != 4 || lines[3] != m4.line("participant") {
		t.Fatalf("config after adding 4: %q", lines)
	}
	e.writeThrough(4, "/added", 1, 2, 3, 4)
	leader = e.waitLeader(10 * time.Second) // it may have handed over to 4
	if out := fourLetter(e.members[leader-1].clientAddr(), "mntr"); field(out, "zk_synced_followers") != "3" {
		t.Fatalf("leader mntr after adding 4:\n%s", out)
	}

	// The leader is removed: another member leads, writes go on, the old
	// leader stops serving.
	if _, err := admin.IncrementalReconfig(nil, []string{strconv.Itoa(leader)}, version); err != nil {
		t.Fatalf("removing the leader %d: %v", leader, err)
	}
	e.waitMode(leader, "", 10*time.Second)
	rest := []int{}
	for id := 1; id <= 4; id++ {
		if id != leader {
			rest = append(rest, id)
		}
	}
	e.writeThrough(rest[0], "/after-removal", rest...)
	lines, version, _ = configOf(t, admin)
	if len(lines) != 3 || strings.Contains(strings.Join(lines, "\n"), fmt.Sprintf("server.%d=", leader)) {
		t.Fatalf("config after removing %d: %q", leader, lines)
	}
	waitDynamicFile(t, e.members[rest[0]-1], version, lines) // rest[0] is one of 1-3

	// It comes back as an observer.
	if _, err := admin.IncrementalReconfig([]string{e.members[leader-1].line("observer")}, nil, -1); err != nil {
		t.Fatalf("adding %d back as an observer: %v", leader, err)
	}
	e.waitMode(leader, "observer", 10*time.Second)
	e.writeThrough(leader, "/through-observer", rest[0])
}

// reconfigRetry runs an incremental reconfig, again while another one
// (the leader admitting a joiner) is in progress.
func reconfigRetry(t *testing.T, c *zk.Conn, joining, leaving []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.IncrementalReconfig(joining, leaving, -1)
		if err == nil {
			return
		}
		if !strings.HasSuffix(err.Error(), "-14") || time.Now().After(deadline) {
			t.Fatalf("reconfig +%v -%v: %v", joining, leaving, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestJoin: servers started with --join and a zoo.cfg of their own line
// only are admitted by the leader through gossip, without a reconfig: a
// participant becomes a voting follower, an observer an observer; both are
// in /zookeeper/config and serve.
func TestJoin(t *testing.T) {
	e, leader := startedWith(t, reconfigOn)
	m4 := e.addMember(reconfigOn, "participant", true)
	m5 := e.addMember(reconfigOn, "observer", true)
	start := time.Now()
	e.start(4)
	e.start(5)
	c := e.connect(leader)
	var lines []string
	for deadline := time.Now().Add(20 * time.Second); len(lines) != 5; time.Sleep(50 * time.Millisecond) {
		if lines, _, _ = configOf(t, c); time.Now().After(deadline) {
			t.Fatalf("config 20s after the joins: %q", lines)
		}
	}
	t.Logf("joined in %v", time.Since(start).Round(time.Millisecond))
	if lines[3] != m4.line("participant") || lines[4] != m5.line("observer") {
		t.Fatalf("config after the joins: %q", lines)
	}
	// A joiner does not take over, even inside the window after the
	// election in which leadership still moves to the highest sid.
	e.waitMode(4, "follower", 10*time.Second)
	e.waitMode(5, "observer", 10*time.Second)
	e.writeThrough(4, "/joined", 1, 5)
	e.writeThrough(5, "/joined-observer", 4)
	if out := fourLetter(e.members[e.waitLeader(10*time.Second)-1].clientAddr(), "mntr"); field(out, "zk_synced_followers") != "3" || field(out, "zk_synced_observers") != "1" {
		t.Fatalf("leader mntr after the joins:\n%s", out)
	}
}

// waitDynamicFile waits until member m's zoo.cfg names
// zoo.cfg.dynamic.<version> and that file holds lines.
func waitDynamicFile(t *testing.T, m *member, version int64, lines []string) {
	t.Helper()
	cfg := filepath.Join(m.dir, "zoo.cfg")
	want := fmt.Sprintf("%s.dynamic.%x", cfg, version)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(cfg)
		d, _ := os.ReadFile(want)
		if strings.Contains(string(b), "dynamicConfigFile="+want+"\n") && strings.TrimSpace(string(d)) == strings.Join(lines, "\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %d: zoo.cfg\n%s\n%s:\n%s", m.id, b, want, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReconfigNonIncrementalAndCLI: "zkraft members" lists, adds and
// removes through the built binary, and a non-incremental reconfig
// (newMembers) replaces the whole configuration.
func TestReconfigNonIncrementalAndCLI(t *testing.T) {
	e, leader := startedWith(t, reconfigOn)
	// victim is removed and comes back; other leaves at the end. Both
	// follow, so the leader (and the CLI's server) stays the same.
	f := followers(leader)
	victim, other := f[0], f[1]
	server := e.members[leader-1].clientAddr()

	var view struct {
		Version string `json:"version"`
		Members []struct {
			ID   int    `json:"id"`
			Role string `json:"role"`
		} `json:"members"`
	}
	out := members(t, "list", "--server", server, "--output", "json")
	if err := json.Unmarshal([]byte(out), &view); err != nil || len(view.Members) != 3 || view.Version == "" {
		t.Fatalf("members list: %v\n%s", err, out)
	}
	table := members(t, "list", "--server", server)
	if !regexp.MustCompile(`(?m)^3\s+participant\s+127\.0\.0\.1:\d+\s+\d+\s+127\.0\.0\.1:\d+$`).MatchString(table) {
		t.Fatalf("members list table:\n%s", table)
	}
	id := strconv.Itoa(victim)
	if out, err := runMembers("remove", id, "--server", server); err == nil || !strings.Contains(out, "not authenticated") {
		t.Fatalf("members remove without auth: %v\n%s", err, out)
	}
	out = members(t, "remove", id, "--server", server, "--auth", "digest:super:test", "--from-config", view.Version, "-o", "json")
	if err := json.Unmarshal([]byte(out), &view); err != nil || len(view.Members) != 2 {
		t.Fatalf("members after remove: %v\n%s", err, out)
	}
	e.waitMode(victim, "", 10*time.Second)
	out = members(t, "add", e.members[victim-1].line("observer"), "--server", server, "--auth", "digest:super:test")
	if !regexp.MustCompile(`(?m)^` + id + `\s+observer\s`).MatchString(out) {
		t.Fatalf("members after add:\n%s", out)
	}
	e.waitMode(victim, "observer", 10*time.Second)

	// newMembers: the victim is a participant again, other leaves.
	var next []string
	for id := 1; id <= 3; id++ {
		if id != other {
			next = append(next, e.members[id-1].line("participant"))
		}
	}
	admin := e.superConn(leader)
	if _, err := admin.Reconfig(next, -1); err != nil {
		t.Fatalf("non-incremental reconfig: %v", err)
	}
	lines, _, _ := configOf(t, admin)
	if strings.Join(lines, "\n") != strings.Join(next, "\n") {
		t.Fatalf("config %q, want %q", lines, next)
	}
	e.waitModeIn(victim, 10*time.Second, "follower", "leader")
	e.waitMode(other, "", 10*time.Second)
	e.writeThrough(victim, "/non-incremental", leader)
}

// TestReconfigDisabledEnsemble: without reconfigEnabled an ensemble still shows its
// members in /zookeeper/config, and reconfig is ReconfigDisabled even for
// the super user, as in ZooKeeper.
func TestReconfigDisabledEnsemble(t *testing.T) {
	e, leader := startedWith(t, superDigest)
	c := e.superConn(followers(leader)[0])
	if lines, _, _ := configOf(t, c); len(lines) != 3 {
		t.Fatalf("config lines %q", lines)
	}
	if _, err := c.IncrementalReconfig(nil, []string{"3"}, -1); !errors.Is(err, zk.ErrReconfigDisabled) {
		t.Fatalf("reconfig: %v, want ReconfigDisabled", err)
	}
}

// startedWith is a formed 3-member ensemble with extra zoo.cfg lines.
func startedWith(t *testing.T, extra string) (*ensemble, int) {
	t.Helper()
	e := newEnsemble(t, 3, extra)
	t.Cleanup(e.dumpLogs)
	for id := 1; id <= 3; id++ {
		e.start(id)
	}
	return e, e.waitLeader(20 * time.Second)
}

// members runs "zkraft members args..." and returns its stdout.
func members(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runMembers(args...)
	if err != nil {
		t.Fatalf("zkraft members %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runMembers(args ...string) (string, error) {
	cmd := exec.Command(binary, append([]string{"members"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
