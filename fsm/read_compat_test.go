package fsm

import (
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// Found by the differential test against ZooKeeper 3.8: getAllChildrenNumber
// of "" counts one more than of "/".
func TestGetAllChildrenNumberOfEmptyPath(t *testing.T) {
	h := newHarness(t, Options{})
	h.mkdir("/a", "/a/b")
	count := func(path string) int32 {
		t.Helper()
		resp, code := h.read(protocol.OpGetAllChildrenNumber, &protocol.PathRequest{Path: path})
		if code != protocol.ErrOK {
			t.Fatalf("getAllChildrenNumber %q: %v", path, code)
		}
		return resp.(*protocol.GetAllChildrenNumberResponse).TotalNumber
	}
	if root, empty := count("/"), count(""); empty != root+1 {
		t.Errorf("getAllChildrenNumber: %d for \"\", %d for \"/\"; ZooKeeper 3.8 gives one more for \"\"", empty, root)
	}
}
