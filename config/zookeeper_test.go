package config

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// zkJars are what QuorumPeerConfig needs on the class path, as the Debian
// zookeeper package installs them.
var zkJars = []string{
	"/usr/share/java/zookeeper.jar",
	"/usr/share/java/zookeeper-jute.jar",
	"/usr/share/java/slf4j-api.jar",
	"/usr/share/java/slf4j-nop.jar", // keeps ZooKeeper's logging off stdout
	"/usr/share/java/commons-io.jar",
}

// TestAgainstZooKeeper parses the same files with Apache ZooKeeper's
// QuorumPeerConfig (the Debian zookeeper package) and with this package, and
// checks that both accept or both reject each, with the same effective
// values, except where zkraft is stricter on purpose (diverge says why).
func TestAgainstZooKeeper(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skipf("no java to run Apache ZooKeeper's config parser (%v); install the zookeeper package", err)
	}
	for _, jar := range zkJars {
		if _, err := os.Stat(jar); err != nil {
			t.Skipf("Apache ZooKeeper's jars are missing (%v); install the zookeeper package", err)
		}
	}

	// @DATA@ becomes a fresh data directory holding myid=1, so ensembles
	// pass ZooKeeper's "myid file is missing" check.
	const ok = "dataDir=@DATA@\nclientPort=2181\n"
	const ens = ok + "initLimit=5\nsyncLimit=2\n"
	cases := []struct {
		name, body string
		diverge    string // why zkraft rejects what ZooKeeper accepts
	}{
		{name: "minimal", body: ok},
		{name: "sample", body: "tickTime=2000\ninitLimit=10\nsyncLimit=5\n" + ok},
		{name: "no dataDir", body: "clientPort=2181\n"},
		{name: "tickTime not a number", body: ok + "tickTime=abc\n"},
		{name: "tickTime hex", body: ok + "tickTime=0x10\n"},
		{name: "tickTime signed and padded", body: ok + "tickTime = +100 \n"},
		{name: "tickTime zero", body: ok + "tickTime=0\n"},
		{name: "tickTime negative", body: ok + "tickTime=-100\n"},
		{name: "int overflow", body: ok + "maxClientCnxns=2147483648\n"},
		{name: "min above max", body: ok + "minSessionTimeout=5000\nmaxSessionTimeout=4000\n"},
		{name: "min and max -1", body: ok + "minSessionTimeout=-1\nmaxSessionTimeout=-1\n"},
		{name: "max below derived min", body: ok + "maxSessionTimeout=1000\n"},
		{name: "clientPortAddress without clientPort", body: "dataDir=@DATA@\nclientPortAddress=127.0.0.1\n"},
		{name: "clientPort out of range", body: "dataDir=@DATA@\nclientPort=99999\n"},
		{name: "clientPort negative", body: "dataDir=@DATA@\nclientPort=-1\n"},
		{name: "no clientPort", body: "dataDir=@DATA@\n", diverge: "zkraft has no TLS port, so it needs clientPort"},
		{name: "snapRetainCount raised", body: ok + "autopurge.snapRetainCount=1\n"},
		{name: "purgeInterval", body: ok + "autopurge.purgeInterval=24\n"},
		{name: "peerType bad", body: ok + "peerType=foo\n"},
		{name: "peerType observer", body: ok + "peerType=OBSERVER\n"},
		{name: "standaloneEnabled bad", body: ok + "standaloneEnabled=maybe\n"},
		{name: "reconfigEnabled upper case", body: ok + "reconfigEnabled=TRUE\n"},
		{name: "localSessionsEnabled bad", body: ok + "localSessionsEnabled=yes\n"},
		{name: "electionAlg 3", body: ok + "electionAlg=3\n"},
		{name: "electionAlg 1", body: ok + "electionAlg=1\n"},
		{name: "unknown key", body: ok + "foo.bar=1\n"},
		{name: "dataLogDir", body: ok + "dataLogDir=/tmp/zklog\n"},
		{name: "properties dialect", body: "# comment\n! comment\n  dataDir : @DATA@\nclientPort 2181\ntickTime=1\\\n  500\n"},
		{name: "jute.maxbuffer hex", body: ok + "jute.maxbuffer=0x400000\n"},
		{name: "jute.maxbuffer bad", body: ok + "jute.maxbuffer=abc\n", diverge: "ZooKeeper silently ignores a malformed system property"},
		{name: "extendedTypesEnabled bad", body: ok + "extendedTypesEnabled=yes\n", diverge: "ZooKeeper silently reads it as false"},
		{name: "one server line", body: ok + "server.1=127.0.0.1:2888:3888\n"},
		{name: "ensemble", body: ens + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\nserver.3=127.0.0.1:2890:3890:observer;127.0.0.1:2183\n"},
		{name: "ensemble without initLimit", body: ok + "syncLimit=2\nserver.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "ensemble with client ports", body: "dataDir=@DATA@\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.1:2889:3889;127.0.0.1:2182\n"},
		{name: "client port differs from line", body: "dataDir=@DATA@\nclientPort=2999\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.1:2889:3889;2182\n"},
		{name: "ipv6 server", body: ens + "server.1=[::1]:2888:3888\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server without election port", body: ens + "server.1=127.0.0.1:2888\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server bad role", body: ens + "server.1=127.0.0.1:2888:3888:foo\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server bad id", body: ens + "server.x=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server bad port", body: ens + "server.1=127.0.0.1:abc:3888\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server extra part", body: ens + "server.1=127.0.0.1:2888:3888:participant:x\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server two client parts", body: ens + "server.1=127.0.0.1:2888:3888;a;b\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server multi-address", body: ens + "server.1=127.0.0.1:2888:3888|127.0.0.2:2888:3888\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server negative id", body: ens + "server.-1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n", diverge: "a negative id cannot be a myid"},
		{name: "server trailing separators", body: ens + "server.1=127.0.0.1:2888:3888;\nserver.2=127.0.0.1:2889:3889:\n"},
		{name: "server id with leading zero", body: ens + "server.01=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n"},
		{name: "server quorum port 0", body: ens + "server.1=127.0.0.1:0:3888\nserver.2=127.0.0.1:2889:3889\n", diverge: "port 0 cannot be dialled"},
		{name: "server empty client host", body: ens + "server.1=127.0.0.1:2888:3888;:2181\nserver.2=127.0.0.1:2889:3889\n", diverge: "ZooKeeper reads an empty host as localhost"},
		{name: "electionAlg not a number", body: ok + "electionAlg=x\n"},
		{name: "server repeated", body: ok + "server.1=127.0.0.1:2888:3888\nserver.1=127.0.0.1:2889:3889\n"},
		{name: "observers only", body: ok + "server.1=127.0.0.1:2888:3888:observer\n"},
		{name: "observer without quorum", body: ok + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889:observer\n"},
		{name: "standalone disabled one server", body: ens + "standaloneEnabled=false\nserver.1=127.0.0.1:2888:3888\n"},
		{name: "hierarchical", body: ens + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\nserver.3=127.0.0.1:2890:3890\n" +
			"group.1=1:2:3\nweight.1=1\nweight.2=1\nweight.3=1\n"},
	}

	dir := t.TempDir()
	var paths []string
	for i, tc := range cases {
		data := filepath.Join(dir, fmt.Sprintf("data%d", i))
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte("1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("case%d.cfg", i))
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(tc.body, "@DATA@", data)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-cp", strings.Join(zkJars, ":"), filepath.Join("testdata", "ZkConfigCheck.java")}, paths...)
	out, err := exec.CommandContext(ctx, java, args...).Output()
	if err != nil {
		t.Fatalf("running ZooKeeper's parser: %v", err)
	}
	results := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(results) != len(cases) {
		t.Fatalf("ZooKeeper answered %d lines for %d files:\n%s", len(results), len(cases), out)
	}

	for i, tc := range cases {
		zk := results[i]
		ours := zkraftVerdict(paths[i])
		zkOK, oursOK := strings.HasPrefix(zk, "OK"), strings.HasPrefix(ours, "OK")
		switch {
		case tc.diverge != "":
			if !zkOK || oursOK {
				t.Errorf("%s: expected ZooKeeper to accept and zkraft to reject (%s)\n  zookeeper: %s\n  zkraft:    %s", tc.name, tc.diverge, zk, ours)
			}
		case zkOK != oursOK:
			t.Errorf("%s: verdicts differ\n  zookeeper: %s\n  zkraft:    %s", tc.name, zk, ours)
		case zkOK && zk != ours:
			t.Errorf("%s: effective settings differ\n  zookeeper: %s\n  zkraft:    %s", tc.name, zk, ours)
		}
		t.Logf("%s\n  zookeeper: %s\n  zkraft:    %s", tc.name, zk, ours)
	}
}

// zkraftVerdict is this package's answer for a file, in ZkConfigCheck's
// format.
func zkraftVerdict(path string) string {
	c, err := Load(path)
	if err != nil {
		return "ERR " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	id, ok, err := ReadMyID(c.DataDir)
	if err != nil {
		return "ERR " + err.Error()
	}
	if ok {
		c.ServerID = id
	}
	if err := c.Validate(); err != nil {
		return "ERR " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return fmt.Sprintf("OK tickTime=%d minSessionTimeout=%d maxSessionTimeout=%d snapRetainCount=%d dataLogDir=%s servers=%d distributed=%v",
		c.TickTime.Milliseconds(), c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds(),
		c.SnapRetainCount, c.DataLogDir, len(c.Servers), c.Distributed())
}
