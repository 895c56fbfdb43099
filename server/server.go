// Package server is zkraft's client front end: the listener, sessions, the
// request pipeline onto raft, watches and four-letter words.
package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
)

// Server is one zkraft member serving clients.
type Server struct {
	opts Options
	log  *slog.Logger

	fsm  *fsm.FSM
	node *raftNode
	ln   net.Listener
	ens  *ensemble // nil when standalone
	ro   readOnlyState

	// stateMu is held for writing while raft applies an entry (lockedFSM)
	// and for reading while a request reads the tree and queues its reply.
	stateMu sync.RWMutex

	watches  *watchManager
	sessions *sessionTracker
	pending  pendingWrites
	futures  *futureWatcher
	conns    connSet
	stats    serverStats

	started time.Time
	quit    chan struct{}
	wg      sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// New prepares a server; Start opens its raft node and listener.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:    opts,
		log:     logger,
		watches: newWatchManager(),
		quit:    make(chan struct{}),
	}
	s.sessions = newSessionTracker(opts.ServerID)
	s.futures = &futureWatcher{ch: make(chan watchedFuture, 4096), quit: s.quit, log: logger.Warn}
	s.pending.m = make(map[int64]*writeQueue)
	s.conns.perIP = make(map[string]int)
	s.conns.all = make(map[*conn]struct{})
	return s, nil
}

// validate checks the options Start relies on, naming the field and limit.
func (o *Options) validate() error {
	switch {
	case o.ClientAddr == "":
		return errors.New("server: ClientAddr is empty")
	case o.DataDir == "":
		return errors.New("server: DataDir is empty")
	case o.TickTime <= 0:
		return fmt.Errorf("server: TickTime %v must be positive", o.TickTime)
	case o.MinSessionTimeout <= 0 || o.MaxSessionTimeout < o.MinSessionTimeout:
		return fmt.Errorf("server: session timeouts [%v, %v] must be positive and ordered",
			o.MinSessionTimeout, o.MaxSessionTimeout)
	case o.MaxBuffer <= 0:
		return fmt.Errorf("server: MaxBuffer %d must be positive", o.MaxBuffer)
	case o.ServerID < 0 || o.ServerID > 254:
		return fmt.Errorf("server: ServerID %d must be in [0, 254]", o.ServerID)
	}
	return nil
}

// Start opens storage and raft, waits for leadership (standalone) and starts
// accepting clients.
func (s *Server) Start() error {
	s.started = time.Now()
	s.fsm = fsm.New(fsm.Options{
		SuperDigest:   s.opts.SuperDigest,
		ExtendedTypes: s.opts.ExtendedTypes,
		EnforceQuota:  s.opts.EnforceQuota,
	})
	s.fsm.OnApply(s.onApply)

	trans := s.opts.Transport
	if s.opts.ensembleMode() && trans == nil {
		ens, t, err := s.openEnsemble()
		if err != nil {
			return err
		}
		s.ens, trans = ens, t
	}
	if trans == nil {
		_, trans = raft.NewInmemTransport(standaloneAddr(s.opts.ServerID))
	}
	var stored func(uint64)
	var applied func(index, term uint64)
	var restored func()
	if s.ens != nil {
		stored = s.ens.commits.logsStored
		applied = func(index, term uint64) {
			s.ens.push.applied(index, term)
			s.ens.applies.changed()
		}
		restored = s.ens.applies.changed
	}
	node, err := openRaft(&s.opts, wrapFSM(&s.stateMu, s.fsm, &s.stats.snapshots, applied, restored), trans, s.log, &s.stats.logWrites, stored, s.mayBootstrap)
	if err != nil {
		if s.ens != nil {
			s.ens.close()
		}
		return err
	}
	s.node = node
	s.log.Info("raft opened", "took", time.Since(s.started).Round(time.Millisecond),
		"zxid", fmt.Sprintf("0x%x", s.fsm.LastZxid()))
	// An ensemble member serves as soon as a leader is known; it does not
	// wait for one here (it may never lead).
	if s.ens == nil {
		if err := s.becomeLeader(); err != nil {
			s.node.shutdown()
			s.node = nil
			return err
		}
	}

	ln, err := net.Listen("tcp", s.opts.ClientAddr)
	if err != nil {
		s.node.shutdown()
		s.node = nil
		if s.ens != nil {
			s.ens.close()
		}
		return fmt.Errorf("server: listening on %s: %w", s.opts.ClientAddr, err)
	}
	s.ln = ln
	if s.ens != nil {
		s.startEnsemble()
	}
	s.log.Info("serving clients", "addr", ln.Addr().String(), "zxid", fmt.Sprintf("0x%x", s.fsm.LastZxid()),
		"startup", time.Since(s.started).Round(time.Millisecond))

	s.wg.Add(4)
	go s.futures.run(&s.wg)
	go s.acceptLoop()
	go s.expiryLoop()
	go s.reapLoop()
	return nil
}

// becomeLeader waits until the one-voter raft leads and has applied its whole
// log, then makes sure the cluster secret exists. Every live session gets a
// fresh full timeout from now on (the tracker starts empty).
func (s *Server) becomeLeader() error {
	if err := s.node.waitLeader(30 * time.Second); err != nil {
		return err
	}
	if err := s.node.raft.Barrier(30 * time.Second).Error(); err != nil {
		return fmt.Errorf("server: waiting for the log to apply: %w", err)
	}
	if !s.fsm.HasSecret() {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("server: generating the cluster secret: %w", err)
		}
		if err := s.propose(fsm.EncodeInit(secret), 10*time.Second).Error(); err != nil {
			return fmt.Errorf("server: proposing the cluster secret: %w", err)
		}
	}
	s.sessions.renewAll(s.fsm.Sessions(), time.Now())
	return nil
}

// closeSnapshotEntries is how many entries past the last snapshot make Close
// take one, so that the next start restores instead of replaying.
const closeSnapshotEntries = 4096

// Addr is the client listener's address once started.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting, closes connections without closing their sessions
// (clients reconnect after a restart), and shuts raft down.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		if s.ens != nil && s.ens.fwd != nil {
			// Fail forwarded writes now, so nothing waits on the leader.
			s.ens.fwd.Close()
		}
		var errs []error
		if s.ln != nil {
			if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		s.conns.closeAll()
		s.wg.Wait()
		if s.node != nil {
			s.node.snapshotBeforeShutdown(closeSnapshotEntries, s.log)
			errs = append(errs, s.node.shutdown())
		}
		if s.ens != nil {
			s.ens.close()
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.quit:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			s.log.Error("accept failed", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		c := newConn(s, nc)
		if !s.conns.add(c, s.opts.MaxClientCnxns, s.opts.MaxCnxns) {
			s.stats.connRejected.Add(1)
			s.log.Warn("too many connections", "client", c.remote,
				"maxClientCnxns", s.opts.MaxClientCnxns, "maxCnxns", s.opts.MaxCnxns)
			nc.Close()
			continue
		}
		c.start()
	}
}

// connSet tracks live connections, in total and per client IP.
type connSet struct {
	mu    sync.Mutex
	all   map[*conn]struct{}
	perIP map[string]int
	shut  bool
}

func (cs *connSet) add(c *conn, maxPerIP, maxTotal int) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.shut {
		return false
	}
	if maxPerIP > 0 && cs.perIP[c.ip] >= maxPerIP {
		return false
	}
	if maxTotal > 0 && len(cs.all) >= maxTotal {
		return false
	}
	cs.all[c] = struct{}{}
	cs.perIP[c.ip]++
	return true
}

func (cs *connSet) remove(c *conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, ok := cs.all[c]; !ok {
		return
	}
	delete(cs.all, c)
	if cs.perIP[c.ip]--; cs.perIP[c.ip] <= 0 {
		delete(cs.perIP, c.ip)
	}
}

func (cs *connSet) list() []*conn {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]*conn, 0, len(cs.all))
	for c := range cs.all {
		out = append(out, c)
	}
	return out
}

func (cs *connSet) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.all)
}

// closeAll closes every connection and refuses new ones; sessions stay.
func (cs *connSet) closeAll() {
	cs.mu.Lock()
	cs.shut = true
	conns := make([]*conn, 0, len(cs.all))
	for c := range cs.all {
		conns = append(conns, c)
	}
	cs.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	for _, c := range conns {
		<-c.done
	}
}

// propose hands a log entry to raft (this server leads) and counts it for
// the proposal figures of srvr and mntr. Every entry zkraft proposes goes
// through here; an ensemble's go through its proposal gate (proposals.go).
func (s *Server) propose(entry []byte, timeout time.Duration) raft.ApplyFuture {
	s.stats.proposals.add(len(entry))
	if s.ens != nil && s.ens.gate != nil {
		return s.ens.gate.propose(entry, timeout)
	}
	return s.node.raft.Apply(entry, timeout)
}
