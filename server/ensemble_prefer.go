package server

import (
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// Leadership preference. ZooKeeper elects by (epoch, zxid, sid): among the
// members with the newest log the highest server id wins, so operators know
// where the leader will be. Raft's vote already prefers the newest log
// (term, index) but picks among equals by timing. So a new leader hands
// leadership to the highest-sid voter if that is not itself:
//
//   - only to a voter with a higher sid than its own, so a transfer can
//     only move leadership upwards and two members can never hand it back
//     and forth;
//   - only to the highest voter not failing heartbeats (a dead highest
//     member does not stop the next one from leading); raft's transfer sends
//     the target the whole log and fails unless the target caught up within
//     an election timeout, so a lagging voter never becomes leader this way;
//   - first right after the election, before the new leader takes over (on
//     a fresh ensemble before any session exists), then, if that failed or
//     the preferred voter was down, retried while the new leader serves,
//     but only for a while after the election (initLimit ticks): a higher member
//     that rejoins later does not take over a working leader, as in
//     ZooKeeper, where a leader stays until it fails;
//   - only to a voter that was one when this leader was elected: a server
//     that joins (or is added by reconfig) inside that window does not
//     take over either, as it would not in ZooKeeper;
//   - after a failed transfer it waits, doubling the pause up to 8 ticks.
//
// zkraft.preferHighestSid=false switches it off.

// preferredLeader is the highest-sid voter of raft's configuration that is
// not failing heartbeats, if it is higher than this server's own id: among
// the members that could take part in an election, the one ZooKeeper's
// would have picked. Only voters in electorate (those of the configuration
// this leader was elected in) count.
func (s *Server) preferredLeader(electorate map[raft.ServerID]bool) (raft.ServerID, raft.ServerAddress, bool) {
	f := s.node.raft.GetConfiguration()
	if f.Error() != nil {
		return "", "", false
	}
	s.ens.mu.Lock()
	defer s.ens.mu.Unlock()
	best, bestID := s.ens.self.ID, ""
	var bestAddr raft.ServerAddress
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage != raft.Voter || !electorate[srv.ID] || s.ens.failing[srv.ID] {
			continue
		}
		n, err := strconv.Atoi(string(srv.ID))
		if err != nil || n <= best {
			continue
		}
		best, bestID, bestAddr = n, string(srv.ID), srv.Address
	}
	return raft.ServerID(bestID), bestAddr, bestID != ""
}

// handOver is the first attempt, made by a new leader before it takes over
// (before the cluster secret is proposed on a fresh ensemble, so no client
// session exists yet that the move could disturb). It reports whether
// leadership moved.
func (s *Server) handOver(gen uint64, electorate map[raft.ServerID]bool) bool {
	if !s.opts.PreferHighestSid {
		return false
	}
	// Let the first heartbeats to a dead voter fail (and mark it) first:
	// raft sends them every tenth of the heartbeat timeout.
	hb := max(s.opts.TickTime/2, 50*time.Millisecond)
	if !s.pause(hb / 4) {
		return false
	}
	// A few quick attempts: on a busy machine the target may need more than
	// one election timeout to catch up, and each failure here is cheaper
	// than a move after clients have connected.
	for attempt := 0; attempt < 3; attempt++ {
		if s.ens.leaderGen.Load() != gen || !s.node.isLeader() {
			return false
		}
		id, addr, ok := s.preferredLeader(electorate)
		if !ok {
			return false
		}
		if s.transferTo(id, addr) {
			return true
		}
		if !s.pause(hb) {
			return false
		}
	}
	return false
}

// preferHighestSid runs on a leader that became ready without handing over
// (the preferred voter was down or not caught up) and retries, with back
// off, for the rest of the initLimit window after the election.
func (s *Server) preferHighestSid(gen uint64, elected time.Time, electorate map[raft.ServerID]bool) {
	if !s.opts.PreferHighestSid {
		return
	}
	tick := s.opts.TickTime
	deadline := elected.Add(s.opts.initTimeout())
	pause := max(tick/2, 50*time.Millisecond)
	backoff := max(tick, 100*time.Millisecond)
	wait := pause
	for {
		if !s.pause(wait) {
			return
		}
		if time.Now().After(deadline) || s.ens.leaderGen.Load() != gen || !s.node.isLeader() {
			return
		}
		wait = pause
		id, addr, ok := s.preferredLeader(electorate)
		if !ok {
			continue // no live voter above this one (yet)
		}
		if s.transferTo(id, addr) {
			return
		}
		wait = backoff
		backoff = min(2*backoff, 8*tick)
	}
}

// transferTo asks raft to hand leadership to id and reports success.
// Client writes are held meanwhile (handover.go), so none is lost to it.
func (s *Server) transferTo(id raft.ServerID, addr raft.ServerAddress) bool {
	start := time.Now()
	err := s.transferHolding(func() error { return s.node.raft.LeadershipTransferToServer(id, addr).Error() })
	if err != nil {
		s.log.Info("leadership transfer to the highest server id failed", "to", string(id), "err", err)
		return false
	}
	s.log.Info("leadership transferred to the highest server id", "to", string(id),
		"took", time.Since(start).Round(time.Millisecond))
	return true
}

// pause waits d unless the server closes first; it reports whether to go on.
func (s *Server) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.quit:
		return false
	case <-t.C:
		return true
	}
}

// voters is the set of voters of raft's current configuration.
func (s *Server) voters() map[raft.ServerID]bool {
	out := map[raft.ServerID]bool{}
	f := s.node.raft.GetConfiguration()
	if f.Error() != nil {
		return out
	}
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage == raft.Voter {
			out[srv.ID] = true
		}
	}
	return out
}
