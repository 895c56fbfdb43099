package test

import (
	"testing"
)

// TestGetEphemerals: op 103 lists the calling session's ephemerals, all of
// them for "/" and those whose path starts with the prefix otherwise
// (a string prefix, not a subtree).
func TestGetEphemerals(t *testing.T) {
	r := raw(t, shared)
	other := raw(t, shared)
	root := testRoot(t, shared)
	mustRawCreate(t, r, root+"/app", modePersistent)
	mustRawCreate(t, r, root+"/app/e1", modeEphemeral)
	mustRawCreate(t, r, root+"/app/e2", modeEphemeral)
	mustRawCreate(t, r, root+"/apple", modeEphemeral)
	mustRawCreate(t, r, root+"/app/p", modePersistent)
	mustRawCreate(t, other, root+"/app/theirs", modeEphemeral)

	all, code := r.GetEphemerals("/")
	wantCode(t, "getEphemerals /", code, errOK)
	want := []string{root + "/app/e1", root + "/app/e2", root + "/apple"}
	if !equalStrings(sorted(all), want) {
		t.Errorf("getEphemerals(/) = %v, want %v", all, want)
	}
	pref, _ := r.GetEphemerals(root + "/app")
	if !equalStrings(sorted(pref), want) {
		t.Errorf("getEphemerals(%s/app) = %v, want %v (a string prefix)", root, pref, want)
	}
	sub, _ := r.GetEphemerals(root + "/app/")
	if !equalStrings(sorted(sub), want[:2]) {
		t.Errorf("getEphemerals(%s/app/) = %v, want %v", root, sub, want[:2])
	}
	none, code := r.GetEphemerals(root + "/missing")
	if code != errOK || len(none) != 0 {
		t.Errorf("getEphemerals of a prefix without matches = %v %d, want none and OK", none, code)
	}
	theirs, _ := other.GetEphemerals("/")
	if !equalStrings(theirs, []string{root + "/app/theirs"}) {
		t.Errorf("the other session's getEphemerals = %v", theirs)
	}
}

// TestGetAllChildrenNumber: op 104 counts every node below the path, not
// the node itself.
func TestGetAllChildrenNumber(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	for _, p := range []string{"/a", "/a/b", "/a/b/c", "/a/d", "/e"} {
		mustRawCreate(t, r, root+p, modePersistent)
	}
	for _, tc := range []struct {
		path string
		want int32
	}{{root, 5}, {root + "/a", 3}, {root + "/a/b/c", 0}} {
		n, code := r.GetAllChildrenNumber(tc.path)
		if code != errOK || n != tc.want {
			t.Errorf("getAllChildrenNumber(%s) = %d %d, want %d", tc.path, n, code, tc.want)
		}
	}
	_, code := r.GetAllChildrenNumber(root + "/missing")
	wantCode(t, "getAllChildrenNumber of a missing node", code, errNoNode)
}
