package test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestPersistenceAcrossRestart: data, stats, ACLs and the sequential
// counters survive a restart, and the zxid keeps growing.
func TestPersistenceAcrossRestart(t *testing.T) {
	tg := startTarget(t)
	c := connect(t, tg)
	mustCreate(t, c, "/app", []byte("v1"), 0)
	if _, err := c.Set("/app", []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	secret := zk.DigestACL(zk.PermAll, "alice", "pw")
	if _, err := c.Create("/app/secret", []byte("s"), 0, secret); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, "/app/q", nil, 0)
	for range 3 {
		mustCreate(t, c, "/app/q/n-", nil, zk.FlagSequence)
	}
	if err := c.Delete("/app/q/n-0000000002", -1); err != nil {
		t.Fatal(err)
	}
	// Many small writes, so a restart has a log (or snapshot) to replay.
	for i := range 50 {
		if _, err := c.Set("/app/q", []byte{byte(i)}, -1); err != nil {
			t.Fatal(err)
		}
	}
	_, appBefore, _ := c.Get("/app")
	_, qBefore, _ := c.Get("/app/q")
	aclBefore, _, _ := superClient(t, tg).GetACL("/app/secret")

	tg.Restart(t)
	c2 := connect(t, tg)
	data, appAfter, err := c2.Get("/app")
	if err != nil || string(data) != "v2" || *appAfter != *appBefore {
		t.Errorf("/app after restart: %q %+v %v; want v2 and %+v", data, appAfter, err, appBefore)
	}
	_, qAfter, _ := c2.Get("/app/q")
	if *qAfter != *qBefore {
		t.Errorf("/app/q stat after restart %+v, want %+v", qAfter, qBefore)
	}
	_, _, err = c2.Get("/app/secret")
	wantErr(t, "reading the digest-protected node without auth after restart", err, zk.ErrNoAuth)
	if err := c2.AddAuth("digest", []byte("alice:pw")); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c2.Get("/app/secret"); err != nil || string(data) != "s" {
		t.Errorf("digest-protected node after auth: %q %v", data, err)
	}
	aclAfter, _, _ := c2.GetACL("/app/secret")
	if len(aclAfter) != 1 || len(aclBefore) != 1 || aclAfter[0] != aclBefore[0] {
		t.Errorf("ACL after restart %v, want %v", aclAfter, aclBefore)
	}
	// The counter continues from the number of creates, not from cversion.
	if p := mustCreate(t, c2, "/app/q/n-", nil, zk.FlagSequence); p != "/app/q/n-0000000003" {
		t.Errorf("sequential create after restart: %q, want /app/q/n-0000000003", p)
	}
	st := mustSet(t, c2, "/app", []byte("v3"))
	if st.Mzxid <= qBefore.Mzxid || st.Version != 2 {
		t.Errorf("write after restart: mzxid %#x version %d; want mzxid above %#x and version 2", st.Mzxid, st.Version, qBefore.Mzxid)
	}

	// A second restart right after, with nothing new in between.
	tg.Restart(t)
	c3 := connect(t, tg)
	if data, _, err := c3.Get("/app"); err != nil || string(data) != "v3" {
		t.Errorf("/app after a second restart: %q %v", data, err)
	}
	kids, _, _ := c3.Children("/app/q")
	if !equalStrings(sorted(kids), []string{"n-0000000000", "n-0000000001", "n-0000000003"}) {
		t.Errorf("sequential children after restarts: %v", kids)
	}
	waitFor(t, 20*time.Second, "the old session's connection to recover", func() bool {
		_, _, err := c.Get("/app")
		return err == nil
	})
}

func mustSet(t testing.TB, c *client, path string, data []byte) *zk.Stat {
	t.Helper()
	st, err := c.Set(path, data, -1)
	if err != nil {
		t.Fatalf("set %s: %v", path, err)
	}
	return st
}
