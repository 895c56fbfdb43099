package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/fsm"
)

func TestSnapshotCommandStreams(t *testing.T) {
	s, c := startZK(t)
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0", CommandURL: "/commands"})
	for i := range 5 {
		if _, err := c.Create(fmt.Sprintf("/n%d", i), []byte{byte(i)}, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	url := "http://" + a.Addr().String() + "/commands/snap"
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("snap: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	size := body.Len()
	img, err := fsm.ReadImage(&body)
	if err != nil {
		t.Fatalf("the streamed snapshot does not restore: %v", err)
	}
	have := map[string]bool{}
	for _, n := range img.Nodes {
		have[n.Path] = true
	}
	if !have["/n0"] || !have["/n4"] || resp.Header.Get("last_zxid") != fmt.Sprintf("0x%x", img.LastZxid) {
		t.Errorf("nodes %v, last_zxid header %q, snapshot zxid %#x", have, resp.Header.Get("last_zxid"), img.LastZxid)
	}

	code, b := get(t, url+"?streaming=false")
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || code != http.StatusOK || m["last_zxid"] != fmt.Sprintf("0x%x", img.LastZxid) ||
		m["snapshot_size"] != float64(size) {
		t.Errorf("streaming=false: %d %s", code, b)
	}
	if code, _ := get(t, url+"?streaming=maybe"); code != http.StatusBadRequest {
		t.Errorf("streaming=maybe: status %d, want 400", code)
	}
}
