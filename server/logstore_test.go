package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// writeBoltLog makes logDir/raft-log.db as an earlier zkraft left it:
// entries first..last, each with data naming its index.
func writeBoltLog(t *testing.T, logDir string, first, last uint64) {
	t.Helper()
	b, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(logDir, raftLogFile)})
	if err != nil {
		t.Fatal(err)
	}
	var logs []*raft.Log
	for i := first; i <= last; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 2, Type: raft.LogCommand, Data: fmt.Appendf(nil, "entry %d", i)})
	}
	if err := b.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkLog asserts that s holds exactly entries first..last as written by
// writeBoltLog.
func checkLog(t *testing.T, s raft.LogStore, first, last uint64) {
	t.Helper()
	f, _ := s.FirstIndex()
	l, _ := s.LastIndex()
	if f != first || l != last {
		t.Fatalf("log holds %d..%d, want %d..%d", f, l, first, last)
	}
	for i := first; i <= last; i++ {
		var e raft.Log
		if err := s.GetLog(i, &e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if e.Term != 2 || e.Type != raft.LogCommand || !bytes.Equal(e.Data, fmt.Appendf(nil, "entry %d", i)) {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
}

func TestLogStoreMigratesBoltLog(t *testing.T) {
	dir := t.TempDir()
	writeBoltLog(t, dir, 17, 1216)
	// A migration that crashed half way left its directory behind.
	if err := os.MkdirAll(filepath.Join(dir, walMigrating, "junk"), 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, err := openLogStore(dir, 0, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	checkLog(t, s, 17, 1216)
	// Appends go on from the migrated tail.
	if err := s.StoreLogs([]*raft.Log{{Index: 1217, Term: 2, Type: raft.LogCommand, Data: []byte("entry 1217")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{raftLogFile, walMigrating} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Fatalf("%s after the migration: %v", gone, err)
		}
	}
	if !strings.Contains(logs.String(), "raft log moved from raft-boltdb to raft-wal") || !strings.Contains(logs.String(), "entries=1200") {
		t.Fatalf("migration log:\n%s", logs.String())
	}
	s, err = openLogStore(dir, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkLog(t, s, 17, 1217)
}

// A crash after the rename but before raft-log.db was removed: the new log
// is whole and is the one used.
func TestLogStoreMigrationFinishedBeforeCrash(t *testing.T) {
	dir := t.TempDir()
	writeBoltLog(t, dir, 1, 10)
	s, err := openLogStore(dir, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	writeBoltLog(t, dir, 1, 3) // a stale old log beside it
	s, err = openLogStore(dir, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkLog(t, s, 1, 10)
	if _, err := os.Stat(filepath.Join(dir, raftLogFile)); !os.IsNotExist(err) {
		t.Fatalf("stale %s kept: %v", raftLogFile, err)
	}
}

// A second opener (another server on the same directory, or an offline
// read while the server runs) gets an error at once instead of waiting on
// the lock.
func TestLogStoreLockedByAnother(t *testing.T) {
	dir := t.TempDir()
	s, err := openLogStore(dir, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := openLogStore(dir, 0, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open: %v", err)
	}
	if _, ok, err := openLogOffline(dir); !ok || err == nil || !strings.Contains(err.Error(), "is a server still running") {
		t.Fatalf("offline open: %v %v", ok, err)
	}
}
