package test

// The operations of the differential test and their generator. An op is
// plain data, so a sequence can be replayed against fresh servers (to shrink
// it) and printed as a reproducer. Paths hold the placeholder {R} for the
// sequence's root, which differs from replay to replay.

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/go-zookeeper/zk"
)

const rootMark = "{R}"

// dop is one operation of a differential sequence.
type dop struct {
	S       int    // session index
	Kind    string // see the op table in runOp
	Path    string
	Data    []byte
	ACL     int // index into diffACLs
	Flags   int32
	Version int32
	TTL     int64
	Watch   bool
	Mode    int32 // addWatch mode, or the watcher type of remove/checkWatches
	Sub     []dop // ops of a multi or multiRead
}

func (o dop) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "s%d %s %s", o.S, o.Kind, o.Path)
	switch o.Kind {
	case "create", "create2", "createContainer", "createTTL":
		fmt.Fprintf(&b, " data=%s acl=%s flags=%d", fmtData(o.Data), diffACLNames[o.ACL], o.Flags)
		if o.Kind == "createTTL" {
			fmt.Fprintf(&b, " ttl=%d", o.TTL)
		}
	case "delete", "check":
		fmt.Fprintf(&b, " version=%d", o.Version)
	case "setData":
		fmt.Fprintf(&b, " data=%s version=%d", fmtData(o.Data), o.Version)
	case "setACL":
		fmt.Fprintf(&b, " acl=%s version=%d", diffACLNames[o.ACL], o.Version)
	case "exists", "getData", "getChildren", "getChildren2":
		fmt.Fprintf(&b, " watch=%v", o.Watch)
	case "addWatch", "removeWatches", "checkWatches":
		fmt.Fprintf(&b, " mode=%d", o.Mode)
	case "multi", "multiRead":
		b.WriteString(" [")
		for i, s := range o.Sub {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(strings.TrimPrefix(s.String(), fmt.Sprintf("s%d ", s.S)))
		}
		b.WriteString("]")
	}
	return b.String()
}

func fmtData(d []byte) string {
	if d == nil {
		return "nil"
	}
	if len(d) > 16 {
		return fmt.Sprintf("%q...(%d bytes)", d[:8], len(d))
	}
	return fmt.Sprintf("%q", d)
}

// Sessions of a sequence: 0 has no auth, 1 is alice, 2 is alice and bob,
// 3 has no auth and is closed in the middle of the sequence.
const (
	diffSessions     = 4
	diffClosingIndex = 3
)

var diffSessionAuth = [diffSessions][]string{nil, {"alice:pw"}, {"alice:pw", "bob:pw"}, nil}

// diffACLs are the ACLs ops choose from, valid and invalid ones; nil is an
// absent (null) ACL list.
var diffACLs = [][]zk.ACL{
	zk.WorldACL(zk.PermAll),
	zk.WorldACL(zk.PermRead),
	{{Perms: zk.PermAll, Scheme: "auth", ID: ""}},
	{{Perms: zk.PermAll, Scheme: "digest", ID: digestID("alice", "pw")}},
	{{Perms: zk.PermRead | zk.PermWrite, Scheme: "digest", ID: digestID("bob", "pw")}, {Perms: zk.PermRead, Scheme: "world", ID: "anyone"}},
	{{Perms: zk.PermAll, Scheme: "ip", ID: "127.0.0.1"}},
	{{Perms: zk.PermRead | zk.PermWrite | zk.PermAdmin, Scheme: "world", ID: "anyone"}},
	{{Perms: zk.PermAll, Scheme: "nope", ID: "x"}},
	{},
	{{Perms: zk.PermAll, Scheme: "digest", ID: "alice"}},
	{{Perms: zk.PermAll, Scheme: "ip", ID: "127.0.0.1/40"}},
	nil,
	{{Perms: zk.PermAll, Scheme: "world", ID: "anyone"}, {Perms: zk.PermAll, Scheme: "world", ID: "anyone"}},
	{{Perms: zk.PermAll, Scheme: "ip", ID: "10.0.0.0/8"}, {Perms: zk.PermRead, Scheme: "world", ID: "anyone"}},
}

var diffACLNames = []string{"world:all", "world:read", "auth:all", "digest-alice:all", "digest-bob:rw+world:r",
	"ip-localhost:all", "world:rwa", "bad-scheme", "empty", "digest-malformed", "ip-badmask", "null",
	"world:all-twice", "ip-10/8:all+world:r"}

// diffGen draws ops over a small path space so that they collide often.
type diffGen struct {
	rng    *rand.Rand
	names  []string
	known  []string // relative paths created so far (sequential names included)
	closed bool     // the closing session has been closed
	// persistent holds the addWatch mode of session/path pairs that got an
	// addWatch. ZooKeeper 3.8 keeps one watch per session and path (a later
	// one-shot watch replaces a persistent one, ZOOKEEPER-4466); zkraft does
	// as 3.9 does. COMPATIBILITY.md lists it; the generator avoids it.
	persistent map[string]int32
	// childWatched marks session/path pairs that got a getChildren watch: an
	// addWatch PERSISTENT_RECURSIVE after it replaces it in ZooKeeper 3.8.
	childWatched map[string]bool
}

func newDiffGen(seed int64) *diffGen {
	return &diffGen{rng: rand.New(rand.NewSource(seed)), names: []string{"a", "b", "c"}, persistent: map[string]int32{}, childWatched: map[string]bool{}}
}

func (g *diffGen) pick(n int) int { return g.rng.Intn(n) }

func (g *diffGen) chance(pct int) bool { return g.rng.Intn(100) < pct }

// readPath is path for a read: never "", which names the server's root,
// whose stat and counts depend on every sequence run before.
func (g *diffGen) readPath() string {
	for {
		if p := g.path(); p != "" {
			return p
		}
	}
}

// path returns a path under the root: usually from the bounded space, at
// times one created earlier (sequential names), the root itself or a bad one.
func (g *diffGen) path() string {
	switch r := g.pick(100); {
	case r < 6:
		bad := []string{"", "rel", rootMark + "/a/", rootMark + "//a", rootMark + "/a/.", rootMark + "/a/..",
			rootMark + "/./a", rootMark + "/a\x00b", rootMark + "/a/b/c/a", rootMark + "/a/../b"}
		return bad[g.pick(len(bad))]
	case r < 10:
		return rootMark
	case r < 35 && len(g.known) > 0:
		return rootMark + "/" + g.known[g.pick(len(g.known))]
	}
	depth := 1 + g.pick(3)
	p := rootMark
	for i := 0; i < depth; i++ {
		p += "/" + g.names[g.pick(len(g.names))]
	}
	return p
}

func (g *diffGen) data() []byte {
	switch g.pick(6) {
	case 0:
		return nil
	case 1:
		return []byte{}
	case 2:
		return []byte(strings.Repeat("z", 200))
	}
	return []byte(g.names[g.pick(len(g.names))] + fmt.Sprint(g.pick(10)))
}

func (g *diffGen) version() int32 {
	vs := []int32{-1, -1, -1, 0, 0, 1, 2, 5, -2}
	return vs[g.pick(len(vs))]
}

func (g *diffGen) acl() int {
	if g.chance(70) {
		return 0
	}
	return g.pick(len(diffACLs))
}

func (g *diffGen) createFlags() int32 {
	fs := []int32{0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, -1}
	return fs[g.pick(len(fs))]
}

func (g *diffGen) ttl() int64 {
	ts := []int64{3600000, 3600000, 3600000, 0, -5, 1 << 41, 1<<40 - 1}
	return ts[g.pick(len(ts))]
}

// session picks a session; the closing one only while it is open.
func (g *diffGen) session() int {
	for {
		s := g.pick(diffSessions)
		if s != diffClosingIndex || !g.closed {
			return s
		}
	}
}

// writeOp draws a write that may appear alone or inside a multi.
func (g *diffGen) writeOp(s int, inMulti bool) dop {
	switch r := g.pick(100); {
	case r < 35:
		kinds := []string{"create", "create", "create2", "createContainer", "createTTL"}
		o := dop{S: s, Kind: kinds[g.pick(len(kinds))], Path: g.path(), Data: g.data(), ACL: g.acl(), Flags: g.createFlags()}
		// ZooKeeper 3.8 fails internally on TTL flags with another create op
		// in a multi (a ClassCastException that shuts the server down) and on
		// non-TTL flags with createTTL (the connection is dropped):
		// COMPATIBILITY.md lists zkraft's answers, the generator avoids them.
		if o.Kind != "createTTL" && (o.Flags == 5 || o.Flags == 6) && inMulti {
			o.Flags = 0
		}
		switch o.Kind {
		case "createContainer":
			if g.chance(80) {
				o.Flags = 4
			}
		case "createTTL":
			o.TTL = g.ttl()
			o.Flags = 5 + int32(g.pick(2))
		}
		if strings.HasSuffix(o.Path, "/") || g.chance(10) {
			o.Path = rootMark + "/" + g.names[g.pick(len(g.names))] + "/s-"
		}
		return o
	case r < 60:
		return dop{S: s, Kind: "delete", Path: g.path(), Version: g.version()}
	case r < 85 || !inMulti:
		return dop{S: s, Kind: "setData", Path: g.path(), Data: g.data(), Version: g.version()}
	}
	// ZooKeeper 3.8 drops the connection on a check outside a multi.
	return dop{S: s, Kind: "check", Path: g.path(), Version: g.version()}
}

// next draws the next op of a sequence of n ops, i being its index.
func (g *diffGen) next(i, n int) dop {
	if i == n/2 && !g.closed {
		g.closed = true
		return dop{S: diffClosingIndex, Kind: "closeSession"}
	}
	s := g.session()
	switch r := g.pick(100); {
	case r < 40:
		return g.writeOp(s, false)
	case r < 50:
		return g.oneShot(dop{S: s, Kind: []string{"exists", "getData"}[g.pick(2)], Path: g.readPath(), Watch: g.chance(60)})
	case r < 57:
		return g.oneShot(dop{S: s, Kind: []string{"getChildren", "getChildren2"}[g.pick(2)], Path: g.readPath(), Watch: g.chance(60)})
	case r < 61:
		return dop{S: s, Kind: "getACL", Path: g.readPath()}
	case r < 66:
		return dop{S: s, Kind: "setACL", Path: g.path(), ACL: g.acl(), Version: g.version()}
	case r < 74:
		o := dop{S: s, Kind: "multi"}
		for k := g.pick(5); k >= 0; k-- {
			o.Sub = append(o.Sub, g.writeOp(s, true))
		}
		if g.chance(5) {
			o.Sub = nil
		}
		return o
	case r < 78:
		o := dop{S: s, Kind: "multiRead"}
		for k := g.pick(4); k >= 0; k-- {
			o.Sub = append(o.Sub, dop{S: s, Kind: []string{"getData", "getChildren"}[g.pick(2)], Path: g.readPath()})
		}
		return o
	case r < 80:
		return dop{S: s, Kind: "sync", Path: g.path()}
	case r < 83:
		return dop{S: s, Kind: "getEphemerals", Path: []string{rootMark, rootMark + "/a", "/", rootMark + "/b/"}[g.pick(4)]}
	case r < 86:
		return dop{S: s, Kind: "getAllChildrenNumber", Path: g.readPath()}
	case r < 88:
		return dop{S: s, Kind: "whoAmI"}
	case r < 93:
		o := dop{S: s, Kind: "addWatch", Path: g.path(), Mode: int32(g.pick(2))}
		if g.chance(3) {
			o.Mode = 2 // not a mode
		}
		key := fmt.Sprint(s, o.Path)
		if o.Mode == addWatchPersistentRecursive && g.childWatched[key] {
			o.Mode = addWatchPersistent
		}
		// A second addWatch with another mode replaces the first in 3.8.
		if m, ok := g.persistent[key]; ok && o.Mode != 2 {
			o.Mode = m
		} else if o.Mode != 2 {
			g.persistent[key] = o.Mode
		}
		return o
	}
	kind := []string{"removeWatches", "checkWatches"}[g.pick(2)]
	o := dop{S: s, Kind: kind, Path: g.path(), Mode: int32(1 + g.pick(3))}
	if g.chance(3) {
		o.Mode = []int32{0, 6}[g.pick(2)] // not a watcher type
	}
	return o
}

// oneShot drops the watch flag of a read on a path where the session holds
// an addWatch watch (see persistent).
func (g *diffGen) oneShot(o dop) dop {
	key := fmt.Sprint(o.S, o.Path)
	if _, ok := g.persistent[key]; ok {
		o.Watch = false
	}
	if o.Watch && strings.HasPrefix(o.Kind, "getChildren") {
		g.childWatched[key] = true
	}
	return o
}

// learn records paths a create returned, so later ops can hit sequential
// and other created nodes.
func (g *diffGen) learn(created []string) {
	for _, p := range created {
		rel := strings.TrimPrefix(p, rootMark+"/")
		if rel == p || rel == "" {
			continue
		}
		dup := false
		for _, k := range g.known {
			if k == rel {
				dup = true
				break
			}
		}
		if !dup && len(g.known) < 64 {
			g.known = append(g.known, rel)
		}
	}
}
