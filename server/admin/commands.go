package admin

import (
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/zkraft/zkraft/server"
)

// command is one AdminServer command. run returns the command's own fields,
// or a non-empty error message. As in ZooKeeper, a command answers the
// not-serving message on an ensemble member that knows no leader unless it
// is marked anyState (ZooKeeper's commands that need no running server:
// environment, get_trace_mask, monitor, system_properties, zabstate).
type command struct {
	run      func(zk *server.Server, r *http.Request) (object, string)
	anyState bool
}

// aliases map ZooKeeper's short names onto the primary names; answers carry
// the primary name in "command".
var aliases = map[string]string{
	"crst": "connection_stat_reset", "conf": "configuration", "config": "configuration",
	"cons": "connections", "env": "environment", "envi": "environment", "gtmk": "get_trace_mask",
	"icfg": "initial_configuration", "isro": "is_read_only", "lsnp": "last_snapshot", "lead": "leader",
	"mntr": "monitor", "orst": "observer_connection_stat_reset", "stmk": "set_trace_mask",
	"srvr": "server_stats", "stat": "stats", "srst": "stat_reset", "obsr": "observers",
	"sysp": "system_properties", "wchc": "watches", "wchp": "watches_by_path", "wchs": "watch_summary",
}

// ZooKeeper's default trace mask; zkraft has no tracing to mask.
const traceMask = 306

var commands = map[string]command{
	"configuration": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		c := zk.Config()
		return object{{"client_port", c.ClientPort}, {"data_dir", c.DataDir}, {"data_log_dir", c.DataLogDir},
			{"tick_time", c.TickTime}, {"max_client_cnxns", c.MaxClientCnxns},
			{"min_session_timeout", c.MinSessionTimeout}, {"max_session_timeout", c.MaxSessionTimeout},
			{"server_id", c.ServerID}, {"client_port_listen_backlog", c.ListenBacklog}}, ""
	}},
	"connection_stat_reset": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		zk.ResetConnectionStats()
		return nil, ""
	}},
	"connections": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		return object{{"connections", zk.Connections()}, {"secure_connections", []any{}}}, ""
	}},
	"dirs": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		d, l := zk.DirSizes()
		return object{{"datadir_size", d}, {"logdir_size", l}}, ""
	}},
	"dump": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		exp := map[string][]int64{}
		for at, ids := range zk.SessionExpiries() {
			exp[strconv.FormatInt(at, 10)] = ids
		}
		eph := map[string][]string{}
		for id, paths := range zk.EphemeralsBySession() {
			eph[strconv.FormatInt(id, 10)] = paths
		}
		return object{{"expiry_time_to_session_ids", exp}, {"session_id_to_ephemeral_paths", eph}}, ""
	}},
	"environment": {anyState: true, run: func(zk *server.Server, _ *http.Request) (object, string) {
		return fromKVs(zk.Environment()), ""
	}},
	"get_trace_mask": {anyState: true, run: func(*server.Server, *http.Request) (object, string) {
		return object{{"tracemask", traceMask}}, ""
	}},
	"hash": {run: func(*server.Server, *http.Request) (object, string) {
		// ZooKeeper's digest feature is off by default: no digests.
		return object{{"digests", []any{}}}, ""
	}},
	"initial_configuration": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		var b strings.Builder
		for _, l := range zk.ConfigLines() {
			b.WriteString(l + "\n")
		}
		return object{{"initial_configuration", b.String()}}, ""
	}},
	"is_read_only": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		return object{{"read_only", zk.ReadOnly()}}, ""
	}},
	"last_snapshot": {run: lastSnapshot},
	"leader":        {run: leader},
	"monitor": {anyState: true, run: func(zk *server.Server, _ *http.Request) (object, string) {
		return fromKVs(zk.Monitor()), ""
	}},
	"observer_connection_stat_reset": {run: func(*server.Server, *http.Request) (object, string) {
		return nil, ""
	}},
	"observers": {run: observers},
	"ruok": {run: func(*server.Server, *http.Request) (object, string) {
		return nil, ""
	}},
	"server_stats": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		return serverStats(zk), ""
	}},
	"set_trace_mask": {run: func(_ *server.Server, r *http.Request) (object, string) {
		v, err := strconv.ParseInt(r.URL.Query().Get("traceMask"), 10, 64)
		if err != nil {
			return nil, "setTraceMask requires long traceMask argument"
		}
		// Accepted and echoed; zkraft has no trace mask to set.
		return object{{"tracemask", v}}, ""
	}},
	"stat_reset": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		zk.ResetStats()
		return nil, ""
	}},
	"stats": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		type brief struct {
			RemoteAddr  string `json:"remote_socket_address"`
			InterestOps int    `json:"interest_ops"`
			Outstanding int    `json:"outstanding_requests"`
			Received    int64  `json:"packets_received"`
			Sent        int64  `json:"packets_sent"`
		}
		cs := []brief{}
		for _, c := range zk.Connections() {
			cs = append(cs, brief{c.RemoteAddr, c.InterestOps, c.Outstanding, c.Received, c.Sent})
		}
		return append(serverStats(zk), field{"connections", cs}, field{"secure_connections", []any{}}), ""
	}},
	"system_properties": {anyState: true, run: systemProperties},
	"voting_view":       {run: votingView},
	"watch_summary": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		c, p, t := zk.WatchSummary()
		return object{{"num_connections", c}, {"num_paths", p}, {"num_total_watches", t}}, ""
	}},
	"watches": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		m := map[string][]string{}
		for id, paths := range zk.WatchesBySession() {
			m[strconv.FormatInt(id, 10)] = paths
		}
		return object{{"session_id_to_watched_paths", m}}, ""
	}},
	"watches_by_path": {run: func(zk *server.Server, _ *http.Request) (object, string) {
		return object{{"path_to_session_ids", zk.WatchesByPath()}}, ""
	}},
	"zabstate": {anyState: true, run: zabState},
}

func fromKVs(kvs []server.KV) object {
	o := make(object, 0, len(kvs))
	for _, kv := range kvs {
		o = append(o, field{kv.Key, kv.Value})
	}
	return o
}

// serverStats is srvr's JSON shape. zkraft does not track response sizes
// or fsync thresholds; those fields carry ZooKeeper's "none yet" values.
func serverStats(zk *server.Server) object {
	st := zk.Stats()
	data, logs := zk.DirSizes()
	noSizes := object{{"last_buffer_size", -1}, {"min_buffer_size", -1}, {"max_buffer_size", -1}}
	inner := object{
		{"packets_sent", st.Sent}, {"packets_received", st.Received},
		{"fsync_threshold_exceed_count", 0}, {"client_response_stats", noSizes},
		{"data_dir_size", data}, {"log_dir_size", logs}, {"provider_null", false},
		{"server_state", st.Mode}, {"last_processed_zxid", st.Zxid},
		{"outstanding_requests", st.Outstanding}, {"avg_latency", server.JavaDouble(st.AvgLatency)},
		{"max_latency", st.MaxLatency}, {"min_latency", st.MinLatency},
		{"num_alive_client_connections", st.Connections}, {"uptime", st.Uptime.Milliseconds()},
		{"auth_failed_count", st.AuthFailed}, {"non_mtlsremote_conn_count", 0}, {"non_mtlslocal_conn_count", 0},
	}
	out := object{{"version", st.Version}, {"read_only", false}, {"server_stats", inner},
		{"client_response", noSizes}, {"node_count", st.NodeCount}}
	if p := st.ProposalSizes; p != nil {
		out = append(out, field{"proposal_stats", object{{"last_buffer_size", p[0]}, {"min_buffer_size", p[1]}, {"max_buffer_size", p[2]}}})
	}
	return out
}

// lastSnapshot names the newest raft snapshot: zxid is its raft index in
// hex (zkraft snapshots are cut at raft indexes, not zxids) and timestamp
// the second it was taken; without one, "0" and the server's start, as
// ZooKeeper's start-up snapshot would show.
func lastSnapshot(zk *server.Server, _ *http.Request) (object, string) {
	m := zk.Metrics()
	ts := time.Now().Add(-m.Uptime)
	if m.SnapshotCount > 0 {
		ts = m.SnapshotTime
	}
	return object{{"zxid", strconv.FormatUint(m.SnapshotIndex, 16)}, {"timestamp", ts.Unix()}}, ""
}

// leader answers as ZooKeeper: a standalone server is "not initialized" as
// a quorum peer; a member names the leader's id (-1 while none is known)
// and host.
func leader(zk *server.Server, _ *http.Request) (object, string) {
	v, ok := zk.QuorumView()
	if !ok {
		return nil, "server is not initialized"
	}
	id, ip := -1, ""
	if l, ok := member(v, v.LeaderID); ok {
		id = l.ID
		ip, _, _ = net.SplitHostPort(l.QuorumAddr)
	}
	return object{{"is_leader", v.IsLeader}, {"leader_id", id}, {"leader_ip", ip}}, ""
}

func member(v server.EnsembleView, id int) (server.Member, bool) {
	for _, m := range v.Members {
		if m.ID == id && id != 0 {
			return m, true
		}
	}
	return server.Member{}, false
}

// observers lists, on the leader, the observers that are keeping up with
// raft; elsewhere none, as ZooKeeper's followers without observer masters.
func observers(zk *server.Server, _ *http.Request) (object, string) {
	v, ok := zk.QuorumView()
	list := []any{}
	if ok && v.IsLeader {
		for _, m := range v.Members {
			if m.Observer && m.ID != v.Self.ID {
				list = append(list, object{{"sid", m.ID}, {"qpaddress", m.QuorumAddr}})
			}
		}
	}
	return object{{"synced_observers", v.SyncedObservers}, {"observers", list}}, ""
}

// votingView lists the voting members by id, with ZooKeeper's fields.
func votingView(zk *server.Server, _ *http.Request) (object, string) {
	v, _ := zk.QuorumView()
	view := object{}
	for _, m := range v.Members {
		if m.Observer {
			continue
		}
		view = append(view, field{strconv.Itoa(m.ID), object{
			{"serverAddresses", []string{m.QuorumAddr}}, {"electionAddresses", []string{m.ElectionAddr}},
			{"clientAddress", m.ClientAddr}, {"learnerType", "participant"},
		}})
	}
	return object{{"current_config", view}}, ""
}

// zabState maps raft onto ZooKeeper's ZAB phases: broadcast while a leader
// is known, election otherwise.
func zabState(zk *server.Server, _ *http.Request) (object, string) {
	v, ok := zk.QuorumView()
	if !ok {
		return object{{"voting", false}, {"zabstate", ""}}, ""
	}
	state := "election"
	if v.LeaderID != 0 {
		state = "broadcast"
	}
	zxid := zk.Stats().Zxid
	return object{
		{"myid", v.Self.ID}, {"is_leader", v.IsLeader}, {"quorum_address", v.Self.QuorumAddr},
		{"election_address", v.Self.ElectionAddr}, {"client_address", v.Self.ClientAddr},
		{"voting", v.Voting}, {"last_zxid", "0x" + strconv.FormatInt(zxid, 16)},
		{"zab_epoch", zxid >> 32}, {"zab_counter", zxid & 0xffffffff}, {"zabstate", state},
	}, ""
}

// systemProperties has no JVM to describe: it lists the Go runtime's
// equivalents and every effective setting as zookeeper.<key>, the way
// ZooKeeper turns zoo.cfg keys into system properties.
func systemProperties(zk *server.Server, _ *http.Request) (object, string) {
	wd, _ := os.Getwd()
	o := object{
		{"file.separator", string(os.PathSeparator)}, {"go.version", runtime.Version()},
		{"line.separator", "\n"}, {"os.arch", runtime.GOARCH}, {"os.name", runtime.GOOS},
		{"path.separator", string(os.PathListSeparator)}, {"user.dir", wd},
	}
	for _, l := range zk.ConfigLines() {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		if !strings.HasPrefix(k, "zookeeper.") {
			k = "zookeeper." + k
		}
		o = append(o, field{k, v})
	}
	return o, ""
}
