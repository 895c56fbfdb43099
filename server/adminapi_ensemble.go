package server

import (
	"strconv"
)

// EnsembleView is what the AdminServer's leader, voting_view, observers and
// zabstate commands need of an ensemble member.
type EnsembleView struct {
	Self            Member
	Members         []Member
	LeaderID        int // 0 when no leader is known
	IsLeader        bool
	SyncedObservers int // on the leader: observers not failing heartbeats
	Voting          bool
}

// QuorumView describes this member's ensemble as configured, with raft's
// leader; ok is false when standalone. Ensemble (gossip.go) is the live
// view gossiped by the members themselves.
func (s *Server) QuorumView() (v EnsembleView, ok bool) {
	if s.ens == nil || s.node == nil {
		return v, false
	}
	v.Self = s.selfMember()
	v.Members = s.currentMembers()
	v.Voting = !v.Self.Observer
	if _, id := s.node.raft.LeaderWithID(); id != "" {
		v.LeaderID, _ = strconv.Atoi(string(id))
	}
	v.IsLeader = s.node.isLeader()
	if v.IsLeader {
		_, _, v.SyncedObservers = s.learnerCounts()
	}
	return v, true
}
