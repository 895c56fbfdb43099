package fsm

import (
	"reflect"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// pathEvent is an Event without its ACL, for tests about which events an
// entry produces.
type pathEvent struct {
	Type protocol.EventType
	Path string
}

func pathEvents(evs []Event) []pathEvent {
	out := make([]pathEvent, len(evs))
	for i, e := range evs {
		out[i] = pathEvent{e.Type, e.Path}
	}
	return out
}

// Each event carries the ACL of the node it is about (the parent's for a
// child event), so the server can withhold it from a watcher without READ.
func TestEventsCarryACL(t *testing.T) {
	h := newHarness(t, Options{})
	secret := []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "digest", ID: DigestID("alice:pw")}}}
	h.mustOK(h.create("/open", "", 0, worldAll))
	r := h.mustOK(h.create("/open/s", "x", 0, secret))
	if len(r.Events) != 2 || !reflect.DeepEqual(r.Events[0].ACL, secret) || !reflect.DeepEqual(r.Events[1].ACL, worldAll) {
		t.Fatalf("create events %+v", r.Events)
	}
	anon := []protocol.Id{{Scheme: "ip", ID: "127.0.0.1"}}
	alice := append(anon, protocol.Id{Scheme: "digest", ID: DigestID("alice:pw")})
	if CanRead(r.Events[0].ACL, anon) || !CanRead(r.Events[0].ACL, alice) || !CanRead(r.Events[1].ACL, anon) {
		t.Error("CanRead disagrees with the ACLs")
	}
}
