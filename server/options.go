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
	DataLogDir        string // raft log (raft-wal, logstore.go)
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
	// defaults (16384 entries, checked every 10s).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	// LogSegmentSize is the size of a raft log segment file (zoo.cfg
	// preAllocSize); zero is raft-wal's 64 MiB.
	LogSegmentSize int

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

	// ReconfigEnabled is zoo.cfg's reconfigEnabled: the reconfig op
	// changes the membership (reconfig.go); otherwise it is answered
	// ReconfigDisabled.
	ReconfigEnabled bool
	// QuorumListenOnAllIPs is zoo.cfg's quorumListenOnAllIPs: the quorum
	// and election ports listen on every address of the host instead of
	// the one in this server's server.N line (which the others still dial).
	QuorumListenOnAllIPs bool
	// Join lists election addresses of running members (zkraft server
	// --join): this server never bootstraps raft but waits for the leader
	// to add it. Members then needs only this server's own line.
	Join []string
	// DynamicConfigFile is the zoo.cfg of a server started from a dynamic
	// config file: after every configuration change it writes
	// <DynamicConfigFile>.dynamic.<version> and points zoo.cfg's
	// dynamicConfigFile at it, as ZooKeeper does. Empty: no files written.
	DynamicConfigFile string
	// PreferHighestSid (zkraft.preferHighestSid) makes a new leader hand
	// leadership to the highest-sid voter once it has caught up, as
	// ZooKeeper's election would have placed it (ensemble_prefer.go).
	PreferHighestSid bool
	// ReadOnlyMode (readonlymode.enabled) lets a member cut off from the
	// quorum serve reads to clients that allow it (readonly.go).
	ReadOnlyMode bool

	// Transport is raft's transport; nil means an in-memory transport (a
	// one-voter standalone server needs no network between members).
	Transport raft.Transport

	Logger *slog.Logger

	// commitTimeout overrides raft's CommitTimeout in an ensemble (tests).
	commitTimeout time.Duration
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
		PreferHighestSid:       true,
		Version:                "3.9.4-zkraft",
	}
}
