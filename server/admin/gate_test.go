package admin

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestSnapshotRestoreGate: snapshot and restore need an Authorization
// header (401), ALL on the root for its identities (403), run at most once
// per interval (429) and can be turned off (403), as in ZooKeeper 3.9.4.
func TestSnapshotRestoreGate(t *testing.T) {
	s, c := startZK(t)
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0",
		Snapshot: Gate{Enabled: true, Interval: time.Hour}, Restore: Gate{Enabled: false}})
	url := "http://" + a.Addr().String() + "/commands/snapshot?streaming=false"
	try := func(auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	for _, auth := range []string{"", "bogus x", "digest nocolon"} {
		if code, body := try(auth); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d %s, want 401", auth, code, body)
		}
	}
	// Only alice holds ALL on the root now; bob has every bit but ADMIN.
	acl := append(zk.DigestACL(zk.PermAll, "alice", "secret"), zk.DigestACL(zk.PermAll&^zk.PermAdmin, "bob", "pw")...)
	if _, err := c.SetACL("/", acl, -1); err != nil {
		t.Fatal(err)
	}
	for _, auth := range []string{"ip", "digest bob:pw", "digest alice:wrong"} {
		if code, body := try(auth); code != http.StatusForbidden || !strings.Contains(body, "ALL permission") {
			t.Errorf("Authorization %q: %d %s, want 403", auth, code, body)
		}
	}
	if code, body := try("digest alice:secret"); code != http.StatusOK || !strings.Contains(body, `"last_zxid"`) {
		t.Fatalf("alice: %d %s", code, body)
	}
	if code, body := try("digest alice:secret"); code != http.StatusTooManyRequests || !strings.Contains(body, "at most once every 1h0m0s") {
		t.Errorf("a second snapshot within the interval: %d %s, want 429", code, body)
	}
	// Restore is switched off.
	resp, err := client.Post("http://"+a.Addr().String()+"/commands/restore", "application/octet-stream", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("restore with admin.restore.enabled=false: %d, want 403", resp.StatusCode)
	}
}
