package server

import (
	"slices"
	"strconv"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
	"github.com/zkraft/zkraft/server/gossip"
)

// Join. A server without raft state that did not bootstrap (started with
// --join, or with a zoo.cfg listing a running ensemble) has no raft
// configuration; it gossips State "joining" through any member. With
// reconfigEnabled the leader admits it in two steps, checked every half
// second (membershipLoop):
//
//  1. it adds the joiner to raft as a non-voter, and raft sends it the log;
//     /zookeeper/config does not list it yet;
//  2. once the joiner's applied zxid (gossiped) has caught up with the
//     leader's, the leader runs the same membership change as a reconfig
//     adding the joiner's line (participant: promoted to voter; observer:
//     stays a non-voter) and proposes the new /zookeeper/config.
//
// A raft server that /zookeeper/config does not list is such a joiner
// between the steps, also for a new leader. A removed server is not
// re-admitted: it still has its old raft configuration, so it never
// gossips "joining".

// joinLagZxids is how far (in log entries of the same epoch) a joiner may
// trail the leader and count as caught up: under a steady write load a
// follower is always a few entries behind.
const joinLagZxids = 64

// admitJoiners runs one round of the two steps above.
func (s *Server) admitJoiners() {
	if !s.ens.reconfigMu.TryLock() {
		return // a reconfig is running; the next round retries
	}
	defer s.ens.reconfigMu.Unlock()
	cur, _, err := parseConfig(s.fsm.Config())
	if err != nil {
		return
	}
	listed := map[int]bool{}
	for _, m := range cur {
		listed[m.ID] = true
	}
	cf := s.node.raft.GetConfiguration()
	if cf.Error() != nil {
		return
	}
	inRaft := map[int]bool{}
	for _, srv := range cf.Configuration().Servers {
		id, _ := strconv.Atoi(string(srv.ID))
		inRaft[id] = true
	}
	r := s.node.raft
	for _, g := range s.ens.gossip.Members() {
		m := gossipMember(g)
		switch {
		case listed[m.ID] || m.ID == s.opts.ServerID || m.QuorumAddr == "" || m.ElectionAddr == "":
		case !inRaft[m.ID] && g.State == stateJoining:
			if err := r.AddNonvoter(raft.ServerID(strconv.Itoa(m.ID)), raft.ServerAddress(m.QuorumAddr), 0, s.opts.syncTimeout()).Error(); err != nil {
				s.log.Warn("adding a joining server as a non-voter failed", "id", m.ID, "err", err)
				continue
			}
			s.log.Info("joining server added as a non-voter; promoted once caught up", "id", m.ID, "role", g.Role, "quorum_addr", m.QuorumAddr)
		case inRaft[m.ID] && caughtUp(g.AppliedZxid, s.fsm.LastZxid()):
			f := s.applyMembers(cur, append(slices.Clone(cur), m), 0, 0, func(code protocol.ErrCode, why string) raft.ApplyFuture {
				s.log.Info("joining server not admitted yet", "id", m.ID, "err", code, "why", why)
				return failedFuture{code}
			})
			if err := f.Error(); err != nil {
				return
			}
			s.log.Info("joining server admitted", "id", m.ID, "role", g.Role)
			return // the configuration changed: next round starts afresh
		}
	}
}

// stateJoining is the gossip State of a server that has no raft
// configuration yet (gossipMeta).
const stateJoining = "joining"

// caughtUp reports whether a member that applied zxid is close enough to
// the leader's applied zxid to vote: at or past it, or at most
// joinLagZxids entries behind in the same epoch.
func caughtUp(zxid, leader int64) bool {
	return zxid >= leader || (zxid>>32 == leader>>32 && leader-zxid <= joinLagZxids)
}

// gossipMember is the Member a gossiped Meta describes.
func gossipMember(g gossip.Meta) Member {
	return Member{ID: g.ID, QuorumAddr: g.QuorumAddr, ElectionAddr: g.ElectionAddr,
		ClientAddr: g.ClientAddr, Observer: g.Role == "observer"}
}

// gossipZxid is member id's applied zxid as gossiped; ok is false when
// gossip does not know it.
func (s *Server) gossipZxid(id int) (int64, bool) {
	if s.ens == nil || s.ens.gossip == nil {
		return 0, false
	}
	for _, g := range s.ens.gossip.Members() {
		if g.ID == id {
			return g.AppliedZxid, true
		}
	}
	return 0, false
}
