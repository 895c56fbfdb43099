package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
func TestReconfigInProgress(t *testing.T) {
	const n = 3
	var members []Member
	addrs := freeLoopbackAddrs(t, 3*n)
	for i := 1; i <= n; i++ {
		members = append(members, Member{ID: i, QuorumAddr: addrs[3*i-3],
			ElectionAddr: addrs[3*i-2], ClientAddr: addrs[3*i-1]})
	}
	servers := make([]*Server, n)
	for i := range servers {
		o := testOptions(t)
		o.ServerID = i + 1
		o.Members = members
		o.ClientAddr = members[i].ClientAddr
		o.TickTime = 600 * time.Millisecond
		o.MinSessionTimeout = 2 * o.TickTime
		o.ReconfigEnabled = true
		o.SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
		servers[i] = startServer(t, o)
	}
	var leader, follower *Server
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
	c, _ := connect(t, follower, 10*time.Second)
	if err := c.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	var leaving string // the third member: neither the leader nor the client's server
	for _, s := range servers {
		if s != leader && s != follower {
			leaving = fmt.Sprint(s.opts.ServerID)
		}
	}
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
