package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

// LatencyBuckets are the upper bounds, in seconds, of the per-op request
// latency histograms the metrics endpoint exports.
var LatencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// opHistogram counts one op's requests by latency bucket. Counts are per
// bucket (not cumulative); the last slot is +Inf.
type opHistogram struct {
	buckets [17]atomic.Uint64 // len(LatencyBuckets)+1
	count   atomic.Uint64
	sumNs   atomic.Int64
}

func (h *opHistogram) observe(d time.Duration) {
	sec := d.Seconds()
	i := 0
	for i < len(LatencyBuckets) && sec > LatencyBuckets[i] {
		i++
	}
	h.buckets[i].Add(1)
	h.sumNs.Add(int64(d))
	h.count.Add(1)
}

// opLatencies are the histograms by op code, created on first use. They
// survive srst: Prometheus counters must not go backwards.
type opLatencies struct {
	mu sync.RWMutex
	m  map[protocol.OpCode]*opHistogram
}

func (o *opLatencies) observe(op protocol.OpCode, d time.Duration) {
	o.mu.RLock()
	h := o.m[op]
	o.mu.RUnlock()
	if h == nil {
		o.mu.Lock()
		if o.m == nil {
			o.m = map[protocol.OpCode]*opHistogram{}
		}
		if h = o.m[op]; h == nil {
			h = &opHistogram{}
			o.m[op] = h
		}
		o.mu.Unlock()
	}
	h.observe(d)
}

// OpLatency is one op's request count and latency histogram.
type OpLatency struct {
	Op         string
	Count      uint64
	SumSeconds float64
	// Cumulative counts for LatencyBuckets, then +Inf (== Count).
	Cumulative []uint64
}

// Metrics is a point-in-time view of the server for the metrics endpoint.
type Metrics struct {
	Ops []OpLatency

	Outstanding     int
	Sessions        int
	Connections     int
	Watches         int
	Znodes          int
	Ephemerals      int
	DataSize        int64
	PacketsReceived int64
	PacketsSent     int64
	BytesReceived   int64
	AuthFailed      int64
	ConnRejected    int64
	LargeRejected   int64
	ForwardedWrites int64
	CommitNotices   int64
	LastZxid        int64
	Uptime          time.Duration
	Mode            string

	// Raft: the state (Leader, Follower, Candidate, Shutdown), term and
	// indexes; the newest snapshot's index, size and the time it took to
	// take (zero when this process has taken none).
	RaftState        string
	RaftTerm         uint64
	RaftCommitIndex  uint64
	RaftAppliedIndex uint64
	RaftLastLogIndex uint64
	SnapshotIndex    uint64
	SnapshotSize     int64
	SnapshotTime     time.Time
	// Snapshots this process took, and the last one's capture time (the
	// tree copy), write time and bytes written.
	SnapshotsTaken   int64
	SnapshotFailures int64
	SnapshotCapture  time.Duration
	SnapshotPersist  time.Duration
	SnapshotBytes    int64
	SnapshotCount    int
	// LogWrites times raft log appends (each ends in an fsync).
	LogWrites       OpLatency
	DataDirBytes    int64
	DataLogDirBytes int64
}

// Metrics collects the current values. It reads directory sizes, so it
// costs a directory walk; scrapes are infrequent.
func (s *Server) Metrics() Metrics {
	ts := s.fsm.Stats()
	m := Metrics{
		Outstanding: s.outstanding(), Sessions: ts.Sessions, Connections: s.conns.count(),
		Watches: s.watches.count(), Znodes: ts.Nodes, Ephemerals: ts.Ephemerals, DataSize: ts.DataSize,
		PacketsReceived: s.stats.packetsReceived.Load(), PacketsSent: s.stats.packetsSent.Load(),
		BytesReceived: s.stats.bytesReceived.Load(), AuthFailed: s.stats.authFailed.Load(),
		ConnRejected: s.stats.connRejected.Load(), LargeRejected: s.stats.largeRejected.Load(),
		ForwardedWrites: s.stats.forwarded.Load(), CommitNotices: s.stats.notices.Load(), LastZxid: ts.LastZxid,
		Uptime: time.Since(s.started), Mode: s.mode(),
	}
	m.DataDirBytes, m.DataLogDirBytes = s.DirSizes()
	m.LogWrites = s.stats.logWrites.snapshot("")
	if n := s.node; n != nil {
		st := n.raft.Stats()
		u := func(k string) uint64 { v, _ := strconv.ParseUint(st[k], 10, 64); return v }
		m.RaftState = n.raft.State().String()
		m.RaftTerm = u("term")
		m.RaftCommitIndex = u("commit_index")
		m.RaftAppliedIndex = u("applied_index")
		m.RaftLastLogIndex = u("last_log_index")
		if snaps, err := n.snaps.List(); err == nil && len(snaps) > 0 {
			m.SnapshotCount = len(snaps)
			m.SnapshotIndex = snaps[0].Index
			m.SnapshotSize = snaps[0].Size
			// FileSnapshotStore ids are term-index-unixMillis.
			if i := strings.LastIndexByte(snaps[0].ID, '-'); i >= 0 {
				if ms, err := strconv.ParseInt(snaps[0].ID[i+1:], 10, 64); err == nil {
					m.SnapshotTime = time.UnixMilli(ms)
				}
			}
		}
	}
	sn := &s.stats.snapshots
	sn.mu.Lock()
	m.SnapshotsTaken, m.SnapshotFailures = sn.count, sn.failures
	m.SnapshotCapture, m.SnapshotPersist, m.SnapshotBytes = sn.capture, sn.persist, sn.bytes
	sn.mu.Unlock()
	s.stats.ops.mu.RLock()
	for op, h := range s.stats.ops.m {
		m.Ops = append(m.Ops, h.snapshot(op.String()))
	}
	s.stats.ops.mu.RUnlock()
	return m
}

// snapshotStats are the snapshots this process took: how many, and the
// capture time, write time and size of the last one.
type snapshotStats struct {
	mu       sync.Mutex
	count    int64
	capture  time.Duration
	persist  time.Duration
	bytes    int64
	failures int64
}

// timedSnapshot measures how long raft takes to write a snapshot and how
// many bytes it wrote.
type timedSnapshot struct {
	raft.FSMSnapshot
	stats   *snapshotStats
	capture time.Duration
}

func (t *timedSnapshot) Persist(sink raft.SnapshotSink) error {
	start := time.Now()
	cs := &countingSink{SnapshotSink: sink}
	err := t.FSMSnapshot.Persist(cs)
	st := t.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	if err != nil {
		st.failures++
		return err
	}
	st.count++
	st.capture, st.persist, st.bytes = t.capture, time.Since(start), cs.n
	return nil
}

type countingSink struct {
	raft.SnapshotSink
	n int64
}

func (c *countingSink) Write(p []byte) (int, error) {
	n, err := c.SnapshotSink.Write(p)
	c.n += int64(n)
	return n, err
}

// timedLogStore times the log appends: a segment write and an fsync, so
// this is the server's fsync latency (on a leader the background writer's,
// leaderlog.go).
type timedLogStore struct {
	raft.LogStore
	h      *opHistogram
	stored func(last uint64) // may be nil
}

func (t timedLogStore) StoreLog(l *raft.Log) error { return t.StoreLogs([]*raft.Log{l}) }

func (t timedLogStore) StoreLogs(ls []*raft.Log) error {
	start := time.Now()
	err := t.LogStore.StoreLogs(ls)
	if t.h != nil {
		t.h.observe(time.Since(start))
	}
	if err == nil && t.stored != nil && len(ls) > 0 {
		t.stored(ls[len(ls)-1].Index)
	}
	return err
}

// histogram snapshots h with cumulative bucket counts.
func (h *opHistogram) snapshot(op string) OpLatency {
	ol := OpLatency{Op: op, Count: h.count.Load(), SumSeconds: float64(h.sumNs.Load()) / 1e9}
	var cum uint64
	for i := range h.buckets {
		cum += h.buckets[i].Load()
		ol.Cumulative = append(ol.Cumulative, cum)
	}
	// Buckets and count are read one after another; never let +Inf fall
	// below a bucket or the count disagree with it.
	ol.Count = max(ol.Count, cum)
	ol.Cumulative[len(ol.Cumulative)-1] = ol.Count
	return ol
}
