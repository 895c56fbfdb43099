package server

import (
	"encoding/binary"
	"strconv"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
)

// Commit notices: a follower learns that its forwarded write committed
// before its raft does.
//
// A follower answers a client's write from its own apply of the entry, and
// hashicorp/raft tells a follower the leader's commit index only with the
// next AppendEntries: the next batch of entries (which the follower first
// stores, with an fsync) or, when none comes, after CommitTimeout. Both put
// milliseconds between the commit and the follower's reply that the write
// does not need.
//
// The leader's answer to a forwarded write already proves the commit: it
// comes after the leader's apply future succeeded. So the leader puts the
// entry's index and term in that answer, and the follower hands its own raft
// the AppendEntries the leader would send next with nothing new in it:
// term T, previous entry (index I, term T), leader commit I. It goes in
// through this member's own raft transport (cluster.Transport.Inject, in
// process: no connection to its own quorum port), so the follower's raft
// handles it in its main loop like any other RPC and applies its usual
// checks: an older term is refused; the entry at I
// must exist with term T, which by raft's log matching makes every entry up
// to I identical to the leader's. Raft alone moves the commit index and
// applies, and only entries the leader committed. The notice does not move
// anything raft would not move on the leader's next AppendEntries.
//
// The follower sends a notice only once its log holds I (its store of the
// batch may finish after the leader committed it with the other followers'
// acknowledgements) and only while its current term is T, so that the
// leader it names, raft's known leader, is the one that committed the entry.

// commitNotifier holds the newest commit a follower learned and sends it to
// its own raft from one goroutine; notices that arrive while one is in
// flight fold into the next.
type commitNotifier struct {
	mu     sync.Mutex
	index  uint64 // newest entry known committed (0: none)
	term   uint64 // its term
	stored uint64 // last index this member's log store wrote
	wake   chan struct{}
}

func newCommitNotifier() *commitNotifier {
	return &commitNotifier{wake: make(chan struct{}, 1)}
}

// encodeCommit is the leader's answer payload to a forwarded write: the
// index and term of the committed entry.
func encodeCommit(index, term uint64) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), index)
	return binary.BigEndian.AppendUint64(b, term)
}

// committedPayload is what the leader answers a forwarded write whose
// future f succeeded: the index and term of its entry. The term is the high
// half of the zxid the fsm gave the entry. Entries without a result carry
// nothing; the follower then waits for raft as before.
func committedPayload(f raft.ApplyFuture) []byte {
	r, ok := f.Response().(*fsm.Result)
	if !ok || r == nil || f.Index() == 0 {
		return nil
	}
	return encodeCommit(f.Index(), uint64(r.Zxid)>>32)
}

// learned records a commit from the leader's answer (a 16-byte payload;
// anything else is ignored). Called on the forwarder's reader goroutine.
func (n *commitNotifier) learned(payload []byte) {
	if len(payload) != 16 {
		return
	}
	index, term := binary.BigEndian.Uint64(payload), binary.BigEndian.Uint64(payload[8:])
	n.mu.Lock()
	if index > n.index {
		n.index, n.term = index, term
	}
	n.mu.Unlock()
	n.poke()
}

// logsStored records that the log store wrote entries up to last. Called
// inside raft's StoreLogs, so it must not block.
func (n *commitNotifier) logsStored(last uint64) {
	n.mu.Lock()
	n.stored = max(n.stored, last)
	waiting := n.index > 0 && n.index <= last
	n.mu.Unlock()
	if waiting {
		n.poke()
	}
}

func (n *commitNotifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// commitNoticeLoop sends this follower's raft the commits it learned from
// the leader's answers.
func (s *Server) commitNoticeLoop() {
	defer s.wg.Done()
	n := s.ens.commits
	selfID := raft.ServerID(strconv.Itoa(s.ens.self.ID))
	for {
		select {
		case <-s.quit:
			return
		case <-n.wake:
		}
		n.mu.Lock()
		index, term, stored := n.index, n.term, n.stored
		n.mu.Unlock()
		r := s.node.raft
		if index == 0 || index <= r.CommitIndex() || max(stored, r.LastIndex()) < index || r.CurrentTerm() != term {
			continue
		}
		leaderAddr, leaderID := r.LeaderWithID()
		if leaderID == "" || leaderID == selfID {
			continue
		}
		peer := s.node.trans.EncodePeer(leaderID, leaderAddr)
		req := &raft.AppendEntriesRequest{
			RPCHeader:         raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(leaderID), Addr: peer},
			Term:              term,
			Leader:            peer,
			PrevLogEntry:      index,
			PrevLogTerm:       term,
			LeaderCommitIndex: index,
		}
		resp, err := s.ens.trans.Inject(req, s.quit) // the server's shutdown does not wait for raft
		switch {
		case err != nil:
			s.log.Debug("commit notice to own raft failed", "index", index, "err", err)
		case resp.Success:
			s.stats.notices.Add(1)
		}
	}
}
