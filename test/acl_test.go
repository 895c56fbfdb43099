package test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestDigestAuth(t *testing.T) {
	owner := connect(t, shared)
	root := testRoot(t, shared)
	p := root + "/d"
	if _, err := owner.Create(p, []byte("x"), 0, zk.DigestACL(zk.PermAll, "alice", "pw")); err != nil {
		t.Fatal(err)
	}
	acl, _, err := owner.GetACL(p)
	wantErr(t, "getACL without auth", err, zk.ErrNoAuth)

	anon := connect(t, shared)
	_, _, err = anon.Get(p)
	wantErr(t, "get without auth", err, zk.ErrNoAuth)

	wrong := connect(t, shared)
	if err := wrong.AddAuth("digest", []byte("alice:nope")); err != nil {
		t.Fatalf("digest auth with a wrong password is accepted (it just matches nothing): %v", err)
	}
	_, _, err = wrong.Get(p)
	wantErr(t, "get with the wrong password", err, zk.ErrNoAuth)

	alice := connect(t, shared)
	if err := alice.AddAuth("digest", []byte("alice:pw")); err != nil {
		t.Fatal(err)
	}
	if data, _, err := alice.Get(p); err != nil || string(data) != "x" {
		t.Fatalf("get as alice: %q %v", data, err)
	}
	acl, _, err = alice.GetACL(p)
	if err != nil || len(acl) != 1 || acl[0].Scheme != "digest" || acl[0].ID != digestID("alice", "pw") {
		t.Fatalf("getACL as alice = %v %v; want digest %s", acl, err, digestID("alice", "pw"))
	}
	if _, err := alice.Set(p, []byte("y"), -1); err != nil {
		t.Fatalf("set as alice: %v", err)
	}
}

// TestWorldAndIPACL: world:anyone with partial permissions, and ip ACLs by
// address and by CIDR.
func TestWorldAndIPACL(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	if _, err := c.Create(root+"/ro", []byte("x"), 0, zk.WorldACL(zk.PermRead)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(root + "/ro"); err != nil {
		t.Errorf("get of a world-readable node: %v", err)
	}
	_, err := c.Set(root+"/ro", nil, -1)
	wantErr(t, "set of a world-read-only node", err, zk.ErrNoAuth)

	for _, tc := range []struct {
		id string
		ok bool
	}{{"127.0.0.1", true}, {"127.0.0.0/8", true}, {"127.0.0.1/32", true}, {"10.1.2.3", false}, {"10.0.0.0/8", false}} {
		p := root + "/ip-" + unsafePathChars.ReplaceAllString(tc.id, "_")
		if _, err := c.Create(p, []byte("x"), 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: tc.id}}); err != nil {
			t.Fatalf("create with ip ACL %s: %v", tc.id, err)
		}
		_, _, err := c.Get(p)
		if tc.ok && err != nil {
			t.Errorf("ip:%s from 127.0.0.1: get %v, want allowed", tc.id, err)
		}
		if !tc.ok && err != zk.ErrNoAuth {
			t.Errorf("ip:%s from 127.0.0.1: get %v, want NoAuth", tc.id, err)
		}
	}
}

// TestAuthSchemeACL: "auth" stands for every identity of the creating
// connection except ip; without any it is InvalidACL.
func TestAuthSchemeACL(t *testing.T) {
	anon := connect(t, shared)
	root := testRoot(t, shared)
	_, err := anon.Create(root+"/a", nil, 0, zk.AuthACL(zk.PermAll))
	wantErr(t, "auth ACL without credentials", err, zk.ErrInvalidACL)

	bob := connect(t, shared)
	if err := bob.AddAuth("digest", []byte("bob:pw")); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Create(root+"/a", []byte("x"), 0, zk.AuthACL(zk.PermAll)); err != nil {
		t.Fatalf("auth ACL as bob: %v", err)
	}
	acl, _, err := bob.GetACL(root + "/a")
	want := zk.ACL{Perms: zk.PermAll, Scheme: "digest", ID: digestID("bob", "pw")}
	if err != nil || len(acl) != 1 || acl[0] != want {
		t.Fatalf("ACL made from auth: %v %v, want [%v]", acl, err, want)
	}
	_, _, err = anon.Get(root + "/a")
	wantErr(t, "get of bob's node without auth", err, zk.ErrNoAuth)

	// setACL with "auth" works the same way.
	if _, err := bob.Create(root+"/b", nil, 0, worldAll); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SetACL(root+"/b", zk.AuthACL(zk.PermRead|zk.PermAdmin), -1); err != nil {
		t.Fatal(err)
	}
	acl, _, _ = bob.GetACL(root + "/b")
	if len(acl) != 1 || acl[0].Scheme != "digest" || acl[0].Perms != zk.PermRead|zk.PermAdmin {
		t.Errorf("setACL with auth: %v", acl)
	}
}

func TestSuperDigest(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	p := root + "/locked"
	if _, err := c.Create(p, []byte("x"), 0, zk.DigestACL(zk.PermAll, "nobody", "secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(root+"/none", nil, 0, zk.WorldACL(0)); err != nil {
		t.Fatalf("create with perms 0: %v", err)
	}
	su := superClient(t, shared)
	if data, _, err := su.Get(p); err != nil || string(data) != "x" {
		t.Fatalf("super get: %q %v", data, err)
	}
	if _, err := su.Set(p, []byte("y"), -1); err != nil {
		t.Errorf("super set: %v", err)
	}
	if _, err := su.Create(p+"/kid", nil, 0, worldAll); err != nil {
		t.Errorf("super create under a locked node: %v", err)
	}
	if _, err := su.Create(root+"/none/kid", nil, 0, worldAll); err != nil {
		t.Errorf("super create under a perms-0 node: %v", err)
	}
	if _, err := su.SetACL(p, worldAll, -1); err != nil {
		t.Errorf("super setACL: %v", err)
	}
	if _, _, err := c.Get(p); err != nil {
		t.Errorf("get after super opened the ACL: %v", err)
	}
	wrong := connect(t, shared)
	wrong.AddAuth("digest", []byte(superUser+":wrong"))
	_, _, err := wrong.Get(root + "/none")
	wantErr(t, "super with the wrong password", err, zk.ErrNoAuth)
}

// TestUnknownAuthScheme: ZooKeeper answers an auth packet of an unknown
// scheme with AuthFailed and closes the connection.
func TestUnknownAuthScheme(t *testing.T) {
	r := raw(t, shared)
	code, err := r.Auth("nosuchscheme", []byte("x"))
	if err != nil {
		t.Fatalf("auth: %v (want an AuthFailed reply before the close)", err)
	}
	wantCode(t, "auth with an unknown scheme", code, errAuthFailed)
	if !r.Closed(5 * time.Second) {
		t.Errorf("connection still open after a failed auth")
	}

	// The ip scheme accepts any auth data and adds nothing new.
	r2 := raw(t, shared)
	code, err = r2.Auth("ip", []byte("10.9.9.9"))
	if err != nil || code != errOK {
		t.Fatalf("ip auth: %d %v", code, err)
	}
	who, _ := r2.WhoAmI()
	if !equalStrings(who, []string{"ip:127.0.0.1"}) {
		t.Errorf("whoAmI after ip auth = %v, want [ip:127.0.0.1]", who)
	}
}

// TestInvalidACL lists ACLs ZooKeeper refuses on create and setACL.
func TestInvalidACL(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	r.Create(root+"/n", nil, worldAll, 0)
	for _, tc := range []struct {
		name string
		acl  []zk.ACL
	}{
		{"null list", nil},
		{"empty list", []zk.ACL{}},
		{"unknown scheme", []zk.ACL{{Perms: zk.PermAll, Scheme: "nosuch", ID: "x"}}},
		{"digest id without colon", []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: "nocolon"}}},
		{"bad ip", []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "300.1.1.1"}}},
		{"world id other than anyone", []zk.ACL{{Perms: zk.PermAll, Scheme: "world", ID: "someone"}}},
		{"auth without credentials", []zk.ACL{{Perms: zk.PermAll, Scheme: "auth", ID: ""}}},
	} {
		_, code := r.Create(root+"/bad", nil, tc.acl, 0)
		wantCode(t, "create with "+tc.name, code, errInvalidACL)
		_, code = r.SetACL(root+"/n", tc.acl, -1)
		wantCode(t, "setACL with "+tc.name, code, errInvalidACL)
	}
}

// TestNoAuthPerOp removes one permission at a time and checks which ops
// need it. exists and sync check nothing; getACL needs READ or ADMIN;
// ZooKeeper 3.8 checks no permission for addWatch.
func TestNoAuthPerOp(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	type result map[string]errCode
	run := func(n string, acl []zk.ACL) result {
		res := result{}
		_, res["exists"] = r.Exists(n, false)
		_, _, rep := r.GetData(n, false)
		res["getData"] = rep.Err
		_, res["getChildren"] = r.GetChildren(n, false)
		_, _, res["getChildren2"] = r.GetChildren2(n, false)
		_, _, res["getACL"] = r.GetACL(n)
		_, res["getAllChildrenNumber"] = r.GetAllChildrenNumber(n)
		_, res["sync"] = r.Sync(n)
		res["addWatch"] = r.AddWatch(n, addWatchPersistent)
		_, res["setData"] = r.SetData(n, []byte("x"), -1)
		_, res["create"] = r.Create(n+"/new", nil, worldAll, 0)
		_, _, res["createTTL"] = r.CreateTTL(n+"/ttl", nil, worldAll, modePersistentTTL, 100000)
		res["createContainer"] = r.call(opCreateContainer, (&enc{}).str(n+"/cc").buf(nil).acls(worldAll).i32(modeContainer).b).Err
		res["delete child"] = r.Delete(n+"/k", -1)
		mr, _ := r.MultiRead(multiOp{Op: opGetData, Path: n}, multiOp{Op: opGetChildren, Path: n})
		res["multiRead getData"], res["multiRead getChildren"] = mr[0].Err, mr[1].Err
		m, _ := r.Multi(multiOp{Op: opCheck, Path: n, Version: -1})
		res["multi check"] = m[0].Err
		m, _ = r.Multi(multiOp{Op: opSetData, Path: n, Version: -1})
		res["multi setData"] = m[0].Err
		m, _ = r.Multi(multiOp{Op: opCreate, Path: n + "/m", ACL: worldAll})
		res["multi create"] = m[0].Err
		m, _ = r.Multi(multiOp{Op: opDelete, Path: n + "/k2", Version: -1})
		res["multi delete"] = m[0].Err
		_, res["setACL"] = r.SetACL(n, acl, -1) // last: it must not change the ACL under the other ops
		return res
	}
	needs := map[int32][]string{
		zk.PermRead:   {"getData", "getChildren", "getChildren2", "getAllChildrenNumber", "multiRead getData", "multiRead getChildren", "multi check"},
		zk.PermWrite:  {"setData", "multi setData"},
		zk.PermCreate: {"create", "createTTL", "createContainer", "multi create"},
		zk.PermDelete: {"delete child", "multi delete"},
		zk.PermAdmin:  {"setACL"},
		zk.PermRead | zk.PermAdmin: {"getData", "getChildren", "getChildren2", "getAllChildrenNumber",
			"multiRead getData", "multiRead getChildren", "multi check", "getACL", "setACL"},
	}
	for _, perm := range []int32{zk.PermRead, zk.PermWrite, zk.PermCreate, zk.PermDelete, zk.PermAdmin, zk.PermRead | zk.PermAdmin} {
		n := fmt.Sprintf("%s/without-%d", root, perm)
		for _, p := range []string{n, n + "/k", n + "/k2"} {
			if _, code := r.Create(p, []byte("d"), worldAll, 0); code != errOK {
				t.Fatalf("create %s: %d", p, code)
			}
		}
		acl := zk.WorldACL(zk.PermAll &^ perm)
		if _, code := r.SetACL(n, acl, -1); code != errOK {
			t.Fatalf("setACL %s: %d", n, code)
		}
		got := run(n, acl)
		want := map[string]bool{}
		for _, op := range needs[perm] {
			want[op] = true
		}
		for op, code := range got {
			switch {
			case want[op] && code != errNoAuth:
				t.Errorf("without perm %#x: %s gave %d, want NoAuth", perm, op, code)
			case !want[op] && code != errOK:
				t.Errorf("without perm %#x: %s gave %d, want OK", perm, op, code)
			}
		}
	}
}

// TestWhoAmI: the identities of a connection, as (scheme, id) pairs.
func TestWhoAmI(t *testing.T) {
	r := raw(t, shared)
	who, code := r.WhoAmI()
	if code != errOK || !equalStrings(who, []string{"ip:127.0.0.1"}) {
		t.Fatalf("whoAmI = %v %d, want [ip:127.0.0.1]", who, code)
	}
	if code, err := r.Auth("digest", []byte("carol:pw")); err != nil || code != errOK {
		t.Fatalf("digest auth: %d %v", code, err)
	}
	who, _ = r.WhoAmI()
	if !equalStrings(sorted(who), []string{"digest:carol", "ip:127.0.0.1"}) {
		t.Errorf("whoAmI after digest auth = %v, want digest:carol and ip:127.0.0.1", who)
	}
	su := raw(t, shared)
	su.Auth("digest", []byte(superUser+":"+superPassword))
	who, _ = su.WhoAmI()
	if !equalStrings(sorted(who), []string{"digest:super", "ip:127.0.0.1", "super:"}) {
		t.Errorf("whoAmI as super = %v, want digest:super, ip:127.0.0.1 and super:", who)
	}
}
