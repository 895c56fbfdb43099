package test

// Differences between zkraft and ZooKeeper 3.8 that COMPATIBILITY.md
// documents. The differential test accepts exactly these (and counts them);
// anything else is a divergence. Keep each rule as narrow as the row it
// stands for.

import "strings"

// diffKnown is one documented difference in a single reply.
type diffKnown struct {
	row   string // the COMPATIBILITY.md row
	match func(o dop, zk, kr string) bool
}

var diffKnownReplies = []diffKnown{
	{
		// ZooKeeper 3.8's WatchManager.containsWatcher answers true when any
		// connection has a watch of that table on the path; zkraft checks
		// the caller's own watches, as ZooKeeper 3.9 does.
		row: "checkWatches (17): NoWatcher when only another session watches the path",
		match: func(o dop, zk, kr string) bool {
			return o.Kind == "checkWatches" && zk == "err=0" && kr == "err=-121"
		},
	},
	{
		// ZooKeeper 3.8's containsWatcher walks the path's parents whenever
		// some connection holds a recursive watch, and fails on a relative
		// path (an exception, hence MarshallingError) unless the table it
		// looks at has a watch on the path itself.
		row: "checkWatches (17): a relative path is answered from the caller's watches",
		match: func(o dop, zk, kr string) bool {
			return o.Kind == "checkWatches" && o.Path != "" && !strings.HasPrefix(o.Path, "/") &&
				!strings.HasPrefix(o.Path, rootMark) && zk == "err=-5" && (kr == "err=-121" || kr == "err=0")
		},
	},
	{
		// ZooKeeper 3.8's containsWatcher iterates the path and its parents;
		// the iterator yields nothing for "", so a watch on "" is never found.
		row: "checkWatches (17): a watch on \"\" is found",
		match: func(o dop, zk, kr string) bool {
			return o.Kind == "checkWatches" && o.Path == "" && zk == "err=-121" && kr == "err=0"
		},
	},
	{
		// An "auth" ACL becomes one entry per identity of the connection:
		// ZooKeeper 3.8 walks its hash set of identities, zkraft the order
		// they were added in.
		row: "setACL/create with the auth scheme: order of the expanded entries",
		match: func(o dop, zk, kr string) bool {
			return o.Kind == "getACL" && zk != kr && aclAsSet(zk) == aclAsSet(kr)
		},
	},
}

// aclAsSet renders a getACL reply with its ACL entries sorted.
func aclAsSet(reply string) string {
	start := strings.Index(reply, "acl=[")
	end := strings.Index(reply, "] stat=")
	if start < 0 || end < start {
		return reply
	}
	entries := strings.Split(reply[start+len("acl=["):end], "} {")
	for i, e := range entries {
		entries[i] = strings.Trim(e, "{}")
	}
	return reply[:start] + sortedJoin(entries) + reply[end+1:]
}

// diffAccepted returns the COMPATIBILITY.md row that explains why two
// replies of o differ, or "".
func diffAccepted(o dop, zk, kr string) string {
	for _, k := range diffKnownReplies {
		if k.match(o, zk, kr) {
			return k.row
		}
	}
	return ""
}
