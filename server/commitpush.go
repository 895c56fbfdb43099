package server

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/server/cluster"
)

// Commit pushes: an idle leader tells the other members at once that its
// last entries committed.
//
// hashicorp/raft gives a follower the commit index only inside the next
// AppendEntries: the next batch of entries, or, when the leader has nothing
// new, the heartbeat it sends every CommitTimeout (then 5-10 ms, now 50-100
// ms). A member applies an entry only once it knows it committed, so a
// change made through one member reached the watchers and readers on the
// others up to 10 ms after the leader had it, where ZooKeeper's leader sends
// COMMIT to every follower at once. A follower already learns the commits of the writes it forwarded
// from the leader's answers (commitnotice.go). The leader now sends every
// other member the same notice, the index and term of its last applied entry,
// over the quorum port (cluster.ProtoCommit), whenever it has applied its
// whole log and no batch of proposals is in flight (proposals.go): then no
// AppendEntries is on its way that would carry the commit soon. Under load
// the next batch goes to raft the moment one applied, the AppendEntries
// that sends it carries the commit, and nothing is pushed; the gate pokes
// the pusher when its last batch applied and none follows. The member
// hands the notice to its commit-notice loop, which feeds it to its own raft
// with raft's checks (commitnotice.go): only for an entry of raft's current
// term that the member's log holds.

// commitPusher is the leader's side: the newest applied entry, and one
// sender per other member.
type commitPusher struct {
	index, term atomic.Uint64 // newest entry applied here
	wake        chan struct{}
	log         *slog.Logger

	mu    sync.Mutex
	peers map[raft.ServerAddress]*pushPeer
}

func newCommitPusher(logger *slog.Logger) *commitPusher {
	return &commitPusher{wake: make(chan struct{}, 1), log: logger, peers: map[raft.ServerAddress]*pushPeer{}}
}

// applied records an entry the FSM applied. Called on raft's FSM goroutine
// after every entry, on every member, so it only stores and pokes.
func (p *commitPusher) applied(index, term uint64) {
	p.term.Store(term)
	p.index.Store(index)
	p.poke()
}

// poke makes the push loop look again (the proposal gate calls it when its
// last batch applied).
func (p *commitPusher) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// pushPeer sends one member the newest notice; older ones are skipped.
type pushPeer struct {
	addr   string
	log    *slog.Logger
	notice atomic.Pointer[[16]byte]
	wake   chan struct{}
	quit   chan struct{}
}

func (pp *pushPeer) send(notice [16]byte) {
	pp.notice.Store(&notice)
	select {
	case pp.wake <- struct{}{}:
	default:
	}
}

// run writes the newest notice whenever there is one, redialling at most
// once a second after a failure (notices meanwhile are dropped: the
// heartbeat carries the commit index a few milliseconds later anyway).
func (pp *pushPeer) run() {
	var nc net.Conn
	var failed time.Time
	defer func() {
		if nc != nil {
			nc.Close()
		}
	}()
	for {
		select {
		case <-pp.quit:
			return
		case <-pp.wake:
		}
		notice := pp.notice.Swap(nil)
		if notice == nil {
			continue
		}
		if nc == nil {
			if time.Since(failed) < time.Second {
				continue
			}
			c, err := cluster.Dial(pp.addr, cluster.ProtoCommit, 200*time.Millisecond)
			if err != nil {
				pp.log.Debug("commit push: cannot reach member", "addr", pp.addr, "err", err)
				failed = time.Now()
				continue
			}
			nc = c
		}
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := nc.Write(notice[:]); err != nil {
			pp.log.Debug("commit push: write failed", "addr", pp.addr, "err", err)
			nc.Close()
			nc, failed = nil, time.Now()
		}
	}
}

// setPeers makes the pusher send to exactly these addresses.
func (p *commitPusher) setPeers(addrs []raft.ServerAddress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep := map[raft.ServerAddress]bool{}
	for _, a := range addrs {
		keep[a] = true
		if p.peers[a] == nil {
			pp := &pushPeer{addr: string(a), log: p.log, wake: make(chan struct{}, 1), quit: make(chan struct{})}
			p.peers[a] = pp
			go pp.run()
		}
	}
	for a, pp := range p.peers {
		if !keep[a] {
			close(pp.quit)
			delete(p.peers, a)
		}
	}
}

// commitPushLoop sends the other members a notice of the last applied entry
// whenever this member leads and has applied its whole log. Once a second
// it takes the members from raft's configuration (none while it follows).
func (s *Server) commitPushLoop() {
	defer s.wg.Done()
	p := s.ens.push
	defer p.setPeers(nil)
	self := raft.ServerID(strconv.Itoa(s.ens.self.ID))
	refresh := time.NewTicker(time.Second)
	defer refresh.Stop()
	var sent, peersTerm uint64
	s.refreshPushPeers(p, self)
	for {
		select {
		case <-s.quit:
			return
		case <-refresh.C:
			s.refreshPushPeers(p, self)
		case <-p.wake:
			index, term := p.index.Load(), p.term.Load()
			r := s.node.raft
			if index <= sent || r.State() != raft.Leader || r.LastIndex() > index || s.ens.gate.inFlight() {
				continue
			}
			if t := r.CurrentTerm(); t != peersTerm {
				// Leading in a new term: find the members now, not at the
				// next tick.
				s.refreshPushPeers(p, self)
				peersTerm = t
			}
			sent = index
			var notice [16]byte
			copy(notice[:], encodeCommit(index, term))
			p.mu.Lock()
			for _, pp := range p.peers {
				pp.send(notice)
			}
			p.mu.Unlock()
		}
	}
}

// refreshPushPeers points the pusher at the other members of raft's
// configuration while this member leads, and at none otherwise.
func (s *Server) refreshPushPeers(p *commitPusher, self raft.ServerID) {
	var peers []raft.ServerAddress
	if s.node.isLeader() {
		if f := s.node.raft.GetConfiguration(); f.Error() == nil {
			for _, sv := range f.Configuration().Servers {
				if sv.ID != self {
					peers = append(peers, sv.Address)
				}
			}
		}
	}
	p.setPeers(peers)
}

// serveCommitPushes hands the notices leaders push to this member to its
// commit-notice loop, from every connection accepted on ln until ln closes.
func serveCommitPushes(ln net.Listener, n *commitNotifier) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer nc.Close()
			var notice [16]byte
			for {
				if _, err := io.ReadFull(nc, notice[:]); err != nil {
					return
				}
				if binary.BigEndian.Uint64(notice[:8]) != 0 {
					n.learned(notice[:])
				}
			}
		}()
	}
}
