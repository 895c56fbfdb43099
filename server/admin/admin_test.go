package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/server"
)

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// startServer starts a server with o and closes it when the test ends.
func startServer(t *testing.T, o server.Options) *server.Server {
	t.Helper()
	s, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// startZK starts a standalone server on a loopback port with a client
// session that created /a and watches it.
func startZK(t *testing.T, tweaks ...func(*server.Options)) (*server.Server, *zk.Conn) {
	t.Helper()
	o := server.DefaultOptions()
	o.ClientAddr = "127.0.0.1:0"
	o.DataDir = t.TempDir()
	o.TickTime = 100 * time.Millisecond
	o.MinSessionTimeout = 400 * time.Millisecond
	o.ConfigLines = []string{"tickTime=100", "dataDir=" + o.DataDir}
	for _, f := range tweaks {
		f(&o)
	}
	s := startServer(t, o)
	c, ev, err := zk.Connect([]string{s.Addr().String()}, 5*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(10 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-ev:
		case <-deadline:
			t.Fatalf("no session after 10s, state %v", c.State())
		}
	}
	if _, err := c.Create("/a", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/a"); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func startAdmin(t *testing.T, s *server.Server, o Options) *Server {
	t.Helper()
	// Tests outside gate_test.go run snapshot and restore freely.
	if o.Snapshot == (Gate{}) {
		o.Snapshot = Gate{Enabled: true}
	}
	if o.Restore == (Gate{}) {
		o.Restore = Gate{Enabled: true}
	}
	a, err := Start(s, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// client authenticates every request by its address ("Authorization: ip"),
// which snapshot and restore need; gate_test.go checks them without.
var client = &http.Client{Timeout: 10 * time.Second, Transport: withAuthorization{"ip"}}

// withAuthorization sets the Authorization header of every request.
type withAuthorization struct{ value string }

func (w withAuthorization) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", w.value)
	return http.DefaultTransport.RoundTrip(r)
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func runCommand(t *testing.T, a *Server, name string) map[string]any {
	t.Helper()
	code, b := get(t, "http://"+a.Addr().String()+"/commands/"+name)
	if code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", name, code, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, b)
	}
	return m
}

// The commands of ZooKeeper 3.8's AdminServer (REFERENCE.md).
var wantCommands = []string{
	"configuration", "connection_stat_reset", "connections", "dirs", "dump", "environment",
	"get_trace_mask", "hash", "initial_configuration", "is_read_only", "last_snapshot", "leader",
	"monitor", "observer_connection_stat_reset", "observers", "ruok", "server_stats",
	"set_trace_mask", "stat_reset", "stats", "system_properties", "voting_view", "watch_summary",
	"watches", "watches_by_path", "zabstate",
}

func TestCommandsAnswerJSON(t *testing.T) {
	s, c := startZK(t)
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0"})

	for _, name := range wantCommands {
		t.Run(name, func(t *testing.T) {
			path := name
			if name == "set_trace_mask" {
				path += "?traceMask=42"
			}
			m := runCommand(t, a, path)
			if m["command"] != name {
				t.Errorf("command = %v, want %s", m["command"], name)
			}
			errv, ok := m["error"]
			if !ok {
				t.Fatalf("no error field: %v", m)
			}
			if name == "leader" {
				// ZooKeeper's standalone answer.
				if errv != "server is not initialized" {
					t.Errorf("leader error = %v", errv)
				}
				return
			}
			if errv != nil {
				t.Errorf("error = %v, want null", errv)
			}
		})
	}

	mon := runCommand(t, a, "monitor")
	if mon["server_state"] != "standalone" {
		t.Errorf("monitor server_state = %v", mon["server_state"])
	}
	if n, _ := mon["znode_count"].(float64); n < 6 {
		t.Errorf("monitor znode_count = %v, want >= 6 (4 system nodes, /a, ZooKeeper's alias of the root)", mon["znode_count"])
	}
	if mon["watch_count"] != float64(1) {
		t.Errorf("monitor watch_count = %v, want 1", mon["watch_count"])
	}

	st := runCommand(t, a, "stats")
	inner, ok := st["server_stats"].(map[string]any)
	if !ok || inner["server_state"] != "standalone" {
		t.Errorf("stats server_stats = %v", st["server_stats"])
	}
	if conns, _ := st["connections"].([]any); len(conns) != 1 {
		t.Errorf("stats connections = %v, want one", st["connections"])
	}

	cons := runCommand(t, a, "connections")
	list, _ := cons["connections"].([]any)
	found := false
	for _, e := range list {
		m, _ := e.(map[string]any)
		// JSON numbers decode as float64; session ids fit exactly only as
		// int64, so compare through json.Number.
		if id, ok := m["session_id"].(float64); ok && int64(id) == c.SessionID() ||
			sameID(m["session_id"], c.SessionID()) {
			found = true
		}
	}
	if !found {
		t.Errorf("connections does not list session 0x%x: %v", c.SessionID(), cons)
	}

	w := runCommand(t, a, "watches")
	if paths := w["session_id_to_watched_paths"].(map[string]any)[strconv.FormatInt(c.SessionID(), 10)]; !slices.Equal(toStrings(paths), []string{"/a"}) {
		t.Errorf("watches = %v, want session 0x%x watching /a", w, c.SessionID())
	}
	if ws := runCommand(t, a, "watch_summary"); ws["num_total_watches"] != float64(1) || ws["num_paths"] != float64(1) {
		t.Errorf("watch_summary = %v", ws)
	}
	if stm := runCommand(t, a, "set_trace_mask?traceMask=42"); stm["tracemask"] != float64(42) {
		t.Errorf("set_trace_mask = %v", stm)
	}
	if stm := runCommand(t, a, "set_trace_mask"); stm["error"] != "setTraceMask requires long traceMask argument" {
		t.Errorf("set_trace_mask without a mask = %v", stm)
	}
	if ic := runCommand(t, a, "initial_configuration"); !strings.HasPrefix(ic["initial_configuration"].(string), "tickTime=100\n") {
		t.Errorf("initial_configuration = %v", ic)
	}
}

func sameID(v any, id int64) bool {
	b, _ := json.Marshal(v)
	return string(b) == strconv.FormatInt(id, 10)
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func TestAliasesUnknownAndList(t *testing.T) {
	s, _ := startZK(t)
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0", CommandURL: "/cmds/"})
	base := "http://" + a.Addr().String() + "/cmds/"
	for alias, primary := range aliases {
		url := base + alias
		if primary == restoreCommand {
			continue // a POST with a body: restore_test.go
		}
		if primary == snapshotCommand {
			url += "?streaming=false" // JSON; the stream is in snapshot_test.go
		}
		code, b := get(t, url)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || code != http.StatusOK {
			t.Fatalf("%s: status %d, %v: %s", alias, code, err, b)
		}
		if m["command"] != primary {
			t.Errorf("%s: command = %v, want %s", alias, m["command"], primary)
		}
	}

	code, b := get(t, base+"nosuch")
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || code != http.StatusOK {
		t.Fatalf("unknown: status %d, %v: %s", code, err, b)
	}
	if m["command"] != "nosuch" || m["error"] != "Unknown command: nosuch" {
		t.Errorf("unknown command answer = %v", m)
	}

	code, b = get(t, "http://"+a.Addr().String()+"/cmds")
	if code != http.StatusOK {
		t.Fatalf("list: status %d", code)
	}
	for _, name := range wantCommands {
		if !bytes.Contains(b, []byte(`href="/cmds/`+name+`"`)) {
			t.Errorf("list lacks %s:\n%s", name, b)
		}
	}

	resp, err := client.Post(base+"monitor", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST monitor: status %d, want 405 as ZooKeeper", resp.StatusCode)
	}
}

func TestDisabledListensNowhere(t *testing.T) {
	s, _ := startZK(t)
	a := startAdmin(t, s, Options{})
	if a.Addr() != nil || a.MetricsAddr() != nil {
		t.Fatalf("disabled admin server has addresses %v, %v", a.Addr(), a.MetricsAddr())
	}
	if len(a.servers) != 0 {
		t.Fatalf("disabled admin server runs %d listeners", len(a.servers))
	}
}

func TestBusyAdminPortIsNotFatal(t *testing.T) {
	s, _ := startZK(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := startAdmin(t, s, Options{Addr: ln.Addr().String()})
	if a.Addr() != nil {
		t.Fatalf("admin server claims %v, which another listener holds", a.Addr())
	}
}

// sampleLine is one exposition sample: name{labels} value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? (\S+)$`)

// scrape fetches /metrics and returns its samples by "name{labels}".
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	code, b := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("%s: status %d", url, code)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample line: %q", line)
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			t.Fatalf("bad value in %q: %v", line, err)
		}
		key := m[1] + m[2]
		if _, dup := out[key]; dup {
			t.Fatalf("sample %s twice", key)
		}
		out[key] = v
	}
	return out
}

func TestMetrics(t *testing.T) {
	s, c := startZK(t)
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0"})

	before := scrape(t, "http://"+a.MetricsAddr().String()+"/metrics")
	if _, err := c.Create("/b", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	after := scrape(t, "http://"+a.Addr().String()+"/metrics")

	const creates = `zkraft_requests_total{op="create"}`
	if after[creates] != before[creates]+1 {
		t.Errorf("%s went from %v to %v, want +1", creates, before[creates], after[creates])
	}
	if got := after[`zkraft_request_duration_seconds_count{op="create"}`]; got != after[creates] {
		t.Errorf("create histogram count %v != requests %v", got, after[creates])
	}
	if got := after[`zkraft_request_duration_seconds_bucket{op="create",le="+Inf"}`]; got != after[creates] {
		t.Errorf("create +Inf bucket %v != requests %v", got, after[creates])
	}
	for k, want := range map[string]float64{
		"znode_count":                         before["znode_count"] + 1,
		"zkraft_znodes":                       before["zkraft_znodes"] + 1,
		"zkraft_sessions":                     1,
		"zkraft_connections":                  1,
		"zkraft_watches":                      1,
		`zkraft_raft_state{state="leader"}`:   1,
		`zkraft_raft_state{state="follower"}`: 0,
		"zkraft_forwarded_writes_total":       0,
		"zkraft_outstanding_requests":         0,
		"outstanding_requests":                0,
		"num_alive_connections":               1,
	} {
		if got, ok := after[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if after["zkraft_log_write_seconds_count"] <= before["zkraft_log_write_seconds_count"] {
		t.Errorf("a create wrote no raft log: zkraft_log_write_seconds_count %v -> %v",
			before["zkraft_log_write_seconds_count"], after["zkraft_log_write_seconds_count"])
	}
	for _, k := range []string{"zkraft_raft_term", "zkraft_raft_commit_index", "zkraft_raft_applied_index", "zkraft_data_size_bytes"} {
		if after[k] <= 0 {
			t.Errorf("%s = %v, want > 0", k, after[k])
		}
	}
	// Raft records an entry as applied just after the fsm (and so the
	// client's reply) has seen it: poll.
	deadline := time.Now().Add(5 * time.Second)
	for after["zkraft_raft_applied_index"] <= before["zkraft_raft_applied_index"] {
		if time.Now().After(deadline) {
			t.Fatalf("applied index did not move with a create: %v -> %v",
				before["zkraft_raft_applied_index"], after["zkraft_raft_applied_index"])
		}
		time.Sleep(10 * time.Millisecond)
		after = scrape(t, "http://"+a.Addr().String()+"/metrics")
	}
}

func TestSnapshotMetrics(t *testing.T) {
	s, c := startZK(t, func(o *server.Options) {
		o.SnapshotThreshold = 1
		o.SnapshotInterval = 20 * time.Millisecond
	})
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0"})
	for i := range 5 {
		if _, err := c.Create("/n"+strconv.Itoa(i), []byte("data"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := scrape(t, "http://"+a.Addr().String()+"/metrics")
		if m["zkraft_snapshots_taken_total"] >= 1 {
			if m["zkraft_snapshot_persisted_bytes"] <= 0 || m["zkraft_snapshot_size_bytes"] <= 0 ||
				m["zkraft_snapshots"] < 1 || m["zkraft_snapshot_index"] <= 0 || m["zkraft_snapshot_timestamp_seconds"] <= 0 {
				t.Fatalf("a snapshot was taken but its samples are empty: %v", m)
			}
			ls := runCommand(t, a, "last_snapshot")
			if ls["zxid"] == "0" {
				t.Errorf("last_snapshot after a snapshot = %v", ls)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no snapshot counted within 10s with a threshold of 1 entry")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
