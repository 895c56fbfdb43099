package fsm

import (
	"slices"
	"strconv"
	"strings"

	"github.com/zkraft/zkraft/protocol"
)

// Quotas follow ZooKeeper's layout: a quota on /p is the node
// /zookeeper/quota/p/zookeeper_limits (limits written by zkCli setquota) and
// /zookeeper/quota/p/zookeeper_stats, whose data the tree keeps equal to the
// live usage of the subtree at /p ("count=N,bytes=M": nodes including /p and
// the sum of their data lengths). The stats node's data changes without its
// version or mzxid changing, as in ZooKeeper. Only the innermost quota root of
// a path is updated and checked.
const (
	limitsName = "zookeeper_limits"
	statsName  = "zookeeper_stats"
)

// quotaStats is ZooKeeper's StatsTrack: key=value pairs separated by ',' or
// ';'; a missing key reads as -1.
type quotaStats map[string]int64

func parseQuota(data []byte) quotaStats {
	q := quotaStats{}
	for _, pair := range strings.FieldsFunc(string(data), func(r rune) bool { return r == ',' || r == ';' }) {
		kv := strings.Split(pair, "=")
		if len(kv) < 2 {
			continue
		}
		if kv[1] == "" {
			q[kv[0]] = -1
			continue
		}
		if v, err := strconv.ParseInt(kv[1], 10, 64); err == nil {
			q[kv[0]] = v
		}
	}
	return q
}

func (q quotaStats) get(key string) int64 {
	if v, ok := q[key]; ok {
		return v
	}
	return -1
}

func formatStats(count, bytes int64) []byte {
	return []byte("count=" + strconv.FormatInt(count, 10) + ",bytes=" + strconv.FormatInt(bytes, 10))
}

func limitsPath(root string) string { return quotaRoot + root + "/" + limitsName }
func statsPath(root string) string  { return quotaRoot + root + "/" + statsName }

// quotaFor returns the innermost quota root holding path, or "".
func (t *tx) quotaFor(path string) string {
	return quotaRootOf(t.quotas, path)
}

func quotaRootOf(roots []string, path string) string {
	best := ""
	for _, r := range roots {
		if r == "/" || r == "" {
			continue
		}
		if (path == r || strings.HasPrefix(path, r+"/")) && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// quotaTarget maps a node directly under the quota tree to the quota root it
// describes: /zookeeper/quota/a/b/zookeeper_limits -> "/a/b".
func quotaTarget(parentPath string) (string, bool) {
	if !strings.HasPrefix(parentPath, quotaRoot) {
		return "", false
	}
	root := parentPath[len(quotaRoot):]
	if root == "" || root[0] != '/' {
		return "", false
	}
	return root, true
}

// checkQuota returns QuotaExceeded when EnforceQuota is set and adding
// countDiff nodes and bytesDiff bytes under path would pass a hard limit
// (countHardLimit, byteHardLimit). Soft limits (count, bytes) only warn in
// ZooKeeper, so they are not enforced here either.
func (t *tx) checkQuota(path string, countDiff, bytesDiff int64) protocol.ErrCode {
	if !t.opts.EnforceQuota {
		return protocol.ErrOK
	}
	root := t.quotaFor(path)
	if root == "" {
		return protocol.ErrOK
	}
	// ZooKeeper checks against the committed tree, not against what the
	// earlier ops of a multi did: a multi that deletes one node and creates
	// another at the count limit fails.
	ln, ok := t.base.get(limitsPath(root))
	if !ok {
		return protocol.ErrOK
	}
	limits := parseQuota(ln.data)
	sn, ok := t.base.get(statsPath(root))
	if !ok {
		return protocol.ErrOK
	}
	cur := parseQuota(sn.data)
	if hard := limits.get("countHardLimit"); countDiff != 0 && hard > -1 && cur.get("count")+countDiff > hard {
		return protocol.ErrQuotaExceeded
	}
	if hard := limits.get("byteHardLimit"); bytesDiff != 0 && hard > -1 && cur.get("bytes")+bytesDiff > hard {
		return protocol.ErrQuotaExceeded
	}
	return protocol.ErrOK
}

// quotaUsage adds to the statistics of the quota root holding path.
func (t *tx) quotaUsage(path string, countDiff, bytesDiff int64) {
	root := t.quotaFor(path)
	if root == "" {
		return
	}
	sp := statsPath(root)
	sn, ok := t.get(sp)
	if !ok {
		return
	}
	cur := parseQuota(sn.data)
	c := sn.clone()
	c.data = formatStats(cur.get("count")+countDiff, cur.get("bytes")+bytesDiff)
	t.put(sp, c)
}

// quotaCreated keeps quota roots and statistics in step with a create.
func (t *tx) quotaCreated(parentPath, name, path string, n *znode) {
	if root, ok := quotaTarget(parentPath); ok {
		switch name {
		case limitsName:
			if !slices.Contains(t.quotas, root) {
				q := append(slices.Clone(t.quotas), root)
				slices.Sort(q)
				t.quotas = q
			}
		case statsName:
			// A new stats node starts from the real usage, whatever the
			// client wrote into it.
			count, bytes := subtreeUsage(t.nodes.Root(), root)
			c := n.clone()
			c.data = formatStats(count, bytes)
			t.put(path, c)
		}
	}
	t.quotaUsage(path, 1, int64(len(n.data)))
}

// quotaDeleted keeps quota roots and statistics in step with a delete.
func (t *tx) quotaDeleted(parentPath, name, path string, n *znode) {
	if root, ok := quotaTarget(parentPath); ok && name == limitsName {
		if i := slices.Index(t.quotas, root); i >= 0 {
			t.quotas = slices.Delete(slices.Clone(t.quotas), i, i+1)
		}
	}
	t.quotaUsage(path, -1, -int64(len(n.data)))
}

// quotaRoots rebuilds the quota roots from a tree (after Restore).
func quotaRoots(s *state) []string {
	var roots []string
	var walk func(p string)
	walk = func(p string) {
		for _, c := range children(s.nodes.Root(), p) {
			cp := join(p, c)
			if c == limitsName {
				if root, ok := quotaTarget(p); ok {
					roots = append(roots, root)
				}
			}
			walk(cp)
		}
	}
	walk(quotaRoot)
	slices.Sort(roots)
	return roots
}
