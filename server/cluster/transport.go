package cluster

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// streamLayer is raft's StreamLayer on the mux: it accepts the connections
// that start with ProtoRaft and dials with that byte.
type streamLayer struct {
	net.Listener
}

func (s streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return Dial(string(addr), ProtoRaft, timeout)
}

// NewTransport returns raft's network transport over the mux. timeout bounds
// each raft RPC's I/O (zkraft passes syncLimit*tickTime).
func (m *Mux) NewTransport(timeout time.Duration, logger hclog.Logger) *Transport {
	t := &Transport{
		NetworkTransport: raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream:  streamLayer{m.Listener(ProtoRaft)},
			MaxPool: 3,
			Timeout: timeout,
			Logger:  logger,
		}),
		consumer: make(chan raft.RPC),
		quit:     make(chan struct{}),
		timeout:  timeout,
	}
	go t.pump()
	return t
}

// Transport is raft's network transport with a side door: Inject hands the
// member's own raft an RPC in-process, where the network transport would
// have it dial its own port. Raft reads both from Consumer; the RPCs from
// the network pass through one goroutine on the way.
type Transport struct {
	*raft.NetworkTransport
	consumer chan raft.RPC
	quit     chan struct{}
	once     sync.Once
	timeout  time.Duration
	limit    atomic.Pointer[func() uint64]
}

// LimitCommit caps the commit index this member sends in AppendEntries at
// limit(): a leader whose own log write runs beside replication tells
// followers of no commit beyond what is on its disk (server/leaderlog.go).
func (t *Transport) LimitCommit(limit func() uint64) { t.limit.Store(&limit) }

func (t *Transport) capCommit(args *raft.AppendEntriesRequest) {
	if f := t.limit.Load(); f != nil {
		args.LeaderCommitIndex = min(args.LeaderCommitIndex, (*f)())
	}
}

func (t *Transport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest,
	resp *raft.AppendEntriesResponse) error {
	t.capCommit(args)
	return t.NetworkTransport.AppendEntries(id, target, args, resp)
}

func (t *Transport) AppendEntriesPipeline(id raft.ServerID, target raft.ServerAddress) (raft.AppendPipeline, error) {
	p, err := t.NetworkTransport.AppendEntriesPipeline(id, target)
	if err != nil {
		return nil, err
	}
	return cappedPipeline{AppendPipeline: p, t: t}, nil
}

// cappedPipeline is a raft pipeline whose requests pass capCommit.
type cappedPipeline struct {
	raft.AppendPipeline
	t *Transport
}

func (p cappedPipeline) AppendEntries(args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) (raft.AppendFuture, error) {
	p.t.capCommit(args)
	return p.AppendPipeline.AppendEntries(args, resp)
}

// Consumer is where raft reads the RPCs: the network's and Inject's.
func (t *Transport) Consumer() <-chan raft.RPC { return t.consumer }

func (t *Transport) pump() {
	in := t.NetworkTransport.Consumer()
	for {
		select {
		case rpc := <-in:
			select {
			case t.consumer <- rpc:
			case <-t.quit:
				return
			}
		case <-t.quit:
			return
		}
	}
}

// Inject has this member's raft handle req as if it had come from the
// network and returns raft's answer; it fails once the transport closed or
// abort did, or when raft took neither the request nor the answer within
// the RPC timeout.
func (t *Transport) Inject(req *raft.AppendEntriesRequest, abort <-chan struct{}) (*raft.AppendEntriesResponse, error) {
	resp := make(chan raft.RPCResponse, 1)
	timer := time.NewTimer(t.timeout)
	defer timer.Stop()
	send := t.consumer // nil once raft took the request
	for {
		select {
		case send <- raft.RPC{Command: req, RespChan: resp}:
			send = nil
		case r := <-resp:
			if r.Error != nil {
				return nil, r.Error
			}
			out, _ := r.Response.(*raft.AppendEntriesResponse)
			if out == nil {
				return nil, errors.New("cluster: raft answered an injected AppendEntries with no response")
			}
			return out, nil
		case <-t.quit:
			return nil, raft.ErrTransportShutdown
		case <-abort:
			return nil, errInjectAborted
		case <-timer.C:
			return nil, errInjectTimeout
		}
	}
}

var errInjectAborted = errors.New("cluster: injected RPC given up")

var errInjectTimeout = errors.New("cluster: raft did not handle an injected RPC in time")

// Close stops the side door and the network transport.
func (t *Transport) Close() error {
	t.once.Do(func() { close(t.quit) })
	return t.NetworkTransport.Close()
}
