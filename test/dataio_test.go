package test

// Import from and export to Apache ZooKeeper's files, checked against a
// real ZooKeeper 3.8: the tree a server serves before must be served node
// by node (data, ACL, every Stat field) by the other one after.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/fsm/zkfile"
	"github.com/zkraft/zkraft/server"
)

// needZooKeeper skips (or fails under CI=true) when the Debian ZooKeeper
// is not installed.
func needZooKeeper(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Apache ZooKeeper 3.8 is required under CI: %v", err)
		}
		t.Skipf("Apache ZooKeeper 3.8 is not installed (%v): nothing to compare with", err)
	}
}

// servedNode is what a server serves of one node.
type servedNode struct {
	Data []byte
	ACL  []zk.ACL
	Stat zk.Stat
}

// servedTree reads every node as the super user, so every ACL lets it read.
func servedTree(t *testing.T, c *zk.Conn) map[string]servedNode {
	t.Helper()
	if err := c.AddAuth("digest", []byte(superUser+":"+superPassword)); err != nil {
		t.Fatalf("authenticating as super: %v", err)
	}
	out := map[string]servedNode{}
	var walk func(p string)
	walk = func(p string) {
		data, stat, err := c.Get(p)
		if err != nil {
			t.Fatalf("get %s: %v", p, err)
		}
		acl, _, err := c.GetACL(p)
		if err != nil {
			t.Fatalf("getACL %s: %v", p, err)
		}
		out[p] = servedNode{Data: data, ACL: acl, Stat: *stat}
		kids, _, err := c.Children(p)
		if err != nil {
			t.Fatalf("children %s: %v", p, err)
		}
		for _, k := range kids {
			walk(strings.TrimSuffix(p, "/") + "/" + k)
		}
	}
	walk("/")
	return out
}

// compareTrees reports every difference between two served trees.
func compareTrees(t *testing.T, want, got map[string]servedNode, wantName, gotName string) {
	t.Helper()
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: on %s, missing on %s", p, wantName, gotName)
		case !bytes.Equal(w.Data, g.Data):
			t.Errorf("%s: data %q on %s, %q on %s", p, w.Data, wantName, g.Data, gotName)
		case !reflect.DeepEqual(w.ACL, g.ACL):
			t.Errorf("%s: ACL %v on %s, %v on %s", p, w.ACL, wantName, g.ACL, gotName)
		case w.Stat != g.Stat:
			t.Errorf("%s: stat\n  %s %+v\n  %s %+v", p, wantName, w.Stat, gotName, g.Stat)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: on %s, not on %s", p, gotName, wantName)
		}
	}
	if len(want) < 20 {
		t.Errorf("only %d nodes compared: the workload did not run", len(want))
	}
}

// writeVariedTree builds a tree with every kind of node and change the
// formats must carry: nested nodes, binary/empty data, digest/world/ip
// ACLs, sequential nodes with deletes in between, an ephemeral of the live
// session, a container with a child, a TTL node, versions from setData and
// setACL, a multi, and enough writes to make ZooKeeper snapshot (with
// snapCount=20) with transactions after the last snapshot.
func writeVariedTree(t *testing.T, c *zk.Conn) {
	t.Helper()
	world := zk.WorldACL(zk.PermAll)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	create := func(p string, data []byte, flags int32, acl []zk.ACL) string {
		t.Helper()
		got, err := c.Create(p, data, flags, acl)
		must("create "+p, err)
		return got
	}
	// As super, so that setACL on a node without ADMIN for world works.
	must("auth", c.AddAuth("digest", []byte(superUser+":"+superPassword)))
	create("/dio", []byte("root of the data io test"), 0, world)
	create("/dio/a", nil, 0, world)
	create("/dio/a/b", []byte{}, 0, world)
	create("/dio/a/b/c", []byte{0, 1, 2, 0xfe, 0xff}, 0, world)
	create("/dio/digest", []byte("secret"), 0, zk.DigestACL(zk.PermAll, "alice", "pw"))
	create("/dio/readonly", []byte("ro"), 0, zk.WorldACL(zk.PermRead))
	create("/dio/ip", []byte("ip"), 0, []zk.ACL{{Perms: zk.PermRead | zk.PermWrite, Scheme: "ip", ID: "127.0.0.1"}})
	create("/dio/seq", nil, 0, world)
	var seqs []string
	for i := range 6 {
		seqs = append(seqs, create("/dio/seq/n-", []byte(strconv.Itoa(i)), zk.FlagSequence, world))
	}
	must("delete", c.Delete(seqs[1], -1))
	must("delete", c.Delete(seqs[4], -1))
	create("/dio/seq/n-", []byte("after deletes"), zk.FlagSequence, world)
	create("/dio/eph", []byte("ephemeral"), zk.FlagEphemeral, world)
	create("/dio/ephseq-", nil, zk.FlagEphemeral|zk.FlagSequence, world)
	_, err := c.CreateContainer("/dio/container", []byte("box"), zk.FlagContainer, world)
	must("createContainer", err)
	create("/dio/container/child", nil, 0, world)
	_, err = c.CreateTTL("/dio/ttl", []byte("ttl"), zk.FlagTTL, world, time.Hour)
	must("createTTL", err)
	create("/dio/gone", nil, 0, world)
	must("delete", c.Delete("/dio/gone", -1))
	_, err = c.SetACL("/dio/readonly", zk.WorldACL(zk.PermRead|zk.PermAdmin), -1)
	must("setACL", err)
	_, err = c.Multi(&zk.CreateRequest{Path: "/dio/multi", Data: []byte("m"), Acl: world},
		&zk.SetDataRequest{Path: "/dio/multi", Data: []byte("m2"), Version: 0})
	must("multi", err)
	// A failed multi changes nothing but is logged.
	if _, err := c.Multi(&zk.CreateRequest{Path: "/dio/never", Acl: world},
		&zk.DeleteRequest{Path: "/dio/missing", Version: -1}); err == nil {
		t.Fatal("multi deleting a missing node succeeded")
	}
	for i := range 45 {
		_, err := c.Set("/dio/a", []byte(fmt.Sprintf("version %d", i+1)), -1)
		must("set", err)
	}
	create("/dio/late", []byte("after the snapshots"), 0, world)
	_, err = c.Set("/dio/a/b", []byte("late change"), 0)
	must("set", err)
}

// zooKeeperWithTree runs a ZooKeeper that snapshots every ~20 txns, writes
// the varied tree through it and stops it under the live session (whose
// ephemerals stay in the files). It returns the dataDir and what ZooKeeper
// served just before stopping.
func zooKeeperWithTree(t *testing.T, extra ...string) (string, map[string]servedNode) {
	t.Helper()
	needZooKeeper(t)
	z, err := newZooKeeper(t, append(extra, "snapCount=20")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	if err := z.start(); err != nil {
		t.Fatal(err)
	}
	c := connectTimeout(t, z, 15*maxSessionTimeout/20)
	writeVariedTree(t, c.Conn)
	// A session that ends logs closeSession, which deletes its ephemeral.
	short, _, err := zk.Connect([]string{z.Addr()}, 10*time.Second, zk.WithLogger(&testLog{}))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a second session", func() bool { return short.State() == zk.StateHasSession })
	if _, err := short.Create("/dio/short-lived", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	short.Close()
	waitFor(t, 10*time.Second, "the closed session's ephemeral to go", func() bool {
		ok, _, err := c.Exists("/dio/short-lived")
		return err == nil && !ok
	})
	served := servedTree(t, c.Conn)
	z.stopProcess()
	return filepath.Join(z.dir, "data"), served
}

// TestImportFromZooKeeper: compressed snapshots, gzip and snappy (the
// corruption test below reads plain ones).
func TestImportFromZooKeeper(t *testing.T) {
	for _, method := range []string{"gz", "snappy"} {
		t.Run(method, func(t *testing.T) { importFromZooKeeper(t, method) })
	}
}

func importFromZooKeeper(t *testing.T, method string) {
	zkData, want := zooKeeperWithTree(t, "snapshot.compression.method="+method)
	if snaps, _ := filepath.Glob(filepath.Join(zkData, "version-2", "snapshot.*."+method)); len(snaps) < 2 {
		t.Fatalf("ZooKeeper wrote %s snapshots %v, want at least two", method, snaps)
	}

	tree, rep, err := zkfile.LoadDataDir(zkData, "", func(msg string) { t.Logf("import warning: %s", msg) })
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if rep.SnapshotZxid == 0 || rep.Txns == 0 {
		t.Fatalf("the ZooKeeper data did not hold a snapshot with transactions after it: %+v", rep)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings for clean files: %v", rep.Warnings)
	}

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zr := &zkraftTarget{t: t, dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port), log: &testLog{}}
	zr.opts = zkraftOptions(filepath.Join(dir, "data"), port, zr.log)
	res, err := server.Seed(&zr.opts, tree.Image())
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
	if _, err := server.Seed(&zr.opts, tree.Image()); err == nil || !strings.Contains(err.Error(), "raft state") {
		t.Errorf("seeding twice: %v, want a refusal naming raft state", err)
	}
	if err := zr.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zr.Stop)
	zc := connect(t, zr)
	got := servedTree(t, zc.Conn)
	compareTrees(t, want, got, "zookeeper", "zkraft")

	// New writes get zxids above every imported one, and the sequence
	// counter goes on where ZooKeeper left it.
	p, err := zc.Create("/dio/seq/n-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	_, st, _ := zc.Get(p)
	if st.Czxid <= rep.LastZxid || uint64(st.Czxid)>>32 <= res.Term {
		t.Errorf("new node's czxid %#x, want above the imported %#x in a term after %d", st.Czxid, rep.LastZxid, res.Term)
	}
	if want := fmt.Sprintf("/dio/seq/n-%010d", 7); p != want {
		t.Errorf("next sequential node %s, want %s", p, want)
	}
}

func TestImportCorruptZooKeeperFiles(t *testing.T) {
	zkData, _ := zooKeeperWithTree(t)
	v2 := filepath.Join(zkData, "version-2")
	clean, _, err := zkfile.LoadDataDir(zkData, "", nil)
	if err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(v2, "snapshot.*"))
	newest := newestZKFile(files)
	if len(files) < 2 {
		t.Fatalf("want at least two snapshots to fall back on, have %v", files)
	}
	// Where the flipped byte lands differs from run to run (session ids and
	// times vary, and the snapshot is gzipped): the checksum catches it, or
	// the structure breaks first (a length past the end, a bad deflate
	// block). Either way the error names the file and says it is damaged.
	flipByte(t, newest, 200)
	if _, err := zkfile.ReadSnapshot(newest); err == nil || !strings.Contains(err.Error(), newest+" is damaged") {
		t.Errorf("reading the damaged snapshot: %v, want an error saying %s is damaged", err, newest)
	}
	// As ZooKeeper does, the import falls back to the previous snapshot and
	// replays more of the log: the same tree, with a warning.
	tree, rep, err := zkfile.LoadDataDir(zkData, "", nil)
	if err != nil {
		t.Fatalf("import with a damaged newest snapshot: %v", err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], newest) {
		t.Errorf("warnings %v, want one naming %s", rep.Warnings, newest)
	}
	if !reflect.DeepEqual(tree.Image(), clean.Image()) {
		t.Error("the tree from the older snapshot and more log differs from the clean import")
	}

	// A damaged entry in the log ends the replay there, with a warning
	// naming the file and offset.
	logs, _ := filepath.Glob(filepath.Join(v2, "log.*"))
	last := newestZKFile(logs)
	flipByte(t, last, 16+12+30) // inside the first entry of the newest log
	_, rep, err = zkfile.LoadDataDir(zkData, "", nil)
	if err != nil {
		t.Fatalf("import with a damaged log: %v", err)
	}
	if w := strings.Join(rep.Warnings, "\n"); !strings.Contains(w, last) || !strings.Contains(w, "checksum") {
		t.Errorf("warnings %q, want a checksum warning naming %s", w, last)
	}
}

// newestZKFile picks the file with the highest zxid suffix (hex, unpadded).
func newestZKFile(files []string) string {
	newest, top := "", uint64(0)
	for _, f := range files {
		base := filepath.Base(f)
		z, err := strconv.ParseUint(base[strings.IndexByte(base, '.')+1:], 16, 64)
		if err == nil && (newest == "" || z > top) {
			newest, top = f, z
		}
	}
	return newest
}

func flipByte(t *testing.T, file string, at int64) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func TestExportToZooKeeper(t *testing.T) {
	needZooKeeper(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zr := &zkraftTarget{t: t, dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port), log: &testLog{}}
	zr.opts = zkraftOptions(filepath.Join(dir, "data"), port, zr.log)
	if err := zr.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zr.Stop)
	c := connectTimeout(t, zr, 15*maxSessionTimeout/20)
	writeVariedTree(t, c.Conn)
	want := servedTree(t, c.Conn)
	zr.stopServer()

	img, err := server.ReadDataDir(&zr.opts)
	if err != nil {
		t.Fatalf("reading the stopped server's data: %v", err)
	}
	z, err := newZooKeeper(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	v2 := filepath.Join(z.dir, "data", "version-2")
	if err := os.MkdirAll(v2, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := zkfile.WriteSnapshot(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v2, fmt.Sprintf("snapshot.%x", img.LastZxid)), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := z.start(); err != nil {
		t.Fatal(err)
	}
	zc := connect(t, z)
	got := servedTree(t, zc.Conn)
	compareTrees(t, want, got, "zkraft", "zookeeper")
}
