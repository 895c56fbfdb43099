package server

import (
	"fmt"
	"log/slog"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
)

// ReadDataDir rebuilds the tree of a stopped server from its directories:
// the newest raft snapshot, then every command entry in the log after it,
// as a start would. It opens the log read-only; a running server holds the
// lock, which ends in an error after a short wait. Entries at the log's tail
// that were never committed are applied too (a server that stopped cleanly
// has none in standalone mode).
func ReadDataDir(opts *Options) (*fsm.Image, error) {
	logDir := opts.DataLogDir
	if logDir == "" {
		logDir = opts.DataDir
	}
	f := fsm.New(fsm.Options{SuperDigest: opts.SuperDigest, ExtendedTypes: opts.ExtendedTypes, EnforceQuota: opts.EnforceQuota})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(opts.DataDir, max(opts.SnapRetainCount, 1), newHclog(slog.New(slog.DiscardHandler), "raft-snapshots"))
	if err != nil {
		return nil, fmt.Errorf("server: opening snapshot store in %s: %w", opts.DataDir, err)
	}
	metas, err := snaps.List()
	if err != nil {
		return nil, fmt.Errorf("server: listing snapshots in %s: %w", opts.DataDir, err)
	}
	var after uint64
	if len(metas) > 0 {
		_, rc, err := snaps.Open(metas[0].ID)
		if err != nil {
			return nil, fmt.Errorf("server: opening snapshot %s: %w", metas[0].ID, err)
		}
		if err := f.Restore(rc); err != nil {
			return nil, fmt.Errorf("server: snapshot %s: %w", metas[0].ID, err)
		}
		after = metas[0].Index
	}
	store, ok, err := openLogOffline(logDir)
	if err != nil {
		return nil, err
	}
	if ok {
		defer store.Close()
		first, _ := store.FirstIndex()
		last, err := store.LastIndex()
		if err != nil {
			return nil, fmt.Errorf("server: reading the raft log in %s: %w", logDir, err)
		}
		for i := max(after+1, first); i <= last && i > 0; i++ {
			var l raft.Log
			if err := store.GetLog(i, &l); err != nil {
				return nil, fmt.Errorf("server: raft log in %s, entry %d: %w", logDir, i, err)
			}
			if l.Type == raft.LogCommand {
				f.Apply(&l)
			}
		}
	} else if len(metas) == 0 {
		return nil, fmt.Errorf("server: %s holds no zkraft data (no raft snapshot and no raft log)", opts.DataDir)
	}
	return f.Pin().Image(), nil
}
