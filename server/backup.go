package server

import (
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/server/cluster"
)

// PinTree holds this server's current tree for a backup: a consistent point
// in time, taken in O(1), which can be written out as a zkraft snapshot
// while the server goes on applying.
func (s *Server) PinTree() fsm.Pinned { return s.fsm.Pin() }

// maxRestore caps the snapshot a restore reads: the whole snapshot travels in
// one log entry and every member holds it in memory while applying it.
const maxRestore = 1 << 30

// RestoreTree replaces the ensemble's tree with a zkraft snapshot's (the
// AdminServer's restore command). The snapshot is checked whole first, then
// proposed as one log entry, so every member replaces its tree at the same
// point of the log (fsm/restore.go says what is kept). A follower forwards it
// to the leader. It returns the zxid of the restore.
func (s *Server) RestoreTree(r io.Reader) (int64, error) {
	snap, err := io.ReadAll(io.LimitReader(r, maxRestore+1))
	if err != nil {
		return 0, fmt.Errorf("reading the snapshot: %w", err)
	}
	if len(snap) > maxRestore {
		return 0, fmt.Errorf("the snapshot is larger than %d bytes", maxRestore)
	}
	if err := fsm.CheckSnapshot(snap); err != nil {
		return 0, fmt.Errorf("not a whole zkraft snapshot (take one with the snapshot command): %w", err)
	}
	entry := fsm.EncodeRestore(snap)
	var f raft.ApplyFuture
	if s.ens == nil || s.node.isLeader() {
		f = s.propose(entry, 0)
	} else {
		f = forwardFuture{s.ens.fwd.Send(cluster.KindWrite, entry)}
	}
	if err := f.Error(); err != nil {
		return 0, fmt.Errorf("proposing the restore: %w", err)
	}
	if s.ens != nil && !s.syncWithLeader() {
		return 0, errors.New("the restore committed but this member has not applied it yet")
	}
	return s.fsm.LastZxid(), nil
}
