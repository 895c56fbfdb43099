package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// watchRoundTimeout is how long the writer waits for every watcher's event
// before it counts the missing ones as errors and writes again.
const watchRoundTimeout = 5 * time.Second

// errEventMissing counts a watcher that did not see a write in time.
var errEventMissing = errors.New("watch event not delivered within " + watchRoundTimeout.String())

// watchRun is the watch fan-out workload: every client holds a data watch on
// one znode; a writer session sets it, waits until every watcher has seen the
// event and re-armed its watch, and writes again. Each event's latency is
// from the writer sending setData to the event reaching the watcher.
type watchRun struct {
	writer  *client // its own counters: the watchers' are theirs alone
	clients []*client
	path    string
	data    []byte
	sentAt  atomic.Int64 // unix nanos of the current round's write
	round   atomic.Uint64
	rearmed chan uint64 // a watcher's round, once its watch is set again
}

func (w *watchRun) run(ctx context.Context, to time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.rearmed = make(chan uint64, len(w.clients))
	// Arm every watch before the first write.
	events := make([]<-chan zk.Event, len(w.clients))
	for i, c := range w.clients {
		_, _, ch, err := c.conn.GetW(w.path)
		if err != nil {
			return fmt.Errorf("setting watch %d: %w", i, err)
		}
		events[i] = ch
	}
	var wg sync.WaitGroup
	for i, c := range w.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.watch(ctx, c, events[i])
		}()
	}
	w.write(ctx, to)
	cancel()
	wg.Wait()
	return nil
}

// write is the writer's loop: one setData per round, then wait for every
// watcher.
func (w *watchRun) write(ctx context.Context, to time.Time) {
	for ctx.Err() == nil && time.Now().Before(to) {
		round := w.round.Add(1)
		start := time.Now()
		w.sentAt.Store(start.UnixNano())
		if _, err := w.writer.conn.Set(w.path, w.data, -1); err != nil {
			w.writer.record(OpSet, start, 0, err)
			continue
		}
		deadline := time.NewTimer(watchRoundTimeout)
		for seen := 0; seen < len(w.clients); {
			select {
			case r := <-w.rearmed:
				if r == round {
					seen++
				}
			case <-deadline.C:
				// The missing watchers are counted by record below.
				for range len(w.clients) - seen {
					w.writer.record(OpWatchEvent, start, 0, errEventMissing)
				}
				seen = len(w.clients)
			case <-ctx.Done():
				deadline.Stop()
				return
			}
		}
		deadline.Stop()
	}
}

// watch is one watcher's loop: take the event, note its latency, set the
// watch again (ZooKeeper watches fire once), tell the writer.
func (w *watchRun) watch(ctx context.Context, c *client, ch <-chan zk.Event) {
	for {
		select {
		case ev, ok := <-ch:
			arrived := time.Now()
			sent := time.Unix(0, w.sentAt.Load())
			round := w.round.Load()
			var err error
			if !ok || ev.Err != nil {
				err = ev.Err
				if err == nil {
					err = zk.ErrConnectionClosed
				}
			} else if ev.Type != zk.EventNodeDataChanged {
				err = fmt.Errorf("unexpected event %v", ev.Type)
			}
			c.record(OpWatchEvent, sent, arrived.Sub(sent), err)
			for {
				var armErr error
				_, _, ch, armErr = c.conn.GetW(w.path)
				if armErr == nil {
					break
				}
				if ctx.Err() != nil {
					return
				}
				time.Sleep(10 * time.Millisecond) // connection trouble: let the client reconnect
			}
			select {
			case w.rearmed <- round:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
