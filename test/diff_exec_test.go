package test

// Running differential ops against one server and rendering each reply in a
// normal form that two servers with the same behaviour render identically:
// zxids become Z1, Z2, ... in order of first appearance, session ids become
// s0, s1, ..., the sequence's root becomes {R}, and ctime/mtime are dropped.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// diffSide is one server's half of a running sequence.
type diffSide struct {
	tg       target
	root     string
	sess     [diffSessions]*rawConn
	observer *rawConn // reads for container settling; sets no watches
	zx       map[int64]int
	sids     map[int64]int
	// replySeq[s] lists (op index, arrival number) of session s's replies.
	replySeq [diffSessions][][2]int64
	// windows[s] lists session s's unordered steps.
	windows [diffSessions][]diffWindow
	// cutoff[s], when not 0, is the arrival number after which session s's
	// notifications are not compared (it was closing).
	cutoff [diffSessions]int64
	// containers lists the nodes createContainer made, for settle. (Their
	// Stat does not tell: ZooKeeper 3.8 shows ephemeralOwner 0 for them.)
	containers []string
}

func newDiffSide(tg target, root string) (*diffSide, error) {
	s := &diffSide{tg: tg, root: root, zx: map[int64]int{}, sids: map[int64]int{}}
	obs, err := tryRawConnect(tg.Addr(), 10000, 0, nil, 0)
	if err != nil {
		return nil, err
	}
	s.observer = obs
	// The observer is super, so the final tree dump reads every node.
	if code, err := obs.Auth("digest", []byte(superUser+":"+superPassword)); err != nil || code != errOK {
		s.close()
		return nil, fmt.Errorf("super auth on %s: %v %d", tg.Kind(), err, code)
	}
	rep, err := s.observer.callXid(s.observer.nextXid(), opCreate, (&enc{}).str(root).buf(nil).acls(diffACLs[0]).i32(0).b)
	if err != nil || rep.Err != errOK {
		s.close()
		return nil, fmt.Errorf("create root %s on %s: %v %d", root, tg.Kind(), err, rep.Err)
	}
	for i := range s.sess {
		c, err := tryRawConnect(tg.Addr(), 10000, 0, nil, 0)
		if err != nil {
			s.close()
			return nil, err
		}
		s.sess[i] = c
		s.sids[c.SessionID] = i
		for _, a := range diffSessionAuth[i] {
			code, err := c.Auth("digest", []byte(a))
			if err != nil || code != errOK {
				s.close()
				return nil, fmt.Errorf("auth %s on %s: %v %d", a, tg.Kind(), err, code)
			}
		}
	}
	return s, nil
}

// close ends every session of the side (closeSession, so no ephemeral
// outlives the sequence).
func (s *diffSide) close() {
	for _, c := range append(s.sess[:], s.observer) {
		if c == nil {
			continue
		}
		select {
		case <-c.closed:
		default:
			_, _ = c.callXid(c.nextXid(), opCloseSession, nil)
		}
		c.Drop()
	}
}

func (s *diffSide) zxid(z int64) string {
	if z == 0 {
		return "0"
	}
	n, ok := s.zx[z]
	if !ok {
		n = len(s.zx) + 1
		s.zx[z] = n
	}
	return fmt.Sprintf("Z%d", n)
}

func (s *diffSide) owner(o int64) string {
	if o == 0 {
		return "0"
	}
	if i, ok := s.sids[o]; ok {
		return fmt.Sprintf("s%d", i)
	}
	return fmt.Sprintf("%#x", uint64(o))
}

func (s *diffSide) stat(d *dec) string {
	cz, mz := d.i64(), d.i64()
	ct, mt := d.i64(), d.i64()
	ver, cver, aver := d.i32(), d.i32(), d.i32()
	eo, dl, nc, pz := d.i64(), d.i32(), d.i32(), d.i64()
	plaus := ""
	// Times are wall clock: only their plausibility is checked.
	if cz != 0 && (ct <= 0 || mt < ct) {
		plaus = fmt.Sprintf(" IMPLAUSIBLE-TIMES(ctime=%d mtime=%d)", ct, mt)
	}
	return fmt.Sprintf("{cz=%s mz=%s v=%d cv=%d av=%d eo=%s dl=%d nc=%d pz=%s%s}",
		s.zxid(cz), s.zxid(mz), ver, cver, aver, s.owner(eo), dl, nc, s.zxid(pz), plaus)
}

func (s *diffSide) path(p string) string {
	if s.root == "" {
		return p
	}
	return strings.ReplaceAll(p, s.root, rootMark)
}

func (s *diffSide) resolve(p string) string { return strings.ReplaceAll(p, rootMark, s.root) }

func sortedJoin(v []string) string {
	v = sorted(v)
	return "[" + strings.Join(v, ",") + "]"
}

// opCodes maps op kinds to op codes; isWrite marks the ops whose reply
// header carries their own zxid.
var diffOpCodes = map[string]int32{
	"create": opCreate, "create2": opCreate2, "createContainer": opCreateContainer, "createTTL": opCreateTTL,
	"delete": opDelete, "exists": opExists, "getData": opGetData, "setData": opSetData, "getACL": opGetACL,
	"setACL": opSetACL, "getChildren": opGetChildren, "getChildren2": opGetChildren2, "sync": opSync,
	"check": opCheck, "multi": opMulti, "multiRead": opMultiRead, "getEphemerals": opGetEphemerals,
	"getAllChildrenNumber": opGetAllChildrenNumber, "whoAmI": opWhoAmI, "addWatch": opAddWatch,
	"removeWatches": opRemoveWatches, "checkWatches": opCheckWatches, "closeSession": opCloseSession,
}

var diffIsWrite = map[string]bool{"create": true, "create2": true, "createContainer": true, "createTTL": true,
	"delete": true, "setData": true, "setACL": true, "multi": true, "closeSession": true}

// encodeOp is the request body of an op (of a multi's sub-op without its
// MultiHeader).
func (s *diffSide) encodeOp(o dop) []byte {
	e := &enc{}
	p := s.resolve(o.Path)
	switch o.Kind {
	case "create", "create2", "createContainer":
		e.str(p).buf(o.Data).acls(diffACLs[o.ACL]).i32(o.Flags)
	case "createTTL":
		e.str(p).buf(o.Data).acls(diffACLs[o.ACL]).i32(o.Flags).i64(o.TTL)
	case "delete", "check":
		e.str(p).i32(o.Version)
	case "setData":
		e.str(p).buf(o.Data).i32(o.Version)
	case "setACL":
		e.str(p).acls(diffACLs[o.ACL]).i32(o.Version)
	case "exists", "getData", "getChildren", "getChildren2":
		e.str(p).boolean(o.Watch)
	case "getACL", "sync", "getEphemerals", "getAllChildrenNumber":
		e.str(p)
	case "addWatch", "removeWatches", "checkWatches":
		e.str(p).i32(o.Mode)
	case "multi", "multiRead":
		for _, sub := range o.Sub {
			e.i32(diffOpCodes[sub.Kind]).boolean(false).i32(-1)
			e.b = append(e.b, s.encodeOp(sub)...)
		}
		e.i32(-1).boolean(true).i32(-1)
	}
	return e.b
}

// diffResult is one op's rendered reply and what the generator learns.
type diffResult struct {
	Text    string
	Created []string // paths created (rendered with {R})
	Deleted bool     // the op may have emptied a container
}

// runOp runs op i and renders its reply.
func (s *diffSide) runOp(i int, o dop) (diffResult, error) {
	c := s.sess[o.S]
	code := diffOpCodes[o.Kind]
	rep, err := c.callXid(c.nextXid(), code, s.encodeOp(o))
	if err != nil {
		return diffResult{}, fmt.Errorf("%s: %w", s.tg.Kind(), err)
	}
	s.replySeq[o.S] = append(s.replySeq[o.S], [2]int64{int64(i), rep.Seq})
	var res diffResult
	var b strings.Builder
	fmt.Fprintf(&b, "err=%d", rep.Err)
	if diffIsWrite[o.Kind] {
		fmt.Fprintf(&b, " zxid=%s", s.zxid(rep.Zxid))
	}
	d := &dec{b: rep.Body}
	if rep.Err == errOK || o.Kind == "multi" || o.Kind == "multiRead" {
		s.decodeBody(&b, &res, o, d)
	}
	if rep.Err != errOK && o.Kind != "multi" && o.Kind != "multiRead" && len(rep.Body) > 0 {
		// ZooKeeper sends an error reply without a body.
		fmt.Fprintf(&b, " body(%d bytes)", len(rep.Body))
	}
	if d.err == nil && len(d.b) > 0 && rep.Err == errOK {
		fmt.Fprintf(&b, " TRAILING(%d bytes)", len(d.b))
	}
	if d.err != nil {
		fmt.Fprintf(&b, " UNDECODABLE(%v)", d.err)
	}
	if rep.Err == errOK && (o.Kind == "delete" || o.Kind == "closeSession") {
		res.Deleted = true
	}
	if o.Kind == "closeSession" {
		c.Drop()
	}
	s.noteContainers(o, res.Created)
	res.Text = b.String()
	return res, nil
}

func (s *diffSide) decodeBody(b *strings.Builder, res *diffResult, o dop, d *dec) {
	switch o.Kind {
	case "create":
		p := s.path(d.str())
		fmt.Fprintf(b, " path=%s", p)
		res.Created = append(res.Created, p)
	case "create2", "createContainer", "createTTL":
		p := s.path(d.str())
		fmt.Fprintf(b, " path=%s stat=%s", p, s.stat(d))
		res.Created = append(res.Created, p)
	case "exists", "setData", "setACL", "check":
		if len(d.b) > 0 || o.Kind != "check" {
			fmt.Fprintf(b, " stat=%s", s.stat(d))
		}
	case "getData":
		data := d.buf()
		fmt.Fprintf(b, " data=%s stat=%s", fmtData(data), s.stat(d))
	case "getACL":
		fmt.Fprintf(b, " acl=%v stat=%s", d.acls(), s.stat(d))
	case "getChildren":
		fmt.Fprintf(b, " children=%s", sortedJoin(d.strs()))
	case "getChildren2":
		ch := d.strs()
		fmt.Fprintf(b, " children=%s stat=%s", sortedJoin(ch), s.stat(d))
	case "sync":
		fmt.Fprintf(b, " path=%s", s.path(d.str()))
	case "getEphemerals":
		v := d.strs()
		for i := range v {
			v[i] = s.path(v[i])
		}
		fmt.Fprintf(b, " paths=%s", sortedJoin(v))
	case "getAllChildrenNumber":
		fmt.Fprintf(b, " n=%d", d.i32())
	case "whoAmI":
		n := d.i32()
		var ids []string
		for k := int32(0); k < n && d.err == nil; k++ {
			ids = append(ids, d.str()+":"+d.str())
		}
		// ZooKeeper keeps a connection's identities in a hash set: their
		// order carries no meaning.
		fmt.Fprintf(b, " ids=%s", sortedJoin(ids))
	case "addWatch":
		if len(d.b) > 0 {
			fmt.Fprintf(b, " body-err=%d", d.i32())
		}
	case "multi", "multiRead":
		s.decodeMulti(b, res, o, d)
	}
}

func (s *diffSide) decodeMulti(b *strings.Builder, res *diffResult, o dop, d *dec) {
	b.WriteString(" results=[")
	for n := 0; d.err == nil; n++ {
		typ, done, code := d.i32(), d.boolean(), d.i32()
		if done {
			break
		}
		if n > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(b, "op=%d err=%d", typ, code)
		switch typ {
		case opError:
			fmt.Fprintf(b, " code=%d", d.i32())
		case opCreate:
			p := s.path(d.str())
			fmt.Fprintf(b, " path=%s", p)
			res.Created = append(res.Created, p)
		case opCreate2, opCreateContainer, opCreateTTL:
			p := s.path(d.str())
			fmt.Fprintf(b, " path=%s stat=%s", p, s.stat(d))
			res.Created = append(res.Created, p)
		case opDelete:
			res.Deleted = true
		case opSetData:
			fmt.Fprintf(b, " stat=%s", s.stat(d))
		case opGetData:
			data := d.buf()
			fmt.Fprintf(b, " data=%s stat=%s", fmtData(data), s.stat(d))
		case opGetChildren:
			fmt.Fprintf(b, " children=%s", sortedJoin(d.strs()))
		}
	}
	b.WriteString("]")
}

// noteContainers remembers the containers an op created: created lists the
// paths in the order of the op's (or the multi's) creates.
func (s *diffSide) noteContainers(o dop, created []string) {
	subs := []dop{o}
	if o.Kind == "multi" {
		subs = o.Sub
	}
	k := 0
	for _, sub := range subs {
		if !strings.HasPrefix(sub.Kind, "create") || k >= len(created) {
			continue
		}
		p := s.resolve(created[k])
		// A path created anew is a container only if createContainer made it.
		s.containers = slices.DeleteFunc(s.containers, func(c string) bool { return c == p })
		// Alone, the op makes a container; in a multi, ZooKeeper rebuilds
		// each create from its flags, so flags 4 does.
		if (o.Kind != "multi" && sub.Kind == "createContainer") || (o.Kind == "multi" && sub.Flags == 4 && sub.Kind != "createTTL") {
			s.containers = append(s.containers, p)
		}
		k++
	}
}

// settle waits until the container sweeper has removed every container that
// is due (it had children and has none now), so that sweeps happen at the
// same point of the sequence on both servers.
func (s *diffSide) settle(deadline time.Time) error {
	for {
		due, err := s.due()
		if err != nil || due == "" {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: container %s still not swept", s.tg.Kind(), due)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// due returns a container the sweeper should delete (it had children and
// has none), or "".
func (s *diffSide) due() (string, error) {
	for _, p := range s.containers {
		rep, err := s.observer.callXid(s.observer.nextXid(), opExists, (&enc{}).str(p).boolean(false).b)
		if err != nil {
			return "", err
		}
		if rep.Err != errOK {
			continue
		}
		if st := (&dec{b: rep.Body}).stat(); st.Cversion > 0 && st.NumChildren == 0 {
			return p, nil
		}
	}
	return "", nil
}

// diffWindow brackets the notifications of one step that changes several
// nodes in an order ZooKeeper takes from a hash set: the ephemerals of a
// closed session, the containers of one sweep. Their order is not compared.
type diffWindow struct {
	op       int
	from, to int64 // arrival numbers of the barrier replies around the step
}

// barrier makes a round trip on every open session, so every notification
// queued before it has arrived, and returns the arrival number of each reply
// (-1 for a closed session).
func (s *diffSide) barrier() ([diffSessions]int64, error) {
	var seq [diffSessions]int64
	for i, c := range s.sess {
		seq[i] = -1
		select {
		case <-c.closed:
			continue
		default:
		}
		rep, err := c.callXid(c.nextXid(), opSync, (&enc{}).str("/").b)
		if err != nil {
			return seq, fmt.Errorf("%s: barrier on s%d: %w", s.tg.Kind(), i, err)
		}
		seq[i] = rep.Seq
	}
	return seq, nil
}

// window records that the notifications between the barriers from and to
// are compared as a set.
func (s *diffSide) window(op int, from, to [diffSessions]int64) {
	for i := range s.windows {
		switch {
		case from[i] >= 0 && to[i] >= 0:
			s.windows[i] = append(s.windows[i], diffWindow{op: op, from: from[i], to: to[i]})
		case from[i] >= 0:
			// The session closed in this step. Whether ZooKeeper still
			// sends it the notifications of its own ephemerals' deletion
			// depends on timing: they are not compared.
			s.cutoff[i] = from[i]
		}
	}
}

// events renders each session's notifications, each placed after the index
// of the last op whose reply the session had received before it. It first
// makes sure every notification has arrived: a round trip on a connection
// follows every notification queued before it.
func (s *diffSide) events() ([diffSessions][]string, error) {
	var out [diffSessions][]string
	for i, c := range s.sess {
		open := true
		select {
		case <-c.closed:
			open = false
		default:
		}
		if open {
			if _, err := c.callXid(c.nextXid(), opSync, (&enc{}).str("/").b); err != nil {
				return out, fmt.Errorf("%s: final sync of s%d: %w", s.tg.Kind(), i, err)
			}
		}
		inWindow := map[int][]string{}
		var order []string // lines, with a window's events as one sorted line
		for _, ev := range c.Events() {
			if s.cutoff[i] > 0 && ev.Seq > s.cutoff[i] {
				continue
			}
			text := fmt.Sprintf("type=%d state=%d path=%s", ev.Type, ev.State, s.path(ev.Path))
			w := -1
			for k, win := range s.windows[i] {
				if win.from < ev.Seq && ev.Seq < win.to {
					w = k
				}
			}
			if w >= 0 {
				if _, seen := inWindow[w]; !seen {
					order = append(order, fmt.Sprintf("\x00window %d", w))
				}
				inWindow[w] = append(inWindow[w], text)
				continue
			}
			pos := int64(-1)
			for _, r := range s.replySeq[i] {
				if r[1] < ev.Seq {
					pos = r[0]
				}
			}
			order = append(order, fmt.Sprintf("after op %d: %s", pos, text))
		}
		for _, line := range order {
			var w int
			if _, err := fmt.Sscanf(line, "\x00window %d", &w); err != nil {
				out[i] = append(out[i], line)
				continue
			}
			// A window's events one per line, sorted: their order within
			// one step is ZooKeeper's hash-set order.
			for _, text := range sorted(inWindow[w]) {
				out[i] = append(out[i], fmt.Sprintf("in the step of op %d, in any order: %s", s.windows[i][w].op, text))
			}
		}
	}
	return out, nil
}

// tree renders every node under the root, in path order, with its data, ACL
// and Stat: the state both servers must have reached. It is read as super by
// the observer, which sets no watches.
func (s *diffSide) tree() ([]string, error) {
	var out []string
	var walk func(p string) error
	walk = func(p string) error {
		rep, err := s.observer.callXid(s.observer.nextXid(), opGetData, (&enc{}).str(p).boolean(false).b)
		if err != nil {
			return err
		}
		if rep.Err != errOK {
			out = append(out, fmt.Sprintf("%s getData err=%d", s.path(p), rep.Err))
			return nil
		}
		d := &dec{b: rep.Body}
		data := d.buf()
		line := fmt.Sprintf("%s data=%s stat=%s", s.path(p), fmtData(data), s.stat(d))
		rep, err = s.observer.callXid(s.observer.nextXid(), opGetACL, (&enc{}).str(p).b)
		if err != nil {
			return err
		}
		if rep.Err == errOK {
			line += fmt.Sprintf(" acl=%s", aclSet((&dec{b: rep.Body}).acls()))
		}
		out = append(out, line)
		rep, err = s.observer.callXid(s.observer.nextXid(), opGetChildren, (&enc{}).str(p).boolean(false).b)
		if err != nil {
			return err
		}
		for _, c := range sorted((&dec{b: rep.Body}).strs()) {
			if err := walk(p + "/" + c); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(s.root)
}

// aclSet renders ACL entries sorted: the order of an expanded "auth" ACL is
// a documented difference (diff_known_test.go).
func aclSet(acl []zk.ACL) string {
	v := make([]string, len(acl))
	for i, a := range acl {
		v[i] = fmt.Sprintf("%d:%s:%s", a.Perms, a.Scheme, a.ID)
	}
	return sortedJoin(v)
}
