package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/fsm/zkfile"
	"github.com/zkraft/zkraft/server"
	"github.com/zkraft/zkraft/server/admin"
)

// startTestServer runs a standalone server in-process on dataDir, with its
// AdminServer when withAdmin; both on free loopback ports.
func startTestServer(t *testing.T, dataDir string, withAdmin bool) (client string, adminAddr string, stop func()) {
	t.Helper()
	opts := server.DefaultOptions()
	opts.ClientAddr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	opts.DataDir, opts.DataLogDir = dataDir, dataDir
	opts.TickTime = 200 * time.Millisecond
	opts.MinSessionTimeout, opts.MaxSessionTimeout = 400*time.Millisecond, 20*time.Second
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var adm *admin.Server
	if withAdmin {
		adminAddr = "127.0.0.1:" + strconv.Itoa(freePort(t))
		if adm, err = admin.Start(srv, admin.Options{Addr: adminAddr, CommandURL: "/commands",
			Snapshot: admin.Gate{Enabled: true}, Restore: admin.Gate{Enabled: true}}); err != nil {
			srv.Close()
			t.Fatal(err)
		}
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		if adm != nil {
			adm.Close()
		}
		srv.Close()
	}
	t.Cleanup(stop)
	return opts.ClientAddr, adminAddr, stop
}

func dialZK(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func runJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, err := execute(t, context.Background(), append(args, "--output", "json")...)
	if err != nil {
		t.Fatalf("zkraft %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("zkraft %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestSnapshotSaveInspectRestore saves a running server's tree through the
// AdminServer, inspects the file, restores it into a new server and checks
// that server serves the tree as it was at the save (not the writes after).
func TestSnapshotSaveInspectRestore(t *testing.T) {
	client, adminAddr, _ := startTestServer(t, t.TempDir(), true)
	c := dialZK(t, client)
	acl := zk.WorldACL(zk.PermAll)
	paths := []string{"/app", "/app/config", "/app/config/db", "/app/locks", "/other"}
	for i, p := range paths {
		if _, err := c.Create(p, []byte(strings.Repeat("x", i*100)), 0, acl); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Create("/app/locks/lock-", nil, zk.FlagEphemeral|zk.FlagSequence, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("/app/config", []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	want := map[string]*zk.Stat{}
	for _, p := range paths {
		_, st, err := c.Get(p)
		if err != nil {
			t.Fatal(err)
		}
		want[p] = st
	}

	file := filepath.Join(t.TempDir(), "backup.snap")
	var saved snapshotSaveResult
	if out, err := execute(t, context.Background(), "snapshot", "save", file, "--admin", adminAddr); err == nil ||
		!strings.Contains(out, "401 Unauthorized: the snapshot command needs authentication") {
		t.Errorf("save without --auth: %v\n%s", err, out)
	}
	runJSON(t, &saved, "snapshot", "save", file, "--admin", adminAddr, "--auth", "ip")
	if saved.Znodes != 4+len(paths)+1 || saved.Sessions != 1 || saved.Bytes == 0 {
		t.Errorf("save reported %+v, want %d znodes and 1 session", saved, 4+len(paths)+1)
	}
	if _, err := c.Create("/after-save", nil, 0, acl); err != nil {
		t.Fatal(err)
	}

	var sum zkfile.Summary
	runJSON(t, &sum, "snapshot", "inspect", file)
	if sum.Format != "zkraft" || sum.Znodes != saved.Znodes || sum.Ephemerals != 1 || sum.Sessions != 1 ||
		sum.LastZxid != saved.LastZxid || len(sum.ByNodes) == 0 || sum.ByNodes[0].Path != "/app" || sum.ByNodes[0].Nodes != 5 {
		t.Errorf("inspect: %+v", sum)
	}
	if out, err := execute(t, context.Background(), "snapshot", "inspect", file); err != nil ||
		!strings.Contains(out, "biggest subtrees by bytes") || !strings.Contains(out, "/app/config") {
		t.Errorf("inspect as text: %v\n%s", err, out)
	}

	newDir := t.TempDir()
	var seeded seedReport
	runJSON(t, &seeded, "snapshot", "restore", file, "--data-dir", newDir)
	if seeded.Seed == nil || seeded.Seed.Nodes != saved.Znodes {
		t.Fatalf("restore reported %+v", seeded)
	}
	if out, err := execute(t, context.Background(), "snapshot", "restore", file, "--data-dir", newDir); err == nil ||
		!strings.Contains(err.Error(), "raft state") {
		t.Errorf("restoring into a used directory: %v\n%s", err, out)
	}

	client2, _, stop2 := startTestServer(t, newDir, false)
	c2 := dialZK(t, client2)
	for _, p := range paths {
		_, st, err := c2.Get(p)
		if err != nil {
			t.Errorf("restored server: get %s: %v", p, err)
			continue
		}
		if *st != *want[p] {
			t.Errorf("%s: restored stat %+v, want %+v", p, st, want[p])
		}
	}
	if ok, _, _ := c2.Exists("/after-save"); ok {
		t.Error("a node created after the save is in the restored tree")
	}
	p, err := c2.Create("/new", nil, 0, acl)
	if err != nil {
		t.Fatal(err)
	}
	_, st, _ := c2.Get(p)
	if last, _ := strconv.ParseInt(strings.TrimPrefix(saved.LastZxid, "0x"), 16, 64); st.Czxid <= last {
		t.Errorf("first write after the restore has zxid %#x, not above the snapshot's %s", st.Czxid, saved.LastZxid)
	}

	// Export the stopped restored server for ZooKeeper and read it back.
	c2.Close()
	stop2()
	zkDir := t.TempDir()
	var exp exportResult
	runJSON(t, &exp, "export", "--data-dir", newDir, "--zk-datadir", zkDir)
	if exp.Znodes != saved.Znodes+1 || !strings.HasPrefix(filepath.Base(exp.File), "snapshot.") {
		t.Errorf("export reported %+v", exp)
	}
	runJSON(t, &sum, "snapshot", "inspect", exp.File)
	if sum.Format != "zookeeper" || sum.Znodes != exp.Znodes {
		t.Errorf("inspect of the export: %+v", sum)
	}

	// Import the exported ZooKeeper data dir into yet another server.
	importDir := t.TempDir()
	var imp seedReport
	runJSON(t, &imp, "import", "--zk-datadir", zkDir, "--data-dir", importDir)
	if imp.Import == nil || imp.Import.Snapshot != exp.File || imp.Seed.Nodes != exp.Znodes {
		t.Errorf("import reported %+v (load %+v)", imp, imp.Import)
	}
	client3, _, _ := startTestServer(t, importDir, false)
	c3 := dialZK(t, client3)
	for _, p := range paths {
		if _, st, err := c3.Get(p); err != nil || *st != *want[p] {
			t.Errorf("%s after export and import: %+v, %v; want %+v", p, st, err, want[p])
		}
	}

	out, err := execute(t, context.Background(), "snapshot", "restore", file, "--data-dir", t.TempDir(), "--progress")
	if err != nil || !strings.Contains(out, "reading "+file) || !strings.Contains(out, "writing") {
		t.Errorf("restore --progress: %v\n%s", err, out)
	}

	// A flipped byte fails the checks (the checksum, or a length before it),
	// naming the file.
	b, _ := os.ReadFile(file)
	b[len(b)/2] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.snap")
	os.WriteFile(bad, b, 0o644)
	if _, err := execute(t, context.Background(), "snapshot", "inspect", bad); err == nil ||
		!strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("inspect of a damaged file: %v", err)
	}
}
