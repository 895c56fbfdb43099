package fsm

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/zkraft/zkraft/protocol"
)

// An EntryConfig sets /zookeeper/config, or answers a reconfig that the
// leader refused:
//
//	EntryConfig {sessionID long, cxid int, time long, err int, members ustring}
//
// members are the server.N lines, one per line, each ending in '\n'. The
// leader proposes one when an ensemble first forms and after every change of
// raft membership; sessionID and cxid name the reconfig request it answers
// (0 when the server itself changed the configuration). With err set the
// entry only carries that error to the requester and changes nothing, so
// that a refused reconfig is answered in its place in the session's order,
// like any other write.
//
// Applying a config gives the node ZooKeeper's content and Stat (as a
// 3.8 ensemble shows it): the lines, then "version=<hex>" without a final
// newline, where the version is the entry's own zxid; mzxid is that zxid,
// mtime the entry's time and version stays -1.

// ConfigChange is the content of an EntryConfig.
type ConfigChange struct {
	SessionID int64
	Cxid      int32
	Time      int64 // ms since the Unix epoch, stamped by the leader
	Err       protocol.ErrCode
	Members   string // server.N=... lines, each ending in '\n'
}

// EncodeConfig builds an EntryConfig.
func EncodeConfig(c *ConfigChange) []byte {
	e := protocol.NewEncoder([]byte{EntryConfig})
	e.Long(c.SessionID)
	e.Int(c.Cxid)
	e.Long(c.Time)
	e.Int(int32(c.Err))
	e.String(c.Members)
	return e.Bytes()
}

// DecodeConfig reads an EntryConfig (type byte included).
func DecodeConfig(entry []byte) (ConfigChange, error) {
	if len(entry) == 0 || entry[0] != EntryConfig {
		return ConfigChange{}, fmt.Errorf("fsm: not a config entry")
	}
	d := protocol.NewDecoder(entry[1:])
	var c ConfigChange
	c.SessionID = d.Long()
	c.Cxid = d.Int()
	c.Time = d.Long()
	c.Err = protocol.ErrCode(d.Int())
	c.Members = d.String()
	return c, finish(d, "config")
}

func applyConfigEntry(s *state, opts *Options, entry []byte, zxid int64) (*state, *Result) {
	c, err := DecodeConfig(entry)
	if err != nil {
		panic(err)
	}
	res := &Result{SessionID: c.SessionID, Cxid: c.Cxid, Op: protocol.OpReconfig, Zxid: zxid, Err: c.Err}
	if c.Err != protocol.ErrOK {
		return s.withZxid(zxid), res
	}
	t := newTx(s, opts, zxid, c.Time)
	n, ok := t.get(configNode)
	if !ok {
		panic("fsm: /zookeeper/config is missing") // the initial tree always has it
	}
	n = n.clone()
	n.data = []byte(c.Members + "version=" + strconv.FormatInt(zxid, 16))
	n.mzxid = zxid
	n.mtime = c.Time
	n.version = -1
	t.put(configNode, n)
	t.event(protocol.EventNodeDataChanged, configNode, n.acl)
	res.Resp = &protocol.GetConfigResponse{Data: n.data, Stat: n.stat()}
	res.Events = t.events
	return t.commit(), res
}

// Config returns the data of /zookeeper/config: the server.N lines and
// version=<hex> of an ensemble, empty before the first EntryConfig (and
// always on a standalone server).
func (f *FSM) Config() []byte {
	n, _ := f.cur.Load().get(configNode)
	return n.data
}

// ConfigVersion is the version of the configuration in /zookeeper/config
// (the zxid of the entry that set it); ok is false when it holds none.
func ConfigVersion(data []byte) (version int64, ok bool) {
	i := bytes.LastIndex(data, []byte("version="))
	if i < 0 || (i > 0 && data[i-1] != '\n') {
		return 0, false
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(data[i+len("version="):])), 16, 64)
	return v, err == nil
}

// CanReconfig reports whether identities auth may reconfigure the ensemble:
// WRITE on /zookeeper/config, which its world:anyone READ ACL grants only to
// the super user unless an operator widened it, as ZooKeeper checks.
func (f *FSM) CanReconfig(auth []protocol.Id) bool {
	n, _ := f.cur.Load().get(configNode)
	return allowed(n.acl, protocol.PermWrite, auth)
}
