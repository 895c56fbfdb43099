package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/zkraft/zkraft/fsm"
)

// SeedResult says where Seed put a tree in raft's terms.
type SeedResult struct {
	Term     uint64   `json:"term"`
	Index    uint64   `json:"index"`
	LastZxid int64    `json:"last_zxid"`
	Nodes    int      `json:"nodes"`
	Voters   []string `json:"servers"`
}

// ErrHasState means the directories already hold raft state: seeding would
// throw it away, so Seed refuses.
var ErrHasState = errors.New("already holds raft state")

// SeedTerm maps the newest zxid of an imported or restored tree onto the
// raft position of the seed snapshot: term = zxid>>32 (ZooKeeper's epoch,
// zkraft's term), index = the low 32 bits, both at least 1. The stable
// store's current term is set to the same term, so the first election runs
// at term+1 and every later zxid (term<<32 | index) is above every zxid in
// the tree.
func SeedTerm(lastZxid int64) (term, index uint64) {
	return max(uint64(lastZxid)>>32, 1), max(uint64(lastZxid)&0xffffffff, 1)
}

// Seed prepares the data directories of a server that has never run so it
// starts with img as its tree: it writes img as a raft snapshot at
// SeedTerm(img.LastZxid) whose configuration is the one the server would
// bootstrap with (the zoo.cfg ensemble, or the one standalone voter), and
// sets raft's current term. Raft then treats the tree as its log up to
// that index. Every member of a new ensemble is seeded with the same image;
// they form the ensemble as usual. Directories holding raft state are
// refused with ErrHasState.
func Seed(opts *Options, img *fsm.Image) (*SeedResult, error) {
	logDir := opts.DataLogDir
	if logDir == "" {
		logDir = opts.DataDir
	}
	if err := checkNoRaftState(opts.DataDir, logDir); err != nil {
		return nil, err
	}
	for _, d := range []string{opts.DataDir, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("server: creating %s: %w", d, err)
		}
	}
	term, index := SeedTerm(img.LastZxid)
	id := raft.ServerID(strconv.Itoa(opts.ServerID))
	cfg := bootstrapConfiguration(opts, id, standaloneAddr(opts.ServerID))
	snaps, err := raft.NewFileSnapshotStoreWithLogger(opts.DataDir, max(opts.SnapRetainCount, 1), newHclog(slog.New(slog.DiscardHandler), "raft-snapshots"))
	if err != nil {
		return nil, fmt.Errorf("server: opening snapshot store in %s: %w", opts.DataDir, err)
	}
	// The store encodes the legacy peer list through a transport; every
	// raft transport encodes an address as its bytes, as this one does.
	_, trans := raft.NewInmemTransport(standaloneAddr(opts.ServerID))
	defer trans.Close()
	sink, err := snaps.Create(raft.SnapshotVersionMax, index, term, cfg, index, trans)
	if err != nil {
		return nil, fmt.Errorf("server: creating the seed snapshot: %w", err)
	}
	if err := fsm.WriteImage(sink, img); err != nil {
		sink.Cancel()
		return nil, fmt.Errorf("server: writing the seed snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return nil, fmt.Errorf("server: writing the seed snapshot: %w", err)
	}
	stable, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(opts.DataDir, raftStableFile)})
	if err != nil {
		return nil, fmt.Errorf("server: opening raft stable store in %s: %w", opts.DataDir, err)
	}
	err = stable.SetUint64([]byte("CurrentTerm"), term) // raft's key for the current term
	if cerr := stable.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("server: setting raft's term: %w", err)
	}
	res := &SeedResult{Term: term, Index: index, LastZxid: img.LastZxid, Nodes: len(img.Nodes)}
	for _, s := range cfg.Servers {
		res.Voters = append(res.Voters, string(s.ID)+"="+string(s.Address))
	}
	return res, nil
}

// checkNoRaftState refuses directories where a server already ran.
func checkNoRaftState(dataDir, logDir string) error {
	if _, err := os.Stat(filepath.Join(dataDir, raftStableFile)); err == nil {
		return fmt.Errorf("%s %w (%s exists): seed only the directories of a new server", dataDir, ErrHasState, raftStableFile)
	}
	if name, ok := hasLog(logDir); ok {
		return fmt.Errorf("%s %w (%s exists): seed only the directories of a new server", logDir, ErrHasState, name)
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, "snapshots"))
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("%s %w (raft snapshots exist): seed only the directories of a new server", dataDir, ErrHasState)
	}
	return nil
}

// standaloneAddr is the in-memory transport address of a standalone server:
// its one-voter configuration names it.
func standaloneAddr(id int) raft.ServerAddress {
	return raft.ServerAddress(fmt.Sprintf("zkraft-%d", id))
}
