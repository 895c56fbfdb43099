package cluster

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestFormsInAnyOrder starts the members in different orders and pauses:
// each time exactly one leader emerges, with no manual bootstrap, and a
// write through one member is read through the others.
func TestFormsInAnyOrder(t *testing.T) {
	for _, order := range [][]int{{1, 2, 3}, {3, 2, 1}, {2, 3, 1}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			t.Parallel()
			e := newEnsemble(t, 3, "")
			defer e.dumpLogs()
			e.start(order[0])
			// Alone it has no quorum: it neither leads nor takes sessions.
			time.Sleep(1500 * time.Millisecond)
			out := fourLetter(e.members[order[0]-1].clientAddr(), "srvr")
			if !strings.Contains(out, "not currently serving requests") {
				t.Fatalf("a lone member answers srvr with %q", out)
			}
			e.start(order[1])
			start := time.Now()
			leader := e.waitLeader(20 * time.Second)
			t.Logf("order %v: member %d leads %v after the second start", order, leader, time.Since(start).Round(time.Millisecond))
			e.start(order[2])
			e.waitLeader(20 * time.Second)

			w := e.connect(order[2])
			if _, err := w.Create("/formed", []byte("yes"), 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatal(err)
			}
			for _, id := range order {
				c := e.connect(id)
				if _, err := c.Sync("/formed"); err != nil {
					t.Fatalf("sync through %d: %v", id, err)
				}
				data, _, err := c.Get("/formed")
				if err != nil || string(data) != "yes" {
					t.Fatalf("read through %d: %q, %v", id, data, err)
				}
			}
		})
	}
}

// TestQuorumListenOnAllIPs: with quorumListenOnAllIPs=true a member's quorum
// and election ports answer on every address of the host (here another
// loopback address than its server.N line's) and the ensemble forms;
// without it they answer only on that one.
func TestQuorumListenOnAllIPs(t *testing.T) {
	for _, all := range []bool{true, false} {
		e := newEnsemble(t, 3, fmt.Sprintf("quorumListenOnAllIPs=%v\n", all))
		e.start(1)
		m := e.members[0]
		for _, port := range []int{m.quorumPort, m.elec} {
			waitDial(t, "127.0.0.1:"+strconv.Itoa(port))
			other := "127.0.0.2:" + strconv.Itoa(port)
			nc, err := net.DialTimeout("tcp", other, time.Second)
			if nc != nil {
				nc.Close()
			}
			if all != (err == nil) {
				t.Fatalf("quorumListenOnAllIPs=%v: dialling %s: %v", all, other, err)
			}
		}
		if all {
			// The members still reach each other at their server.N addresses.
			e.start(2)
			e.start(3)
			e.waitLeader(20 * time.Second)
		}
	}
}

// waitDial waits until addr accepts TCP connections.
func waitDial(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
