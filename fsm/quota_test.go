package fsm

import (
	"strings"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// setquota as zkCli 3.8 does it: the quota path, then zookeeper_limits, then
// zookeeper_stats (whose initial content the server replaces).
func (h *harness) setQuota(root, limits string) {
	h.t.Helper()
	p := quotaRoot
	for _, part := range strings.Split(root[1:], "/") {
		p += "/" + part
		if !h.exists(p) {
			h.mkdir(p)
		}
	}
	h.mustOK(h.create(p+"/"+limitsName, limits, 0, worldAll))
	h.mustOK(h.create(p+"/"+statsName, "count=0,bytes=0", 0, worldAll))
}

// Usage tracking as measured on ZooKeeper 3.8: /q, /q/a "x", /q/a/b "yy"
// gives "count=3,bytes=3"; the stats node keeps version 0 and its mzxid.
func TestQuotaStats(t *testing.T) {
	h := newHarness(t, Options{})
	h.mkdir("/q")
	h.mustOK(h.create("/q/a", "x", 0, worldAll))
	h.mustOK(h.create("/q/a/b", "yy", 0, worldAll))
	h.mkdir("/qq") // shares a string prefix, not a path prefix
	h.setQuota("/q", "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1")
	sp := "/zookeeper/quota/q/zookeeper_stats"
	if d := h.data(sp); d != "count=3,bytes=3" {
		t.Errorf("initial stats %q", d)
	}
	created := h.stat(sp)
	h.mustOK(h.create("/q/c", "", 0, worldAll))
	h.mustOK(h.create("/qq/x", "zzzz", 0, worldAll))
	h.mustOK(h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/q/a", Data: []byte("xyz"), Version: -1}))
	if d := h.data(sp); d != "count=4,bytes=5" {
		t.Errorf("stats after create and setData %q", d)
	}
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/q/a/b", Version: -1}))
	if d := h.data(sp); d != "count=3,bytes=3" {
		t.Errorf("stats after delete %q", d)
	}
	if s := h.stat(sp); s.Version != 0 || s.Mzxid != created.Mzxid || s.DataLength != int32(len("count=3,bytes=3")) {
		t.Errorf("stats node stat %+v", s)
	}
	// Removing the limits node ends tracking.
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/zookeeper/quota/q/zookeeper_limits", Version: -1}))
	h.mkdir("/q/d")
	if d := h.data(sp); d != "count=3,bytes=3" {
		t.Errorf("stats after the quota went %q", d)
	}
	// Nested roots: the innermost one counts.
	h.setQuota("/q/a", "count=-1,bytes=-1")
	h.mustOK(h.create("/q/a/deep", "12", 0, worldAll))
	if d := h.data("/zookeeper/quota/q/a/zookeeper_stats"); d != "count=2,bytes=5" {
		t.Errorf("inner stats %q", d)
	}
}

func TestQuotaEnforcement(t *testing.T) {
	for _, enforce := range []bool{false, true} {
		h := newHarness(t, Options{EnforceQuota: enforce})
		h.mkdir("/q")
		h.mustOK(h.create("/q/a", "x", 0, worldAll))
		h.mustOK(h.create("/q/b", "yy", 0, worldAll))
		// Measured on ZooKeeper 3.8 with enforceQuota: a soft count of 2
		// is not enforced, a hard count of 4 is.
		h.setQuota("/q", "count=2,bytes=-1=;byteHardLimit=-1;countHardLimit=4")
		h.mkdir("/q/c")
		r := h.create("/q/d", "", 0, worldAll)
		want := protocol.ErrOK
		if enforce {
			want = protocol.ErrQuotaExceeded
		}
		wantErr(t, "count hard limit", r.Err, want)
		h.mustOK(h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/zookeeper/quota/q/zookeeper_limits", Data: []byte("count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=-1"), Version: -1}))
		wantErr(t, "byte limit at the edge", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/q/a", Data: []byte("12345678"), Version: -1}).Err, protocol.ErrOK)
		r = h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/q/a", Data: []byte("123456789"), Version: -1})
		wantErr(t, "byte hard limit", r.Err, want)
		// As in ZooKeeper, a multi is checked against the tree as it was
		// before the multi: freeing bytes in an earlier op does not help.
		r = h.do(0, protocol.OpMulti, multiOf(
			protocol.MultiOp{Op: protocol.OpSetData, Req: &protocol.SetDataRequest{Path: "/q/a", Data: []byte("1"), Version: -1}},
			protocol.MultiOp{Op: protocol.OpSetData, Req: &protocol.SetDataRequest{Path: "/q/b", Data: []byte("123456789"), Version: -1}},
		))
		if got := r.Resp.(*protocol.MultiResponse).Results; got[1].Err != want && !(want == protocol.ErrOK && got[1].Op == protocol.OpSetData) {
			t.Errorf("multi under quota %+v", got)
		}
	}
}

func TestParseQuota(t *testing.T) {
	q := parseQuota([]byte("count=5,bytes=-1=;byteHardLimit=7;countHardLimit=-1"))
	if q.get("count") != 5 || q.get("bytes") != -1 || q.get("byteHardLimit") != 7 || q.get("countHardLimit") != -1 || q.get("missing") != -1 {
		t.Errorf("parsed %v", q)
	}
	q = parseQuota([]byte("count=,bytes=x,junk"))
	if q.get("count") != -1 || q.get("bytes") != -1 {
		t.Errorf("lenient parse %v", q)
	}
}
