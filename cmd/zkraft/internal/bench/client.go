package bench

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// maxOwned bounds the znodes one mixed-workload client keeps alive: past it
// a create turns into a delete, so the tree stays about the same size.
const maxOwned = 1000

// client is one session with one request in flight. It owns its histograms
// and counters, so the hot path takes no lock; Run merges them at the end.
type client struct {
	id     int
	cfg    *Config
	l      layout
	conn   *zk.Conn // the watch workload's, and the others' with GoZookeeper
	sess   session  // what create, set, get and mixed run on: a rawConn or conn
	logger *slog.Logger
	rng    *rand.Rand
	mix    Mix
	data   []byte

	hist   [numOps]*Histogram
	errs   map[string]uint64 // by error kind, measured window only
	next   uint64            // next owned znode number
	owned  []uint64          // mixed: owned znodes still alive, oldest first
	window window

	ops    atomic.Uint64 // every op, for progress
	failed atomic.Uint64 // every failed op, for progress
}

// window is the measured part of a run.
type window struct{ from, to time.Time }

func newClient(id int, cfg *Config, l layout, conn *zk.Conn, raw *rawConn, w window, logger *slog.Logger) *client {
	var ops session = zkSession{conn}
	if raw != nil {
		ops = raw
	}
	return &client{
		id: id, cfg: cfg, l: l, conn: conn, sess: ops, logger: logger, window: w,
		rng:  rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id))),
		mix:  NewMix(cfg.ReadRatio),
		data: make([]byte, cfg.DataSize),
		errs: map[string]uint64{},
	}
}

// record counts one finished op; only ops that started inside the measured
// window are reported.
func (c *client) record(op Op, start time.Time, lat time.Duration, err error) {
	c.ops.Add(1)
	if err != nil {
		c.failed.Add(1)
	}
	if start.Before(c.window.from) || !start.Before(c.window.to) {
		return
	}
	if err != nil {
		c.errs[op.String()+": "+errorKind(err)]++
		return
	}
	h := c.hist[op]
	if h == nil {
		h = &Histogram{}
		c.hist[op] = h
	}
	h.Record(lat)
}

// loop issues operations until the window closes or ctx ends.
func (c *client) loop(ctx context.Context) {
	for ctx.Err() == nil {
		start := time.Now()
		if !start.Before(c.window.to) {
			return
		}
		op := c.pick()
		err := c.do(ctx, op)
		c.record(op, start, time.Since(start), err)
	}
}

// pick chooses the next op of the workload.
func (c *client) pick() Op {
	switch c.cfg.Workload {
	case WorkloadCreate:
		return OpCreate
	case WorkloadSet:
		return OpSet
	case WorkloadGet:
		return OpGet
	case WorkloadSession:
		return OpSession
	}
	op := c.mix.Pick(c.rng)
	switch {
	case op == OpDelete && len(c.owned) == 0:
		return OpCreate
	case op == OpCreate && len(c.owned) >= maxOwned:
		return OpDelete
	}
	return op
}

func (c *client) do(ctx context.Context, op Op) error {
	s := c.sess
	switch op {
	case OpGet:
		return s.get(c.l.key(c.rng.IntN(c.cfg.KeySpace)))
	case OpList:
		return s.children(c.l.group(c.rng.IntN(numGroups(c.cfg.KeySpace))))
	case OpSet:
		return s.set(c.l.key(c.rng.IntN(c.cfg.KeySpace)), c.data)
	case OpCreate:
		n := c.next
		c.next++
		err := s.create(c.l.owned(c.id, n), c.data)
		// Keep it even after an error: a lost connection may hide a
		// create that happened, and cleanup ignores NoNode.
		if c.cfg.Workload == WorkloadMixed {
			c.owned = append(c.owned, n)
		}
		return err
	case OpDelete:
		n := c.owned[0]
		c.owned = c.owned[1:]
		return s.delete(c.l.owned(c.id, n))
	case OpSession:
		return c.session(ctx)
	}
	return errors.New("bench: op not in this workload: " + op.String())
}

// session is what the closed-loop workloads ask of a connection: a rawConn,
// or go-zookeeper's with GoZookeeper.
type session interface {
	get(path string) error
	children(path string) error
	set(path string, data []byte) error
	create(path string, data []byte) error
	delete(path string) error
}

type zkSession struct{ c *zk.Conn }

func (z zkSession) get(path string) error {
	_, _, err := z.c.Get(path)
	return err
}

func (z zkSession) children(path string) error {
	_, _, err := z.c.Children(path)
	return err
}

func (z zkSession) set(path string, data []byte) error {
	_, err := z.c.Set(path, data, -1)
	return err
}

func (z zkSession) create(path string, data []byte) error {
	_, err := z.c.Create(path, data, 0, openACL)
	return err
}

func (z zkSession) delete(path string) error { return z.c.Delete(path, -1) }

// session is one round of session churn: connect, create an ephemeral znode,
// close. The znode goes away with the session.
func (c *client) session(ctx context.Context) error {
	conn, err := dial(ctx, c.cfg, c.logger)
	if err != nil {
		return err
	}
	defer conn.Close()
	n := c.next
	c.next++
	_, err = conn.Create(c.l.owned(c.id, n), c.data, zk.FlagEphemeral, openACL)
	return err
}

// leftovers are the znodes this client made that may still exist.
func (c *client) leftovers() []string {
	var paths []string
	switch c.cfg.Workload {
	case WorkloadCreate:
		for n := range c.next {
			paths = append(paths, c.l.owned(c.id, n))
		}
	case WorkloadMixed:
		for _, n := range c.owned {
			paths = append(paths, c.l.owned(c.id, n))
		}
	}
	return paths
}
