package cluster

import (
	"net"
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
func (m *Mux) NewTransport(timeout time.Duration, logger hclog.Logger) *raft.NetworkTransport {
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  streamLayer{m.Listener(ProtoRaft)},
		MaxPool: 3,
		Timeout: timeout,
		Logger:  logger,
	})
}
