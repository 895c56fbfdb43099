package fsm

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// The permission each op needs, as measured on ZooKeeper 3.8: a node whose
// ACL grants world:anyone exactly one bit, and every op tried on it by an
// unauthenticated client. "ok" means the op passed its permission check.
func TestACLMatrix(t *testing.T) {
	type outcome map[string]protocol.ErrCode
	const ok, noAuth = protocol.ErrOK, protocol.ErrNoAuth
	want := map[int32]outcome{
		protocol.PermRead:   {"getData": ok, "exists": ok, "getChildren": ok, "getACL": ok, "getAllChildrenNumber": ok, "setData": noAuth, "setACL": noAuth, "create": noAuth, "delete": noAuth, "deleteMissing": noAuth, "check": ok},
		protocol.PermWrite:  {"getData": noAuth, "exists": ok, "getChildren": noAuth, "getACL": noAuth, "getAllChildrenNumber": noAuth, "setData": ok, "setACL": noAuth, "create": noAuth, "delete": noAuth, "deleteMissing": noAuth, "check": noAuth},
		protocol.PermCreate: {"getData": noAuth, "exists": ok, "getChildren": noAuth, "getACL": noAuth, "getAllChildrenNumber": noAuth, "setData": noAuth, "setACL": noAuth, "create": ok, "delete": noAuth, "deleteMissing": noAuth, "check": noAuth},
		protocol.PermDelete: {"getData": noAuth, "exists": ok, "getChildren": noAuth, "getACL": noAuth, "getAllChildrenNumber": noAuth, "setData": noAuth, "setACL": noAuth, "create": noAuth, "delete": ok, "deleteMissing": protocol.ErrNoNode, "check": noAuth},
		protocol.PermAdmin:  {"getData": noAuth, "exists": ok, "getChildren": noAuth, "getACL": ok, "getAllChildrenNumber": noAuth, "setData": noAuth, "setACL": ok, "create": noAuth, "delete": noAuth, "deleteMissing": noAuth, "check": noAuth},
	}
	super := protocol.Id{Scheme: "super"}
	for perm, exp := range want {
		h := newHarness(t, Options{})
		n := fmt.Sprintf("/p%d", perm)
		h.mustOK(h.create(n, "d", 0, aclOf(perm, "world", "anyone"), super))
		h.mustOK(h.create(n+"/child", "", 0, worldAll, super))
		got := outcome{}
		read := func(name string, op protocol.OpCode, req protocol.Record) {
			_, code := h.read(op, req)
			got[name] = code
		}
		read("getData", protocol.OpGetData, &protocol.PathWatchRequest{Path: n})
		read("exists", protocol.OpExists, &protocol.PathWatchRequest{Path: n})
		read("getChildren", protocol.OpGetChildren2, &protocol.PathWatchRequest{Path: n})
		read("getACL", protocol.OpGetACL, &protocol.PathRequest{Path: n})
		read("getAllChildrenNumber", protocol.OpGetAllChildrenNumber, &protocol.PathRequest{Path: n})
		got["setData"] = h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: n, Version: -1}).Err
		got["create"] = h.create(n+"/new", "", 0, worldAll).Err
		got["delete"] = h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: n + "/child", Version: -1}).Err
		got["deleteMissing"] = h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: n + "/missing", Version: -1}).Err
		got["setACL"] = h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: n, ACL: aclOf(perm, "world", "anyone"), Version: -1}).Err
		r := h.do(0, protocol.OpMulti, multiOf(protocol.MultiOp{Op: protocol.OpCheck, Req: &protocol.CheckVersionRequest{Path: n, Version: -1}}))
		got["check"] = r.Resp.(*protocol.MultiResponse).Results[0].Err
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("perm %d:\n got %v\nwant %v", perm, got, exp)
		}
	}
}

func TestIdentities(t *testing.T) {
	h := newHarness(t, Options{})
	alice := protocol.Id{Scheme: "digest", ID: DigestID("alice:pw")}
	bob := protocol.Id{Scheme: "digest", ID: DigestID("bob:pw2")}
	if alice.ID != "alice:V55/p2T0OpjQ+low3NVAH4aLvm0=" || DigestID("super:secret") != "super:lK75jTNcA+U9vtVEw5vB51mj/w4=" {
		t.Fatalf("digest ids %s %s", alice.ID, DigestID("super:secret"))
	}
	ip := protocol.Id{Scheme: "ip", ID: "127.0.0.1"}
	// "auth" becomes the connection's digest identities (not its address).
	h.mustOK(h.create("/mine", "secret", 0, append(aclOf(31, "auth", "whatever"), worldRead...), alice, bob, ip))
	want := []protocol.ACL{{Perms: 31, ID: alice}, {Perms: 31, ID: bob}, worldRead[0]}
	resp, _ := h.read(protocol.OpGetACL, &protocol.PathRequest{Path: "/mine"}, alice)
	if got := resp.(*protocol.GetACLResponse).ACL; !reflect.DeepEqual(got, want) {
		t.Errorf("auth expansion %+v", got)
	}
	// Measured on ZooKeeper 3.8: duplicates go before "auth" is expanded.
	h.mustOK(h.create("/dup", "", 0, []protocol.ACL{{Perms: 31, ID: protocol.Id{Scheme: "auth"}}, {Perms: 31, ID: alice}, {Perms: 31, ID: alice}}, alice))
	resp, _ = h.read(protocol.OpGetACL, &protocol.PathRequest{Path: "/dup"}, alice)
	if got := resp.(*protocol.GetACLResponse).ACL; !reflect.DeepEqual(got, []protocol.ACL{{Perms: 31, ID: alice}, {Perms: 31, ID: alice}}) {
		t.Errorf("dedup then expand %+v", got)
	}
	// Without ADMIN the hashes are hidden.
	resp, _ = h.read(protocol.OpGetACL, &protocol.PathRequest{Path: "/mine"})
	redacted := []protocol.ACL{{Perms: 31, ID: protocol.Id{Scheme: "digest", ID: "alice:x"}}, {Perms: 31, ID: protocol.Id{Scheme: "digest", ID: "bob:x"}}, worldRead[0]}
	if got := resp.(*protocol.GetACLResponse).ACL; !reflect.DeepEqual(got, redacted) {
		t.Errorf("redacted %+v", got)
	}
	wantErr(t, "stranger writes", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/mine", Version: -1}).Err, protocol.ErrNoAuth)
	wantErr(t, "bob writes", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/mine", Version: -1}, bob).Err, protocol.ErrOK)
	wantErr(t, "super writes", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/mine", Version: -1}, protocol.Id{Scheme: "super", ID: ""}).Err, protocol.ErrOK)
	wrongHash := protocol.Id{Scheme: "digest", ID: "alice:wrong"}
	wantErr(t, "wrong hash", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/mine", Version: -1}, wrongHash).Err, protocol.ErrNoAuth)

	// ip ACLs match addresses and CIDR ranges.
	h.mustOK(h.create("/lo", "", 0, aclOf(31, "ip", "127.0.0.0/8")))
	h.mustOK(h.create("/ten", "", 0, aclOf(31, "ip", "10.0.0.0/8")))
	h.mustOK(h.create("/exact", "", 0, aclOf(31, "ip", "10.1.2.3")))
	cases := []struct {
		path, addr string
		want       protocol.ErrCode
	}{
		{"/lo", "127.0.0.1", protocol.ErrOK},
		{"/lo", "127.200.3.4", protocol.ErrOK},
		{"/ten", "127.0.0.1", protocol.ErrNoAuth},
		{"/ten", "10.255.0.1", protocol.ErrOK},
		{"/exact", "10.1.2.3", protocol.ErrOK},
		{"/exact", "10.1.2.4", protocol.ErrNoAuth},
		{"/lo", "::1", protocol.ErrNoAuth},
		{"/lo", "::ffff:127.0.0.1", protocol.ErrOK},
		{"/lo", "garbage", protocol.ErrNoAuth},
	}
	for _, c := range cases {
		_, code := h.read(protocol.OpGetData, &protocol.PathWatchRequest{Path: c.path}, protocol.Id{Scheme: "ip", ID: c.addr})
		wantErr(t, c.path+" from "+c.addr, code, c.want)
	}
	// Perms 0 is a valid ACL that lets nobody but super in.
	h.mustOK(h.create("/none", "", 0, aclOf(0, "world", "anyone")))
	_, code := h.read(protocol.OpGetData, &protocol.PathWatchRequest{Path: "/none"})
	wantErr(t, "perms 0", code, protocol.ErrNoAuth)
	_, code = h.read(protocol.OpGetData, &protocol.PathWatchRequest{Path: "/none"}, protocol.Id{Scheme: "super"})
	wantErr(t, "perms 0 super", code, protocol.ErrOK)
	wantErr(t, "deep under none", h.create("/none/a/b", "", 0, worldAll).Err, protocol.ErrNoNode)
}

func TestValidators(t *testing.T) {
	for id, want := range map[string]bool{"u:h": true, ":x": true, "u:": false, "u": false, "a:b:c": false, "u::": false, ":": false, "a::b": false} {
		if validDigestID(id) != want {
			t.Errorf("digest %q: %v", id, !want)
		}
	}
	for id, want := range map[string]bool{"1.2.3.4": true, "1.2.3.4/0": true, "1.2.3.4/32": true, "1.2.3.4/33": false, "1.2.3": false, "1.2.3.4.5": false, "a.b.c.d": false, "": false, "1.2.3.4/": false} {
		if validIPID(id) != want {
			t.Errorf("ip %q: %v", id, !want)
		}
	}
}
