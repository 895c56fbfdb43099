package config

import (
	"sort"
	"strconv"
	"strings"
)

// Lines are the effective settings as key=value lines in a fixed order, for
// the conf four-letter word and the admin configuration command. The first
// lines are those ZooKeeper's conf prints (clientPort, dataDir, ...); the rest
// follow in zoo.cfg's names. superDigest is left out: it is a password hash.
// Values are printed as they are, not escaped: the lines are for reading.
func (c *Config) Lines() []string {
	var l []string
	add := func(k, v string) { l = append(l, k+"="+v) }
	num := func(k string, n int) { add(k, strconv.Itoa(n)) }
	ms := func(k string, n int64) { add(k, strconv.FormatInt(n, 10)) }
	flag := func(k string, b bool) { add(k, strconv.FormatBool(b)) }

	num(keyClientPort, c.ClientPort)
	if c.ClientPortAddress != "" {
		add(keyClientPortAddress, c.ClientPortAddress)
	}
	if c.SecureClientPort != 0 {
		num(keySecureClientPort, c.SecureClientPort)
	}
	add(keyDataDir, c.DataDir)
	add(keyDataLogDir, c.DataLogDir)
	ms(keyTickTime, c.TickTime.Milliseconds())
	num(keyMaxClientCnxns, c.MaxClientCnxns)
	ms(keyMinSessionTimeout, c.MinSessionTimeout.Milliseconds())
	ms(keyMaxSessionTimeout, c.MaxSessionTimeout.Milliseconds())
	if c.ServerID != 0 {
		add("serverId", strconv.FormatInt(c.ServerID, 10))
	}

	num(keyInitLimit, c.InitLimit)
	num(keySyncLimit, c.SyncLimit)
	num(keyMaxCnxns, c.MaxCnxns)
	num(keySnapRetainCount, c.SnapRetainCount)
	ms(keyPurgeInterval, int64(c.PurgeInterval.Hours()))
	if c.SnapCount != 0 {
		num(keySnapCount, c.SnapCount)
	}
	add(keyFourLetterWords, strings.Join(c.FourLetterWords, ","))
	flag(keyAdminEnable, c.Admin.Enabled)
	add(keyAdminAddress, c.Admin.Address)
	num(keyAdminPort, c.Admin.Port)
	add(keyAdminCommandURL, c.Admin.CommandURL)
	num(keyMaxBuffer, c.MaxBuffer)
	flag(keyExtendedTypes, c.ExtendedTypes)
	flag(keyEnforceQuota, c.EnforceQuota)
	ms(keyContainerInterval, c.ContainerCheckInterval.Milliseconds())
	num(keyContainerMax, c.ContainerMaxPerMinute)
	flag(keyLocalSessions, c.LocalSessionsEnabled)
	flag(keyReconfigEnabled, c.ReconfigEnabled)
	flag(keyStandalone, c.StandaloneEnabled)
	add(keyPeerType, string(c.PeerType))
	// Shown only when they differ from the default, so conf stays as
	// ZooKeeper's for a zoo.cfg that does not use them.
	if c.ReadOnlyMode {
		flag(keyReadOnlyMode, true)
	}
	if !c.PreferHighestSid {
		flag(keyPreferHighestSid, false)
	}
	if c.LogLevel != "" {
		add(keyLogLevel, c.LogLevel)
	}
	if c.LogFormat != "" {
		add(keyLogFormat, c.LogFormat)
	}
	if c.DynamicConfigFile != "" {
		add(keyDynamicConfigFile, c.DynamicConfigFile)
	}
	for _, s := range c.Servers {
		add("server."+strconv.FormatInt(s.ID, 10), s.String())
	}
	for _, m := range []struct {
		prefix string
		values map[string]string
	}{{"group.", c.Groups}, {"weight.", c.Weights}, {"metricsProvider.", c.MetricsProvider}} {
		keys := make([]string, 0, len(m.values))
		for k := range m.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add(m.prefix+k, m.values[k])
		}
	}
	return l
}
