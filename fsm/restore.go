package fsm

import (
	"bytes"
	"fmt"

	"github.com/zkraft/zkraft/protocol"
)

// Restoring a live ensemble's tree (ZooKeeper 3.9's AdminServer "restore").
//
// The snapshot travels in the log as an EntryRestore, so every member
// replaces its tree at the same point of the log and the replicas stay
// identical; restoring one member's state beside raft would make it diverge.
// What the entry replaces and what it keeps:
//
//   - the znodes (data, ACLs, every Stat field) come from the snapshot;
//   - the sessions table stays the ensemble's own: clients connected now keep
//     their sessions, and the leader goes on expiring exactly the sessions it
//     tracks. A snapshot ephemeral whose owner is not a live session here is
//     dropped (nothing could ever delete it); live sessions' ephemerals that
//     the snapshot lacks are gone with the old tree;
//   - /zookeeper/config stays the ensemble's own: it must match raft's
//     membership, not the one the snapshot was taken from;
//   - the cluster secret stays, so session passwords still check;
//   - the last zxid is the entry's, so zxids keep growing.
//
// No watch fires: ZooKeeper's restore fires none either.

// EncodeRestore builds an EntryRestore carrying a zkraft snapshot.
func EncodeRestore(snapshot []byte) []byte {
	e := protocol.NewEncoder(append(make([]byte, 0, 5+len(snapshot)), EntryRestore))
	e.Buffer(snapshot)
	return e.Bytes()
}

// CheckSnapshot reports whether b is a whole zkraft snapshot (magic,
// version, structure, CRC), as the proposer checks before an EntryRestore.
func CheckSnapshot(b []byte) error {
	_, err := readSnapshot(bytes.NewReader(b))
	return err
}

func decodeRestore(entry []byte) ([]byte, error) {
	d := protocol.NewDecoder(entry[1:])
	snap := d.Buffer()
	if err := finish(d, "restore"); err != nil {
		return nil, err
	}
	return snap, nil
}

func applyRestoreEntry(s *state, _ *Options, entry []byte, zxid int64) (*state, *Result) {
	snap, err := decodeRestore(entry)
	if err != nil {
		panic(err)
	}
	from, err := readSnapshot(bytes.NewReader(snap))
	if err != nil {
		// The proposer checked it, and every replica reads the same bytes
		// the same way, so this is a bug or a torn entry: stop.
		panic(fmt.Sprintf("fsm: restore entry at zxid %#x: %v", zxid, err))
	}
	return restoredState(s, from, zxid), nil
}

// restoredState is from's tree under s's sessions, secret and
// /zookeeper/config, at zxid.
func restoredState(s, from *state, zxid int64) *state {
	b := newStateBuilder(zxid, s.secret)
	rows := s.sessions.Root().Iterator()
	for _, row, ok := rows.Next(); ok; _, row, ok = rows.Next() {
		b.session(row.id, row.timeout, row.owner)
	}
	config, _ := s.nodes.Get(nodeKey(configNode))
	it := from.nodes.Root().Iterator()
	for k, n, ok := it.Next(); ok; k, n, ok = it.Next() {
		path := string(k[4:])
		if path == configNode && config != nil {
			n = config
		}
		if n.kind() == kindEphemeral {
			if _, live := s.sessions.Get(sessionKey(n.owner)); !live {
				continue
			}
		}
		c := n.clone()
		c.numChildren = 0 // the builder counts the children it is given
		if err := b.node(path, c); err != nil {
			// from was built by the same rules, so its order holds.
			panic(fmt.Sprintf("fsm: restore: %v", err))
		}
	}
	return b.finish()
}
