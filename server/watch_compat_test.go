package server

import (
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// Found by the differential test against ZooKeeper 3.8: an addWatch mode or
// a removeWatches/checkWatches watcher type it cannot map is answered with
// MarshallingError, and the connection stays open.
func TestUnknownWatchModeIsMarshallingError(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	r.send(1, protocol.OpAddWatch, &protocol.AddWatchRequest{Path: "/", Mode: 2})
	if h := r.recv(nil); h.Err != protocol.ErrMarshallingError {
		t.Errorf("addWatch mode 2: %v, want MarshallingError", h.Err)
	}
	r.send(2, protocol.OpRemoveWatches, &protocol.WatchesRequest{Path: "/", Type: 0})
	if h := r.recv(nil); h.Err != protocol.ErrMarshallingError {
		t.Errorf("removeWatches type 0: %v, want MarshallingError", h.Err)
	}
	r.send(3, protocol.OpCheckWatches, &protocol.WatchesRequest{Path: "/", Type: 6})
	if h := r.recv(nil); h.Err != protocol.ErrMarshallingError {
		t.Errorf("checkWatches type 6: %v, want MarshallingError", h.Err)
	}
	r.send(4, protocol.OpSync, &protocol.PathRequest{Path: "/"})
	if h := r.recv(&protocol.PathResponse{}); h.Xid != 4 || h.Err != protocol.ErrOK {
		t.Errorf("sync after the errors: %+v", h)
	}
}
