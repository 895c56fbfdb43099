package main

import (
	"strings"
	"testing"

	"github.com/zkraft/zkraft/protocol"
	"github.com/zkraft/zkraft/server"
)

// Quotas are written as zkCli 3.8 writes them, the server keeps their usage,
// and with enforceQuota a hard limit stops writes.
func TestQuotaCommands(t *testing.T) {
	addr := startServer(t, func(o *server.Options) { o.EnforceQuota = true })
	mustCLI(t, addr, "create", "/q", "ab")
	mustCLI(t, addr, "create", "/q/one", "cde")

	mustCLI(t, addr, "setquota", "-n", "10", "/q")
	if got := mustCLI(t, addr, "get", "/zookeeper/quota/q/zookeeper_limits"); got != "count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1\n" {
		t.Errorf("limits node holds %q, not zkCli's format", got)
	}
	mustCLI(t, addr, "setquota", "-N", "3", "/q")
	if _, stderr, err := cli(t, addr, "setquota", "-b", "4", "/q"); err != nil || stderr != "[Warning]: the bytes quota you create is less than the existing bytes:5\n" {
		t.Errorf("setquota below the usage: %v, stderr %q; want zkCli's warning", err, stderr)
	}
	mustCLI(t, addr, "delquota", "-b", "/q")
	want := "absolute path is /zookeeper/quota/q/zookeeper_limits\n" +
		"Output quota for /q count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=3\n" +
		"Output stat for /q count=2,bytes=5\n"
	if got := mustCLI(t, addr, "listquota", "/q"); got != want {
		t.Errorf("listquota printed\n%s\nwant\n%s", got, want)
	}
	if got := strings.TrimSpace(mustCLI(t, addr, "listquota", "/q", "-o", "json")); got !=
		`{"limits":{"count":10,"bytes":-1,"countHardLimit":3,"byteHardLimit":-1},"path":"/q","usage":{"bytes":5,"count":2}}` {
		t.Errorf("listquota json: %s", got)
	}

	// The hard limit of 3 znodes holds.
	mustCLI(t, addr, "create", "/q/two")
	if _, _, err := cli(t, addr, "create", "/q/three"); !isCode(err, protocol.ErrQuotaExceeded) ||
		!strings.Contains(err.Error(), "KeeperErrorCode = Quota has exceeded for /q/three") {
		t.Errorf("create past countHardLimit: %v", err)
	}

	// No quota inside or above another.
	if _, _, err := cli(t, addr, "setquota", "-n", "1", "/q/one"); err == nil || !strings.Contains(err.Error(), "/q/one has a parent /q which has a quota") {
		t.Errorf("quota below a quota: %v", err)
	}
	mustCLI(t, addr, "create", "/top")
	mustCLI(t, addr, "create", "/top/in")
	mustCLI(t, addr, "setquota", "-b", "100", "/top/in")
	if _, _, err := cli(t, addr, "setquota", "-n", "1", "/top"); err == nil || !strings.Contains(err.Error(), "/top has a child /top/in which has a quota") {
		t.Errorf("quota above a quota: %v", err)
	}
	mustCLI(t, addr, "delquota", "/top/in")
	if _, _, err := cli(t, addr, "setquota", "-n", "1", "/nothing"); !isCode(err, protocol.ErrNoNode) {
		t.Errorf("quota on a missing node: %v", err)
	}

	// delquota -N clears one limit; then the create goes through.
	mustCLI(t, addr, "delquota", "-N", "/q")
	if got := mustCLI(t, addr, "get", "/zookeeper/quota/q/zookeeper_limits"); got != "count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1\n" {
		t.Errorf("after delquota -N: %q", got)
	}
	mustCLI(t, addr, "create", "/q/three")

	// delquota removes the quota and its empty directory.
	mustCLI(t, addr, "delquota", "/q")
	if got := mustCLI(t, addr, "ls", "/zookeeper/quota"); got != "[]\n" {
		t.Errorf("quota tree after delquota: %q", got)
	}
	if _, _, err := cli(t, addr, "delquota", "/q"); err == nil || !strings.Contains(err.Error(), "quota does not exist for /q") {
		t.Errorf("delquota without a quota: %v", err)
	}
}
