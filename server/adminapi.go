package server

import (
	"fmt"
	"os"
	"os/user"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// This file is the read-only view of the server that the AdminServer
// (server/admin) renders as JSON. The four-letter words render the same data
// as text (mntr, cons, srvr, stat, envi), so the two cannot drift apart.

// KV is one named value of an ordered listing (mntr, envi).
type KV struct {
	Key   string
	Value any
}

// JavaDouble is an average printed as ZooKeeper prints a Java double
// ("0.0", "10.3333"), both in text and in JSON.
type JavaDouble float64

func (d JavaDouble) String() string { return javaDouble(float64(d)) }

// MarshalJSON writes the same digits as String; "0.0" is a JSON number.
func (d JavaDouble) MarshalJSON() ([]byte, error) { return []byte(javaDouble(float64(d))), nil }

// Serving reports whether the status commands answer: false on an ensemble
// member that knows no leader (they then answer NotServingMessage).
func (s *Server) Serving() bool { return s.ens == nil || s.serving() || s.readOnly() }

// ReadOnly reports whether the server is cut off from the quorum and serves
// reads only (readonlymode.enabled).
func (s *Server) ReadOnly() bool { return s.readOnly() }

// NotServingMessage is ZooKeeper's answer to status commands while the
// server does not serve.
const NotServingMessage = notServingMessage

// Mode is standalone, leader, follower or observer.
func (s *Server) Mode() string { return s.mode() }

// Monitor lists mntr's values in mntr's order, keys without the zk_ prefix.
func (s *Server) Monitor() []KV {
	ts := s.fsm.Stats()
	mn, avg, mx, _ := s.stats.all.snapshot()
	var out []KV
	kv := func(k string, v any) { out = append(out, KV{k, v}) }
	kv("version", s.opts.Version+", built on "+buildDate)
	kv("server_state", s.mode())
	kv("ephemerals_count", ts.Ephemerals)
	kv("num_alive_connections", s.conns.count())
	kv("avg_latency", JavaDouble(avg))
	kv("outstanding_requests", s.outstanding())
	kv("znode_count", zkNodeCount(ts.Nodes))
	kv("global_sessions", ts.Sessions)
	kv("non_mtls_remote_conn_count", 0)
	kv("last_client_response_size", -1)
	kv("packets_sent", s.stats.packetsSent.Load())
	kv("packets_received", s.stats.packetsReceived.Load())
	kv("max_client_response_size", -1)
	kv("connection_drop_probability", JavaDouble(0))
	kv("watch_count", s.watches.count())
	kv("auth_failed_count", s.stats.authFailed.Load())
	kv("min_latency", mn)
	kv("max_file_descriptor_count", maxFDs())
	kv("approximate_data_size", ts.DataSize)
	kv("open_file_descriptor_count", openFDs())
	kv("local_sessions", 0)
	kv("uptime", time.Since(s.started).Milliseconds())
	kv("max_latency", mx)
	kv("outstanding_tls_handshake", 0)
	kv("min_client_response_size", -1)
	kv("non_mtls_local_conn_count", 0)
	kv("proposal_count", s.proposalCount())
	kv("watch_bytes", 0)
	kv("throttled_ops", 0)
	kv("large_requests_rejected", s.stats.largeRejected.Load())
	kv("connection_rejected", s.stats.connRejected.Load())
	kv("bytes_received_count", s.stats.bytesReceived.Load())
	kv("zxid", fmt.Sprintf("0x%x", ts.LastZxid))
	for _, l := range []struct {
		name string
		l    *latency
	}{{"readlatency", &s.stats.reads}, {"updatelatency", &s.stats.writes}} {
		mn, avg, mx, n := l.l.snapshot()
		kv("avg_"+l.name, JavaDouble(avg))
		kv("min_"+l.name, mn)
		kv("max_"+l.name, mx)
		kv("cnt_"+l.name, n)
		kv("sum_"+l.name, int64(avg*float64(n)+0.5))
	}
	s.writeEnsembleMntr(kv)
	return out
}

// ConnInfo is one client connection as cons and the connections command
// show it. Session is nil until the connection has a session.
type ConnInfo struct {
	RemoteAddr  string `json:"remote_socket_address"`
	InterestOps int    `json:"interest_ops"`
	Outstanding int    `json:"outstanding_requests"`
	Received    int64  `json:"packets_received"`
	Sent        int64  `json:"packets_sent"`
	*ConnSession
}

// ConnSession are the session details of a connection (ms and ids).
type ConnSession struct {
	SessionID    int64  `json:"session_id"`
	LastOp       string `json:"last_operation"`
	Established  int64  `json:"established"`
	Timeout      int64  `json:"session_timeout"`
	LastCxid     int64  `json:"last_cxid"`
	LastZxid     int64  `json:"last_zxid"`
	LastResponse int64  `json:"last_response_time"`
	LastLatency  int64  `json:"last_latency"`
	MinLatency   int64  `json:"min_latency"`
	AvgLatency   int64  `json:"avg_latency"` // truncated, as ZooKeeper's
	MaxLatency   int64  `json:"max_latency"`
}

// Connections lists the client connections, oldest first.
func (s *Server) Connections() []ConnInfo {
	cs := s.conns.list()
	sort.Slice(cs, func(i, j int) bool { return cs[i].stats.established.Before(cs[j].stats.established) })
	out := make([]ConnInfo, 0, len(cs))
	for _, c := range cs {
		st := &c.stats
		ci := ConnInfo{RemoteAddr: c.remote, Outstanding: c.outstanding(), Received: st.recved.Load(), Sent: st.sent.Load()}
		id := c.sessionID.Load()
		if id != 0 {
			// ZooKeeper's interest set: reading, once a session exists.
			ci.InterestOps = 1
			lop := "NA"
			if st.hasOp.Load() || st.recved.Load() > 0 {
				lop = opAbbrev(protocol.OpCode(st.lastOp.Load()))
			}
			mn, avg, mx, _ := st.lat.snapshot()
			st.lat.mu.Lock()
			last := st.lat.last
			st.lat.mu.Unlock()
			ci.ConnSession = &ConnSession{
				SessionID: id, LastOp: lop, Established: st.established.UnixMilli(),
				Timeout:  time.Duration(c.timeout.Load()).Milliseconds(),
				LastCxid: int64(st.lastCxid.Load()), LastZxid: st.lastZxid.Load(), LastResponse: st.lastResp.Load(),
				LastLatency: last, MinLatency: mn, AvgLatency: int64(avg), MaxLatency: mx,
			}
		}
		out = append(out, ci)
	}
	return out
}

// ServerStats is what srvr and stat (and their JSON commands) report.
type ServerStats struct {
	Version     string
	MinLatency  int64
	AvgLatency  float64
	MaxLatency  int64
	Received    int64
	Sent        int64
	Connections int
	Outstanding int
	Zxid        int64
	Mode        string
	NodeCount   int
	// ProposalSizes are the last, smallest and largest proposal in bytes
	// on an ensemble's leader (-1 each before the first); nil elsewhere.
	ProposalSizes []int
	Uptime        time.Duration
	AuthFailed    int64
}

// Stats returns the srvr figures.
func (s *Server) Stats() ServerStats {
	mn, avg, mx, _ := s.stats.all.snapshot()
	return ServerStats{
		Version:    s.opts.Version + ", built on " + buildDate,
		MinLatency: mn, AvgLatency: avg, MaxLatency: mx,
		Received: s.stats.packetsReceived.Load(), Sent: s.stats.packetsSent.Load(),
		Connections: s.conns.count(), Outstanding: s.outstanding(),
		Zxid: s.fsm.LastZxid(), Mode: s.mode(), NodeCount: zkNodeCount(s.fsm.Stats().Nodes),
		Uptime: time.Since(s.started), AuthFailed: s.stats.authFailed.Load(),
		ProposalSizes: s.proposalSizes(),
	}
}

// proposalCount is mntr's zk_proposal_count: the transactions this member
// proposed as an ensemble's leader (a standalone ZooKeeper proposes none).
func (s *Server) proposalCount() int64 {
	if s.ens == nil {
		return 0
	}
	return s.stats.proposals.total()
}

// proposalSizes are the leader's proposal sizes (nil unless this member
// leads an ensemble).
func (s *Server) proposalSizes() []int {
	if s.ens == nil || !s.node.isLeader() {
		return nil
	}
	last, least, most := s.stats.proposals.sizes()
	return []int{last, least, most}
}

// DirSizes are the bytes under DataDir and DataLogDir (dirs).
func (s *Server) DirSizes() (dataDir, logDir int64) {
	return dirSize(s.opts.DataDir), dirSize(s.dataLogDir())
}

// ResetConnectionStats is crst.
func (s *Server) ResetConnectionStats() {
	for _, c := range s.conns.list() {
		c.stats.reset()
	}
}

// ResetStats is srst.
func (s *Server) ResetStats() { s.stats.reset() }

// WatchSummary is wchs: connections watching, paths watched, watches.
func (s *Server) WatchSummary() (conns, paths, total int) { return s.watches.summary() }

// WatchesBySession is wchc: per session id, its data-watch paths, sorted.
func (s *Server) WatchesBySession() map[int64][]string {
	out := map[int64][]string{}
	for c, paths := range s.watches.byConnection() {
		id := c.sessionID.Load()
		out[id] = append(out[id], paths...)
	}
	return out
}

// WatchesByPath is wchp: per path, the watching session ids, sorted.
func (s *Server) WatchesByPath() map[string][]int64 {
	out := map[string][]int64{}
	for p, cs := range s.watches.byPathList() {
		ids := make([]int64, 0, len(cs))
		for _, c := range cs {
			ids = append(ids, c.sessionID.Load())
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		out[p] = ids
	}
	return out
}

// SessionExpiries groups the live sessions by the tick (unix ms) at which
// they expire unless heard from, as dump does.
func (s *Server) SessionExpiries() map[int64][]int64 {
	tick := max(s.opts.TickTime, time.Millisecond)
	out := map[int64][]int64{}
	s.sessions.mu.Lock()
	for id, ls := range s.sessions.m {
		exp := time.Unix(0, ls.lastHeard.Load()+ls.timeout.Load())
		key := exp.Truncate(tick).Add(tick).UnixMilli()
		out[key] = append(out[key], id)
	}
	s.sessions.mu.Unlock()
	for _, ids := range out {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return out
}

// EphemeralsBySession lists the ephemeral paths of each session holding any.
func (s *Server) EphemeralsBySession() map[int64][]string {
	out := map[int64][]string{}
	for _, ss := range s.fsm.Sessions() {
		if ss.Ephemerals > 0 {
			out[ss.ID] = s.fsm.Ephemerals(ss.ID, "/")
		}
	}
	return out
}

// Environment lists envi's values in envi's order.
func (s *Server) Environment() []KV {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	uname, home := "", ""
	if u, err := user.Current(); err == nil {
		uname, home = u.Username, u.HomeDir
	}
	return []KV{
		{"zookeeper.version", s.opts.Version + ", built on " + buildDate},
		{"host.name", host},
		{"go.version", runtime.Version()},
		{"os.name", runtime.GOOS},
		{"os.arch", runtime.GOARCH},
		{"user.name", uname},
		{"user.home", home},
		{"user.dir", wd},
		{"os.cpus", strconv.Itoa(runtime.NumCPU())},
	}
}

// Configuration is the configuration command's view of the options.
type Configuration struct {
	ClientPort        int    `json:"client_port"`
	DataDir           string `json:"data_dir"`
	DataLogDir        string `json:"data_log_dir"`
	TickTime          int64  `json:"tick_time"`
	MaxClientCnxns    int    `json:"max_client_cnxns"`
	MinSessionTimeout int64  `json:"min_session_timeout"`
	MaxSessionTimeout int64  `json:"max_session_timeout"`
	ServerID          int    `json:"server_id"`
	ListenBacklog     int    `json:"client_port_listen_backlog"`
}

// Config returns the effective settings that the configuration command shows.
func (s *Server) Config() Configuration {
	port := 0
	if a := s.Addr(); a != nil {
		if i := strings.LastIndexByte(a.String(), ':'); i >= 0 {
			port, _ = strconv.Atoi(a.String()[i+1:])
		}
	}
	return Configuration{
		ClientPort: port, DataDir: s.opts.DataDir, DataLogDir: s.dataLogDir(),
		TickTime: s.opts.TickTime.Milliseconds(), MaxClientCnxns: s.opts.MaxClientCnxns,
		MinSessionTimeout: s.opts.MinSessionTimeout.Milliseconds(),
		MaxSessionTimeout: s.opts.MaxSessionTimeout.Milliseconds(),
		ServerID:          s.opts.ServerID, ListenBacklog: -1,
	}
}

// ConfigLines are the effective zoo.cfg settings (initial_configuration).
func (s *Server) ConfigLines() []string { return s.opts.ConfigLines }

// MayAdminister reports whether identities ids hold ALL on the root: what
// the AdminServer's snapshot and restore commands require.
func (s *Server) MayAdminister(ids []protocol.Id) bool { return s.fsm.MayAdminister(ids) }

// zkNodeCount is the znode count ZooKeeper reports for a tree of n znodes:
// its DataTree keeps the root under both "" and "/" and counts both, so
// srvr's Node count, mntr's zk_znode_count and the AdminServer's
// znode_count say 5 on a fresh server holding 4 znodes. Tools compare these
// numbers across servers, so zkraft reports the same (its own
// zkraft_znodes metric is the true count).
func zkNodeCount(n int) int { return n + 1 }
