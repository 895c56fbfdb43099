package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// statJSON is a stat with ZooKeeper's field names (as its AdminServer and
// the Java Stat bean use them).
type statJSON struct {
	Czxid          int64 `json:"czxid"`
	Mzxid          int64 `json:"mzxid"`
	Ctime          int64 `json:"ctime"`
	Mtime          int64 `json:"mtime"`
	Version        int32 `json:"version"`
	Cversion       int32 `json:"cversion"`
	Aversion       int32 `json:"aversion"`
	EphemeralOwner int64 `json:"ephemeralOwner"`
	DataLength     int32 `json:"dataLength"`
	NumChildren    int32 `json:"numChildren"`
	Pzxid          int64 `json:"pzxid"`
}

func toStatJSON(s protocol.Stat) *statJSON {
	return &statJSON{s.Czxid, s.Mzxid, s.Ctime, s.Mtime, s.Version, s.Cversion, s.Aversion,
		s.EphemeralOwner, s.DataLength, s.NumChildren, s.Pzxid}
}

// javaDate formats milliseconds since the epoch as Java's Date.toString.
func javaDate(ms int64) string {
	return time.UnixMilli(ms).Format("Mon Jan 02 15:04:05 MST 2006")
}

// writeStat prints a stat as zkCli does.
func writeStat(w io.Writer, s protocol.Stat) {
	fmt.Fprintf(w, "cZxid = 0x%x\nctime = %s\nmZxid = 0x%x\nmtime = %s\npZxid = 0x%x\n"+
		"cversion = %d\ndataVersion = %d\naclVersion = %d\nephemeralOwner = 0x%x\n"+
		"dataLength = %d\nnumChildren = %d\n",
		s.Czxid, javaDate(s.Ctime), s.Mzxid, javaDate(s.Mtime), s.Pzxid,
		s.Cversion, s.Version, s.Aversion, s.EphemeralOwner, s.DataLength, s.NumChildren)
}

// listString prints names as Java's List.toString: [a, b].
func listString(names []string) string { return "[" + strings.Join(names, ", ") + "]" }

// permString is zkCli's spelling of permission bits: cdrwa.
func permString(perms int32) string {
	var b strings.Builder
	for _, p := range permLetters {
		if perms&p.bit != 0 {
			b.WriteByte(p.letter)
		}
	}
	return b.String()
}

var permLetters = []struct {
	letter byte
	bit    int32
}{{'c', protocol.PermCreate}, {'d', protocol.PermDelete}, {'r', protocol.PermRead}, {'w', protocol.PermWrite}, {'a', protocol.PermAdmin}}

// aclJSON is one ACL entry in json output.
type aclJSON struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
	Perms  string `json:"perms"`
}

func toACLJSON(acl []protocol.ACL) []aclJSON {
	out := make([]aclJSON, len(acl))
	for i, a := range acl {
		out[i] = aclJSON{a.ID.Scheme, a.ID.ID, permString(a.Perms)}
	}
	return out
}

// writeACL prints an ACL as zkCli's getAcl does.
func writeACL(w io.Writer, acl []protocol.ACL) {
	for _, a := range acl {
		fmt.Fprintf(w, "'%s,'%s\n: %s\n", a.ID.Scheme, a.ID.ID, permString(a.Perms))
	}
}

// parseACL reads zkCli's ACL syntax: scheme:id:perms[,scheme:id:perms...],
// where the id may itself hold colons (digest:user:hash:cdrwa). Unlike zkCli,
// which skips what it cannot read, any malformed entry is an error: a
// half-applied ACL can lock people out.
func parseACL(s string) ([]protocol.ACL, error) {
	var acl []protocol.ACL
	for _, part := range strings.Split(s, ",") {
		first, last := strings.IndexByte(part, ':'), strings.LastIndexByte(part, ':')
		if first < 0 || first == last {
			return nil, usageErrorf("%s does not have the form scheme:id:perm", part)
		}
		var perms int32
	letters:
		for _, r := range part[last+1:] {
			for _, p := range permLetters {
				if r == rune(p.letter) {
					perms |= p.bit
					continue letters
				}
			}
			return nil, usageErrorf("%s: unknown perm type %q (use c, d, r, w, a)", part, r)
		}
		acl = append(acl, protocol.ACL{Perms: perms, ID: protocol.Id{Scheme: part[:first], ID: part[first+1 : last]}})
	}
	return acl, nil
}

var eventNames = map[protocol.EventType]string{
	protocol.EventNone: "None", protocol.EventNodeCreated: "NodeCreated", protocol.EventNodeDeleted: "NodeDeleted",
	protocol.EventNodeDataChanged: "NodeDataChanged", protocol.EventNodeChildrenChanged: "NodeChildrenChanged",
	protocol.EventDataWatchRemoved: "DataWatchRemoved", protocol.EventChildWatchRemoved: "ChildWatchRemoved",
	protocol.EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

var stateNames = map[protocol.State]string{
	protocol.StateDisconnected: "Disconnected", protocol.StateSyncConnected: "SyncConnected",
	protocol.StateAuthFailed: "AuthFailed", protocol.StateConnectedReadOnly: "ConnectedReadOnly",
	protocol.StateSaslAuthenticated: "SaslAuthenticated", protocol.StateExpired: "Expired", protocol.StateClosed: "Closed",
}

func nameOr[K ~int32](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return fmt.Sprint(int32(k))
}

// eventJSON is a watch event in json output.
type eventJSON struct {
	Type  string `json:"type"`
	State string `json:"state"`
	Path  string `json:"path"`
}

// writeEvent prints a watch event as zkCli's watcher does.
func writeEvent(p printer, typ protocol.EventType, state protocol.State, path string) error {
	ev := eventJSON{nameOr(eventNames, typ), nameOr(stateNames, state), path}
	return p.emit(ev, func(w io.Writer) {
		fmt.Fprintf(w, "WatchedEvent state:%s type:%s path:%s\n", ev.State, ev.Type, ev.Path)
	})
}
