package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Canonical names of the keys other code refers to.
const (
	keyTickTime          = "tickTime"
	keyInitLimit         = "initLimit"
	keySyncLimit         = "syncLimit"
	keyDataDir           = "dataDir"
	keyDataLogDir        = "dataLogDir"
	keyClientPort        = "clientPort"
	keyClientPortAddress = "clientPortAddress"
	keySecureClientPort  = "secureClientPort"
	keyMaxClientCnxns    = "maxClientCnxns"
	keyMaxCnxns          = "maxCnxns"
	keyMinSessionTimeout = "minSessionTimeout"
	keyMaxSessionTimeout = "maxSessionTimeout"
	keySnapRetainCount   = "autopurge.snapRetainCount"
	keyPurgeInterval     = "autopurge.purgeInterval"
	keySnapCount         = "snapCount"
	keyPreAllocSize      = "preAllocSize"
	keyFourLetterWords   = "4lw.commands.whitelist"
	keyAdminEnable       = "admin.enableServer"
	keyAdminAddress      = "admin.serverAddress"
	keyAdminPort         = "admin.serverPort"
	keyAdminCommandURL   = "admin.commandURL"
	keySnapshotEnabled   = "admin.snapshot.enabled"
	keySnapshotInterval  = "admin.snapshot.intervalInMS"
	keyRestoreEnabled    = "admin.restore.enabled"
	keyRestoreInterval   = "admin.restore.intervalInMS"
	keyMaxBuffer         = "jute.maxbuffer"
	keySuperDigest       = "DigestAuthenticationProvider.superDigest"
	keyExtendedTypes     = "extendedTypesEnabled"
	keyEnforceQuota      = "enforceQuota"
	keyContainerInterval = "znode.container.checkIntervalMs"
	keyContainerMax      = "znode.container.maxPerMinute"
	keyReconfigEnabled   = "reconfigEnabled"
	keyQuorumListenAll   = "quorumListenOnAllIPs"
	keyStandalone        = "standaloneEnabled"
	keyDynamicConfigFile = "dynamicConfigFile"
	keyLocalSessions     = "localSessionsEnabled"
	keyPeerType          = "peerType"
	keyReadOnlyMode      = "readonlymode.enabled"
	keyPreferHighestSid  = "zkraft.preferHighestSid"
	keyLogLevel          = "zkraft.logLevel"
	keyLogFormat         = "zkraft.logFormat"

	syspropPrefix = "zookeeper."
)

// setting is one typed key. set parses the (trimmed) value into c and may
// return a warning for a value it accepted but adjusted.
type setting struct {
	// sysprop marks keys ZooKeeper does not parse itself but passes on as
	// the system property "zookeeper.<key>"; they are also accepted with
	// that prefix.
	sysprop bool
	set     func(c *Config, v string) (warning string, err error)
}

// settings is the table of typed keys, by canonical name.
var settings = map[string]setting{
	keyTickTime:  {set: millis(func(c *Config) *time.Duration { return &c.TickTime })},
	keyInitLimit: {set: integer(func(c *Config) *int { return &c.InitLimit })},
	keySyncLimit: {set: integer(func(c *Config) *int { return &c.SyncLimit })},

	keyDataDir:    {set: text(func(c *Config) *string { return &c.DataDir })},
	keyDataLogDir: {set: text(func(c *Config) *string { return &c.DataLogDir })},

	keyClientPort:        {set: integer(func(c *Config) *int { return &c.ClientPort })},
	keyClientPortAddress: {set: text(func(c *Config) *string { return &c.ClientPortAddress })},
	keySecureClientPort: {set: func(c *Config, v string) (string, error) {
		if _, err := integer(func(c *Config) *int { return &c.SecureClientPort })(c, v); err != nil {
			return "", err
		}
		if c.SecureClientPort != 0 {
			return "TLS client connections are not supported yet; the secure port is not opened", nil
		}
		return "", nil
	}},

	keyMaxClientCnxns:    {set: integer(func(c *Config) *int { return &c.MaxClientCnxns })},
	keyMaxCnxns:          {sysprop: true, set: integer(func(c *Config) *int { return &c.MaxCnxns })},
	keyMinSessionTimeout: {set: millis(func(c *Config) *time.Duration { return &c.MinSessionTimeout })},
	keyMaxSessionTimeout: {set: millis(func(c *Config) *time.Duration { return &c.MaxSessionTimeout })},

	keySnapRetainCount: {set: func(c *Config, v string) (string, error) {
		n, err := parseInt(v)
		if err != nil {
			return "", err
		}
		if n < minSnapRetainCount {
			// ZooKeeper raises it: it never purges below 3 snapshots.
			c.SnapRetainCount = minSnapRetainCount
			return fmt.Sprintf("%d is below the minimum %d, using %d", n, minSnapRetainCount, minSnapRetainCount), nil
		}
		c.SnapRetainCount = n
		return "", nil
	}},
	keyPurgeInterval: {set: func(c *Config, v string) (string, error) {
		n, err := parseInt(v)
		if err != nil {
			return "", err
		}
		if n < 0 {
			// ZooKeeper treats any interval <= 0 as "never purge".
			c.PurgeInterval = 0
			return fmt.Sprintf("%d is negative, purging is off", n), nil
		}
		c.PurgeInterval = time.Duration(n) * time.Hour
		return "", nil
	}},

	keySnapCount: {sysprop: true, set: func(c *Config, v string) (string, error) {
		n, err := parseInt(v)
		if err != nil {
			return "", err
		}
		if n < minSnapCount {
			c.SnapCount = minSnapCount
			return fmt.Sprintf("%d is below the minimum %d, using %d", n, minSnapCount, minSnapCount), nil
		}
		c.SnapCount = n
		return "", nil
	}},

	keyFourLetterWords: {sysprop: true, set: setFourLetterWords},

	// preAllocSize is in KiB, as ZooKeeper's (its txn log grows in blocks
	// of it); zkraft's raft log segments have that size.
	keyPreAllocSize: {sysprop: true, set: func(c *Config, v string) (string, error) {
		n, err := parseInt(v)
		if err != nil {
			return "", err
		}
		if n < minPreAllocKB {
			c.PreAllocSize = minPreAllocKB << 10
			return fmt.Sprintf("%d is below the minimum %d, using %d", n, minPreAllocKB, minPreAllocKB), nil
		}
		if n > maxPreAllocKB {
			c.PreAllocSize = maxPreAllocKB << 10
			return fmt.Sprintf("%d is above the maximum %d, using %d", n, maxPreAllocKB, maxPreAllocKB), nil
		}
		c.PreAllocSize = n << 10
		return "", nil
	}},

	keyAdminEnable:      {sysprop: true, set: boolean(func(c *Config) *bool { return &c.Admin.Enabled })},
	keyAdminAddress:     {sysprop: true, set: text(func(c *Config) *string { return &c.Admin.Address })},
	keyAdminPort:        {sysprop: true, set: integer(func(c *Config) *int { return &c.Admin.Port })},
	keyAdminCommandURL:  {sysprop: true, set: text(func(c *Config) *string { return &c.Admin.CommandURL })},
	keySnapshotEnabled:  {sysprop: true, set: boolean(func(c *Config) *bool { return &c.Admin.SnapshotEnabled })},
	keySnapshotInterval: {sysprop: true, set: millis(func(c *Config) *time.Duration { return &c.Admin.SnapshotInterval })},
	keyRestoreEnabled:   {sysprop: true, set: boolean(func(c *Config) *bool { return &c.Admin.RestoreEnabled })},
	keyRestoreInterval:  {sysprop: true, set: millis(func(c *Config) *time.Duration { return &c.Admin.RestoreInterval })},

	keyMaxBuffer: {sysprop: true, set: func(c *Config, v string) (string, error) {
		n, err := decodeInt(v)
		if err != nil {
			return "", err
		}
		c.MaxBuffer = n
		return "", nil
	}},
	keySuperDigest:       {sysprop: true, set: text(func(c *Config) *string { return &c.SuperDigest })},
	keyExtendedTypes:     {sysprop: true, set: boolean(func(c *Config) *bool { return &c.ExtendedTypes })},
	keyEnforceQuota:      {sysprop: true, set: boolean(func(c *Config) *bool { return &c.EnforceQuota })},
	keyContainerInterval: {sysprop: true, set: millis(func(c *Config) *time.Duration { return &c.ContainerCheckInterval })},
	keyContainerMax:      {sysprop: true, set: integer(func(c *Config) *int { return &c.ContainerMaxPerMinute })},

	keyReconfigEnabled:   {set: boolean(func(c *Config) *bool { return &c.ReconfigEnabled })},
	keyQuorumListenAll:   {set: boolean(func(c *Config) *bool { return &c.QuorumListenOnAll })},
	keyStandalone:        {set: boolean(func(c *Config) *bool { return &c.StandaloneEnabled })},
	keyDynamicConfigFile: {set: text(func(c *Config) *string { return &c.DynamicConfigFile })},
	keyLocalSessions:     {set: boolean(func(c *Config) *bool { return &c.LocalSessionsEnabled })},
	// ZooKeeper reads readonlymode.enabled only as a Java system property;
	// zkraft has no JVM, so zoo.cfg takes it (with or without "zookeeper.").
	keyReadOnlyMode:     {sysprop: true, set: boolean(func(c *Config) *bool { return &c.ReadOnlyMode })},
	keyPreferHighestSid: {set: boolean(func(c *Config) *bool { return &c.PreferHighestSid })},
	keyLogLevel:         {set: oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	keyLogFormat:        {set: oneOf(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
	// electionAlg has one legal value left in ZooKeeper; raft elects here,
	// but a file that asks for another algorithm is refused as ZooKeeper
	// refuses it.
	"electionAlg": {set: func(_ *Config, v string) (string, error) {
		n, err := parseInt(v)
		if err != nil {
			return "", err
		}
		if n != 3 {
			return "", fmt.Errorf("%d is not supported; only 3 (fast leader election) is", n)
		}
		return "", nil
	}},
	keyPeerType: {set: func(c *Config, v string) (string, error) {
		t, err := parsePeerType(v)
		if err != nil {
			return "", err
		}
		c.PeerType = t
		return "", nil
	}},
}

// ignoredKeys are ZooKeeper settings zkraft reads without error but does not
// act on (yet): they get a warning that says so, not "unknown key".
var ignoredKeys = setOf(`
	localSessionsUpgradingEnabled secureClientPortAddress observerMasterPort
	clientPortListenBacklog connectToLearnerMasterLimit
	syncEnabled sslQuorum portUnification sslQuorumReloadCertFiles
	quorum.cnxn.threads.size oraclePath snapSizeLimitInKb
	forceSync globalOutstandingLimit skipACL serverCnxnFactory commitLogCount
	txnLogSizeLimitInKb fsync.warningthresholdms flushDelay maxBatchSize
	maxWriteQueuePollTime digest.enabled audit.enable
	snapshot.trust.empty snapshot.compression.method admin.idleTimeout
	admin.portUnification admin.forceHttps admin.needClientAuth`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// ignoredPrefixes extend ignoredKeys to families of keys.
var ignoredPrefixes = []string{
	"quorum.auth.", "jvm.pause.", "multiAddress.", "ssl.", "authProvider.",
	"requestThrottle", "learner.", "leader.", "netty.", "sasl.",
}

// apply sets one key read from source:line. It is the single entry point of
// Parse and Set, so a key behaves the same in a file and on the command line.
func (c *Config) apply(key, value, source string, line int) (problems, warnings []*Problem) {
	at := func(k, msg string) *Problem { return &Problem{Source: source, Line: line, Key: k, Msg: msg} }

	canon, s, ok := lookup(key)
	switch {
	case ok:
		warning, err := s.set(c, value)
		if err != nil {
			return []*Problem{at(key, err.Error())}, nil
		}
		if prev, dup := c.origin[canon]; dup && prev.source == source && source != "" {
			warnings = append(warnings, at(key, fmt.Sprintf("set again (first at line %d); the last value wins", prev.line)))
		}
		c.origin[canon] = origin{source: source, line: line, key: key}
		if (canon == keyMinSessionTimeout || canon == keyMaxSessionTimeout) && value == "-1" {
			// -1 is ZooKeeper's "not set": derive from tickTime.
			delete(c.origin, canon)
		}
		if warning != "" {
			warnings = append(warnings, at(key, warning))
		}
		return nil, warnings
	case strings.HasPrefix(key, "server."):
		return c.applyServer(key, value, source, line)
	case strings.HasPrefix(key, "group."), strings.HasPrefix(key, "weight."):
		// Kept (a dynamic config file written back holds them) but not
		// used: raft commits with a majority of the voters.
		if strings.HasPrefix(key, "group.") {
			c.Groups[strings.TrimPrefix(key, "group.")] = value
		} else {
			c.Weights[strings.TrimPrefix(key, "weight.")] = value
		}
		return nil, []*Problem{at(key, "hierarchical quorums are not supported: the ensemble commits with a majority of its participants; ignored")}
	case strings.HasPrefix(key, "metricsProvider."):
		c.MetricsProvider[strings.TrimPrefix(key, "metricsProvider.")] = value
	case isIgnored(key):
		return nil, []*Problem{at(key, "a ZooKeeper setting zkraft does not use; ignored")}
	default:
		return nil, []*Problem{at(key, "unknown key; ignored")}
	}
	return nil, nil
}

// lookup finds the typed setting for key, accepting the "zookeeper." form of
// system-property keys. It returns the canonical name.
func lookup(key string) (string, setting, bool) {
	if s, ok := settings[key]; ok {
		return key, s, true
	}
	if bare, ok := strings.CutPrefix(key, syspropPrefix); ok {
		if s, ok := settings[bare]; ok && s.sysprop {
			return bare, s, true
		}
	}
	return "", setting{}, false
}

func isIgnored(key string) bool {
	key = strings.TrimPrefix(key, syspropPrefix)
	if ignoredKeys[key] {
		return true
	}
	for _, p := range ignoredPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// knownFourLetterWords are the words ZooKeeper 3.8/3.9 answers.
var knownFourLetterWords = map[string]bool{
	"conf": true, "cons": true, "crst": true, "dirs": true, "dump": true,
	"envi": true, "gtmk": true, "ruok": true, "stmk": true, "srvr": true,
	"srst": true, "stat": true, "wchc": true, "wchp": true, "wchs": true,
	"mntr": true, "isro": true, "hash": true,
}

// setFourLetterWords parses 4lw.commands.whitelist as ZooKeeper does: a
// comma list, blanks around names ignored, "*" anywhere enables every word,
// and srvr is always enabled (zkServer.sh status depends on it).
func setFourLetterWords(c *Config, v string) (string, error) {
	enabled := map[string]bool{"srvr": true}
	var unknown []string
	for _, w := range strings.Split(v, ",") {
		w = strings.TrimSpace(w)
		switch {
		case w == "":
		case w == "*":
			c.FourLetterWords = []string{"*"}
			return "", nil
		case knownFourLetterWords[w]:
			enabled[w] = true
		default:
			unknown = append(unknown, strconv.Quote(w))
		}
	}
	words := make([]string, 0, len(enabled))
	for w := range enabled {
		words = append(words, w)
	}
	sort.Strings(words)
	c.FourLetterWords = words
	if len(unknown) > 0 {
		return "unknown four-letter word(s) " + strings.Join(unknown, ", ") + " ignored", nil
	}
	return "", nil
}

func parsePeerType(v string) (PeerType, error) {
	switch strings.ToLower(v) {
	case "participant":
		return Participant, nil
	case "observer":
		return Observer, nil
	}
	return "", fmt.Errorf("%q is not participant or observer", v)
}

// Value parsers, each a constructor over a field accessor so the table stays
// one line per key.

func text(field func(*Config) *string) func(*Config, string) (string, error) {
	return func(c *Config, v string) (string, error) {
		*field(c) = v
		return "", nil
	}
}

func integer(field func(*Config) *int) func(*Config, string) (string, error) {
	return func(c *Config, v string) (string, error) {
		n, err := parseInt(v)
		if err != nil {
			return "", err
		}
		*field(c) = n
		return "", nil
	}
}

// millis reads a whole number of milliseconds.
func millis(field func(*Config) *time.Duration) func(*Config, string) (string, error) {
	return func(c *Config, v string) (string, error) {
		n, err := parseInt(v)
		if err != nil {
			return "", err
		}
		*field(c) = time.Duration(n) * time.Millisecond
		return "", nil
	}
}

// boolean accepts true or false in any case, as ZooKeeper's own keys do.
// (ZooKeeper reads its system-property booleans with Boolean.getBoolean, which
// takes anything else as false; here that is an error, since such a value is
// a typo that would silently turn a feature off.)
// oneOf accepts one of the words given, in any case, stored in lower case.
func oneOf(field func(*Config) *string, words ...string) func(*Config, string) (string, error) {
	return func(c *Config, v string) (string, error) {
		for _, w := range words {
			if strings.EqualFold(v, w) {
				*field(c) = w
				return "", nil
			}
		}
		return "", fmt.Errorf("%q is not one of %s", v, strings.Join(words, ", "))
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) (string, error) {
	return func(c *Config, v string) (string, error) {
		switch strings.ToLower(v) {
		case "true":
			*field(c) = true
		case "false":
			*field(c) = false
		default:
			return "", fmt.Errorf("%q is not true or false", v)
		}
		return "", nil
	}
}

// parseInt reads a Java int (Integer.parseInt): decimal, optional sign, 32
// bits.
func parseInt(v string) (int, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	if n < -1<<31 || n > 1<<31-1 {
		return 0, fmt.Errorf("%q is out of range", v)
	}
	return int(n), nil
}

// decodeInt reads a Java int the way Integer.decode does, which is how the
// JVM reads integer system properties such as jute.maxbuffer: decimal, 0x,
// 0X or # for hex, a leading 0 for octal, optional sign.
func decodeInt(v string) (int, error) {
	s := v
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"), strings.HasPrefix(s, "0X"):
		base, s = 16, s[2:]
	case strings.HasPrefix(s, "#"):
		base, s = 16, s[1:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, fmt.Errorf("%q is not a whole number (decimal, or hex with 0x)", v)
	}
	n, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		return 0, fmt.Errorf("%q is not a whole number (decimal, or hex with 0x)", v)
	}
	if neg {
		n = -n
	}
	if n < -1<<31 || n > 1<<31-1 {
		return 0, fmt.Errorf("%q is out of range", v)
	}
	return int(n), nil
}
