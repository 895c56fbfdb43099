package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestFourLetterRuok(t *testing.T) {
	out, err := fourLetterWord(shared.Addr(), "ruok")
	if err != nil || out != "imok" {
		t.Fatalf("ruok = %q, %v; want imok", out, err)
	}
}

func TestFourLetterSrvr(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	mustCreate(t, c, root+"/x", nil, 0)
	for _, word := range []string{"srvr", "stat"} {
		out, err := fourLetterWord(shared.Addr(), word)
		if err != nil {
			t.Fatalf("%s: %v", word, err)
		}
		for _, re := range []string{
			`(?m)^Zookeeper version: .+$`,
			`(?m)^Latency min/avg/max: \d+/[\d.]+/\d+$`,
			`(?m)^Received: \d+$`,
			`(?m)^Sent: \d+$`,
			`(?m)^Connections: \d+$`,
			`(?m)^Outstanding: \d+$`,
			`(?m)^Zxid: 0x[0-9a-f]+$`,
			`(?m)^Mode: standalone$`,
			`(?m)^Node count: \d+$`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("%s output lacks a line matching %s:\n%s", word, re, out)
			}
		}
		zxid := regexp.MustCompile(`(?m)^Zxid: 0x([0-9a-f]+)$`).FindStringSubmatch(out)
		if zxid != nil && zxid[1] == "0" {
			t.Errorf("%s: Zxid is 0 after writes:\n%s", word, out)
		}
		if word == "stat" && !strings.Contains(out, "Clients:\n") {
			t.Errorf("stat output lacks the Clients: section:\n%s", out)
		}
	}
}

func TestFourLetterMntr(t *testing.T) {
	out, err := fourLetterWord(shared.Addr(), "mntr")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			t.Errorf("mntr line %q is not key<TAB>value", line)
			continue
		}
		values[k] = v
	}
	for _, k := range []string{
		"zk_version", "zk_server_state", "zk_avg_latency", "zk_max_latency", "zk_min_latency",
		"zk_packets_received", "zk_packets_sent", "zk_num_alive_connections",
		"zk_outstanding_requests", "zk_znode_count", "zk_watch_count", "zk_ephemerals_count",
		"zk_approximate_data_size",
	} {
		if _, ok := values[k]; !ok {
			t.Errorf("mntr lacks %s", k)
		}
	}
	if s := values["zk_server_state"]; s != "standalone" {
		t.Errorf("zk_server_state = %q, want standalone", s)
	}
}

func TestFourLetterConfEnviIsro(t *testing.T) {
	port := shared.Addr()[strings.LastIndex(shared.Addr(), ":")+1:]
	conf, err := fourLetterWord(shared.Addr(), "conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"clientPort=" + port + "\n",
		fmt.Sprintf("tickTime=%d\n", tickTime.Milliseconds()),
		fmt.Sprintf("minSessionTimeout=%d\n", minSessionTimeout.Milliseconds()),
		fmt.Sprintf("maxSessionTimeout=%d\n", maxSessionTimeout.Milliseconds()),
		"dataDir=",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("conf lacks %q:\n%s", want, conf)
		}
	}
	envi, err := fourLetterWord(shared.Addr(), "envi")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(envi, "Environment:\n") || !strings.Contains(envi, "zookeeper.version=") {
		t.Errorf("envi lacks the Environment: header or zookeeper.version=:\n%s", envi)
	}
	isro, err := fourLetterWord(shared.Addr(), "isro")
	if err != nil || isro != "rw" {
		t.Errorf("isro = %q, %v; want rw", isro, err)
	}
}

func TestFourLetterCons(t *testing.T) {
	c := connect(t, shared)
	out, err := fourLetterWord(shared.Addr(), "cons")
	if err != nil {
		t.Fatal(err)
	}
	// One line per connection: " /127.0.0.1:port[1](queued=...,sid=0x...,...)".
	sid := fmt.Sprintf("sid=0x%x", c.SessionID())
	if !strings.Contains(out, sid) {
		t.Errorf("cons does not list this session (%s):\n%s", sid, out)
	}
	if !regexp.MustCompile(`(?m)^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+`).MatchString(out) {
		t.Errorf("cons lines do not look like ZooKeeper's:\n%s", out)
	}
}

// TestFourLetterWatchesAndDump: wchs, wchc and wchp show a session's
// watches; dump lists its ephemerals; dirs, crst and srst answer.
func TestFourLetterWatchesAndDump(t *testing.T) {
	root := testRoot(t, shared)
	w := raw(t, shared)
	w.GetData(root, true)
	mustRawCreate(t, w, root+"/eph", modeEphemeral)
	sid := fmt.Sprintf("0x%x", w.SessionID)

	wchs, _ := fourLetterWord(shared.Addr(), "wchs")
	if !regexp.MustCompile(`^\d+ connections watching \d+ paths\nTotal watches:\d+\n`).MatchString(wchs) {
		t.Errorf("wchs output does not look like ZooKeeper's:\n%s", wchs)
	}
	wchc, _ := fourLetterWord(shared.Addr(), "wchc")
	if !regexp.MustCompile(`(?m)^` + sid + `\n(\t.*\n)*\t` + regexp.QuoteMeta(root) + `\n`).MatchString(wchc) {
		t.Errorf("wchc does not list %s under %s:\n%s", root, sid, wchc)
	}
	wchp, _ := fourLetterWord(shared.Addr(), "wchp")
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(root) + `\n(\t.*\n)*\t` + sid + `\n`).MatchString(wchp) {
		t.Errorf("wchp does not list %s under %s:\n%s", sid, root, wchp)
	}
	dump, _ := fourLetterWord(shared.Addr(), "dump")
	if !strings.Contains(dump, "Sessions with Ephemerals") ||
		!regexp.MustCompile(`(?m)^`+sid+`:\n\t`+regexp.QuoteMeta(root+"/eph")+`\n`).MatchString(dump) {
		t.Errorf("dump does not list %s under %s:\n%s", root+"/eph", sid, dump)
	}
	dirs, _ := fourLetterWord(shared.Addr(), "dirs")
	if !regexp.MustCompile(`^datadir_size: \d+\nlogdir_size: \d+\n`).MatchString(dirs) {
		t.Errorf("dirs output does not look like ZooKeeper's:\n%s", dirs)
	}
	for word, want := range map[string]string{"crst": "Connection stats reset.\n", "srst": "Server stats reset.\n"} {
		if out, err := fourLetterWord(shared.Addr(), word); err != nil || out != want {
			t.Errorf("%s = %q, %v; want %q", word, out, err, want)
		}
	}
}

// TestFourLetterNodeCount: srvr's Node count and mntr's zk_znode_count are
// ZooKeeper's: every znode below the root, the root, and once more for the
// root (ZooKeeper's DataTree holds it under "" and "/").
func TestFourLetterNodeCount(t *testing.T) {
	tg := startTarget(t)
	c := connect(t, tg)
	mustCreate(t, c, "/a", nil, 0)
	mustCreate(t, c, "/a/b", nil, 0)
	below, code := raw(t, tg).GetAllChildrenNumber("/")
	if code != 0 {
		t.Fatalf("getAllChildrenNumber /: %v", code)
	}
	want := fmt.Sprint(below + 2)
	srvr, err := fourLetterWord(tg.Addr(), "srvr")
	if err != nil {
		t.Fatal(err)
	}
	if got := regexp.MustCompile(`(?m)^Node count: (\d+)$`).FindStringSubmatch(srvr); got == nil || got[1] != want {
		t.Errorf("srvr Node count %v, want %s (%d znodes below /):\n%s", got, want, below, srvr)
	}
	mntr, err := fourLetterWord(tg.Addr(), "mntr")
	if err != nil {
		t.Fatal(err)
	}
	if got := regexp.MustCompile(`(?m)^zk_znode_count\t(\d+)$`).FindStringSubmatch(mntr); got == nil || got[1] != want {
		t.Errorf("mntr zk_znode_count %v, want %s", got, want)
	}
}
