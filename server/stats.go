package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// latency accumulates request latencies in milliseconds, as ZooKeeper's
// ServerStats does.
type latency struct {
	mu    sync.Mutex
	min   int64
	max   int64
	total int64
	count int64
	last  int64
}

func (l *latency) add(ms int64) {
	l.mu.Lock()
	if l.count == 0 || ms < l.min {
		l.min = ms
	}
	l.max = max(l.max, ms)
	l.total += ms
	l.count++
	l.last = ms
	l.mu.Unlock()
}

// snapshot returns min, avg, max, count; all zero without samples.
func (l *latency) snapshot() (mn int64, avg float64, mx int64, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count == 0 {
		return 0, 0, 0, 0
	}
	return l.min, float64(l.total) / float64(l.count), l.max, l.count
}

func (l *latency) reset() {
	l.mu.Lock()
	l.min, l.max, l.total, l.count, l.last = 0, 0, 0, 0, 0
	l.mu.Unlock()
}

// serverStats are the counters srvr, stat and mntr report.
type serverStats struct {
	packetsReceived atomic.Int64
	packetsSent     atomic.Int64
	bytesReceived   atomic.Int64
	bytesSent       atomic.Int64
	largeRejected   atomic.Int64
	connRejected    atomic.Int64
	authFailed      atomic.Int64

	all    latency
	reads  latency
	writes latency

	// For the metrics endpoint; srst leaves them alone.
	ops       opLatencies
	forwarded atomic.Int64 // writes a follower or observer sent to the leader
	notices   atomic.Int64 // commit notices this follower's raft accepted (commitnotice.go)
	snapshots snapshotStats
	logWrites opHistogram // raft log appends, each ending in an fsync

	proposals proposalStats
}

// proposalStats are what ZooKeeper's leader reports of the transactions
// it proposed: how many (mntr zk_proposal_count) and the size in bytes of
// the last, smallest and largest since it took over (srvr "Proposal sizes",
// mntr zk_*_proposal_size; -1 before the first). Every write passes here,
// so it takes no lock; the sizes are kept plus one, so that the zero value
// means "none yet".
type proposalStats struct {
	count             atomic.Int64
	last, least, most atomic.Int64 // size+1
}

func (p *proposalStats) add(size int) {
	p.count.Add(1)
	v := int64(size) + 1
	p.last.Store(v)
	for {
		cur := p.least.Load()
		if cur != 0 && cur <= v || p.least.CompareAndSwap(cur, v) {
			break
		}
	}
	for {
		cur := p.most.Load()
		if cur >= v || p.most.CompareAndSwap(cur, v) {
			break
		}
	}
}

// sizes returns last, min and max (-1 each before the first proposal).
func (p *proposalStats) sizes() (last, least, most int) {
	return int(p.last.Load()) - 1, int(p.least.Load()) - 1, int(p.most.Load()) - 1
}

func (p *proposalStats) total() int64 { return p.count.Load() }

// resetSizes starts the sizes over, as a new ZooKeeper leader's do.
func (p *proposalStats) resetSizes() {
	p.last.Store(0)
	p.least.Store(0)
	p.most.Store(0)
}

func (s *serverStats) observe(op protocol.OpCode, start time.Time, write bool) {
	d := time.Since(start)
	s.ops.observe(op, d)
	ms := d.Milliseconds()
	s.all.add(ms)
	if write {
		s.writes.add(ms)
	} else {
		s.reads.add(ms)
	}
}

// reset is srst: ZooKeeper resets latency and packet counters.
func (s *serverStats) reset() {
	s.packetsReceived.Store(0)
	s.packetsSent.Store(0)
	s.all.reset()
	s.reads.reset()
	s.writes.reset()
}

// connStats are one connection's counters for cons.
type connStats struct {
	established time.Time
	recved      atomic.Int64
	sent        atomic.Int64
	lastOp      atomic.Int32
	lastCxid    atomic.Int32
	lastZxid    atomic.Int64
	lastResp    atomic.Int64 // unix ms
	lat         latency
	hasOp       atomic.Bool
}

func (s *connStats) init(now time.Time) { s.established = now }

func (s *connStats) received(time.Time) { s.recved.Add(1) }

func (s *connStats) replied(xid int32, zxid int64) {
	if xid >= 0 {
		s.lastCxid.Store(xid)
	}
	if zxid > 0 {
		s.lastZxid.Store(zxid)
	}
	s.lastResp.Store(time.Now().UnixMilli())
}

func (s *connStats) observe(start time.Time) {
	s.hasOp.Store(true)
	s.lat.add(time.Since(start).Milliseconds())
}

func (s *connStats) reset() {
	s.recved.Store(0)
	s.sent.Store(0)
	s.lat.reset()
}

// opAbbrev is the four-letter op name cons shows as lop.
func opAbbrev(op protocol.OpCode) string {
	switch op {
	case protocol.OpCreate, protocol.OpCreate2, protocol.OpCreateContainer, protocol.OpCreateTTL:
		return "CREA"
	case protocol.OpDelete, protocol.OpDeleteContainer:
		return "DELE"
	case protocol.OpSetData:
		return "SETD"
	case protocol.OpSetACL:
		return "SETA"
	case protocol.OpMulti:
		return "MULT"
	case protocol.OpMultiRead:
		return "MLTR"
	case protocol.OpCloseSession:
		return "CLOS"
	case protocol.OpSync:
		return "SYNC"
	case protocol.OpExists:
		return "EXIS"
	case protocol.OpGetData:
		return "GETD"
	case protocol.OpGetACL:
		return "GETA"
	case protocol.OpGetChildren, protocol.OpGetChildren2:
		return "GETC"
	case protocol.OpCheck:
		return "CHEC"
	case protocol.OpCheckWatches:
		return "CHKW"
	case protocol.OpRemoveWatches:
		return "REMW"
	case protocol.OpSetWatches, protocol.OpSetWatches2:
		return "SETW"
	case protocol.OpGetEphemerals:
		return "GETE"
	case protocol.OpGetAllChildrenNumber:
		return "GETACN"
	case protocol.OpAddWatch:
		return "ADDW"
	case protocol.OpWhoAmI:
		return "WHOA"
	case protocol.OpReconfig:
		return "RECO"
	case protocol.OpSASL:
		return "SASL"
	case protocol.OpAuth:
		return "AUTH"
	case protocol.OpPing:
		return "PING"
	}
	return "NA"
}
