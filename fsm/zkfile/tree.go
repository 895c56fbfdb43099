// Package zkfile reads and writes Apache ZooKeeper's on-disk files: the
// snapshot.<zxid> files of a dataDir's version-2 directory and the
// log.<zxid> transaction logs. It holds no network and no clock: a Tree is
// built from files and converted to and from an fsm.Image.
package zkfile

import (
	"slices"
	"strings"

	"github.com/zkraft/zkraft/fsm"
)

// Tree is a ZooKeeper data tree being rebuilt: the nodes, the sessions and
// the zxid of the last transaction applied.
type Tree struct {
	Zxid     int64
	Sessions map[int64]int32 // session id -> timeout (ms)
	nodes    map[string]*node
	// owned indexes the normal ephemerals by session, for closeSession.
	owned map[int64]map[string]struct{}
}

type node struct {
	fsm.ImageNode
	children map[string]struct{}
}

func newTree() *Tree {
	return &Tree{Sessions: map[int64]int32{}, nodes: map[string]*node{}, owned: map[int64]map[string]struct{}{}}
}

// TreeFromImage makes a Tree holding img's nodes and sessions.
func TreeFromImage(img *fsm.Image) *Tree {
	t := newTree()
	t.Zxid = img.LastZxid
	for _, s := range img.Sessions {
		t.Sessions[s.ID] = s.Timeout
	}
	for _, n := range img.Nodes {
		t.insert(n)
	}
	return t
}

// insert adds n below its parent (which must exist unless n is the root).
// It reports false when the parent is missing.
func (t *Tree) insert(n fsm.ImageNode) bool {
	if n.Path != "/" {
		parent, name := split(n.Path)
		p := t.nodes[parent]
		if p == nil {
			return false
		}
		p.children[name] = struct{}{}
	}
	t.nodes[n.Path] = &node{ImageNode: n, children: map[string]struct{}{}}
	if n.Kind() == "ephemeral" {
		m := t.owned[n.Owner]
		if m == nil {
			m = map[string]struct{}{}
			t.owned[n.Owner] = m
		}
		m[n.Path] = struct{}{}
	}
	return true
}

// remove deletes a node and its entry in its parent; it reports whether the
// node was there.
func (t *Tree) remove(path string) (*node, bool) {
	n := t.nodes[path]
	if n == nil || path == "/" {
		return nil, false
	}
	delete(t.nodes, path)
	parent, name := split(path)
	if p := t.nodes[parent]; p != nil {
		delete(p.children, name)
	}
	if m := t.owned[n.Owner]; m != nil {
		delete(m, path)
	}
	return n, true
}

// Len is the number of nodes.
func (t *Tree) Len() int { return len(t.nodes) }

// Image returns the tree in fsm.Image form: nodes depth first with
// children sorted (every parent before its children), sessions by id.
func (t *Tree) Image() *fsm.Image {
	img := &fsm.Image{LastZxid: t.Zxid}
	for id, timeout := range t.Sessions {
		img.Sessions = append(img.Sessions, fsm.Session{ID: id, Timeout: timeout})
	}
	slices.SortFunc(img.Sessions, func(a, b fsm.Session) int { return cmpInt64(a.ID, b.ID) })
	img.Nodes = make([]fsm.ImageNode, 0, len(t.nodes))
	var walk func(path string)
	walk = func(path string) {
		n := t.nodes[path]
		img.Nodes = append(img.Nodes, n.ImageNode)
		for _, c := range sortedChildren(n) {
			walk(join(path, c))
		}
	}
	if t.nodes["/"] != nil {
		walk("/")
	}
	return img
}

func sortedChildren(n *node) []string {
	out := make([]string, 0, len(n.children))
	for c := range n.children {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// split returns the parent path and last element of path.
func split(path string) (string, string) {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/", path[i+1:]
	}
	return path[:i], path[i+1:]
}

func join(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}
