package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/go-zookeeper/zk"
)

// TestRestoreCommand: a snapshot taken with snap and POSTed to rest brings
// the tree back to that point, the client's session goes on, and a GET or a
// damaged snapshot changes nothing.
func TestRestoreCommand(t *testing.T) {
	s, c := startZK(t)
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0", CommandURL: "/commands"})
	base := "http://" + a.Addr().String() + "/commands/"
	for _, p := range []string{"/keep", "/gone-later"} {
		if _, err := c.Create(p, []byte(p), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := client.Get(base + "snap")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if err := c.Delete("/gone-later", -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/after-snap", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	before := s.PinTree().LastZxid()

	post := func(body []byte) (int, map[string]any) {
		t.Helper()
		resp, err := client.Post(base+"rest", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, m
	}
	damaged := bytes.Clone(snap)
	damaged[len(damaged)/2] ^= 0xff
	if code, m := post(damaged); code != http.StatusOK || m["error"] == nil {
		t.Fatalf("a damaged snapshot: %d %v", code, m)
	}
	if ok, _, _ := c.Exists("/after-snap"); !ok {
		t.Fatal("a refused restore changed the tree")
	}
	if code, _ := get(t, base+"restore"); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET restore: status %d, want 405", code)
	}

	code, m := post(snap)
	if code != http.StatusOK || m["error"] != nil || m["command"] != "restore" {
		t.Fatalf("restore: %d %v", code, m)
	}
	if z, _ := m["last_zxid"].(float64); int64(z) <= before {
		t.Fatalf("last_zxid %v, want past %#x", m["last_zxid"], before)
	}
	for path, want := range map[string]bool{"/keep": true, "/gone-later": true, "/after-snap": false} {
		if ok, _, err := c.Exists(path); err != nil || ok != want {
			t.Errorf("%s exists=%v (%v) after restore, want %v", path, ok, err, want)
		}
	}
	// The session outlived the restore and writes on top of it.
	if _, err := c.Create("/after-restore", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("write after restore: %v", err)
	}
}
