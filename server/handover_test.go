package server

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/hashicorp/raft"
)

// TestTransferKeepsWrites: clients write without pause, each with one write
// in flight as applications' synchronous calls have, while the leader hands
// leadership to another member; no write fails and no connection is lost.
// The leader's own clients' writes arriving during the transfer are held
// and then forwarded to the new leader (before the hold, raft refused them
// and the connections closed). So are those the third member forwarded to
// it, by the third member and by the new leader while it still followed:
// a member keeps its connection to the old leader open until those are
// answered while its next writes go to the new one (before, it closed it
// and the connections of the clients waiting on it). Beside the writers,
// one client on each member syncs without pause: a sync that reached the
// old leader as it handed over failed and cost its connection, and is now
// asked again of the new one (syncWithLeader). Three rounds, each with
// fresh clients on all three members.
func TestTransferKeepsWrites(t *testing.T) {
	// Without the preference a new leader keeps leading, so each round has
	// exactly one move.
	servers, _, _ := reconfigEnsemble(t, func(o *Options) { o.PreferHighestSid = false })
	current := func() *Server {
		deadline := time.Now().Add(5 * time.Second)
		for {
			for _, s := range servers {
				if s.leads() {
					return s
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no member ready as leader 5s after a transfer")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for round := 0; round < 3; round++ {
		from := current()
		var stop atomic.Bool
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		var acked, afterMove atomic.Int64
		var moved atomic.Bool
		to := servers[int(from.opts.ServerID)%len(servers)]
		third := servers[int(to.opts.ServerID)%len(servers)]
		for i := 0; i < 12; i++ {
			on := []*Server{from, third, to}[i/4]
			syncs := i%4 == 3
			c, ev := connect(t, on, 10*time.Second)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; !stop.Load(); n++ {
					var err error
					if syncs {
						_, err = c.Sync("/")
					} else {
						_, err = c.Create(fmt.Sprintf("/r%d-w%d-%d", round, i, n), nil, 0, zk.WorldACL(zk.PermAll))
					}
					if err != nil {
						select {
						case errs <- fmt.Errorf("round %d, client %d, op %d: %w", round, i, n, err):
						default:
						}
						return
					}
					if syncs {
						continue
					}
					acked.Add(1)
					if moved.Load() {
						afterMove.Add(1)
					}
				}
			}()
			go func() {
				for e := range ev {
					if e.State == zk.StateDisconnected && !stop.Load() {
						select {
						case errs <- fmt.Errorf("round %d, client %d disconnected", round, i):
						default:
						}
					}
				}
			}()
		}
		time.Sleep(100 * time.Millisecond) // writes in flight when the transfer starts
		if !from.transferTo(raft.ServerID(fmt.Sprint(to.opts.ServerID)), raft.ServerAddress(to.ens.self.QuorumAddr)) {
			t.Fatalf("round %d: transfer from %d to %d failed", round, from.opts.ServerID, to.opts.ServerID)
		}
		moved.Store(true)
		time.Sleep(200 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		select {
		case err := <-errs:
			t.Fatalf("%v (%d writes acknowledged)", err, acked.Load())
		default:
		}
		if afterMove.Load() == 0 {
			t.Fatalf("round %d: no write acknowledged after the transfer", round)
		}
		t.Logf("round %d: member %d handed over to %d; %d writes acknowledged, %d after the move",
			round, from.opts.ServerID, to.opts.ServerID, acked.Load(), afterMove.Load())
	}
}
