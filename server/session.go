package server

import (
	"crypto/subtle"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// localSession is what this server tracks of a live session: when it last
// heard from it, its timeout and the connection attached to it.
type localSession struct {
	id        int64
	timeout   atomic.Int64 // ns
	lastHeard atomic.Int64 // unix ns

	// guarded by sessionTracker.mu
	conn     *conn
	expiring time.Time // when an expiry was proposed; zero if none
}

func (ls *localSession) touch(now time.Time) { ls.lastHeard.Store(now.UnixNano()) }

// sessionTracker owns session ids and expiry on this (leading) server.
type sessionTracker struct {
	mu   sync.Mutex
	m    map[int64]*localSession
	next int64
}

// newSessionTracker seeds ids as ZooKeeper's SessionTrackerImpl does: the
// millisecond clock shifted into bits 8..55 (the top byte cleared) and the
// server id in the top byte; ids then count up from there.
func newSessionTracker(serverID int) *sessionTracker {
	ms := uint64(time.Now().UnixMilli())
	next := int64((ms<<24)>>8) | int64(serverID)<<56
	return &sessionTracker{m: make(map[int64]*localSession), next: next}
}

// newID returns an id no live session has.
func (t *sessionTracker) newID(live func(int64) bool) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		id := t.next
		t.next++
		if _, ok := t.m[id]; ok || id == 0 || live(id) {
			continue
		}
		return id
	}
}

// renewAll gives every live session a fresh full timeout from now: a new
// leader cannot know when they were last heard.
func (t *sessionTracker) renewAll(live []fsm.Session, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range live {
		ls := t.m[s.ID]
		if ls == nil {
			ls = &localSession{id: s.ID}
			ls.timeout.Store(int64(time.Duration(s.Timeout) * time.Millisecond))
			t.m[s.ID] = ls
		}
		ls.touch(now)
	}
}

// attach binds c to the session, renewing it with timeout, and returns the
// connection it replaces (to be closed) if any.
func (t *sessionTracker) attach(id int64, timeout time.Duration, c *conn, now time.Time) (*localSession, *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ls := t.m[id]
	if ls == nil {
		ls = &localSession{id: id}
		t.m[id] = ls
	}
	ls.timeout.Store(int64(timeout))
	ls.touch(now)
	ls.expiring = time.Time{}
	old := ls.conn
	ls.conn = c
	if old == c {
		old = nil
	}
	return ls, old
}

func (t *sessionTracker) detach(ls *localSession, c *conn) {
	t.mu.Lock()
	if ls.conn == c {
		ls.conn = nil
	}
	t.mu.Unlock()
}

// remove forgets a session that ended and returns its connection.
func (t *sessionTracker) remove(id int64) *conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	ls := t.m[id]
	if ls == nil {
		return nil
	}
	delete(t.m, id)
	return ls.conn
}

// due lists the live sessions silent for longer than their timeout. A
// session this server has not tracked yet starts its timeout now. An expiry
// already proposed is not proposed again for a few ticks.
func (t *sessionTracker) due(live []fsm.Session, now time.Time, retry time.Duration) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	seen := make(map[int64]struct{}, len(live))
	for _, s := range live {
		seen[s.ID] = struct{}{}
		ls := t.m[s.ID]
		if ls == nil {
			ls = &localSession{id: s.ID}
			ls.timeout.Store(int64(time.Duration(s.Timeout) * time.Millisecond))
			ls.touch(now)
			t.m[s.ID] = ls
			continue
		}
		if now.UnixNano()-ls.lastHeard.Load() <= ls.timeout.Load() {
			continue
		}
		if !ls.expiring.IsZero() && now.Sub(ls.expiring) < retry {
			continue
		}
		ls.expiring = now
		out = append(out, s.ID)
	}
	for id := range t.m {
		if _, ok := seen[id]; !ok {
			delete(t.m, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// expiryLoop proposes the expiry of silent sessions about every half tick.
func (s *Server) expiryLoop() {
	s.every(max(s.opts.TickTime/2, 10*time.Millisecond), func(now time.Time) {
		if !s.leads() {
			return
		}
		ids := s.sessions.due(s.fsm.Sessions(), now, 4*s.opts.TickTime)
		if len(ids) == 0 {
			return
		}
		s.log.Info("expiring sessions", "count", len(ids), "first", fmt.Sprintf("0x%x", ids[0]))
		if err := s.propose(fsm.EncodeExpire(now.UnixMilli(), ids), 0).Error(); err != nil {
			s.log.Warn("proposing session expiry failed", "err", err)
		}
	})
}

// negotiate clamps a requested timeout into [MinSessionTimeout,
// MaxSessionTimeout] as ZooKeeper does.
func (s *Server) negotiate(requested int32) int32 {
	t := time.Duration(requested) * time.Millisecond
	t = max(t, s.opts.MinSessionTimeout)
	t = min(t, s.opts.MaxSessionTimeout)
	return int32(t / time.Millisecond)
}

// handshake answers the connect request: a new session is proposed and
// answered by onApply (the reader waits for it); a reconnect is validated
// against the fsm and answered here.
func (c *conn) handshake(frame []byte) error {
	var req protocol.ConnectRequest
	if err := protocol.Unmarshal(frame, &req); err != nil {
		return fmt.Errorf("decoding connect request: %w", err)
	}
	s := c.s
	c.readOnly = req.HasReadOnly
	if !s.serving() && s.readOnly() && req.HasReadOnly && req.ReadOnly {
		return c.handshakeReadOnly(&req)
	}
	if !s.serving() {
		// No leader known (or the ensemble has not formed): the client
		// tries another server, as with ZooKeeper's non-serving state.
		s.log.Debug("refusing session: no leader", "client", c.remote)
		return errClose
	}
	if c.clientAhead(&req) {
		return errClose
	}
	timeout := c.negotiateTimeout(&req)
	now := time.Now()
	if s.outOfContact(time.Duration(timeout)*time.Millisecond, now) {
		// The leader is known but has not been heard from for long enough
		// that contactLoop would close the connection at once.
		s.log.Debug("refusing session: no recent leader contact", "client", c.remote)
		return errClose
	}
	if req.SessionID == 0 {
		id := s.sessions.newID(func(id int64) bool { _, ok := s.fsm.Session(id); return ok })
		h := fsm.Header{SessionID: id, Op: protocol.OpCreateSession, Time: now.UnixMilli(), Auth: c.auth, Owner: c.owner}
		body := protocol.Marshal(&fsm.CreateSessionBody{Timeout: timeout})
		c.propose(id, 0, protocol.OpCreateSession, fsm.EncodeRequest(&h, body), now)
		if !c.waitWrites() || c.sess.Load() == nil {
			return errClose
		}
		return nil
	}
	if !c.validResume(&req) {
		return errClose
	}
	c.moveSession(req.SessionID, now)
	c.attach(req.SessionID, now)
	return nil
}

// clientAhead reports (and logs) a client that has seen a later state than
// this server has: ZooKeeper refuses it, and the client tries another server.
func (c *conn) clientAhead(req *protocol.ConnectRequest) bool {
	last := c.s.fsm.LastZxid()
	if req.LastZxidSeen <= last {
		return false
	}
	c.s.log.Info("refusing session: client is ahead", "client", c.remote,
		"clientZxid", fmt.Sprintf("0x%x", req.LastZxidSeen), "zxid", fmt.Sprintf("0x%x", last))
	return true
}

// negotiateTimeout settles the connection's session timeout (ms).
func (c *conn) negotiateTimeout(req *protocol.ConnectRequest) int32 {
	timeout := c.s.negotiate(req.TimeOut)
	c.timeout.Store(int64(time.Duration(timeout) * time.Millisecond))
	return timeout
}

// validResume checks a reconnect's session and password. A refused one gets
// what ZooKeeper answers for an expired or unknown session (a zero timeout,
// id and password) and the connection closes after it; when the leader cannot
// be asked the connection closes unanswered, so the client tries another
// server with its session.
func (c *conn) validResume(req *protocol.ConnectRequest) bool {
	s := c.s
	_, live := s.fsm.Session(req.SessionID)
	if s.ens != nil && !c.roConn.Load() && (!live || !s.node.isLeader()) {
		// ZooKeeper's follower asks the leader whether a reconnecting
		// session lives. Here the member catches up with the leader first:
		// a session created through another member a moment ago may not
		// have applied here yet, and one the leader expired while this
		// member was cut off still looks alive in its stale tree.
		// During an election the answer waits for the new leader, as long
		// as this member could still vouch for the session (contact.go).
		if !s.awaitLeader(contactLimit(time.Duration(c.timeout.Load()))) || !s.syncWithLeader() {
			s.log.Info("cannot check a reconnecting session with the leader; closing", "client", c.remote,
				"session", fmt.Sprintf("0x%x", req.SessionID))
			return false
		}
		_, live = s.fsm.Session(req.SessionID)
	}
	if live && subtle.ConstantTimeCompare(req.Passwd, s.fsm.Password(req.SessionID)) == 1 {
		return true
	}
	s.log.Info("refusing reconnect: session expired or password wrong", "client", c.remote,
		"session", fmt.Sprintf("0x%x", req.SessionID), "live", live)
	c.queueRecord(&protocol.ConnectResponse{Passwd: make([]byte, 16), HasReadOnly: c.readOnly})
	c.closeAfterFlush()
	return false
}

// sessionCreated completes a new session inside onApply.
func (c *conn) sessionCreated(r *fsm.Result) {
	if r.Err != protocol.ErrOK {
		c.s.log.Warn("creating session failed", "session", fmt.Sprintf("0x%x", r.SessionID), "err", r.Err)
		go c.close()
		return
	}
	c.attach(r.SessionID, time.Now())
}

// attach binds the connection to its session and sends the connect response.
func (c *conn) attach(id int64, now time.Time) {
	timeout := time.Duration(c.timeout.Load())
	ls, old := c.s.sessions.attach(id, timeout, c, now)
	if old != nil {
		// The client moved to a new connection; the old one is stale.
		go old.close()
	}
	c.sess.Store(ls)
	c.sessionID.Store(id)
	passwd := c.s.fsm.Password(id)
	if passwd == nil {
		passwd = make([]byte, 16) // a read-only server of an ensemble that never had a leader
	}
	c.queueRecord(&protocol.ConnectResponse{
		TimeOut:     int32(timeout / time.Millisecond),
		SessionID:   id,
		Passwd:      passwd,
		HasReadOnly: c.readOnly,
		ReadOnly:    c.roConn.Load(),
	})
}

// futureWatcher checks raft futures in proposal order. A proposal raft
// rejects (leadership lost, shutdown) never applies, so the connection that
// made it cannot be answered in order: it is closed, as ZooKeeper drops
// connections when it stops serving.
type futureWatcher struct {
	ch   chan watchedFuture
	quit chan struct{}
	log  func(msg string, args ...any)
}

type watchedFuture struct {
	f raft.ApplyFuture
	c *conn
}

func (fw *futureWatcher) watch(f raft.ApplyFuture, c *conn) {
	select {
	case fw.ch <- watchedFuture{f, c}:
	case <-fw.quit:
	}
}

func (fw *futureWatcher) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case w := <-fw.ch:
			if err := w.f.Error(); err != nil {
				fw.log("proposal failed; closing connection", "client", w.c.remote, "err", err)
				w.c.close()
			}
		case <-fw.quit:
			return
		}
	}
}
