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

// Ensemble describes this member's ensemble; ok is false when standalone.
func (s *Server) Ensemble() (v EnsembleView, ok bool) {
	if s.ens == nil || s.node == nil {
		return v, false
	}
	v.Self = s.ens.self
	v.Members = append([]Member(nil), s.opts.Members...)
	v.Voting = !s.ens.self.Observer
	if _, id := s.node.raft.LeaderWithID(); id != "" {
		v.LeaderID, _ = strconv.Atoi(string(id))
	}
	v.IsLeader = s.node.isLeader()
	if v.IsLeader {
		_, _, v.SyncedObservers = s.learnerCounts()
	}
	return v, true
}
