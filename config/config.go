// Package config reads ZooKeeper's zoo.cfg (and myid, and the dynamic config
// file) into a typed Config.
//
// The rule for what is accepted: what Apache ZooKeeper 3.8 accepts, with the
// same defaults, except that a malformed value ZooKeeper would silently
// replace by its default (a system property such as jute.maxbuffer=abc) is an
// error here, and that every problem names the file, line and key it came
// from. Keys ZooKeeper passes on as system properties (jute.maxbuffer,
// 4lw.commands.whitelist, admin.*, ...) are accepted both bare and with the
// "zookeeper." prefix.
//
// Use: Load (or Parse, or Default), then Set for command-line overrides, then
// Validate.
package config

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// PeerType is a member's role in an ensemble.
type PeerType string

// The roles of server.N lines and the peerType key.
const (
	Participant PeerType = "participant" // a voter
	Observer    PeerType = "observer"    // a non-voting replica
)

// Config is the typed content of a zoo.cfg. Parse fills every field with its
// effective value, derived defaults included (dataLogDir, the session
// timeouts), so readers need no further logic.
type Config struct {
	// File is the path the config was read from; "" for Default.
	File string

	TickTime  time.Duration // tickTime: the basic time unit
	InitLimit int           // initLimit, in ticks
	SyncLimit int           // syncLimit, in ticks

	DataDir    string // dataDir: snapshots, raft stable store, myid
	DataLogDir string // dataLogDir: the raft log; defaults to DataDir

	ClientPort        int    // clientPort; 0 = not set
	ClientPortAddress string // clientPortAddress; "" = every interface
	SecureClientPort  int    // secureClientPort; 0 = not set (TLS is not supported yet)

	MaxClientCnxns    int           // maxClientCnxns: per client IP, 0 = unlimited
	MaxCnxns          int           // maxCnxns: in total, 0 = unlimited
	MinSessionTimeout time.Duration // minSessionTimeout; defaults to 2 ticks
	MaxSessionTimeout time.Duration // maxSessionTimeout; defaults to 20 ticks

	SnapRetainCount int           // autopurge.snapRetainCount, at least 3
	PurgeInterval   time.Duration // autopurge.purgeInterval (hours); 0 = off
	// SnapCount is snapCount, the transactions between snapshots, at
	// least 2; 0 = not set: the server's own default, not ZooKeeper's
	// 100000, which suits its transaction log rather than raft's.
	SnapCount int

	// FourLetterWords is 4lw.commands.whitelist: the enabled words, sorted,
	// always including srvr (ZooKeeper's own scripts need it); ["*"] when
	// every word is enabled.
	FourLetterWords []string

	Admin Admin

	MaxBuffer              int           // jute.maxbuffer: the largest frame, in bytes
	SuperDigest            string        // DigestAuthenticationProvider.superDigest, "user:base64(sha1)"
	ExtendedTypes          bool          // extendedTypesEnabled: TTL nodes
	EnforceQuota           bool          // enforceQuota: quotas reject writes, not just warn
	ContainerCheckInterval time.Duration // znode.container.checkIntervalMs
	ContainerMaxPerMinute  int           // znode.container.maxPerMinute

	ReconfigEnabled      bool     // reconfigEnabled
	QuorumListenOnAll    bool     // quorumListenOnAllIPs: quorum and election ports on every address
	StandaloneEnabled    bool     // standaloneEnabled
	DynamicConfigFile    string   // dynamicConfigFile
	LocalSessionsEnabled bool     // localSessionsEnabled
	PeerType             PeerType // peerType
	ReadOnlyMode         bool     // readonlymode.enabled: serve reads without a quorum
	PreferHighestSid     bool     // zkraft.preferHighestSid: leadership moves to the highest-sid voter
	LogLevel             string   // zkraft.logLevel: debug, info, warn, error; "" = not set (info)
	LogFormat            string   // zkraft.logFormat: text or json; "" = not set (text)
	PreAllocSize         int      // preAllocSize in bytes: raft log segment size (64 MiB)

	// Servers are the server.N lines, ordered by ID.
	Servers []Server
	// Groups and Weights are group.x and weight.x (hierarchical quorums),
	// kept raw by their suffix x; they draw a warning, as raft commits with
	// a majority of the voters whatever they say.
	Groups  map[string]string
	Weights map[string]string
	// MetricsProvider holds metricsProvider.* by the part after the prefix
	// (className, httpPort, ...).
	MetricsProvider map[string]string

	// ServerID is this member's id (the myid file); 0 = not known. Parse
	// does not read myid: the caller may still move dataDir (see ReadMyID).
	ServerID int64

	// Warnings are problems that do not stop the server: unknown keys,
	// values ZooKeeper adjusts (snapRetainCount below 3), settings given
	// twice. Log them.
	Warnings []*Problem

	// origin records where each explicitly set key came from, by canonical
	// key name; a key absent here has its default (or derived) value.
	origin map[string]origin
}

// Admin is the embedded admin HTTP server (admin.*).
type Admin struct {
	Enabled    bool   // admin.enableServer
	Address    string // admin.serverAddress
	Port       int    // admin.serverPort
	CommandURL string // admin.commandURL
	// The snapshot and restore commands (ZooKeeper 3.9): each can be turned
	// off, and runs at most once per interval (default 5 minutes).
	SnapshotEnabled  bool          // admin.snapshot.enabled
	SnapshotInterval time.Duration // admin.snapshot.intervalInMS
	RestoreEnabled   bool          // admin.restore.enabled
	RestoreInterval  time.Duration // admin.restore.intervalInMS
}

// Server is one server.N line:
// server.<id>=<host>:<quorumPort>:<electionPort>[:participant|:observer][;[<clientHost>:]<clientPort>].
type Server struct {
	ID           int64
	Host         string
	QuorumPort   int
	ElectionPort int
	Role         PeerType
	ClientHost   string // "" when the client part gives only a port (0.0.0.0)
	ClientPort   int    // 0 when the line has no client part
}

// String is the line's value in canonical form, as ZooKeeper writes it into
// /zookeeper/config.
func (s Server) String() string {
	v := net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort)) + ":" + strconv.Itoa(s.ElectionPort) + ":" + string(s.Role)
	if s.ClientPort != 0 {
		host := s.ClientHost
		if host == "" {
			host = "0.0.0.0"
		}
		v += ";" + net.JoinHostPort(host, strconv.Itoa(s.ClientPort))
	}
	return v
}

// Embedded defaults of a server started without a zoo.cfg, where they differ
// from what ZooKeeper assumes for a key missing in a file.
const (
	DefaultClientPort = 2181
	DefaultTickTime   = 2 * time.Second // the value of ZooKeeper's sample zoo.cfg
	DefaultDataDir    = "zkraft-data"   // relative to the working directory
)

// Default is the configuration of a standalone server started without a
// zoo.cfg: ZooKeeper's sample zoo.cfg (tickTime 2000, initLimit 10,
// syncLimit 5, clientPort 2181) with dataDir "zkraft-data" in the working
// directory.
func Default() *Config {
	c := fileDefaults()
	c.TickTime = DefaultTickTime
	c.InitLimit = 10
	c.SyncLimit = 5
	c.DataDir = DefaultDataDir
	c.ClientPort = DefaultClientPort
	c.derive()
	return c
}

// fileDefaults are the values ZooKeeper 3.8 assumes for keys a zoo.cfg leaves
// out. tickTime is 3000 there (ZooKeeperServer.DEFAULT_TICK_TIME), not the
// 2000 of the sample file; dataDir and clientPort have no default.
func fileDefaults() *Config {
	return &Config{
		TickTime:        3 * time.Second,
		MaxClientCnxns:  60,
		SnapRetainCount: minSnapRetainCount,
		FourLetterWords: []string{"srvr"},
		Admin: Admin{Enabled: true, Address: "0.0.0.0", Port: 8080, CommandURL: "/commands",
			SnapshotEnabled: true, SnapshotInterval: 5 * time.Minute, RestoreEnabled: true, RestoreInterval: 5 * time.Minute},
		MaxBuffer:              0xfffff,
		ContainerCheckInterval: time.Minute,
		ContainerMaxPerMinute:  10000,
		StandaloneEnabled:      true,
		PeerType:               Participant,
		PreferHighestSid:       true,
		Groups:                 map[string]string{},
		Weights:                map[string]string{},
		MetricsProvider:        map[string]string{},
		origin:                 map[string]origin{},
	}
}

// ZooKeeper's floors for autopurge.snapRetainCount and snapCount.
const (
	minSnapRetainCount = 3
	minSnapCount       = 2
	minPreAllocKB      = 64      // raft log segments below 64 KiB: mostly headers
	maxPreAllocKB      = 1 << 21 // 2 GiB; raft-wal segments stay below 4 GiB
)

// derive fills the settings whose default depends on others, unless they
// were set explicitly. It runs after parsing and after every Set.
func (c *Config) derive() {
	if !c.isSet(keyDataLogDir) {
		c.DataLogDir = c.DataDir
	}
	if !c.isSet(keyMinSessionTimeout) {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if !c.isSet(keyMaxSessionTimeout) {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
}

// ClientAddr is the client listener's address: clientPortAddress:clientPort
// (":port", every interface, when clientPortAddress is not set). When
// clientPort is not set, the client part of this member's server.N line
// gives it, as in ZooKeeper's newer configs.
func (c *Config) ClientAddr() string {
	if c.ClientPort == 0 {
		if s, ok := c.Server(c.ServerID); ok && s.ClientPort != 0 {
			return net.JoinHostPort(s.ClientHost, strconv.Itoa(s.ClientPort))
		}
	}
	return net.JoinHostPort(c.ClientPortAddress, strconv.Itoa(c.ClientPort))
}

// Server finds the server.N line of id.
func (c *Config) Server(id int64) (Server, bool) {
	for _, s := range c.Servers {
		if s.ID == id {
			return s, true
		}
	}
	return Server{}, false
}

// Participants counts the voting members among the server.N lines.
func (c *Config) Participants() int {
	n := 0
	for _, s := range c.Servers {
		if s.Role == Participant {
			n++
		}
	}
	return n
}

// Distributed reports whether ZooKeeper would run this config as an
// ensemble rather than standalone: more than one participant, or any
// server line with standaloneEnabled=false. (A single server.N line with
// standaloneEnabled=true is ignored by ZooKeeper, for HBase's sake.)
func (c *Config) Distributed() bool {
	return c.Participants() > 1 || (!c.StandaloneEnabled && len(c.Servers) > 0)
}

// Problem is one finding about a setting, placed where the setting came
// from. It is the error type of Parse, Set and Validate, and the type of
// Config.Warnings.
type Problem struct {
	Source string // file name, or e.g. "flag --client-port"; "" for a default
	Line   int    // 1-based line in Source; 0 when not from a file line
	Key    string // the key as written; "" for a line without a readable key
	Msg    string
}

// Error formats the problem as "zoo.cfg:7: tickTime: ...".
func (p *Problem) Error() string {
	s := ""
	switch {
	case p.Source != "" && p.Line > 0:
		s = fmt.Sprintf("%s:%d: ", p.Source, p.Line)
	case p.Source != "":
		s = p.Source + ": "
	case p.Line > 0:
		s = fmt.Sprintf("line %d: ", p.Line)
	}
	if p.Key != "" {
		s += p.Key + ": "
	}
	return s + p.Msg
}

// origin is where an explicitly set key came from.
type origin struct {
	source string
	line   int
	key    string // as written, e.g. "zookeeper.enforceQuota"
}

func (c *Config) isSet(key string) bool {
	_, ok := c.origin[key]
	return ok
}

// problem builds a Problem about canonical key placed where it was set; a
// key that was not set is reported against the file when it should have
// been (required keys), else without a place.
func (c *Config) problem(key, format string, args ...any) *Problem {
	p := &Problem{Key: key, Msg: fmt.Sprintf(format, args...)}
	if o, ok := c.origin[key]; ok {
		p.Source, p.Line, p.Key = o.source, o.line, o.key
	} else {
		p.Source = c.File
	}
	return p
}
