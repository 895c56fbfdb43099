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
		// ZooKeeper 3.8's containsWatcher walks the path's parents and fails
		// on a relative path (an exception, hence MarshallingError).
		row: "checkWatches (17): a relative path gives NoWatcher",
		match: func(o dop, zk, kr string) bool {
			return o.Kind == "checkWatches" && o.Path != "" && !strings.HasPrefix(o.Path, "/") &&
				!strings.HasPrefix(o.Path, rootMark) && zk == "err=-5" && kr == "err=-121"
		},
	},
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

// diffEventsAccepted returns the COMPATIBILITY.md row that explains why the
// notifications of session s differ, or "". ZooKeeper 3.8 as Debian ships it
// (with the fix of CVE-2024-23944) drops a notification when the watcher
// lacks READ on the node; zkraft still delivers it. Only sessions 0 and 3
// (no digest identity) can lack READ on a node the generator creates, and
// ZooKeeper's notifications must be the same as zkraft's minus some.
func diffEventsAccepted(s int, zk, kr []string) string {
	if len(diffSessionAuth[s]) > 0 || !isSubsequence(zk, kr) {
		return ""
	}
	return "watch notifications: delivered without READ on the node"
}

func isSubsequence(sub, seq []string) bool {
	i := 0
	for _, x := range seq {
		if i < len(sub) && sub[i] == x {
			i++
		}
	}
	return i == len(sub)
}
