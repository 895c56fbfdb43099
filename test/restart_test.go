package test

import (
	"testing"
	"time"
)

// TestNodeKindsAndQuotaSurviveRestart: after a restart a container is still
// a container (reaped when its last child goes), a TTL node is still
// reaped, and quota stats are still kept.
func TestNodeKindsAndQuotaSurviveRestart(t *testing.T) {
	tg := startTarget(t)
	r := raw(t, tg)
	rep := r.call(opCreateContainer, (&enc{}).str("/c").buf(nil).acls(worldAll).i32(modeContainer).b)
	wantCode(t, "createContainer", rep.Err, errOK)
	mustRawCreate(t, r, "/c/k", modePersistent)
	const ttl = 3 * time.Second
	ttlCreated := time.Now()
	if _, _, code := r.CreateTTL("/ttl", nil, worldAll, modePersistentTTL, ttl.Milliseconds()); code != errOK {
		t.Fatal(code)
	}
	mustRawCreate(t, r, "/q", modePersistent)
	r.SetData("/q", []byte("12345"), -1)
	mustRawCreate(t, r, "/zookeeper/quota/q", modePersistent)
	if _, code := r.Create("/zookeeper/quota/q/zookeeper_limits", []byte("count=-1,bytes=-1,countHardLimit=3"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	if _, code := r.Create("/zookeeper/quota/q/zookeeper_stats", []byte("count=0,bytes=0"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	mustRawCreate(t, r, "/q/a", modePersistent)

	tg.Restart(t)
	r2 := raw(t, tg)
	data, _, rep := r2.GetData("/zookeeper/quota/q/zookeeper_stats", false)
	if rep.Err != errOK || string(data) != "count=2,bytes=5" {
		t.Errorf("quota stats after restart %q (%d), want count=2,bytes=5", data, rep.Err)
	}
	mustRawCreate(t, r2, "/q/b", modePersistent)
	_, code := r2.Create("/q/c", nil, worldAll, 0)
	wantCode(t, "create over countHardLimit after restart", code, errQuotaExceeded)
	data, _, _ = r2.GetData("/zookeeper/quota/q/zookeeper_stats", false)
	if string(data) != "count=3,bytes=5" {
		t.Errorf("quota stats after a create after restart %q, want count=3,bytes=5", data)
	}

	if _, code := r2.Exists("/c", true); code != errOK {
		t.Fatalf("container after restart: %d", code)
	}
	wantCode(t, "delete the container's child", r2.Delete("/c/k", -1), errOK)
	evs := r2.WaitEvents(1, 10*time.Second)
	wantEvents(t, "container reaped after restart", evs, ev(evNodeDeleted, "/c"))
	// A setData restarts the TTL; the node must still be reaped as a TTL node.
	if _, code := r2.SetData("/ttl", []byte("x"), -1); code != errOK {
		if time.Since(ttlCreated) < ttl {
			t.Fatalf("TTL node gone %v after its creation, before its %v TTL: %d", time.Since(ttlCreated), ttl, code)
		}
		t.Fatalf("the restart took longer than the TTL node's %v TTL; cannot check that it is still a TTL node", ttl)
	}
	touched := time.Now()
	waitFor(t, 15*time.Second, "the TTL node to be reaped after restart", func() bool {
		_, code := r2.Exists("/ttl", false)
		return code == errNoNode
	})
	if took := time.Since(touched); took < ttl-100*time.Millisecond {
		t.Errorf("TTL node reaped %v after its last setData, before its %v TTL", took, ttl)
	}
}
