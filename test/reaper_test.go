package test

// Containers and TTL nodes are reaped by the server's sweeper, which the
// harness runs every containerInterval.

import (
	"testing"
	"time"
)

// TestContainerReaped: a container whose last child goes is deleted; one
// that never had a child stays, as does a node made by the plain create op
// with the container flag (ZooKeeper makes that a persistent node: only
// createContainer makes containers, whatever its flags say).
func TestContainerReaped(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	mkContainer := func(path string, flags int32) bool {
		t.Helper()
		rep := r.call(opCreateContainer, (&enc{}).str(path).buf(nil).acls(worldAll).i32(flags).b)
		return checkCode(t, "createContainer "+path, rep.Err, errOK)
	}
	if !mkContainer(root+"/used", modeContainer) || !mkContainer(root+"/never", modeContainer) || !mkContainer(root+"/busy", modeContainer) {
		t.FailNow()
	}
	flag0 := mkContainer(root+"/flag0", modePersistent)
	plain := true
	if _, code := r.Create(root+"/plain", nil, worldAll, modeContainer); code != errOK {
		t.Errorf("plain create with the container flag: %d, want OK", code)
		plain = false
	}
	used := []string{"/used"}
	if flag0 {
		used = append(used, "/flag0")
	}
	if plain {
		used = append(used, "/plain")
	}
	for _, c := range append(used, "/busy") {
		mustRawCreate(t, r, root+c+"/k", modePersistent)
	}
	// Watch before the last child goes: the sweep may come at once.
	r.Exists(root+"/used", true)
	for _, c := range used {
		wantCode(t, "delete "+c+"/k", r.Delete(root+c+"/k", -1), errOK)
	}
	start := time.Now()
	evs := r.WaitEvents(1, 10*time.Second)
	wantEvents(t, "container reaped", evs, ev(evNodeDeleted, root+"/used"))
	t.Logf("container reaped %v after its last child went", time.Since(start))
	if flag0 {
		waitFor(t, 10*time.Second, "the container made with flags 0 to be reaped", func() bool {
			_, code := r.Exists(root+"/flag0", false)
			return code == errNoNode
		})
	}
	// One more sweep after the reaps above, so the survivors had their chance.
	sweep := time.Now().Add(5 * containerInterval)
	waitFor(t, 10*time.Second, "a few more sweeps", func() bool { return time.Now().After(sweep) })
	kept := []string{"/never", "/busy"}
	if plain {
		kept = append(kept, "/plain")
	}
	for _, p := range kept {
		if _, code := r.Exists(root+p, false); code != errOK {
			t.Errorf("%s was reaped (%d); want it kept", p, code)
		}
	}
}

// TestTTLReaped: a TTL node without children goes once its TTL has passed
// since its last change; one with a child stays.
func TestTTLReaped(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	created := time.Now()
	if _, _, code := r.CreateTTL(root+"/t", nil, worldAll, modePersistentTTL, 500); code != errOK {
		t.Fatal(code)
	}
	if _, _, code := r.CreateTTL(root+"/parent", nil, worldAll, modePersistentTTL, 500); code != errOK {
		t.Fatal(code)
	}
	mustRawCreate(t, r, root+"/parent/k", modePersistent)
	if _, _, code := r.CreateTTL(root+"/long", nil, worldAll, modePersistentTTL, 600000); code != errOK {
		t.Fatal(code)
	}
	// Under load the node may be gone before the watch is set.
	if _, code := r.Exists(root+"/t", true); code == errOK {
		evs := r.WaitEvents(1, 10*time.Second)
		wantEvents(t, "TTL node reaped", evs, ev(evNodeDeleted, root+"/t"))
	}
	if took := time.Since(created); took < 500*time.Millisecond {
		t.Errorf("TTL node reaped after %v, before its 500ms TTL", took)
	}
	for _, p := range []string{"/parent", "/long"} {
		if _, code := r.Exists(root+p, false); code != errOK {
			t.Errorf("%s was reaped (%d); want it kept", p, code)
		}
	}
}
