package cluster

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestAdminRestore: a snapshot taken through the leader's AdminServer and
// POSTed to a follower's restore command brings every member's tree back to
// the snapshot's point, through the log; a session connected to another
// member goes on writing afterwards.
func TestAdminRestore(t *testing.T) {
	e, admins, leader := startedWithAdmin(t)
	follower := leader%3 + 1
	other := follower%3 + 1
	c := e.connect(other)
	for _, p := range []string{"/kept", "/deleted-later"} {
		if _, err := c.Create(p, []byte(p), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	hc := &http.Client{Timeout: 20 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, "http://"+admins[leader]+"/commands/snapshot", nil)
	req.Header.Set("Authorization", "ip") // as ZooKeeper 3.9.4, snapshot and restore need an identity
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("snapshot: %v %s", err, resp.Status)
	}
	if err := c.Delete("/deleted-later", -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/made-later", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	req, _ = http.NewRequest(http.MethodPost, "http://"+admins[follower]+"/commands/restore", bytes.NewReader(snap))
	req.Header.Set("Authorization", "ip")
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]any
	err = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if err != nil || answer["error"] != nil {
		t.Fatalf("restore through member %d: %v %v", follower, err, answer)
	}
	restoredAt := int64(answer["last_zxid"].(float64))

	for id := 1; id <= 3; id++ {
		m := e.connect(id)
		if _, err := m.Sync("/"); err != nil {
			t.Fatalf("sync on member %d: %v", id, err)
		}
		for path, want := range map[string]bool{"/kept": true, "/deleted-later": true, "/made-later": false} {
			if ok, _, err := m.Exists(path); err != nil || ok != want {
				t.Errorf("member %d: %s exists=%v (%v), want %v", id, path, ok, err, want)
			}
		}
		m.Close()
	}
	st, err := c.Create("/after-restore", nil, 0, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatalf("write after the restore: %v", err)
	}
	_, stat, err := c.Get(st)
	if err != nil {
		t.Fatal(err)
	}
	if stat.Czxid <= restoredAt {
		t.Fatalf("czxid %#x of a write after the restore at %#x", stat.Czxid, restoredAt)
	}
}
