package admin

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/zkraft/zkraft/server"
)

// serveMetrics writes the Prometheus text exposition (format 0.0.4).
//
// The numeric mntr values are exported under the names ZooKeeper's
// Prometheus provider uses (mntr's keys without zk_: znode_count,
// num_alive_connections, outstanding_requests, ...), so dashboards built
// for ZooKeeper find them. What only zkraft has is prefixed zkraft_:
// per-op request counts and latency histograms, raft state and indexes,
// snapshots, forwarded writes.
func (a *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(exposition(a.zk))
}

func exposition(zk *server.Server) []byte {
	var b bytes.Buffer
	gauge := func(name, help string, v any) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, v)
	}
	counter := func(name, help string, v any) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %v\n", name, help, name, name, v)
	}

	for _, kv := range zk.Monitor() {
		if v, ok := number(kv.Value); ok {
			fmt.Fprintf(&b, "# TYPE %s gauge\n%s %s\n", kv.Key, kv.Key, v)
		}
	}

	m := zk.Metrics()
	sort.Slice(m.Ops, func(i, j int) bool { return m.Ops[i].Op < m.Ops[j].Op })
	b.WriteString("# HELP zkraft_requests_total Client requests answered, by op.\n# TYPE zkraft_requests_total counter\n")
	for _, op := range m.Ops {
		fmt.Fprintf(&b, "zkraft_requests_total{op=%q} %d\n", op.Op, op.Count)
	}
	b.WriteString("# HELP zkraft_request_duration_seconds Time from reading a request to queueing its reply, by op.\n" +
		"# TYPE zkraft_request_duration_seconds histogram\n")
	for _, op := range m.Ops {
		histogram(&b, "zkraft_request_duration_seconds", fmt.Sprintf("op=%q,", op.Op), op)
	}
	b.WriteString("# HELP zkraft_log_write_seconds Raft log appends, each committed with an fsync.\n" +
		"# TYPE zkraft_log_write_seconds histogram\n")
	histogram(&b, "zkraft_log_write_seconds", "", m.LogWrites)

	gauge("zkraft_outstanding_requests", "Requests read and not yet answered.", m.Outstanding)
	gauge("zkraft_sessions", "Live sessions in the ensemble.", m.Sessions)
	gauge("zkraft_connections", "Client connections to this server.", m.Connections)
	gauge("zkraft_watches", "Watches set by this server's clients.", m.Watches)
	gauge("zkraft_znodes", "Znodes in the tree.", m.Znodes)
	gauge("zkraft_ephemerals", "Ephemeral znodes in the tree.", m.Ephemerals)
	gauge("zkraft_data_size_bytes", "Approximate size of the tree: data and path bytes.", m.DataSize)
	gauge("zkraft_last_zxid", "Zxid of the last applied transaction.", m.LastZxid)
	counter("zkraft_forwarded_writes_total", "Writes this follower or observer forwarded to the leader.", m.ForwardedWrites)
	counter("zkraft_commit_notices_total", "Commits this follower learned from the leader's answers and raft accepted.", m.CommitNotices)
	counter("zkraft_auth_failed_total", "Failed authentications.", m.AuthFailed)
	counter("zkraft_connections_rejected_total", "Connections refused by connection limits.", m.ConnRejected)
	counter("zkraft_large_requests_rejected_total", "Requests over jute.maxbuffer.", m.LargeRejected)
	counter("zkraft_bytes_received_total", "Bytes received from clients.", m.BytesReceived)
	gauge("zkraft_uptime_seconds", "Seconds since the server started.", formatFloat(m.Uptime.Seconds()))

	b.WriteString("# HELP zkraft_raft_state 1 for this member's raft state.\n# TYPE zkraft_raft_state gauge\n")
	for _, st := range []string{"Follower", "Candidate", "Leader", "Shutdown"} {
		v := 0
		if st == m.RaftState {
			v = 1
		}
		fmt.Fprintf(&b, "zkraft_raft_state{state=%q} %d\n", strings.ToLower(st), v)
	}
	gauge("zkraft_raft_term", "Raft term (ZooKeeper's epoch).", m.RaftTerm)
	gauge("zkraft_raft_commit_index", "Raft commit index.", m.RaftCommitIndex)
	gauge("zkraft_raft_applied_index", "Raft index applied to the tree.", m.RaftAppliedIndex)
	gauge("zkraft_raft_last_log_index", "Last raft log index stored.", m.RaftLastLogIndex)
	gauge("zkraft_snapshots", "Raft snapshots kept in dataDir.", m.SnapshotCount)
	gauge("zkraft_snapshot_index", "Raft index of the newest snapshot.", m.SnapshotIndex)
	gauge("zkraft_snapshot_size_bytes", "Size of the newest snapshot.", m.SnapshotSize)
	ts := int64(0)
	if !m.SnapshotTime.IsZero() {
		ts = m.SnapshotTime.Unix()
	}
	gauge("zkraft_snapshot_timestamp_seconds", "When the newest snapshot was taken (unix seconds).", ts)
	counter("zkraft_snapshots_taken_total", "Raft snapshots this process wrote.", m.SnapshotsTaken)
	counter("zkraft_snapshot_failures_total", "Raft snapshots this process failed to write.", m.SnapshotFailures)
	gauge("zkraft_snapshot_capture_seconds", "Time the last snapshot took to capture the tree.", formatFloat(m.SnapshotCapture.Seconds()))
	gauge("zkraft_snapshot_persist_seconds", "Time the last snapshot took to write.", formatFloat(m.SnapshotPersist.Seconds()))
	gauge("zkraft_snapshot_persisted_bytes", "Bytes the last snapshot wrote.", m.SnapshotBytes)
	gauge("zkraft_data_dir_bytes", "Bytes under dataDir.", m.DataDirBytes)
	gauge("zkraft_data_log_dir_bytes", "Bytes under dataLogDir.", m.DataLogDirBytes)
	return b.Bytes()
}

// histogram writes one histogram's samples; labels is "" or ends in a comma.
func histogram(b *bytes.Buffer, name, labels string, h server.OpLatency) {
	for i, le := range server.LatencyBuckets {
		fmt.Fprintf(b, "%s_bucket{%sle=%q} %d\n", name, labels, formatFloat(le), h.Cumulative[i])
	}
	fmt.Fprintf(b, "%s_bucket{%sle=\"+Inf\"} %d\n", name, labels, h.Count)
	braces := ""
	if labels != "" {
		braces = "{" + strings.TrimSuffix(labels, ",") + "}"
	}
	fmt.Fprintf(b, "%s_sum%s %s\n", name, braces, formatFloat(h.SumSeconds))
	fmt.Fprintf(b, "%s_count%s %d\n", name, braces, h.Count)
}

// number formats mntr's numeric values; strings (version, state, zxid) are
// not samples.
func number(v any) (string, bool) {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case server.JavaDouble:
		return formatFloat(float64(x)), true
	case float64:
		return formatFloat(x), true
	}
	return "", false
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
