package server

import (
	"net"
	"time"

	"github.com/zkraft/zkraft/server/gossip"
)

// startGossip starts memberlist on this member's election port, seeded with
// every other member's election address. Gossip is advisory (raft decides
// membership and leadership), so a port that cannot be bound is logged and
// the member runs on without it, as the AdminServer does.
func (s *Server) startGossip() {
	e := s.ens
	if e.self.ElectionAddr == "" {
		return
	}
	seeds := append([]string(nil), s.opts.Join...) // zkraft server --join
	for _, m := range s.opts.Members {
		if m.ID != e.self.ID && m.ElectionAddr != "" {
			seeds = append(seeds, m.ElectionAddr)
		}
	}
	self := s.gossipMeta(gossip.Meta{
		ID: e.self.ID, ElectionAddr: e.self.ElectionAddr,
		QuorumAddr: e.self.QuorumAddr, ClientAddr: s.advertisedClientAddr(), Version: s.opts.Version,
	})
	node, err := gossip.Start(gossip.Config{Bind: s.listenAddr(e.self.ElectionAddr), Advertise: e.self.ElectionAddr, Seeds: seeds, Self: self, Logger: s.log})
	if err != nil {
		s.log.Error("gossip not started; zkraft status will not see this member", "election_addr", e.self.ElectionAddr, "err", err)
		return
	}
	e.gossip = node
	s.wg.Add(1)
	go s.gossipLoop()
}

// gossipLoop keeps this member's Meta current: about every half tick (the
// cadence of the session touch reports) and at once on a leader change
// (refreshGossip from leadershipLoop).
func (s *Server) gossipLoop() {
	defer s.wg.Done()
	t := time.NewTicker(max(s.opts.TickTime/2, 50*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.refreshGossip()
		}
	}
}

// refreshGossip publishes the raft state, epoch and applied zxid.
func (s *Server) refreshGossip() {
	if s.ens == nil || s.ens.gossip == nil {
		return
	}
	s.ens.gossip.Update(func(m *gossip.Meta) { *m = s.gossipMeta(*m) })
}

// gossipMeta is m with the state fields taken from raft and the fsm, and
// the role from the current configuration (a reconfig may change it).
func (s *Server) gossipMeta(m gossip.Meta) gossip.Meta {
	observer := s.selfMember().Observer
	m.Role = "participant"
	if observer {
		m.Role = "observer"
	}
	_, leader := s.leaderQuorumAddr()
	switch {
	case s.node.isLeader():
		m.State = "leading"
	case s.ens.joining.Load():
		m.State = stateJoining
	case s.readOnly():
		m.State = "read-only"
	case !leader:
		m.State = "looking"
	case observer:
		m.State = "observing"
	default:
		m.State = "following"
	}
	m.Epoch = int64(s.node.raft.CurrentTerm())
	m.AppliedZxid = s.fsm.LastZxid()
	m.AdminAddr = s.ens.adminAddr.Load().(string)
	return m
}

// advertisedClientAddr is where clients reach this member: the client
// address of its server.N line, else the listener's, with a wildcard host
// replaced by the election host (as ZooKeeper fills /zookeeper/config).
func (s *Server) advertisedClientAddr() string {
	if a := s.ens.self.ClientAddr; a != "" {
		return s.reachable(a)
	}
	if s.ln == nil {
		return ""
	}
	return s.reachable(s.ln.Addr().String())
}

// reachable replaces an unspecified host (0.0.0.0, ::, "") in addr by the
// host of this member's election address.
func (s *Server) reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return addr
	}
	h, _, err := net.SplitHostPort(s.ens.self.ElectionAddr)
	if err != nil || h == "" {
		h = "127.0.0.1"
	}
	return net.JoinHostPort(h, port)
}

// SetAdminAddr records where this member's AdminServer listens, so that
// gossip advertises it (the admin package calls it once it is bound).
func (s *Server) SetAdminAddr(addr string) {
	if s.ens == nil {
		return
	}
	s.ens.adminAddr.Store(s.reachable(addr))
	s.refreshGossip()
}

// Ensemble is the gossip view of the ensemble: every member reachable over
// the election port, this one included, sorted by sid. It is nil when
// standalone or when gossip did not start.
func (s *Server) Ensemble() []gossip.Meta {
	if s.ens == nil || s.ens.gossip == nil {
		return nil
	}
	ms := s.ens.gossip.Members()
	// This member's own entry is as fresh as it can be.
	for i := range ms {
		if ms[i].ID == s.ens.self.ID {
			ms[i] = s.gossipMeta(ms[i])
		}
	}
	return ms
}
