package server

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// The leader's own log write overlaps replication.
//
// hashicorp/raft's leader stores a batch (a write and an fsync) before it
// tells its replicators, so a write's commit takes the leader's fsync, then
// a follower's, one after the other: on this kind of machine ~0.7 ms each
// under load, most of a commit round. ZooKeeper's leader sends a proposal
// to its followers while it logs the proposal itself, and counts its own ack
// once its own fsync is done.
//
// leaderLog gives raft the same overlap without changing raft. While this
// member leads, StoreLogs only queues the batch: raft goes on to hand it to
// the replicators at once, and a writer goroutine writes and syncs the
// queue to the durable store (the WAL) in the background, several of raft's
// batches in one fsync when they pile up. Raft counts the leader's copy at
// once, so raft may call an entry committed when only one follower has it
// on disk. Nothing outside raft sees that commit until the leader's copy is
// durable too, which makes it a majority again:
//
//   - The FSM applies an entry (and so answers the client, fires watches,
//     completes the future) only once the entry is durable here
//     (durableFSM). Every member's FSM goes through it; on a follower the
//     entries are durable before raft acknowledges them, so it never waits.
//   - The commit index the leader sends its followers in AppendEntries is
//     capped at its durable index (cluster.Transport.LimitCommit), so no
//     follower applies an entry the leader could still lose. The commit
//     pushes and the notices in forwarded answers come after the leader's
//     apply, so they are durable already.
//
// If the leader dies with entries that were only queued, those entries were
// never applied or answered anywhere: raft may keep them (a follower that
// stored them can win the election) or drop them (the restarted leader lacks
// them), as ZooKeeper may for a proposal no client saw committed.
//
// A member that follows stores synchronously, as raft expects: it
// acknowledges entries only once they are on disk. StoreLogs tells the two
// apart by raft's state, which raft sets to Follower before it stores a new
// leader's entries; any queued entries are written first, so the store
// always receives entries in index order. A failed background write makes
// the error sticky: raft's next StoreLogs fails, so the member steps down
// and refuses entries, and the entries that were queued are never applied;
// the server must be restarted once the disk is fixed (the log on disk is
// consistent: the lost entries are simply not in it).
type leaderLog struct {
	store   raft.LogStore // the durable log (timed WAL)
	leading atomic.Pointer[func() bool]
	log     *slog.Logger

	mu      sync.Mutex
	queue   []*raft.Log   // accepted while leading, not yet taken by the writer
	writing []*raft.Log   // the writer's batch, being written
	err     error         // the background write that failed (sticky)
	stopped bool          // stop was called: StoreLogs writes synchronously
	durable atomic.Uint64 // last index written and synced (entries above it may be queued)
	changes stateSignal   // the queue emptied, durable moved, or the writer ended

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

func newLeaderLog(store raft.LogStore, logger *slog.Logger) (*leaderLog, error) {
	last, err := store.LastIndex()
	if err != nil {
		return nil, fmt.Errorf("server: reading the raft log's last index: %w", err)
	}
	l := &leaderLog{store: store, log: logger,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	l.durable.Store(last)
	go l.writer()
	return l, nil
}

// setLeading tells the log how to know that this member leads (raft's
// state); until then every write is synchronous.
func (l *leaderLog) setLeading(f func() bool) { l.leading.Store(&f) }

func (l *leaderLog) isLeading() bool {
	f := l.leading.Load()
	return f != nil && (*f)()
}

// durableIndex is the last index on disk here.
func (l *leaderLog) durableIndex() uint64 { return l.durable.Load() }

// exited reports whether the writer returned: everything queued was
// written or lost.
func (l *leaderLog) exited() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

func (l *leaderLog) StoreLog(e *raft.Log) error { return l.StoreLogs([]*raft.Log{e}) }

func (l *leaderLog) StoreLogs(es []*raft.Log) error {
	if len(es) == 0 {
		return nil
	}
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return err
	}
	if !l.stopped && l.isLeading() {
		// What is queued is not on disk here, whatever an older entry of
		// the same index in the store says (a tail raft has since
		// replaced).
		if first := es[0].Index; first <= l.durable.Load() {
			l.durable.Store(first - 1)
		}
		l.queue = append(l.queue, es...)
		l.mu.Unlock()
		select {
		case l.wake <- struct{}{}:
		default:
		}
		return nil
	}
	l.mu.Unlock()
	// Raft calls StoreLogs from its main goroutine only, so nothing queues
	// behind the drain.
	if err := l.drain(); err != nil {
		return err
	}
	if err := l.store.StoreLogs(es); err != nil {
		return err
	}
	l.mu.Lock()
	l.durable.Store(es[len(es)-1].Index)
	l.mu.Unlock()
	l.changes.changed()
	return nil
}

// drain waits until the writer has written everything queued.
func (l *leaderLog) drain() error {
	var err error
	l.changes.wait(func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		err = l.err
		return err != nil || len(l.queue) == 0 && len(l.writing) == 0
	})
	return err
}

// writer writes the queue to the durable store, all that piled up at once,
// until stop; it writes what is queued before it returns.
func (l *leaderLog) writer() {
	defer func() {
		close(l.done)
		l.changes.changed()
	}()
	for {
		l.mu.Lock()
		for len(l.queue) == 0 {
			if l.stopped {
				l.mu.Unlock()
				return
			}
			l.mu.Unlock()
			select {
			case <-l.wake:
			case <-l.quit:
			}
			l.mu.Lock()
		}
		l.writing, l.queue = l.queue, nil
		batch := l.writing
		l.mu.Unlock()

		err := l.store.StoreLogs(batch)

		l.mu.Lock()
		l.writing = nil
		if err != nil {
			l.err = fmt.Errorf("server: writing the raft log failed, this server takes no more writes until it is restarted (free space or fix the disk first): %w", err)
			l.log.Error("raft log write failed; restart this server once the disk is fixed",
				"entries", len(batch)+len(l.queue), "first", batch[0].Index, "err", err)
			l.queue = nil
			l.mu.Unlock()
			return
		}
		l.durable.Store(batch[len(batch)-1].Index)
		l.mu.Unlock()
		l.changes.changed()
	}
}

// waitDurable blocks until entry index is on disk here, and reports false
// when it never will be: the writer stopped (the server shuts down, or a
// write failed) with the entry unwritten.
func (l *leaderLog) waitDurable(index uint64) bool {
	if l.durable.Load() >= index {
		return true
	}
	l.changes.wait(func() bool { return l.durable.Load() >= index || l.exited() })
	return l.durable.Load() >= index
}

// stop writes what is queued and stops the writer; later writes are
// synchronous. Called before raft shuts down, so that an FSM waiting for
// an entry the writer cannot write gives up instead of holding raft.
func (l *leaderLog) stop() {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.stopped = true
	l.mu.Unlock()
	close(l.quit)
	<-l.done
}

// pendingLocked finds entry index among the unwritten ones.
func (l *leaderLog) pendingLocked(index uint64) *raft.Log {
	for _, q := range [][]*raft.Log{l.writing, l.queue} {
		if len(q) > 0 && index >= q[0].Index && index <= q[len(q)-1].Index {
			return q[index-q[0].Index]
		}
	}
	return nil
}

func (l *leaderLog) GetLog(index uint64, out *raft.Log) error {
	l.mu.Lock()
	e := l.pendingLocked(index)
	l.mu.Unlock()
	if e != nil {
		*out = *e
		return nil
	}
	return l.store.GetLog(index, out)
}

func (l *leaderLog) FirstIndex() (uint64, error) {
	first, err := l.store.FirstIndex()
	if err != nil || first != 0 {
		return first, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, q := range [][]*raft.Log{l.writing, l.queue} {
		if len(q) > 0 {
			return q[0].Index, nil
		}
	}
	return 0, nil
}

func (l *leaderLog) LastIndex() (uint64, error) {
	l.mu.Lock()
	for _, q := range [][]*raft.Log{l.queue, l.writing} {
		if len(q) > 0 {
			last := q[len(q)-1].Index
			l.mu.Unlock()
			return last, nil
		}
	}
	l.mu.Unlock()
	return l.store.LastIndex()
}

// DeleteRange removes entries min..max. Compaction (the head, all of it
// applied and so durable) goes straight to the store, beside the writer;
// a follower's truncation of its tail waits for the queue first, and moves
// the durable index back below the removed entries.
func (l *leaderLog) DeleteRange(min, max uint64) error {
	if max > l.durable.Load() {
		if err := l.drain(); err != nil {
			return err
		}
	}
	if err := l.store.DeleteRange(min, max); err != nil {
		return err
	}
	l.mu.Lock()
	if d := l.durable.Load(); max >= d && min <= d {
		l.durable.Store(min - 1) // lower: nobody waits for that
	}
	l.mu.Unlock()
	return nil
}

// durableFSM applies an entry only once it is on disk on this member
// (leaderLog); an entry that never will be is not applied, and its future
// gets no result.
type durableFSM struct {
	raft.FSM
	log *leaderLog
}

func (d durableFSM) Apply(e *raft.Log) interface{} {
	if !d.log.waitDurable(e.Index) {
		return nil
	}
	return d.FSM.Apply(e)
}
