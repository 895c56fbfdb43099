package server

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

func TestNextMembers(t *testing.T) {
	cur, _, err := parseConfig([]byte("server.1=h1:1:2:participant;h1:3\nserver.2=h2:1:2:participant;0.0.0.0:3\nversion=100000001"))
	if err != nil || len(cur) != 2 || cur[1].ClientAddr != "h2:3" {
		t.Fatalf("parseConfig = %+v, %v (a wildcard client host becomes the member's host)", cur, err)
	}
	render := func(ms []Member) string {
		s, err := configLines(ms)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct {
		name string
		req  protocol.ReconfigRequest
		want string // "" = BadArguments
	}{
		{"add observer", protocol.ReconfigRequest{JoiningServers: "server.3=h3:1:2:observer;3"},
			"server.1=h1:1:2:participant;h1:3\nserver.2=h2:1:2:participant;h2:3\nserver.3=h3:1:2:observer;h3:3\n"},
		{"remove and re-role", protocol.ReconfigRequest{JoiningServers: "2=h2:1:2:observer;h2:3", LeavingServers: "1,7"},
			""}, // no participant left
		{"remove", protocol.ReconfigRequest{LeavingServers: "2"}, "server.1=h1:1:2:participant;h1:3\n"},
		{"new members", protocol.ReconfigRequest{NewMembers: "server.5=h5:1:2;h5:3,server.6=h6:1:2:observer;h6:3"},
			"server.5=h5:1:2:participant;h5:3\nserver.6=h6:1:2:observer;h6:3\n"},
		{"both kinds", protocol.ReconfigRequest{LeavingServers: "1", NewMembers: "server.5=h5:1:2;3"}, ""},
		{"nothing", protocol.ReconfigRequest{}, ""},
		{"garbage", protocol.ReconfigRequest{JoiningServers: "server.4=nowhere"}, ""},
		{"bad id", protocol.ReconfigRequest{LeavingServers: "x"}, ""},
	} {
		next, err := nextMembers(cur, &c.req)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%s: %q, want an error", c.name, render(next))
		case c.want != "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && render(next) != c.want:
			t.Errorf("%s: %q, want %q", c.name, render(next), c.want)
		}
	}
}

// TestReconfigInProgress: while the leader runs a reconfig a second one is
// refused with ReconfigInProgress (-14), through a follower as well; once
// it is done, the same request succeeds.
// reconfigEnsemble starts 3 in-process members with reconfig enabled and
// returns them, the leader and a follower once /zookeeper/config applied;
// tweak changes their options.
func reconfigEnsemble(t *testing.T, tweak ...func(*Options)) (servers []*Server, leader, follower *Server) {
	t.Helper()
	const n = 3
	var members []Member
	addrs := freeLoopbackAddrs(t, 3*n)
	for i := 1; i <= n; i++ {
		members = append(members, Member{ID: i, QuorumAddr: addrs[3*i-3],
			ElectionAddr: addrs[3*i-2], ClientAddr: addrs[3*i-1]})
	}
	servers = make([]*Server, n)
	for i := range servers {
		o := testOptions(t)
		o.ServerID = i + 1
		o.Members = members
		o.ClientAddr = members[i].ClientAddr
		o.TickTime = 600 * time.Millisecond
		o.MinSessionTimeout = 2 * o.TickTime
		o.ReconfigEnabled = true
		o.SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
		for _, f := range tweak {
			f(&o)
		}
		servers[i] = startServer(t, o)
	}
	deadline := time.Now().Add(20 * time.Second)
	for leader == nil || follower == nil || !strings.Contains(string(follower.fsm.Config()), "version=") {
		if time.Now().After(deadline) {
			t.Fatal("no leader, follower and /zookeeper/config after 20s")
		}
		time.Sleep(10 * time.Millisecond)
		for _, s := range servers {
			if s.serving() && s.node.isLeader() {
				leader = s
			} else if s.serving() {
				follower = s
			}
		}
	}
	return servers, leader, follower
}

// thirdMember is the member of a 3-member ensemble that is neither a nor b.
func thirdMember(servers []*Server, a, b *Server) *Server {
	for _, s := range servers {
		if s != a && s != b {
			return s
		}
	}
	return nil
}

func TestReconfigInProgress(t *testing.T) {
	servers, leader, follower := reconfigEnsemble(t)
	c, _ := connect(t, follower, 10*time.Second)
	if err := c.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	// the third member: neither the leader nor the client's server
	leaving := fmt.Sprint(thirdMember(servers, leader, follower).opts.ServerID)
	leader.ens.reconfigMu.Lock()
	_, err := c.IncrementalReconfig(nil, []string{leaving}, -1)
	leader.ens.reconfigMu.Unlock()
	if err == nil || !strings.HasSuffix(err.Error(), "-14") {
		t.Fatalf("reconfig while another runs: %v, want ReconfigInProgress (-14)", err)
	}
	if _, err := c.IncrementalReconfig(nil, []string{leaving}, -1); err != nil {
		t.Fatalf("reconfig afterwards: %v", err)
	}
	if got := string(leader.fsm.Config()); strings.Contains(got, "server."+leaving+"=") || strings.Count(got, "server.") != 2 {
		t.Fatalf("config after removing %s:\n%s", leaving, got)
	}
}

// A leader change between a reconfig's raft change and its EntryConfig
// leaves /zookeeper/config behind raft; the next leader finishes it, as
// ZooKeeper's does.
func TestLeaderChangeFinishesCutReconfig(t *testing.T) {
	servers, leader, follower := reconfigEnsemble(t)
	third := thirdMember(servers, leader, follower)
	id := raft.ServerID(fmt.Sprint(third.opts.ServerID))
	// The raft half of "reconfig -add server.N=...:observer", cut short.
	if err := leader.node.raft.DemoteVoter(id, 0, 5*time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	line := func(s *Server) string {
		for _, l := range strings.Split(string(s.fsm.Config()), "\n") {
			if strings.HasPrefix(l, "server."+string(id)+"=") {
				return l
			}
		}
		return ""
	}
	if !strings.Contains(line(leader), ":participant;") {
		t.Fatalf("config before the leader change: %q", leader.fsm.Config())
	}
	to := raft.ServerID(fmt.Sprint(follower.opts.ServerID))
	if err := leader.node.raft.LeadershipTransferToServer(to, raft.ServerAddress(follower.ens.self.QuorumAddr)).Error(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(line(leader), ":observer;") || !strings.Contains(line(follower), ":observer;") {
		if time.Now().After(deadline) {
			t.Fatalf("config 10s after the leader change: %q", follower.fsm.Config())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Count(string(follower.fsm.Config()), "server."); got != 3 {
		t.Fatalf("config lists %d servers:\n%s", got, follower.fsm.Config())
	}
}

func TestListedAsInRaft(t *testing.T) {
	listed := []Member{{ID: 1}, {ID: 2}, {ID: 3, Observer: true}, {ID: 4}}
	servers := []raft.Server{{ID: "1", Suffrage: raft.Voter}, {ID: "2", Suffrage: raft.Nonvoter},
		{ID: "3", Suffrage: raft.Voter}, {ID: "5", Suffrage: raft.Voter}}
	next, changed := listedAsInRaft(listed, servers)
	want := []Member{{ID: 1}, {ID: 2, Observer: true}, {ID: 3}}
	if !changed || !reflect.DeepEqual(next, want) {
		t.Fatalf("listedAsInRaft = %+v, %v; want %+v, true", next, changed, want)
	}
	if _, changed := listedAsInRaft(want, servers[:3]); changed {
		t.Fatal("a matching configuration reported as changed")
	}
}

// TestReconfigThroughDepartingMember: a client connected to the member a
// reconfig removes gets the answer, as on ZooKeeper; the member leaves raft
// only after the new configuration committed, so it still applies the
// entry that answers it.
func TestReconfigThroughDepartingMember(t *testing.T) {
	servers, leader, follower := reconfigEnsemble(t)
	third := thirdMember(servers, leader, follower)
	c, _ := connect(t, third, 10*time.Second)
	if err := c.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	leaving := fmt.Sprint(third.opts.ServerID)
	stat, err := c.IncrementalReconfig(nil, []string{leaving}, -1)
	if err != nil {
		t.Fatalf("reconfig removing the client's own member %s: %v", leaving, err)
	}
	if stat == nil || stat.Mzxid == 0 {
		t.Fatalf("reconfig answered with stat %+v", stat)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		f := leader.node.raft.GetConfiguration()
		if f.Error() == nil && len(f.Configuration().Servers) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("raft configuration 10s after the reconfig: %+v", f.Configuration().Servers)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A leader change after a removal's EntryConfig committed but before raft
// removed the server: the next leader removes it.
func TestLeaderChangeFinishesCutRemoval(t *testing.T) {
	servers, leader, follower := reconfigEnsemble(t)
	third := thirdMember(servers, leader, follower)
	cur, _, err := parseConfig(leader.fsm.Config())
	if err != nil {
		t.Fatal(err)
	}
	var next []Member
	for _, m := range cur {
		if m.ID != third.opts.ServerID {
			next = append(next, m)
		}
	}
	lines, err := configLines(next)
	if err != nil {
		t.Fatal(err)
	}
	// The config half of "reconfig -remove N", then the leader changes.
	if err := leader.proposeConfig(lines); err != nil {
		t.Fatal(err)
	}
	to := raft.ServerID(fmt.Sprint(follower.opts.ServerID))
	if err := leader.node.raft.LeadershipTransferToServer(to, raft.ServerAddress(follower.ens.self.QuorumAddr)).Error(); err != nil {
		t.Fatal(err)
	}
	id := raft.ServerID(fmt.Sprint(third.opts.ServerID))
	deadline := time.Now().Add(10 * time.Second)
	for {
		f := follower.node.raft.GetConfiguration()
		if f.Error() == nil && len(f.Configuration().Servers) == 2 {
			for _, srv := range f.Configuration().Servers {
				if srv.ID == id {
					t.Fatalf("server %s still in raft: %+v", id, f.Configuration().Servers)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("raft configuration 10s after the leader change: %+v", f.Configuration().Servers)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
