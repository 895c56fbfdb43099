package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// Reconfig (op 16) runs on the leader, one at a time. A follower forwards
// the client's request entry like any write; the leader recognises it
// (reconfigEntry) and, instead of proposing it, changes raft's membership
// and then proposes an fsm.EntryConfig that carries the new
// /zookeeper/config and answers the client (or only the refusal's error
// code). The requester's connection proposes nothing else until that
// answer applied, so the session's order holds.
//
// Order of the checks, as ZooKeeper 3.8: reconfigEnabled (otherwise the
// request goes through the log unchanged and every replica answers
// ReconfigDisabled), WRITE on /zookeeper/config (NoAuth; only the super user
// has it by default), another reconfig running (ReconfigInProgress), the
// new configuration's syntax (BadArguments), fromConfig (BadVersion), and
// a quorum of the new voters reachable (NewConfigNoQuorum).

// reconfigEntry decodes entry when it is a client's reconfig request.
func reconfigEntry(entry []byte) (fsm.Header, *protocol.ReconfigRequest, bool) {
	if !fsm.IsRequest(entry) {
		return fsm.Header{}, nil, false
	}
	h, body, err := fsm.DecodeRequest(entry)
	if err != nil || h.Op != protocol.OpReconfig {
		return fsm.Header{}, nil, false
	}
	req, err := protocol.DecodeRequest(protocol.OpReconfig, body)
	if err != nil {
		return fsm.Header{}, nil, false // the fsm answers MarshallingError
	}
	return h, req.(*protocol.ReconfigRequest), true
}

// interceptReconfig starts a reconfig on this leader if entry is one; ok
// is false for every other entry (and when reconfig is disabled).
func (s *Server) interceptReconfig(entry []byte) (raft.ApplyFuture, bool) {
	if !s.opts.ReconfigEnabled || s.ens == nil {
		return nil, false
	}
	h, req, ok := reconfigEntry(entry)
	if !ok {
		return nil, false
	}
	f := &asyncFuture{done: make(chan struct{})}
	go func() {
		f.final = s.reconfigure(h, req)
		f.final.Error() // wait for it to commit
		close(f.done)
	}()
	return f, true
}

// asyncFuture is the ApplyFuture of work done beside raft, ending with one
// proposal (final): it completes when that entry was committed, or fails
// with the work's error.
type asyncFuture struct {
	done  chan struct{}
	final raft.ApplyFuture
}

func (f *asyncFuture) Error() error          { <-f.done; return f.final.Error() }
func (f *asyncFuture) Index() uint64         { <-f.done; return f.final.Index() }
func (f *asyncFuture) Response() interface{} { <-f.done; return f.final.Response() }

// reconfigure runs one reconfig request on the leader and returns the
// future of the EntryConfig that answers the client. A failed future means
// none could be proposed (leadership lost): the client's connection is
// dropped.
func (s *Server) reconfigure(h fsm.Header, req *protocol.ReconfigRequest) raft.ApplyFuture {
	answer := func(code protocol.ErrCode, why string) raft.ApplyFuture {
		s.log.Info("reconfig refused", "session", fmt.Sprintf("0x%x", h.SessionID), "err", code, "why", why)
		return s.propose(fsm.EncodeConfig(&fsm.ConfigChange{
			SessionID: h.SessionID, Cxid: h.Cxid, Time: time.Now().UnixMilli(), Err: code,
		}), 0)
	}
	if !s.fsm.CanReconfig(h.Auth) {
		return answer(protocol.ErrNoAuth, "no WRITE permission on /zookeeper/config")
	}
	if !s.ens.reconfigMu.TryLock() {
		return answer(protocol.ErrReconfigInProgress, "another reconfig is running")
	}
	defer s.ens.reconfigMu.Unlock()
	cur, version, err := parseConfig(s.fsm.Config())
	if err != nil {
		return answer(protocol.ErrReconfigInProgress, err.Error())
	}
	next, err := nextMembers(cur, req)
	if err != nil {
		return answer(protocol.ErrBadArguments, err.Error())
	}
	if req.CurConfigID != -1 && req.CurConfigID != version {
		return answer(protocol.ErrBadVersion, fmt.Sprintf("fromConfig %x is not the current version %x", req.CurConfigID, version))
	}
	return s.applyMembers(cur, next, h.SessionID, h.Cxid, answer)
}

// applyMembers changes raft's membership from cur (what /zookeeper/config
// lists) to next and proposes the new /zookeeper/config, answering
// session/cxid (0 for the server's own changes), and returns that
// proposal's future. refuse proposes a refusal instead. Caller holds
// reconfigMu.
func (s *Server) applyMembers(cur, next []Member, session int64, cxid int32, refuse func(protocol.ErrCode, string) raft.ApplyFuture) raft.ApplyFuture {
	lines, err := configLines(next)
	if err != nil {
		return refuse(protocol.ErrBadArguments, err.Error())
	}
	after, err := s.changeRaftMembers(cur, next)
	if errors.Is(err, errNoQuorum) {
		return refuse(protocol.ErrNewConfigNoQuorum, err.Error())
	}
	if err != nil {
		return failedFuture{err}
	}
	f := s.propose(fsm.EncodeConfig(&fsm.ConfigChange{
		SessionID: session, Cxid: cxid, Time: time.Now().UnixMilli(), Members: lines,
	}), 0)
	if f.Error() != nil {
		return f
	}
	s.log.Info("reconfigured", "members", strings.ReplaceAll(strings.TrimSpace(lines), "\n", ", "))
	if after != nil {
		// Last, after the new configuration committed: departing servers
		// still received it (a client whose request came through one of
		// them is answered there), and a leader leaving (or becoming an
		// observer) steps down with it.
		if err := after(); err != nil {
			s.log.Warn("removing departed servers after the new configuration committed failed", "err", err)
		}
	}
	return f
}

// nextMembers is the configuration a reconfig asks for: newMembers
// replaces the whole list; joining adds or replaces servers by id and
// leaving removes ids (absent ids are ignored, as in ZooKeeper).
func nextMembers(cur []Member, req *protocol.ReconfigRequest) ([]Member, error) {
	incremental := req.JoiningServers != "" || req.LeavingServers != ""
	if incremental && req.NewMembers != "" {
		return nil, errors.New("joining/leaving and newMembers may not be combined")
	}
	if !incremental && req.NewMembers == "" {
		return nil, errors.New("the request names no servers")
	}
	byID := map[int]Member{}
	if incremental {
		for _, m := range cur {
			byID[m.ID] = m
		}
		for _, id := range splitList(req.LeavingServers) {
			n, err := strconv.Atoi(id)
			if err != nil {
				return nil, fmt.Errorf("leaving server %q is not an id", id)
			}
			delete(byID, n)
		}
	}
	for _, spec := range splitList(req.JoiningServers + "," + req.NewMembers) {
		if strings.HasPrefix(spec, "version=") {
			continue // a pasted /zookeeper/config
		}
		m, err := parseServerSpec(spec)
		if err != nil {
			return nil, err
		}
		byID[m.ID] = m
	}
	var next []Member
	voters := 0
	for _, m := range byID {
		next = append(next, m)
		if !m.Observer {
			voters++
		}
	}
	if voters == 0 {
		return nil, errors.New("the new configuration has no participant")
	}
	return next, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

var errNoQuorum = errors.New("a quorum of the new configuration's participants is not reachable")

// changeRaftMembers moves raft's configuration to next: new servers join
// as non-voters (raft sends them the log), new participants are promoted
// once caught up, observers demoted. The removal of departed servers and
// any change of this server itself are returned as a function to run after
// the new configuration committed: a departing server must still receive
// that entry, to answer a reconfig that came through it, as ZooKeeper's
// does. (Should this leader fail in between, the next one finishes the
// removal: finishCutReconfig.) Before any voter changes, a majority of next's
// participants must be reachable: this leader, peers not failing raft
// heartbeats, and new servers that caught up; otherwise the servers just
// added are removed again and errNoQuorum returned. Raft non-voters that
// cur does not list are joiners still catching up (join.go) and are left
// alone.
func (s *Server) changeRaftMembers(cur, next []Member) (after func() error, err error) {
	r := s.node.raft
	timeout := s.opts.syncTimeout()
	cf := r.GetConfiguration()
	if err := cf.Error(); err != nil {
		return nil, err
	}
	before := map[raft.ServerID]raft.Server{}
	for _, srv := range cf.Configuration().Servers {
		before[srv.ID] = srv
	}
	self := raft.ServerID(strconv.Itoa(s.opts.ServerID))
	var selfChange func() error
	var added []raft.ServerID
	var fresh []Member
	for _, m := range next {
		id := raft.ServerID(strconv.Itoa(m.ID))
		if _, ok := before[id]; ok {
			continue
		}
		if err := r.AddNonvoter(id, raft.ServerAddress(m.QuorumAddr), 0, timeout).Error(); err != nil {
			return nil, fmt.Errorf("adding server %d: %w", m.ID, err)
		}
		added = append(added, id)
		if !m.Observer {
			fresh = append(fresh, m)
		}
	}
	caught := s.waitCaughtUp(fresh)
	s.ens.mu.Lock()
	voters, up := 0, 0
	for _, m := range next {
		if m.Observer {
			continue
		}
		id := raft.ServerID(strconv.Itoa(m.ID))
		_, was := before[id]
		voters++
		if id == self || (was && !s.ens.failing[id]) || caught[m.ID] {
			up++
		}
	}
	s.ens.mu.Unlock()
	if 2*up <= voters {
		for _, id := range added {
			if err := r.RemoveServer(id, 0, timeout).Error(); err != nil {
				s.log.Warn("removing a server added for a refused reconfig", "id", string(id), "err", err)
			}
		}
		return nil, fmt.Errorf("%w: %d of %d", errNoQuorum, up, voters)
	}

	inNext := map[raft.ServerID]bool{}
	for _, m := range next {
		id := raft.ServerID(strconv.Itoa(m.ID))
		inNext[id] = true
		addr := raft.ServerAddress(m.QuorumAddr)
		prev, was := before[id]
		var f raft.IndexFuture
		switch {
		case !m.Observer && (!was || prev.Suffrage != raft.Voter || prev.Address != addr):
			f = r.AddVoter(id, addr, 0, timeout)
		case m.Observer && was && prev.Suffrage == raft.Voter && id == self:
			selfChange = func() error { return r.DemoteVoter(id, 0, timeout).Error() }
		case m.Observer && was && prev.Suffrage == raft.Voter:
			f = r.DemoteVoter(id, 0, timeout)
		case m.Observer && was && prev.Address != addr:
			f = r.AddNonvoter(id, addr, 0, timeout)
		}
		if f != nil {
			if err := f.Error(); err != nil {
				return nil, fmt.Errorf("changing server %d: %w", m.ID, err)
			}
		}
	}
	listed := map[raft.ServerID]bool{}
	for _, m := range cur {
		listed[raft.ServerID(strconv.Itoa(m.ID))] = true
	}
	var departed []raft.ServerID
	for id, srv := range before {
		switch {
		case inNext[id]:
		case !listed[id] && srv.Suffrage != raft.Voter:
		case id == self:
			selfChange = func() error { return r.RemoveServer(id, 0, timeout).Error() }
		default:
			departed = append(departed, id)
		}
	}
	if len(departed) == 0 && selfChange == nil {
		return nil, nil
	}
	return func() error {
		for _, id := range departed {
			if err := r.RemoveServer(id, 0, timeout).Error(); err != nil {
				return fmt.Errorf("removing server %s: %w", id, err)
			}
		}
		if selfChange != nil {
			return selfChange()
		}
		return nil
	}, nil
}

// catchUpWait bounds how long a reconfig waits for new participants to
// catch up before counting them as unreachable: about a tick, so that the
// client (whose other requests wait behind the reconfig) is answered well
// within its session timeout.
func (o *Options) catchUpWait() time.Duration {
	return min(max(o.TickTime, time.Second), 5*time.Second)
}

// waitCaughtUp waits until each of ms has applied what this leader has
// applied now, or catchUpWait passed, and returns the ids that did.
func (s *Server) waitCaughtUp(ms []Member) map[int]bool {
	caught := map[int]bool{}
	if len(ms) == 0 {
		return caught
	}
	target := s.fsm.LastZxid()
	deadline := time.Now().Add(s.opts.catchUpWait())
	for {
		for _, m := range ms {
			if !caught[m.ID] {
				if z, ok := s.memberZxid(m); ok && z >= target {
					caught[m.ID] = true
				}
			}
		}
		if len(caught) == len(ms) || time.Now().After(deadline) {
			return caught
		}
		select {
		case <-s.quit:
			return caught
		case <-time.After(50 * time.Millisecond):
		}
	}
}
