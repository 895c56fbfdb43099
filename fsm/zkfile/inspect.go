package zkfile

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// Snapshot formats OpenSnapshot recognises.
const (
	FormatZkraft    = "zkraft"
	FormatZooKeeper = "zookeeper"
)

// OpenSnapshot reads a whole snapshot file of either format, checking its
// checksum, and names the format it found.
func OpenSnapshot(file string) (*fsm.Image, string, error) {
	b, err := readSnapshotFile(file)
	if err != nil {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(b, []byte("ZKRFSNAP")):
		img, err := fsm.ReadImage(bytes.NewReader(b))
		if err != nil {
			return nil, "", fmt.Errorf("zkraft snapshot %s: %w", file, err)
		}
		return img, FormatZkraft, nil
	case bytes.HasPrefix(b, []byte("ZKSN")):
		t, err := DecodeSnapshot(b)
		if err != nil {
			return nil, "", fmt.Errorf("zookeeper snapshot %s: %w", file, err)
		}
		if z, ok := zxidFromName(file, "snapshot"); ok {
			t.Zxid = z
		}
		return t.Image(), FormatZooKeeper, nil
	}
	return nil, "", fmt.Errorf("%s is neither a zkraft snapshot nor a ZooKeeper snapshot (unknown magic)", file)
}

// Summary describes a tree for "zkraft snapshot inspect".
type Summary struct {
	Format     string `json:"format"`
	LastZxid   string `json:"last_zxid"`
	Znodes     int    `json:"znodes"`
	Ephemerals int    `json:"ephemerals"`
	Containers int    `json:"containers"`
	TTLNodes   int    `json:"ttl_nodes"`
	Sessions   int    `json:"sessions"`
	ACLs       int    `json:"acls"`       // distinct ACL lists
	DataBytes  int64  `json:"data_bytes"` // sum of the data lengths
	// ApproxDataSize is ZooKeeper's approximate data size: path and data
	// lengths summed.
	ApproxDataSize int64     `json:"approximate_data_size"`
	ByNodes        []Subtree `json:"biggest_by_nodes"`
	ByBytes        []Subtree `json:"biggest_by_bytes"`
}

// Subtree is a node with the size of everything at and below it.
type Subtree struct {
	Path  string `json:"path"`
	Nodes int64  `json:"nodes"`
	Bytes int64  `json:"bytes"`
}

// Summarize counts img and lists the top biggest subtrees (of the nodes one
// or two levels below the root, so that one deep chain does not fill the
// list) by node count and by data bytes.
func Summarize(img *fsm.Image, format string, top int) Summary {
	s := Summary{Format: format, LastZxid: fmt.Sprintf("0x%x", img.LastZxid), Znodes: len(img.Nodes),
		Sessions: len(img.Sessions)}
	acls := map[string]bool{}
	key := protocol.NewEncoder(nil)
	sizes := map[string]*Subtree{}
	for i := range img.Nodes {
		n := &img.Nodes[i]
		switch n.Kind() {
		case "ephemeral":
			s.Ephemerals++
		case "container":
			s.Containers++
		case "ttl":
			s.TTLNodes++
		}
		key.Reset()
		key.ACLs(n.ACL)
		acls[string(key.Bytes())] = true
		s.DataBytes += int64(len(n.Data))
		s.ApproxDataSize += int64(len(n.Path) + len(n.Data))
		sizes[n.Path] = &Subtree{Path: n.Path, Nodes: 1, Bytes: int64(len(n.Data))}
	}
	s.ACLs = len(acls)
	// Children come after their parents: adding up in reverse gives every
	// subtree its total before its parent takes it.
	for i := len(img.Nodes) - 1; i > 0; i-- {
		c := sizes[img.Nodes[i].Path]
		parent, _ := split(c.Path)
		if p := sizes[parent]; p != nil {
			p.Nodes += c.Nodes
			p.Bytes += c.Bytes
		}
	}
	var cands []Subtree
	for _, st := range sizes {
		if d := strings.Count(st.Path, "/"); st.Path != "/" && d <= 2 {
			cands = append(cands, *st)
		}
	}
	s.ByNodes = topBy(cands, top, func(t Subtree) int64 { return t.Nodes })
	s.ByBytes = topBy(cands, top, func(t Subtree) int64 { return t.Bytes })
	return s
}

func topBy(in []Subtree, n int, key func(Subtree) int64) []Subtree {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b Subtree) int {
		if c := cmpInt64(key(b), key(a)); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return out[:min(n, len(out))]
}
