package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/migrate"
	"github.com/hashicorp/raft-wal/segment"
	"go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// The raft log lives in DataLogDir/raft-wal: hashicorp/raft-wal's segment
// files (preAllocSize, 64 MiB by default, written out with zeros when
// created: walfiles.go) and its small wal-meta.db. An append is one write
// and one fdatasync; raft-boltdb, which zkraft used before, costs 3 pwrites
// and 2 fdatasyncs per append and was the largest part of a write's
// latency (see DESIGN.md, "Write path").
//
// A log directory from an earlier zkraft still holds raft-log.db (bolt):
// the first start copies it into raft-wal.migrating, renames that to
// raft-wal and only then removes raft-log.db, so a crash at any point
// leaves either the old log whole or the new one.
const (
	walDir       = "raft-wal"
	walMigrating = "raft-wal.migrating"
)

// closingLogStore is a raft.LogStore that holds files open.
type closingLogStore interface {
	raft.LogStore
	Close() error
}

// openLogStore opens (creating or migrating) the raft log in logDir.
func openLogStore(logDir string, segmentSize int, logger *slog.Logger) (closingLogStore, error) {
	dir := filepath.Join(logDir, walDir)
	legacy := filepath.Join(logDir, raftLogFile)
	_, werr := os.Stat(dir)
	_, lerr := os.Stat(legacy)
	switch {
	case werr == nil && lerr == nil:
		// Migrated, but the old file was not removed yet.
		if err := os.Remove(legacy); err != nil {
			return nil, fmt.Errorf("server: removing the migrated %s: %w", legacy, err)
		}
	case lerr == nil:
		if err := migrateBoltLog(logDir, segmentSize, logger); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("server: creating %s: %w", dir, err)
	}
	return openWAL(dir, segmentSize, logger)
}

// openWAL opens a raft-wal directory, failing fast (not waiting) when
// another process holds it.
func openWAL(dir string, segmentSize int, logger *slog.Logger) (*walStore, error) {
	if err := checkUnlocked(filepath.Join(dir, metadb.FileName)); err != nil {
		return nil, err
	}
	meta := &metadb.BoltMetaDB{}
	w, err := wal.Open(dir, wal.WithMetaStore(meta), wal.WithLogger(newHclog(logger, "raft-wal")),
		wal.WithSegmentFiler(segment.NewFiler(dir, newWalFS())),
		wal.WithSegmentSize(segmentSize)) // 0: the default
	if err != nil {
		meta.Close()
		return nil, fmt.Errorf("server: opening raft log %s: %w", dir, err)
	}
	return &walStore{WAL: w, meta: meta}, nil
}

// walStore closes the WAL's meta database too, which WAL.Close leaves open
// (and locked, so that the same process could not open the log again).
type walStore struct {
	*wal.WAL
	meta *metadb.BoltMetaDB
}

func (w *walStore) Close() error { return errors.Join(w.WAL.Close(), w.meta.Close()) }

// checkUnlocked reports an error when another process holds the bolt
// file at path (a running server). bolt's own open would wait for ever.
func checkUnlocked(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: opening %s: %w", path, err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("server: %s is locked by another process (is a server still running on this directory?)", path)
	}
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}

// migrateBoltLog copies logDir/raft-log.db into logDir/raft-wal.
func migrateBoltLog(logDir string, segmentSize int, logger *slog.Logger) error {
	legacy := filepath.Join(logDir, raftLogFile)
	tmp := filepath.Join(logDir, walMigrating)
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("server: removing an unfinished migration %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("server: creating %s: %w", tmp, err)
	}
	start := time.Now()
	src, err := openBoltLog(legacy)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openWAL(tmp, segmentSize, logger)
	if err != nil {
		return fmt.Errorf("server: creating raft log %s: %w", tmp, err)
	}
	n, _ := src.LastIndex()
	first, _ := src.FirstIndex()
	if n > 0 {
		err = migrate.CopyLogs(context.Background(), dst, src, 4<<20, nil)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("server: copying raft log %s into %s: %w", legacy, tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(logDir, walDir)); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := syncDir(logDir); err != nil {
		return err
	}
	if err := os.Remove(legacy); err != nil {
		return fmt.Errorf("server: removing the migrated %s: %w", legacy, err)
	}
	logger.Info("raft log moved from raft-boltdb to raft-wal", "dir", logDir,
		"entries", max(n+1, first)-first, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("server: syncing %s: %w", dir, err)
	}
	return nil
}

// hasLog reports whether logDir holds a raft log of either kind.
func hasLog(logDir string) (string, bool) {
	for _, name := range []string{walDir, raftLogFile} {
		if _, err := os.Stat(filepath.Join(logDir, name)); err == nil {
			return name, true
		}
	}
	return "", false
}

// openLogOffline opens the raft log of a stopped server for reading: the
// raft-wal directory, or raft-log.db of a directory an earlier zkraft
// wrote (left unmigrated). ok is false when there is no log.
func openLogOffline(logDir string) (s closingLogStore, ok bool, err error) {
	name, ok := hasLog(logDir)
	if !ok {
		return nil, false, nil
	}
	path := filepath.Join(logDir, name)
	if name == raftLogFile {
		b, err := openBoltLog(path)
		if err != nil {
			return nil, true, err
		}
		return b, true, nil
	}
	w, err := openWAL(path, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, true, err
	}
	return w, true, nil
}

// openBoltLog opens an earlier zkraft's raft-boltdb log read-only, giving
// up after 2s when a server holds it.
func openBoltLog(path string) (*raftboltdb.BoltStore, error) {
	b, err := raftboltdb.New(raftboltdb.Options{Path: path,
		BoltOptions: &bbolt.Options{Timeout: 2 * time.Second, ReadOnly: true}})
	if err != nil {
		return nil, fmt.Errorf("server: opening the raft-boltdb log %s (is a server still running?): %w", path, err)
	}
	return b, nil
}
