// Package gossip is zkraft's membership gossip on the election port
// (hashicorp/memberlist, TCP and UDP). Every member advertises a small Meta
// (sid, role, state, addresses, version, epoch, applied zxid) so that any
// one member can describe the whole ensemble, and a new member can find the
// others through any one of them.
//
// Gossip is advisory: raft alone decides membership and leadership. A member
// missing from the gossip view is unreachable over the election port, not
// removed from the ensemble.
package gossip

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Meta is what each member advertises (JSON-encoded in memberlist node meta,
// at most memberlist.MetaMaxSize = 512 bytes).
type Meta struct {
	ID           int    `json:"sid"`
	Role         string `json:"role"`           // "participant" or "observer"
	State        string `json:"state"`          // "leading", "following", "observing", "looking", "read-only", "joining"
	ClientAddr   string `json:"client_address"` // host:port clients can reach
	AdminAddr    string `json:"admin_address"`  // host:port of the AdminServer, "" if disabled
	QuorumAddr   string `json:"quorum_address"` // host:quorumPort (raft + forwarding)
	ElectionAddr string `json:"election_address"`
	Version      string `json:"version"`
	Epoch        int64  `json:"epoch"`
	AppliedZxid  int64  `json:"zxid"`
}

// Config configures a Node.
type Config struct {
	Bind string // host:electionPort to listen on (TCP+UDP), as in the server.N line
	// Advertise is the host:port the others reach this member at when Bind
	// is every address (":port"); "" means Bind.
	Advertise string
	Seeds     []string // election addresses of other members to join through (any one suffices)
	Self      Meta
	Logger    *slog.Logger // memberlist's logs are routed through it
}

// Node is this member's gossip agent.
type Node struct {
	ml  *memberlist.Memberlist
	log *slog.Logger

	mu    sync.Mutex
	self  Meta
	meta  []byte          // self, encoded; what NodeMeta hands memberlist
	peers map[string]peer // other live members by node name, from the events

	changes chan struct{}
	publish chan struct{} // coalesced: own meta changed, broadcast it
	quit    chan struct{}
	done    sync.WaitGroup
	once    sync.Once
}

// Timings. A node bound to a loopback address (tests, a one-box ensemble)
// uses memberlist's local profile: failures are noticed in a few seconds
// instead of the LAN profile's ~5-10s.
const (
	rejoinEvery   = 2 * time.Second // retry of seeds not in the view
	firstJoinWait = 200 * time.Millisecond
	leaveTimeout  = time.Second
	// publishTimeout bounds the wait for a meta broadcast; an update that
	// times out still spreads with the next gossip or push/pull.
	publishTimeout = time.Second
)

// Start binds the election address, starts gossiping and joins the seeds in
// the background (a member alone still starts; joins are retried until a
// seed answers, and later whenever a seed drops out of the view).
func Start(c Config) (*Node, error) {
	host, portStr, err := net.SplitHostPort(c.Bind)
	if err != nil {
		return nil, fmt.Errorf("gossip: bind address %q: %w", c.Bind, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("gossip: bind address %q: port %q is not a port number", c.Bind, portStr)
	}
	ip, err := bindIP(host)
	if err != nil {
		return nil, fmt.Errorf("gossip: bind address %q: %w", c.Bind, err)
	}
	adv := ip // the address the others reach this member at
	if c.Advertise != "" {
		ahost, _, err := net.SplitHostPort(c.Advertise)
		if err != nil {
			return nil, fmt.Errorf("gossip: advertise address %q: %w", c.Advertise, err)
		}
		if adv, err = bindIP(ahost); err != nil {
			return nil, fmt.Errorf("gossip: advertise address %q: %w", c.Advertise, err)
		}
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "gossip")
	n := &Node{log: logger, self: c.Self, peers: map[string]peer{},
		changes: make(chan struct{}, 1), publish: make(chan struct{}, 1), quit: make(chan struct{})}
	if n.meta, err = encode(c.Self); err != nil {
		return nil, err
	}

	var mc *memberlist.Config
	if adv.IsLoopback() {
		mc = memberlist.DefaultLocalConfig()
	} else {
		mc = memberlist.DefaultLANConfig()
	}
	// A full state exchange with one random member every few seconds
	// (memberlist's defaults: 15s local, 30s LAN) repairs any meta update or
	// join a lost broadcast missed, and the leader admits joiners from this
	// view. An ensemble has a handful of members, so it costs next to
	// nothing.
	mc.PushPullInterval = 2 * time.Second
	mc.Name = NodeName(c.Self.ID)
	mc.BindAddr = ip.String()
	mc.BindPort = port
	mc.AdvertisePort = port
	if !adv.IsUnspecified() {
		mc.AdvertiseAddr = adv.String()
	}
	mc.Delegate = (*delegate)(n)
	mc.Events = (*events)(n)
	mc.Logger = newStdLogger(logger)
	mc.LogOutput = nil
	n.ml, err = memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("gossip: starting on %s: %w", c.Bind, err)
	}
	seeds := slices.DeleteFunc(slices.Clone(c.Seeds), func(s string) bool { return s == "" || s == c.Bind })
	go n.joinLoop(seeds)
	n.done.Add(1)
	go n.publishLoop()
	logger.Info("gossip started", "bind", c.Bind, "name", mc.Name, "seeds", len(seeds))
	return n, nil
}

// NodeName is the memberlist name of member sid.
func NodeName(sid int) string { return "sid-" + strconv.Itoa(sid) }

// bindIP resolves the host of the server.N line to the address to bind: a
// literal IP as is, a name to its first address (as ZooKeeper binds the
// resolved quorum host), "" to every interface.
func bindIP(host string) (net.IP, error) {
	if host == "" {
		return net.IPv4zero, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s resolves to no address", host)
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip, nil
		}
	}
	return ips[0], nil
}

func encode(m Meta) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("gossip: encoding meta: %w", err)
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("gossip: meta of sid %d is %d bytes, more than memberlist's %d (shorter host names?)",
			m.ID, len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

// joinLoop joins through the seeds until one answers, then keeps retrying
// seeds that are not in the view (a member that restarted, or the other
// side of a healed partition: memberlist alone never contacts a node it
// declared dead again).
func (n *Node) joinLoop(seeds []string) {
	if len(seeds) == 0 {
		return
	}
	wait := firstJoinWait
	joined := false
	for {
		missing := n.missing(seeds)
		if len(missing) > 0 {
			k, err := n.ml.Join(missing)
			switch {
			case k > 0 && !joined:
				joined = true
				n.log.Info("gossip joined", "contacted", k, "members", n.ml.NumMembers())
			case k == 0 && !joined:
				n.log.Debug("gossip join: no seed answered yet", "seeds", missing, "err", err)
			}
		}
		if joined {
			wait = rejoinEvery
		} else {
			wait = min(2*wait, rejoinEvery)
		}
		select {
		case <-n.quit:
			return
		case <-time.After(wait):
		}
	}
}

// missing are the seeds whose address no live member advertises.
func (n *Node) missing(seeds []string) []string {
	live := map[string]bool{}
	n.mu.Lock()
	for _, p := range n.peers {
		live[p.addr] = true
		live[p.meta.ElectionAddr] = true
	}
	n.mu.Unlock()
	var out []string
	for _, s := range seeds {
		if !live[s] {
			out = append(out, s)
		}
	}
	return out
}

func decode(b []byte) (Meta, error) {
	var m Meta
	err := json.Unmarshal(b, &m)
	return m, err
}

// Members are the live members including this one, sorted by ID. A member
// whose meta cannot be decoded (a newer, incompatible version) is left out.
func (n *Node) Members() []Meta {
	n.mu.Lock()
	out := []Meta{n.self}
	for _, p := range n.peers {
		if p.ok {
			out = append(out, p.meta)
		}
	}
	n.mu.Unlock()
	slices.SortFunc(out, func(a, b Meta) int { return a.ID - b.ID })
	return out
}

// Update changes this member's Meta; a change is gossiped to the others at
// once (an unchanged Meta sends nothing). A Meta that would not fit in
// memberlist's limit is refused and logged; the previous one stays.
func (n *Node) Update(f func(m *Meta)) {
	n.mu.Lock()
	next := n.self
	f(&next)
	if next == n.self {
		n.mu.Unlock()
		return
	}
	b, err := encode(next)
	if err != nil {
		n.mu.Unlock()
		n.log.Error("gossip: meta update refused", "err", err)
		return
	}
	n.self, n.meta = next, b
	n.mu.Unlock()
	select {
	case n.publish <- struct{}{}:
	default: // a broadcast is pending and will carry this meta too
	}
	n.notify()
}

// publishLoop broadcasts this member's meta after Updates. UpdateNode waits
// until the broadcast went out to another member (forever, without a
// timeout), so it runs here and not in Update's caller.
func (n *Node) publishLoop() {
	defer n.done.Done()
	for {
		select {
		case <-n.quit:
			return
		case <-n.publish:
			// UpdateNode reads NodeMeta, so it sends the newest meta.
			if err := n.ml.UpdateNode(publishTimeout); err != nil {
				n.log.Debug("gossip: broadcasting meta", "err", err)
			}
		}
	}
}

// Changes receives (non-blocking, coalesced) when a member joins, leaves or
// changes its Meta, this one included.
func (n *Node) Changes() <-chan struct{} { return n.changes }

func (n *Node) notify() {
	select {
	case n.changes <- struct{}{}:
	default:
	}
}

// Close leaves gracefully (the others drop this member at once instead of
// suspecting it first), then shuts down. It is safe to call twice.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		close(n.quit)
		n.done.Wait()
		if lerr := n.ml.Leave(leaveTimeout); lerr != nil {
			n.log.Debug("gossip: leave", "err", lerr)
		}
		err = n.ml.Shutdown()
	})
	return err
}

// delegate hands memberlist this member's meta; zkraft sends no user
// messages and no push/pull state of its own.
type delegate Node

func (d *delegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit { // encode checked MetaMaxSize; a smaller limit would be a memberlist change
		return nil
	}
	return slices.Clone(d.meta)
}

func (*delegate) NotifyMsg([]byte)                           {}
func (*delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (*delegate) LocalState(join bool) []byte                { return nil }
func (*delegate) MergeRemoteState(buf []byte, join bool)     {}

// peer is another member as the last event described it.
type peer struct {
	addr string // memberlist's address, host:port
	meta Meta
	ok   bool // meta decoded
}

// events keeps the view of the other members and turns its changes into
// Changes. The view is copied out of the events because memberlist updates
// the nodes Members() returns in place, without a lock the caller can take;
// an event's node is stable while the callback runs.
type events Node

func (e *events) NotifyJoin(node *memberlist.Node)   { e.set(node) }
func (e *events) NotifyUpdate(node *memberlist.Node) { e.set(node) }

func (e *events) NotifyLeave(node *memberlist.Node) {
	e.mu.Lock()
	delete(e.peers, node.Name)
	e.mu.Unlock()
	(*Node)(e).notify()
}

func (e *events) set(node *memberlist.Node) {
	p := peer{addr: node.Address()}
	var err error
	p.meta, err = decode(node.Meta)
	p.ok = err == nil
	if !p.ok {
		// A newer, incompatible member: it is live but left out of Members.
		e.log.Debug("gossip: undecodable member meta", "node", node.Name, "err", err)
	}
	e.mu.Lock()
	self := node.Name == NodeName(e.self.ID)
	if !self {
		e.peers[node.Name] = p
	}
	e.mu.Unlock()
	if !self {
		(*Node)(e).notify()
	}
}
