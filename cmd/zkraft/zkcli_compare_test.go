package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const zkCliPath = "/usr/share/zookeeper/bin/zkCli.sh"

// The shell prints what zkCli prints for the same commands on the same
// tree: zkCli runs the script first, then "zkraft shell" runs it again.
func TestShellOutputMatchesZkCli(t *testing.T) {
	if _, err := os.Stat(zkCliPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing: %v", zkCliPath, err)
		}
		t.Skipf("skipping the comparison with zkCli: %v (install the Debian zookeeper package)", err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but java is missing: %v", err)
		}
		t.Skipf("skipping the comparison with zkCli: %v", err)
	}
	addr := startServer(t, nil)
	mustCLI(t, addr, "create", "/cmp", "some data")
	mustCLI(t, addr, "create", "/cmp/null")
	mustCLI(t, addr, "create", "/cmp/acl", "x", "world:anyone:rw,ip:127.0.0.1:cdrwa")
	mustCLI(t, addr, "create", "/cmp/null/deeper", "y")
	mustCLI(t, addr, "setquota", "-N", "10", "/cmp")
	// Only commands that change nothing, so both runs see one tree; each
	// failing one is followed by one that succeeds, so that zkCli's stderr
	// cannot overtake its stdout.
	script := strings.Join([]string{
		"ls /", "ls -s /cmp", "ls -R /cmp", "get /cmp", "get -s /cmp", "get /cmp/null", "stat /cmp/acl",
		"getAcl /cmp/acl", "getAcl -s /cmp", "get /missing", "sync /cmp", "create /cmp", "sync /cmp",
		"delete /cmp", "sync /cmp", "set -v 9 /cmp x", "sync /cmp", "getAllChildrenNumber /cmp",
		"listquota /cmp", "getEphemerals /", "whoami",
	}, "\n") + "\n"

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	zk := exec.CommandContext(ctx, zkCliPath, "-server", addr)
	zk.Stdin = strings.NewReader(script + "quit\n")
	zkOut, err := zk.CombinedOutput()
	if err != nil && ctx.Err() != nil {
		t.Fatalf("zkCli: %v\n%s", err, zkOut)
	}

	root, ours := shellCmd(addr, strings.NewReader(script))
	_ = root.ExecuteContext(ctx) // four commands fail on purpose

	want := zkCliLines(string(zkOut))
	got := strings.Split(strings.TrimSuffix(ours.String(), "\n"), "\n")
	if last := got[len(got)-1]; last != "Error: 4 of 21 commands failed" {
		t.Errorf("last line %q, want the summary of the four failing commands", last)
	}
	got = got[:len(got)-1]
	if len(want) < 60 {
		t.Fatalf("zkCli printed too little to compare:\n%s", zkOut)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("zkraft shell and zkCli differ\nzkraft:\n%s\nzkCli:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// zkCliLines drops zkCli's banner, log lines and connection event.
func zkCliLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case l == "", strings.HasPrefix(l, "Connecting to "), strings.HasPrefix(l, "Welcome to ZooKeeper"),
			strings.HasPrefix(l, "JLine support"), strings.HasPrefix(l, "SLF4J"), l == "WATCHER::",
			strings.HasPrefix(l, "WatchedEvent state:SyncConnected type:None"),
			strings.HasPrefix(l, "WatchedEvent state:Closed type:None"), strings.Contains(l, " INFO "),
			strings.Contains(l, " WARN "), len(l) > 4 && l[:2] == "20" && l[4] == '-':
			continue
		}
		lines = append(lines, l)
	}
	return lines
}
