package zkfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/zkraft/zkraft/fsm"
)

// LoadReport says what LoadDataDir read.
type LoadReport struct {
	Snapshot     string   `json:"snapshot"` // "" when the tree started empty
	SnapshotZxid int64    `json:"snapshot_zxid"`
	Logs         []string `json:"logs"`
	Txns         int      `json:"txns"` // transactions applied after the snapshot
	LastZxid     int64    `json:"last_zxid"`
	Warnings     []string `json:"warnings"`
}

// VersionDir is where ZooKeeper keeps its files: dir/version-2 when that
// exists, else dir itself.
func VersionDir(dir string) string {
	v := filepath.Join(dir, "version-2")
	if st, err := os.Stat(v); err == nil && st.IsDir() {
		return v
	}
	return dir
}

// LoadDataDir rebuilds the tree of a ZooKeeper server from its dataDir
// (snapshots) and dataLogDir (transaction logs; "" for the same dir) the
// way ZooKeeper does at startup: the newest snapshot that checks out, then
// every logged transaction after its zxid. warn, if not nil, hears about
// skipped snapshots and torn log tails; progress about each file.
func LoadDataDir(dataDir, logDir string, warn func(string)) (*Tree, *LoadReport, error) {
	if warn == nil {
		warn = func(string) {}
	}
	snapDir := VersionDir(dataDir)
	if logDir == "" {
		logDir = dataDir
	}
	logDir = VersionDir(logDir)
	rep := &LoadReport{Logs: []string{}, Warnings: []string{}}
	say := func(msg string) {
		rep.Warnings = append(rep.Warnings, msg)
		warn(msg)
	}
	snaps, err := dataFiles(snapDir, "snapshot")
	if err != nil {
		return nil, nil, fmt.Errorf("reading ZooKeeper data dir: %w", err)
	}
	logs, err := dataFiles(logDir, "log")
	if err != nil {
		return nil, nil, fmt.Errorf("reading ZooKeeper log dir: %w", err)
	}
	if len(snaps) == 0 && len(logs) == 0 {
		return nil, nil, fmt.Errorf("%s holds no ZooKeeper snapshot.* or log.* files", snapDir)
	}
	var t *Tree
	var errs []error
	for _, s := range snaps {
		if t, err = ReadSnapshot(s); err == nil {
			rep.Snapshot, rep.SnapshotZxid = s, t.Zxid
			break
		}
		errs = append(errs, err)
		say(fmt.Sprintf("skipping snapshot: %v", err))
	}
	if t == nil {
		if len(snaps) > 0 {
			return nil, nil, fmt.Errorf("no valid snapshot in %s: %w", snapDir, errors.Join(errs...))
		}
		t = TreeFromImage(fsm.InitialImage())
	}
	// The logs to read: the newest one starting at or before the
	// snapshot's next zxid, and every later one (ZooKeeper's getLogFiles).
	slices.Reverse(logs)
	first := 0
	for i, l := range logs {
		if z, _ := zxidFromName(l, "log"); z <= rep.SnapshotZxid+1 {
			first = i
		}
	}
	for _, l := range logs[first:] {
		rep.Logs = append(rep.Logs, l)
		stop, err := ReadLog(l, func(x *Txn) error {
			if x.Zxid <= t.Zxid {
				return nil // already in the snapshot (or an earlier file)
			}
			rep.Txns++
			return t.Apply(x)
		})
		if stop != nil {
			say(fmt.Sprintf("transaction log stops early: %v", stop))
		}
		if err != nil {
			if stop != nil && stop.Fatal {
				break // ZooKeeper too stops at a corrupt entry
			}
			return nil, nil, err
		}
	}
	rep.LastZxid = t.Zxid
	return t, rep, nil
}
