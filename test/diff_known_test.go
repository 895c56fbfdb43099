package test

// Differences between zkraft and ZooKeeper 3.8 that COMPATIBILITY.md
// documents. The differential test accepts exactly these (and counts them);
// anything else is a divergence. Keep each rule as narrow as the row it
// stands for.

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
