package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/server/cluster"
	"github.com/zkraft/zkraft/server/gossip"
)

// Member is one server.N line of an ensemble.
type Member struct {
	ID           int
	QuorumAddr   string // host:quorumPort: raft and forwarding
	ElectionAddr string // host:electionPort: gossip (server/gossip)
	ClientAddr   string // clientHost:clientPort, "" if the line has none
	Observer     bool   // a raft non-voter
}

// ensembleMode reports whether the options describe an ensemble: members
// other than this server are listed. Everything ensemble-specific hangs off
// this; a standalone server never reaches it.
func (o *Options) ensembleMode() bool { return len(o.Members) > 1 || len(o.Join) > 0 }

// self is this server's member line.
func (o *Options) self() (Member, bool) {
	for _, m := range o.Members {
		if m.ID == o.ServerID {
			return m, true
		}
	}
	return Member{}, false
}

// clusterTimeouts maps ZooKeeper's timing onto raft for an ensemble.
//
// ZooKeeper declares a leader dead after syncLimit ticks without contact
// (10s by default), which would make a failover take 10-20s. Raft's
// heartbeat detects a dead leader by itself, so zkraft uses half a tick:
//
//	HeartbeatTimeout = ElectionTimeout = tickTime/2, clamped to [50ms, 5s]
//	LeaderLeaseTimeout = HeartbeatTimeout (a leader that heard from no
//	  quorum for that long steps down; with half of it, leaders of a
//	  CPU-starved 2-core machine stepped down every few seconds, each time
//	  dropping the connections with writes in flight)
//	CommitTimeout = 50ms (how long an idle leader waits before it sends a
//	  follower an AppendEntries with just the commit index; the commit
//	  notices and pushes tell followers sooner, so this is the fallback, and
//	  at 5ms the idle ensemble spent a fifth of a core on it)
//	raft RPC I/O timeout = syncLimit*tickTime (ZooKeeper's read timeout
//	  between follower and leader)
//	initLimit*tickTime bounds how long a new leader waits for its log to
//	  apply before it takes over sessions, and how long a start waits before
//	  warning that no quorum formed.
//
// With the default tickTime of 2s a follower notices a dead leader after
// 1-2s and the election takes about as long again.
func clusterTimeouts(o *Options, c *raft.Config) {
	hb := o.TickTime / 2
	hb = max(hb, 50*time.Millisecond)
	hb = min(hb, 5*time.Second)
	c.HeartbeatTimeout = hb
	c.ElectionTimeout = hb
	c.LeaderLeaseTimeout = hb
	c.CommitTimeout = 50 * time.Millisecond
	if o.commitTimeout > 0 {
		c.CommitTimeout = o.commitTimeout
	}
}

func (o *Options) syncTimeout() time.Duration {
	return time.Duration(max(o.SyncLimit, 1)) * o.TickTime
}

func (o *Options) initTimeout() time.Duration {
	return time.Duration(max(o.InitLimit, 1)) * o.TickTime
}

// bootstrapConfiguration is the raft configuration a server without raft
// state starts from. In an ensemble every member derives the identical
// configuration from zoo.cfg, so bootstrapping on each of them, in any
// order, forms one cluster (raft allows that when the configurations are
// identical).
func bootstrapConfiguration(o *Options, id raft.ServerID, addr raft.ServerAddress) raft.Configuration {
	if !o.ensembleMode() {
		return raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: id, Address: addr}}}
	}
	var cfg raft.Configuration
	for _, m := range o.Members {
		suffrage := raft.Voter
		if m.Observer {
			suffrage = raft.Nonvoter
		}
		cfg.Servers = append(cfg.Servers, raft.Server{
			Suffrage: suffrage, ID: raft.ServerID(strconv.Itoa(m.ID)), Address: raft.ServerAddress(m.QuorumAddr),
		})
	}
	return cfg
}

// ensemble is a server's ensemble state: the quorum port, the forwarder to
// the leader and the leadership bookkeeping.
type ensemble struct {
	self  Member
	mux   *cluster.Mux
	trans *cluster.Transport // raft's, on the quorum port
	fwd   *cluster.Forwarder

	commits *commitNotifier // commits learned from the leader's answers (commitnotice.go)
	applies stateSignal     // wakes the syncs waiting for an apply or restore (ensemble_forward.go)
	gate    *proposalGate   // the leader's batch in flight (proposals.go)

	gossip    *gossip.Node // nil when it could not start (gossip.go)
	adminAddr atomic.Value // string: the AdminServer's address, "" if none

	// leaderGen counts leader changes seen; readyGen is the leaderGen at
	// which this server finished taking over as leader (sessions renewed,
	// log applied). It expires and reaps only while they are equal.
	leaderGen atomic.Uint64
	readyGen  atomic.Uint64

	mu      sync.Mutex
	failing map[raft.ServerID]bool // peers failing heartbeats (leader only)

	reconfigMu sync.Mutex    // held by the leader while it changes membership
	removed    atomic.Bool   // this server left raft's configuration
	joining    atomic.Bool   // raft has no configuration yet: gossip says "joining"
	configs    chan []byte   // newest applied /zookeeper/config, for the dynamic config file
	push       *commitPusher // the leader's commit pushes (commitpush.go)
	hold       handover      // writes held while the leader hands over (handover.go)
	contact    contactState  // when this member last had leader contact (contact.go)
}

// listenAddr is where this server listens for one of its server.N
// addresses: that address, or its port on every address of the host with
// quorumListenOnAllIPs.
func (s *Server) listenAddr(addr string) string {
	if !s.opts.QuorumListenOnAllIPs {
		return addr
	}
	if _, port, err := net.SplitHostPort(addr); err == nil {
		return net.JoinHostPort("", port)
	}
	return addr
}

// openEnsemble opens the quorum port and returns raft's transport on it.
func (s *Server) openEnsemble() (*ensemble, raft.Transport, error) {
	self, ok := s.opts.self()
	if !ok {
		return nil, nil, fmt.Errorf("server: ServerID %d is not among the %d members", s.opts.ServerID, len(s.opts.Members))
	}
	mux, err := cluster.Listen(s.listenAddr(self.QuorumAddr), self.QuorumAddr, s.log)
	if err != nil {
		return nil, nil, err
	}
	e := &ensemble{self: self, mux: mux, failing: make(map[raft.ServerID]bool), commits: newCommitNotifier(),
		push: newCommitPusher(s.log), configs: make(chan []byte, 1)}
	e.readyGen.Store(^uint64(0)) // not ready before a takeOver
	e.adminAddr.Store("")
	e.trans = mux.NewTransport(s.opts.syncTimeout(), newHclog(s.log, "raft-net"))
	return e, e.trans, nil
}

// startEnsemble runs the ensemble's goroutines once raft is open.
func (s *Server) startEnsemble() {
	e := s.ens
	hb := max(s.opts.TickTime/2, 50*time.Millisecond)
	e.fwd = cluster.NewForwarder(s.leaderQuorumAddr, s.opts.TickTime, 4*hb, s.opts.TickTime, s.log)
	e.fwd.OnWriteDone(e.commits.learned)
	e.gate = newProposalGate(s.node.raft.Apply, e.push.poke, s.quit)
	go cluster.Serve(e.mux.Listener(cluster.ProtoForward), (*forwardHandler)(s), s.log)
	go serveCommitPushes(e.mux.Listener(cluster.ProtoCommit), e.commits)

	obs := make(chan raft.Observation, 256)
	observer := raft.NewObserver(obs, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation, raft.LeaderObservation:
			return true
		}
		return false
	})
	s.node.raft.RegisterObserver(observer)
	s.startGossip() // before leadershipLoop, which refreshes it
	s.wg.Add(6)
	go s.commitPushLoop()
	go s.contactLoop()
	go s.leadershipLoop(obs, observer)
	go s.touchReportLoop()
	go s.commitNoticeLoop()
	go s.membershipLoop()
	if s.opts.ReadOnlyMode {
		s.wg.Add(1)
		go s.readOnlyLoop()
	}
	s.log.Info("ensemble member started", "id", e.self.ID, "quorum_addr", e.self.QuorumAddr,
		"observer", e.self.Observer, "members", len(s.opts.Members))
}

func (e *ensemble) close() {
	if e.gossip != nil {
		e.gossip.Close()
	}
	if e.fwd != nil {
		e.fwd.Close()
	}
	e.mux.Close()
}

// leaderQuorumAddr is the quorum address of the current leader, if known.
func (s *Server) leaderQuorumAddr() (string, bool) {
	addr, _ := s.node.raft.LeaderWithID()
	return string(addr), addr != ""
}

// leads reports whether this server leads and may act as the leader:
// expire sessions and reap. In an ensemble a new leader first applies its
// log and renews every session (takeOver).
func (s *Server) leads() bool {
	if !s.node.isLeader() {
		return false
	}
	return s.ens == nil || s.ens.readyGen.Load() == s.ens.leaderGen.Load()
}

// serving reports whether new sessions are accepted: an ensemble member
// needs a known leader and the cluster secret (proposed by the first
// leader) to create and validate sessions.
func (s *Server) serving() bool {
	if s.ens == nil {
		return true
	}
	_, ok := s.leaderQuorumAddr()
	return ok && s.fsm.HasSecret() && !s.ens.removed.Load()
}

// leadershipLoop notices leader changes (raft's leader observations, and
// a poll of raft every 200ms in case one was dropped) and tracks
// followers' heartbeat failures for mntr.
func (s *Server) leadershipLoop(obs chan raft.Observation, observer *raft.Observer) {
	defer s.wg.Done()
	defer s.node.raft.DeregisterObserver(observer)
	e := s.ens
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var last raft.ServerID
	selfID := raft.ServerID(strconv.Itoa(e.self.ID))
	check := func() {
		addr, id := s.node.raft.LeaderWithID()
		if id == last {
			return
		}
		last = id
		e.fwd.LeaderChanged(string(addr), addr != "")
		gen := e.leaderGen.Add(1)
		e.mu.Lock()
		clear(e.failing)
		e.mu.Unlock()
		s.log.Info("leader changed", "leader", string(id), "self", id == selfID, "term", s.term())
		s.refreshGossip()
		if id == selfID {
			// Not in s.wg: a barrier without quorum would hold Close
			// up; after shutdown raft fails it at once.
			go s.takeOver(gen)
		}
	}
	check()
	for {
		select {
		case <-s.quit:
			return
		case o := <-obs:
			e.mu.Lock()
			switch v := o.Data.(type) {
			case raft.FailedHeartbeatObservation:
				e.failing[v.PeerID] = true
			case raft.ResumedHeartbeatObservation:
				delete(e.failing, v.PeerID)
			}
			e.mu.Unlock()
			if _, ok := o.Data.(raft.LeaderObservation); ok {
				check()
			}
		case <-t.C:
			check()
		}
	}
}

// takeOver makes a new leader ready: its log applied, the cluster secret
// proposed if this is the first leader, and every live session given a
// fresh full timeout (nobody knows when the old leader last heard them).
func (s *Server) takeOver(gen uint64) {
	start := time.Now()
	electorate := s.voters()
	if s.handOver(gen, electorate) {
		return // the preferred voter leads now and takes over instead
	}
	// Retried while this leadership lasts: a leader that never became ready
	// would never expire a session.
	for {
		err := s.prepareLeadership()
		if err == nil {
			break
		}
		if s.ens.leaderGen.Load() != gen || errors.Is(err, raft.ErrRaftShutdown) {
			return
		}
		s.log.Warn("taking over as leader failed; retrying", "err", err)
		select {
		case <-s.quit:
			return
		case <-time.After(s.opts.TickTime / 2):
		}
	}
	s.sessions.renewAll(s.fsm.Sessions(), time.Now())
	if s.ens.leaderGen.Load() == gen {
		s.stats.proposals.resetSizes()
		s.ens.readyGen.Store(gen)
		s.log.Info("leading", "term", s.term(), "zxid", fmt.Sprintf("0x%x", s.fsm.LastZxid()),
			"sessions", len(s.fsm.Sessions()), "took", time.Since(start).Round(time.Millisecond))
		s.preferHighestSid(gen, start, electorate)
	}
}

// prepareLeadership waits for the log to apply here, proposes the cluster
// secret and the first /zookeeper/config if no leader has yet, and starts
// its term's epoch in the zxid.
func (s *Server) prepareLeadership() error {
	if err := s.node.raft.Barrier(s.opts.initTimeout()).Error(); err != nil {
		return fmt.Errorf("applying the log: %w", err)
	}
	if !s.fsm.HasSecret() {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("generating the cluster secret: %w", err)
		}
		if err := s.propose(fsm.EncodeInit(secret), s.opts.initTimeout()).Error(); err != nil {
			return fmt.Errorf("proposing the cluster secret: %w", err)
		}
	}
	// Raft's own first entry of a term never reaches the fsm, so the zxid
	// would keep the old epoch until the first client write. An empty init
	// entry (it changes nothing but the zxid) starts the new epoch at once,
	// as ZooKeeper's NEWLEADER does.
	if uint64(s.fsm.LastZxid())>>32 < s.term() {
		if err := s.propose(fsm.EncodeInit(nil), s.opts.initTimeout()).Error(); err != nil {
			return fmt.Errorf("starting the epoch: %w", err)
		}
	}
	if err := s.initialConfig(); err != nil {
		return fmt.Errorf("proposing /zookeeper/config: %w", err)
	}
	if err := s.finishCutReconfig(); err != nil {
		return fmt.Errorf("finishing an interrupted reconfig: %w", err)
	}
	return nil
}

// term is raft's current term: ZooKeeper's epoch.
func (s *Server) term() uint64 { return s.node.raft.CurrentTerm() }
