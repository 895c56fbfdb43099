// Package server is zkraft's client front end: the listener, sessions, the
// request pipeline onto raft, watches and four-letter words.
package server

import (
	"log/slog"
	"time"

	"github.com/hashicorp/raft"
)

// Options are what the server needs of zoo.cfg, in its own terms. cmd builds
// them from a config.Config.
type Options struct {
	ClientAddr        string // host:port of the client listener
	DataDir           string // raft stable store, snapshots, myid
	DataLogDir        string // raft log (raft-boltdb)
	ServerID          int    // myid; 1 for standalone defaults
	TickTime          time.Duration
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	MaxClientCnxns    int // per client IP; 0 = unlimited
	MaxCnxns          int // total; 0 = unlimited
	MaxBuffer         int // jute.maxbuffer: the largest frame accepted

	FourLetterWords []string // 4lw.commands.whitelist; "*" enables all

	SuperDigest   string // DigestAuthenticationProvider.superDigest
	ExtendedTypes bool   // extendedTypesEnabled: TTL nodes
	EnforceQuota  bool   // zookeeper.enforceQuota

	ContainerCheckInterval time.Duration // znode.container.checkIntervalMs
	ContainerMaxPerMinute  int           // znode.container.maxPerMinute

	SnapRetainCount int // autopurge.snapRetainCount -> raft snapshot retention

	// SnapshotThreshold and SnapshotInterval tune when raft snapshots: after
	// that many new log entries, checked every interval. Zero keeps zkraft's
	// defaults (16384 entries, 10s).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration

	// ConfigLines are the effective settings, shown by conf/envi.
	ConfigLines []string

	// Version is what srvr/stat/mntr report as the ZooKeeper version. Tools
	// parse it, so it keeps ZooKeeper's "x.y.z-..." shape.
	Version string

	// Members are the server.N lines of an ensemble (this server among
	// them, by ServerID); with fewer than two the server runs standalone.
	// InitLimit and SyncLimit are zoo.cfg's, in ticks (see ensemble.go for
	// how they map onto raft).
	Members   []Member
	InitLimit int
	SyncLimit int

	// Transport is raft's transport; nil means an in-memory transport (a
	// one-voter standalone server needs no network between members).
	Transport raft.Transport

	Logger *slog.Logger
}

// DefaultOptions are the embedded defaults of a standalone server.
func DefaultOptions() Options {
	return Options{
		ClientAddr:             "0.0.0.0:2181",
		DataDir:                "zkraft-data",
		ServerID:               1,
		TickTime:               2 * time.Second,
		InitLimit:              10,
		SyncLimit:              5,
		MinSessionTimeout:      4 * time.Second,
		MaxSessionTimeout:      40 * time.Second,
		MaxClientCnxns:         60,
		MaxBuffer:              0xfffff,
		FourLetterWords:        []string{"srvr"},
		ContainerCheckInterval: 60 * time.Second,
		ContainerMaxPerMinute:  10000,
		SnapRetainCount:        3,
		Version:                "3.9.4-zkraft",
	}
}
