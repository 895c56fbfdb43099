package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/zkraft/zkraft/fsm"
)

// raftNode is the server's raft member: stores, snapshots, transport and the
// raft instance. Standalone is a one-voter cluster; the transport is a
// parameter so that ensembles can plug in a TCP transport on the quorum port.
type raftNode struct {
	raft   *raft.Raft
	logs   closingLogStore
	lead   *leaderLog // what raft writes through (leaderlog.go)
	stable *raftboltdb.BoltStore
	snaps  *raft.FileSnapshotStore
	trans  raft.Transport
}

// raftTimeouts maps ZooKeeper's tickTime onto raft's timers for a one-voter
// cluster. A standalone server has no peer to wait for, so the timers only
// decide how quickly it elects itself after a start:
//
//	HeartbeatTimeout = ElectionTimeout = tickTime/10, clamped to [20ms, 1s]
//	LeaderLeaseTimeout = HeartbeatTimeout/2
//	CommitTimeout = 5ms
//
// With the default tickTime of 2s the server leads about 200-400ms after its
// log is open. Ensembles will map tickTime*syncLimit instead.
func raftTimeouts(tick time.Duration, c *raft.Config) {
	hb := tick / 10
	hb = max(hb, 20*time.Millisecond)
	hb = min(hb, time.Second)
	c.HeartbeatTimeout = hb
	c.ElectionTimeout = hb
	c.LeaderLeaseTimeout = hb / 2
	c.CommitTimeout = 5 * time.Millisecond
}

// logCacheSize is how many recent raft entries stay in memory for raft's
// own reads: a few batches of MaxAppendEntries.
const logCacheSize = 2048

// Raft file names inside DataDir / DataLogDir.
const (
	raftLogFile    = "raft-log.db" // the raft-boltdb log of zkraft before raft-wal (logstore.go)
	raftStableFile = "raft-stable.db"
	// FileSnapshotStore keeps its snapshots in DataDir/snapshots; the log
	// is DataLogDir/raft-wal (logstore.go).
)

// openRaft opens (or creates) the stores in the option's directories and
// starts raft over trans. It bootstraps a one-voter configuration only when
// no earlier state exists; otherwise raft restores the newest snapshot and
// replays the log into f.
// stored, when not nil, is told the last index of every batch the log
// store wrote (commit notices wait for it). mayBootstrap is asked only when
// no state exists: false leaves raft without a configuration until a leader
// replicates one to it.
func openRaft(opts *Options, f raft.FSM, trans raft.Transport, logger *slog.Logger, logWrites *opHistogram,
	stored func(last uint64), mayBootstrap func() bool) (*raftNode, error) {
	logDir := opts.DataLogDir
	if logDir == "" {
		logDir = opts.DataDir
	}
	for _, d := range []string{opts.DataDir, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("server: creating %s: %w", d, err)
		}
	}
	n := &raftNode{trans: trans}
	ok := false
	defer func() {
		if !ok {
			n.closeStores()
		}
	}()
	// The stable store first: its bolt open gives up after 2s when another
	// server holds the directory.
	var err error
	n.stable, err = raftboltdb.New(raftboltdb.Options{Path: filepath.Join(opts.DataDir, raftStableFile),
		BoltOptions: &bbolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true}})
	if err != nil {
		return nil, fmt.Errorf("server: opening raft stable store in %s: %w", opts.DataDir, err)
	}
	n.logs, err = openLogStore(logDir, opts.LogSegmentSize, logger)
	if err != nil {
		return nil, err
	}
	retain := max(opts.SnapRetainCount, 1)
	n.snaps, err = raft.NewFileSnapshotStoreWithLogger(opts.DataDir, retain, newHclog(logger, "raft-snapshots"))
	if err != nil {
		return nil, fmt.Errorf("server: opening snapshot store in %s: %w", opts.DataDir, err)
	}

	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(strconv.Itoa(opts.ServerID))
	raftTimeouts(opts.TickTime, conf)
	if opts.ensembleMode() {
		clusterTimeouts(opts, conf)
	}
	conf.BatchApplyCh = true
	conf.MaxAppendEntries = 512
	// ZooKeeper snapshots every ~100,000 txns; raft's snapshot is cheap (an
	// immutable tree), so take one more often to keep restarts short.
	// The threshold is checked every 10-20s (raft randomises the interval),
	// which bounds how often a large tree is written out under heavy writes.
	conf.SnapshotThreshold = 16384
	conf.SnapshotInterval = 10 * time.Second
	if opts.SnapshotThreshold > 0 {
		conf.SnapshotThreshold = opts.SnapshotThreshold
	}
	if opts.SnapshotInterval > 0 {
		conf.SnapshotInterval = opts.SnapshotInterval
	}
	// After a snapshot raft keeps at most one snapshot interval of entries
	// (snapCount, between 64 and 10240): a member further behind, or one
	// restarted with an empty dataDir, catches up by snapshot, as a
	// ZooKeeper follower gets a SNAP instead of a DIFF.
	conf.TrailingLogs = min(max(conf.SnapshotThreshold, 64), 10240)
	conf.NoSnapshotRestoreOnStart = false
	conf.Logger = newHclog(logger, "raft")
	// A leader that a reconfig removes or demotes steps down and stays up
	// (membershipLoop stops it serving) instead of shutting raft down.
	conf.ShutdownOnRemove = false

	exists, err := raft.HasExistingState(n.logs, n.stable, n.snaps)
	if err != nil {
		return nil, fmt.Errorf("server: inspecting raft state: %w", err)
	}
	if !exists && mayBootstrap() {
		cfg := bootstrapConfiguration(opts, conf.LocalID, trans.LocalAddr())
		if err := raft.BootstrapCluster(conf, n.logs, n.stable, n.snaps, trans, cfg); err != nil {
			return nil, fmt.Errorf("server: bootstrapping raft: %w", err)
		}
	}
	// Raft reads back what it just wrote: the leader to send entries to
	// followers, every member to apply committed ones. From bolt each read
	// is a transaction and a msgpack decode (11% of a leader's CPU under
	// writes); the cache answers recent entries from memory.
	n.lead, err = newLeaderLog(timedLogStore{LogStore: n.logs, h: logWrites, stored: stored}, logger)
	if err != nil {
		return nil, err
	}
	cached, err := raft.NewLogCache(logCacheSize, n.lead)
	if err != nil {
		return nil, fmt.Errorf("server: raft log cache: %w", err)
	}
	if c, ok := trans.(commitLimiter); ok {
		c.LimitCommit(n.lead.durableIndex)
	}
	n.raft, err = raft.NewRaft(conf, durableFSM{FSM: f, log: n.lead}, cached, n.stable, n.snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("server: starting raft: %w", err)
	}
	r := n.raft
	n.lead.setLeading(func() bool { return r.State() == raft.Leader })
	ok = true
	return n, nil
}

// commitLimiter is a transport that caps the commit index it sends
// (cluster.Transport: leaderlog.go says why).
type commitLimiter interface{ LimitCommit(limit func() uint64) }

// waitLeader polls until this node leads or the timeout passes.
func (n *raftNode) waitLeader(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for n.raft.State() != raft.Leader {
		if time.Now().After(deadline) {
			return fmt.Errorf("server: no raft leadership after %v (state %v)", timeout, n.raft.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func (n *raftNode) isLeader() bool { return n.raft.State() == raft.Leader }

// snapshotBeforeShutdown takes a snapshot when many entries were applied
// since the last one: restoring a snapshot is much faster than replaying
// the entries one by one on the next start.
func (n *raftNode) snapshotBeforeShutdown(minEntries uint64, logger *slog.Logger) {
	st := n.raft.Stats()
	applied, _ := strconv.ParseUint(st["applied_index"], 10, 64)
	last, _ := strconv.ParseUint(st["last_snapshot_index"], 10, 64)
	if applied < last+minEntries {
		return
	}
	start := time.Now()
	if err := n.raft.Snapshot().Error(); err != nil {
		logger.Warn("snapshot before shutdown failed", "err", err)
		return
	}
	logger.Info("snapshot before shutdown", "index", applied, "took", time.Since(start).Round(time.Millisecond))
}

// shutdown stops raft and closes the stores.
func (n *raftNode) shutdown() error {
	var errs []error
	if n.lead != nil {
		n.lead.stop()
	}
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	if c, ok := n.trans.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	errs = append(errs, n.closeStores())
	return errors.Join(errs...)
}

func (n *raftNode) closeStores() error {
	var errs []error
	if n.lead != nil {
		n.lead.stop()
	}
	if n.logs != nil {
		errs = append(errs, n.logs.Close())
		n.logs = nil
	}
	if n.stable != nil {
		errs = append(errs, n.stable.Close())
		n.stable = nil
	}
	return errors.Join(errs...)
}

// lockedFSM serialises Apply and Restore against the server's reads. A read
// holds the read side while it runs fsm.Read and queues its reply, so no
// apply (and no watch event of it) can slip between the state a reply shows
// and its place in the connection's outbound queue.
type lockedFSM struct {
	mu       *sync.RWMutex
	f        *fsm.FSM
	snap     *snapshotStats           // times and sizes snapshots for the metrics endpoint
	applied  func(index, term uint64) // told of every applied entry (nil: nobody)
	restored func()                   // told when a snapshot replaced the state (nil: nobody)
}

func (l *lockedFSM) Apply(e *raft.Log) interface{} {
	l.mu.Lock()
	res := l.f.Apply(e)
	l.mu.Unlock()
	if l.applied != nil {
		l.applied(e.Index, e.Term)
	}
	return res
}

func (l *lockedFSM) Snapshot() (raft.FSMSnapshot, error) {
	start := time.Now()
	snap, err := l.f.Snapshot()
	if err != nil || l.snap == nil {
		return snap, err
	}
	return &timedSnapshot{FSMSnapshot: snap, stats: l.snap, capture: time.Since(start)}, nil
}

func (l *lockedFSM) Restore(r io.ReadCloser) error {
	l.mu.Lock()
	err := l.f.Restore(r)
	l.mu.Unlock()
	if l.restored != nil {
		l.restored()
	}
	return err
}

// lockedBatchFSM is lockedFSM for an FSM that applies raft batches at once:
// one lock round trip per batch.
type lockedBatchFSM struct {
	lockedFSM
	b raft.BatchingFSM
}

func (l *lockedBatchFSM) ApplyBatch(es []*raft.Log) []interface{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.ApplyBatch(es)
}

// wrapFSM returns the raft.FSM raft drives, keeping batching when f has it.
func wrapFSM(mu *sync.RWMutex, f *fsm.FSM, snap *snapshotStats, applied func(index, term uint64), restored func()) raft.FSM {
	l := lockedFSM{mu: mu, f: f, snap: snap, applied: applied, restored: restored}
	if b, ok := any(f).(raft.BatchingFSM); ok {
		return &lockedBatchFSM{lockedFSM: l, b: b}
	}
	return &l
}
