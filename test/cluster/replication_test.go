package cluster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// started is a formed 3-member ensemble and its leader.
func started(t *testing.T) (*ensemble, int) {
	t.Helper()
	e := newEnsemble(t, 3, "")
	t.Cleanup(e.dumpLogs)
	for id := 1; id <= 3; id++ {
		e.start(id)
	}
	return e, e.waitLeader(20 * time.Second)
}

func followers(leader int) []int {
	var out []int
	for id := 1; id <= 3; id++ {
		if id != leader {
			out = append(out, id)
		}
	}
	return out
}

// TestWritesThroughEveryMember: each member takes writes; every member reads
// every write after a sync; a session sees its own writes at once
// (read-your-writes) on a follower, and in order.
func TestWritesThroughEveryMember(t *testing.T) {
	e, leader := started(t)
	conns := map[int]*zk.Conn{}
	for id := 1; id <= 3; id++ {
		conns[id] = e.connect(id)
	}
	for id, c := range conns {
		p := fmt.Sprintf("/via%d", id)
		if _, err := c.Create(p, []byte("v0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create through %d: %v", id, err)
		}
		// Read-your-writes and FIFO on the member itself: pipelined sets
		// followed by a get see the last one.
		for i := 1; i <= 20; i++ {
			if _, err := c.Set(p, []byte(fmt.Sprint("v", i)), -1); err != nil {
				t.Fatalf("set through %d: %v", id, err)
			}
		}
		data, st, err := c.Get(p)
		if err != nil || string(data) != "v20" || st.Version != 20 {
			t.Fatalf("own read through %d: %q version %v, %v", id, data, st, err)
		}
	}
	for id, c := range conns {
		if _, err := c.Sync("/"); err != nil {
			t.Fatalf("sync through %d: %v", id, err)
		}
		kids, _, err := c.Children("/")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(kids, ",")
		for w := 1; w <= 3; w++ {
			if !strings.Contains(got, fmt.Sprintf("via%d", w)) {
				t.Fatalf("member %d lists %v after sync, missing via%d", id, kids, w)
			}
		}
	}
	out := fourLetter(e.members[leader-1].clientAddr(), "mntr")
	if field(out, "zk_server_state") != "leader" || field(out, "zk_synced_followers") != "2" || field(out, "zk_epoch") == "" {
		t.Fatalf("leader mntr:\n%s", out)
	}
	// ZooKeeper's leader keys: peer state, quorum size, what it proposed.
	sizes := []string{field(out, "zk_last_proposal_size"), field(out, "zk_min_proposal_size"), field(out, "zk_max_proposal_size")}
	if field(out, "zk_peer_state") != "leading - broadcast" || field(out, "zk_quorum_size") != "3" ||
		atoi(field(out, "zk_proposal_count")) < 60 || atoi(sizes[1]) <= 0 || atoi(sizes[1]) > atoi(sizes[0]) || atoi(sizes[0]) > atoi(sizes[2]) {
		t.Fatalf("leader mntr proposal keys: peer_state %q quorum_size %q proposal_count %q sizes last/min/max %v:\n%s",
			field(out, "zk_peer_state"), field(out, "zk_quorum_size"), field(out, "zk_proposal_count"), sizes, out)
	}
	if got, want := field(fourLetter(e.members[leader-1].clientAddr(), "srvr"), "Proposal sizes last/min/max"), strings.Join(sizes, "/"); got != want {
		t.Fatalf("leader srvr Proposal sizes %q, mntr says %s", got, want)
	}
	f := followers(leader)[0]
	fout := fourLetter(e.members[f-1].clientAddr(), "mntr")
	if field(fout, "zk_server_state") != "follower" || field(fout, "zk_peer_state") != "following - broadcast" ||
		field(fout, "zk_quorum_size") != "3" || field(fout, "zk_max_proposal_size") != "" {
		t.Fatalf("follower %d mntr:\n%s", f, fout)
	}
	if srvr := fourLetter(e.members[f-1].clientAddr(), "srvr"); strings.Contains(srvr, "Proposal sizes") {
		t.Fatalf("follower %d srvr shows proposal sizes:\n%s", f, srvr)
	}
	// A follower's dump lists every session of the ensemble with its
	// timeout, as ZooKeeper's learners do; the leader groups by expiry.
	dump := fourLetter(e.members[f-1].clientAddr(), "dump")
	for id, c := range conns {
		line := regexp.MustCompile(fmt.Sprintf("(?m)^0x%x\t\\d+ms$", c.SessionID()))
		if !strings.HasPrefix(dump, "SessionTracker dump:\nGlobal Sessions(") || !line.MatchString(dump) {
			t.Fatalf("follower %d dump lacks the session of member %d (0x%x):\n%s", f, id, c.SessionID(), dump)
		}
	}
	if dump := fourLetter(e.members[leader-1].clientAddr(), "dump"); !strings.HasPrefix(dump, "SessionTracker dump:\nSession Sets (") {
		t.Fatalf("leader dump:\n%s", dump)
	}
}

// TestEphemeralThroughFollower: a session created on a follower owns an
// ephemeral that every member shows; an idle session on a follower lives
// past its timeout (the follower reports it to the leader); closing it
// removes the ephemeral everywhere.
func TestEphemeralThroughFollower(t *testing.T) {
	e, leader := started(t)
	f := followers(leader)[0]
	owner := e.connect(f)
	if _, err := owner.Create("/eph", []byte("x"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	sid := owner.SessionID()
	others := map[int]*zk.Conn{}
	for id := 1; id <= 3; id++ {
		if id != f {
			others[id] = e.connect(id)
		}
	}
	for id, c := range others {
		c.Sync("/eph")
		_, st, err := c.Get("/eph")
		if err != nil || st.EphemeralOwner != sid {
			t.Fatalf("member %d: /eph owner %x (want %x), %v", id, st.EphemeralOwner, sid, err)
		}
	}
	// The negotiated timeout is 6s; only pings reach the follower.
	time.Sleep(9 * time.Second)
	if _, err := owner.Sync("/"); err != nil {
		t.Fatalf("session on the follower did not survive idling past its timeout: %v", err)
	}
	for id, c := range others {
		c.Sync("/eph")
		if ok, _, err := c.Exists("/eph"); err != nil || !ok {
			t.Fatalf("member %d lost the ephemeral of a live session: %v %v", id, ok, err)
		}
	}
	owner.Close()
	for id, c := range others {
		deadline := time.Now().Add(10 * time.Second)
		for {
			c.Sync("/eph")
			ok, _, err := c.Exists("/eph")
			if err == nil && !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d still shows /eph after the session closed", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// atoi is s as a number, 0 when it is not one.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
