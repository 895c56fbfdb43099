package config

import (
	"net"
	"strconv"
	"strings"
)

// Validate checks the settings against each other and against their limits,
// as ZooKeeper does when it starts (plus a few checks of values ZooKeeper
// would accept and then fail on). It returns every problem, joined, each
// placed at the file line that set the key.
func (c *Config) Validate() error {
	var ps []*Problem
	add := func(p *Problem) { ps = append(ps, p) }

	if c.TickTime <= 0 {
		add(c.problem(keyTickTime, "%d is not a positive number of milliseconds", c.TickTime.Milliseconds()))
	}
	for _, k := range []struct {
		key string
		n   int
	}{{keyInitLimit, c.InitLimit}, {keySyncLimit, c.SyncLimit}} {
		switch {
		case k.n < 0:
			add(c.problem(k.key, "%d is negative", k.n))
		case k.n == 0 && c.Distributed():
			add(c.problem(k.key, "not set; an ensemble needs it (in ticks)"))
		}
	}

	switch {
	case c.DataDir == "" && c.isSet(keyDataDir):
		add(c.problem(keyDataDir, "is empty"))
	case c.DataDir == "":
		add(c.problem(keyDataDir, "not set; it is required"))
	}
	if c.DataLogDir == "" && c.isSet(keyDataLogDir) {
		add(c.problem(keyDataLogDir, "is empty"))
	}

	switch {
	case c.ClientPort == 0 && c.ClientPortAddress != "":
		add(c.problem(keyClientPortAddress, "is set but clientPort is not"))
	case c.ClientPort == 0 && !c.serversGiveClientPort():
		add(c.problem(keyClientPort, "not set; it is required"))
	case c.ClientPort != 0:
		c.checkPort(add, keyClientPort, c.ClientPort)
	}
	if c.ClientPortAddress != "" && strings.ContainsAny(c.ClientPortAddress, " \t[]") {
		add(c.problem(keyClientPortAddress, "%q is not a host name or IP address", c.ClientPortAddress))
	}
	if c.SecureClientPort != 0 {
		c.checkPort(add, keySecureClientPort, c.SecureClientPort)
	}

	c.nonNegative(add, keyMaxClientCnxns, c.MaxClientCnxns)
	c.nonNegative(add, keyMaxCnxns, c.MaxCnxns)
	c.nonNegative(add, keyMinSessionTimeout, int(c.MinSessionTimeout.Milliseconds()))
	c.nonNegative(add, keyMaxSessionTimeout, int(c.MaxSessionTimeout.Milliseconds()))
	if c.MinSessionTimeout > c.MaxSessionTimeout {
		add(c.problem(keyMinSessionTimeout, "%d is larger than maxSessionTimeout %d",
			c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds()))
	}

	if c.Admin.Port < 0 || c.Admin.Port > 65535 {
		add(c.problem(keyAdminPort, "%d is not a port (0-65535)", c.Admin.Port))
	}
	if !strings.HasPrefix(c.Admin.CommandURL, "/") {
		add(c.problem(keyAdminCommandURL, "%q does not start with /", c.Admin.CommandURL))
	}
	if c.MaxBuffer <= 0 {
		add(c.problem(keyMaxBuffer, "%d is not a positive number of bytes", c.MaxBuffer))
	}
	if c.SuperDigest != "" {
		user, digest, ok := strings.Cut(c.SuperDigest, ":")
		if !ok || user == "" || digest == "" {
			add(c.problem(keySuperDigest, "is not user:base64digest (generate it with DigestAuthenticationProvider)"))
		}
	}
	if c.ContainerCheckInterval <= 0 {
		add(c.problem(keyContainerInterval, "%d is not a positive number of milliseconds", c.ContainerCheckInterval.Milliseconds()))
	}
	if c.ContainerMaxPerMinute <= 0 {
		add(c.problem(keyContainerMax, "%d is not positive", c.ContainerMaxPerMinute))
	}

	c.validateServers(add)

	if len(ps) > 0 {
		return joinProblems(ps)
	}
	return nil
}

// validateServers checks the membership as ZooKeeper's parseDynamicConfig
// does.
func (c *Config) validateServers(add func(*Problem)) {
	if len(c.Servers) == 0 {
		return
	}
	participants := c.Participants()
	observers := len(c.Servers) - participants
	first := "server." + strconv.FormatInt(c.Servers[0].ID, 10)
	switch {
	case participants == 0 && !c.StandaloneEnabled:
		add(c.problem(first, "standaloneEnabled=false needs at least one participant"))
	case participants == 0 && observers > 0:
		add(c.problem(first, "observers without participants is not a valid ensemble"))
	case participants == 1 && c.StandaloneEnabled && observers > 0:
		add(c.problem(first, "observers without a quorum is not a valid ensemble"))
	}

	// clientPort and this member's line may both give the client address;
	// ZooKeeper refuses them when they disagree (on the port, and on the
	// host unless clientPortAddress is a wildcard).
	if s, ok := c.Server(c.ServerID); ok && c.ClientPort != 0 && s.ClientPort != 0 {
		wildcard := c.ClientPortAddress == "" || c.ClientPortAddress == "0.0.0.0" || c.ClientPortAddress == "::"
		if s.ClientPort != c.ClientPort || (!wildcard && c.ClientPortAddress != s.ClientHost) {
			add(c.problem(keyClientPort, "%s differs from the client address of this server's line server.%d=%s",
				net.JoinHostPort(c.ClientPortAddress, strconv.Itoa(c.ClientPort)), s.ID, s))
		}
	}
}

// serversGiveClientPort reports whether the server lines carry the client
// port, which in ZooKeeper's newer style replaces clientPort: this member's
// line when its id is known, else any line.
func (c *Config) serversGiveClientPort() bool {
	if c.ServerID != 0 {
		s, ok := c.Server(c.ServerID)
		return ok && s.ClientPort != 0
	}
	for _, s := range c.Servers {
		if s.ClientPort != 0 {
			return true
		}
	}
	return false
}

func (c *Config) checkPort(add func(*Problem), key string, port int) {
	if port < 1 || port > 65535 {
		add(c.problem(key, "%d is not a port (1-65535)", port))
	}
}

func (c *Config) nonNegative(add func(*Problem), key string, n int) {
	if n < 0 {
		add(c.problem(key, "%d is negative", n))
	}
}
