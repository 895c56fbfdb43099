package server

import (
	"strconv"

	"github.com/hashicorp/raft"
)

// mode is what srvr and mntr call this server.
func (s *Server) mode() string {
	switch {
	case s.ens == nil:
		return "standalone"
	case s.readOnly():
		return "read-only"
	case s.node.isLeader():
		return "leader"
	case s.selfMember().Observer:
		return "observer"
	}
	return "follower"
}

// peerState is mntr's zk_peer_state: ZooKeeper's peer state and the phase
// of its atomic broadcast, which for a serving member is broadcast.
func (s *Server) peerState() string {
	switch s.mode() {
	case "leader":
		return "leading - broadcast"
	case "observer":
		return "observing - broadcast"
	}
	return "following - broadcast"
}

// learnerCounts are mntr's counts on the leader: members other than itself
// that are not failing heartbeats, and of those the voters and observers.
func (s *Server) learnerCounts() (learners, syncedVoters, syncedObservers int) {
	e := s.ens
	members := s.currentMembers()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range members {
		if m.ID == e.self.ID || e.failing[raft.ServerID(strconv.Itoa(m.ID))] {
			continue
		}
		learners++
		if m.Observer {
			syncedObservers++
		} else {
			syncedVoters++
		}
	}
	return learners, syncedVoters, syncedObservers
}

// writeEnsembleMntr adds the ensemble keys to mntr: the epoch everywhere,
// ZooKeeper's peer state and quorum size while the member serves (its
// read-only server shows neither), and on the leader its proposal sizes and
// learner counts.
func (s *Server) writeEnsembleMntr(kv func(string, any)) {
	if s.ens == nil {
		return
	}
	kv("epoch", s.term())
	if s.readOnly() {
		// ZooKeeper's read-only server is no quorum peer: no peer state.
		return
	}
	kv("peer_state", s.peerState())
	kv("quorum_size", len(s.voters()))
	p := s.proposalSizes()
	if p == nil {
		return
	}
	kv("last_proposal_size", p[0])
	kv("min_proposal_size", p[1])
	kv("max_proposal_size", p[2])
	learners, voters, observers := s.learnerCounts()
	kv("learners", learners)
	kv("followers", learners)
	kv("synced_followers", voters)
	kv("synced_non_voting_followers", 0)
	kv("synced_observers", observers)
	kv("pending_syncs", 0)
}

// notServingMessage is ZooKeeper's answer to status words while the server
// is not serving (no quorum, election in progress).
const notServingMessage = "This ZooKeeper instance is not currently serving requests"

// notServing reports whether cmd gets notServingMessage: an ensemble member
// without a leader (or before the first leader proposed the cluster secret)
// answers srvr, stat, mntr, cons and dump that way, as ZooKeeper does.
func (s *Server) notServing(cmd string) bool {
	if s.ens == nil || s.serving() || s.readOnly() {
		return false
	}
	switch cmd {
	case "srvr", "stat", "mntr", "cons", "dump":
		return true
	}
	return false
}
