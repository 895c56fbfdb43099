package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// parseOK parses a zoo.cfg body that must have no syntax problems.
func parseOK(t *testing.T, body string) *Config {
	t.Helper()
	c, err := Parse(strings.NewReader(body), "zoo.cfg")
	if err != nil {
		t.Fatalf("Parse(%q): %v", body, err)
	}
	return c
}

// Every typed key, set to a non-default value, lands in its field.
func TestEveryKey(t *testing.T) {
	tests := []struct {
		line  string
		check func(*Config) any // returns the field
		want  any
	}{
		{"tickTime=500", func(c *Config) any { return c.TickTime }, 500 * time.Millisecond},
		{"initLimit=7", func(c *Config) any { return c.InitLimit }, 7},
		{"syncLimit=3", func(c *Config) any { return c.SyncLimit }, 3},
		{"dataDir=/var/zk", func(c *Config) any { return c.DataDir }, "/var/zk"},
		{"dataLogDir=/var/zklog", func(c *Config) any { return c.DataLogDir }, "/var/zklog"},
		{"clientPort=2191", func(c *Config) any { return c.ClientPort }, 2191},
		{"clientPortAddress=127.0.0.1", func(c *Config) any { return c.ClientPortAddress }, "127.0.0.1"},
		{"secureClientPort=2281", func(c *Config) any { return c.SecureClientPort }, 2281},
		{"maxClientCnxns=0", func(c *Config) any { return c.MaxClientCnxns }, 0},
		{"maxCnxns=100", func(c *Config) any { return c.MaxCnxns }, 100},
		{"zookeeper.maxCnxns=101", func(c *Config) any { return c.MaxCnxns }, 101},
		{"minSessionTimeout=1000", func(c *Config) any { return c.MinSessionTimeout }, time.Second},
		{"maxSessionTimeout=90000", func(c *Config) any { return c.MaxSessionTimeout }, 90 * time.Second},
		{"autopurge.snapRetainCount=10", func(c *Config) any { return c.SnapRetainCount }, 10},
		{"snapCount=50000", func(c *Config) any { return c.SnapCount }, 50000},
		{"zookeeper.snapCount=1", func(c *Config) any { return c.SnapCount }, 2},
		{"autopurge.purgeInterval=24", func(c *Config) any { return c.PurgeInterval }, 24 * time.Hour},
		{"4lw.commands.whitelist=ruok, stat ,mntr", func(c *Config) any { return c.FourLetterWords }, []string{"mntr", "ruok", "srvr", "stat"}},
		{"zookeeper.4lw.commands.whitelist=ruok", func(c *Config) any { return c.FourLetterWords }, []string{"ruok", "srvr"}},
		{"4lw.commands.whitelist=ruok,*", func(c *Config) any { return c.FourLetterWords }, []string{"*"}},
		{"4lw.commands.whitelist=", func(c *Config) any { return c.FourLetterWords }, []string{"srvr"}},
		{"admin.enableServer=false", func(c *Config) any { return c.Admin.Enabled }, false},
		{"zookeeper.admin.enableServer=FALSE", func(c *Config) any { return c.Admin.Enabled }, false},
		{"admin.serverAddress=127.0.0.1", func(c *Config) any { return c.Admin.Address }, "127.0.0.1"},
		{"admin.serverPort=9090", func(c *Config) any { return c.Admin.Port }, 9090},
		{"admin.commandURL=/cmds", func(c *Config) any { return c.Admin.CommandURL }, "/cmds"},
		{"preAllocSize=1024", func(c *Config) any { return c.PreAllocSize }, 1 << 20},
		{"zookeeper.preAllocSize=1", func(c *Config) any { return c.PreAllocSize }, 64 << 10},
		{"admin.snapshot.enabled=false", func(c *Config) any { return c.Admin.SnapshotEnabled }, false},
		{"zookeeper.admin.snapshot.intervalInMS=1000", func(c *Config) any { return c.Admin.SnapshotInterval }, time.Second},
		{"admin.restore.enabled=false", func(c *Config) any { return c.Admin.RestoreEnabled }, false},
		{"admin.restore.intervalInMS=0", func(c *Config) any { return c.Admin.RestoreInterval }, time.Duration(0)},
		{"jute.maxbuffer=4194304", func(c *Config) any { return c.MaxBuffer }, 4194304},
		{"jute.maxbuffer=0x400000", func(c *Config) any { return c.MaxBuffer }, 0x400000},
		{"jute.maxbuffer=0X10", func(c *Config) any { return c.MaxBuffer }, 16},
		{"jute.maxbuffer=#10", func(c *Config) any { return c.MaxBuffer }, 16},
		{"jute.maxbuffer=010", func(c *Config) any { return c.MaxBuffer }, 8}, // octal, as Integer.decode
		{"jute.maxbuffer=+7", func(c *Config) any { return c.MaxBuffer }, 7},
		{"zookeeper.jute.maxbuffer=0xfff", func(c *Config) any { return c.MaxBuffer }, 0xfff},
		{"DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=", func(c *Config) any { return c.SuperDigest }, "super:D/InIHSb7yEEbrWz8b9l71RjZJU="},
		{"zookeeper.DigestAuthenticationProvider.superDigest=a:b", func(c *Config) any { return c.SuperDigest }, "a:b"},
		{"extendedTypesEnabled=true", func(c *Config) any { return c.ExtendedTypes }, true},
		{"zookeeper.extendedTypesEnabled=True", func(c *Config) any { return c.ExtendedTypes }, true},
		{"enforceQuota=true", func(c *Config) any { return c.EnforceQuota }, true},
		{"zookeeper.enforceQuota=true", func(c *Config) any { return c.EnforceQuota }, true},
		{"znode.container.checkIntervalMs=1000", func(c *Config) any { return c.ContainerCheckInterval }, time.Second},
		{"zookeeper.znode.container.checkIntervalMs=2000", func(c *Config) any { return c.ContainerCheckInterval }, 2 * time.Second},
		{"znode.container.maxPerMinute=5", func(c *Config) any { return c.ContainerMaxPerMinute }, 5},
		{"reconfigEnabled=true", func(c *Config) any { return c.ReconfigEnabled }, true},
		{"quorumListenOnAllIPs=true", func(c *Config) any { return c.QuorumListenOnAll }, true},
		{"standaloneEnabled=false", func(c *Config) any { return c.StandaloneEnabled }, false},
		{"dynamicConfigFile=/etc/zk/zoo.cfg.dynamic.100000000", func(c *Config) any { return c.DynamicConfigFile }, "/etc/zk/zoo.cfg.dynamic.100000000"},
		{"localSessionsEnabled=true", func(c *Config) any { return c.LocalSessionsEnabled }, true},
		{"readonlymode.enabled=true", func(c *Config) any { return c.ReadOnlyMode }, true},
		{"zookeeper.readonlymode.enabled=true", func(c *Config) any { return c.ReadOnlyMode }, true},
		{"zkraft.preferHighestSid=false", func(c *Config) any { return c.PreferHighestSid }, false},
		{"zkraft.logLevel=DEBUG", func(c *Config) any { return c.LogLevel }, "debug"},
		{"zkraft.logFormat=json", func(c *Config) any { return c.LogFormat }, "json"},
		{"peerType=observer", func(c *Config) any { return c.PeerType }, Observer},
		{"peerType=Participant", func(c *Config) any { return c.PeerType }, Participant},
		{"group.1=1:2:3", func(c *Config) any { return c.Groups }, map[string]string{"1": "1:2:3"}},
		{"weight.2=0", func(c *Config) any { return c.Weights }, map[string]string{"2": "0"}},
		{"metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider", func(c *Config) any { return c.MetricsProvider },
			map[string]string{"className": "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"}},
		{"metricsProvider.httpPort=7000", func(c *Config) any { return c.MetricsProvider }, map[string]string{"httpPort": "7000"}},
		{"server.3=zk3:2888:3888", func(c *Config) any { return c.Servers },
			[]Server{{ID: 3, Host: "zk3", QuorumPort: 2888, ElectionPort: 3888, Role: Participant}}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			c := parseOK(t, tt.line+"\n")
			if got := tt.check(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// A file that sets nothing gets ZooKeeper's defaults for a file.
func TestFileDefaults(t *testing.T) {
	c := parseOK(t, "# nothing\n")
	want := &Config{
		File:              "zoo.cfg",
		TickTime:          3 * time.Second,
		MaxClientCnxns:    60,
		MinSessionTimeout: 6 * time.Second,
		MaxSessionTimeout: 60 * time.Second,
		SnapRetainCount:   3,
		FourLetterWords:   []string{"srvr"},
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
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", c, want)
	}
	if err := c.Validate(); err == nil {
		t.Error("an empty file validated; dataDir and clientPort are required")
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default does not validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"TickTime", c.TickTime, 2 * time.Second},
		{"ClientPort", c.ClientPort, 2181},
		{"ClientAddr", c.ClientAddr(), ":2181"},
		{"DataDir", c.DataDir, "zkraft-data"},
		{"DataLogDir", c.DataLogDir, "zkraft-data"},
		{"MinSessionTimeout", c.MinSessionTimeout, 4 * time.Second},
		{"MaxSessionTimeout", c.MaxSessionTimeout, 40 * time.Second},
		{"InitLimit", c.InitLimit, 10},
		{"SyncLimit", c.SyncLimit, 5},
		{"MaxClientCnxns", c.MaxClientCnxns, 60},
		{"MaxCnxns", c.MaxCnxns, 0},
		{"SnapRetainCount", c.SnapRetainCount, 3},
		{"PurgeInterval", c.PurgeInterval, time.Duration(0)},
		{"FourLetterWords", c.FourLetterWords, []string{"srvr"}},
		{"Admin", c.Admin, Admin{Enabled: true, Address: "0.0.0.0", Port: 8080, CommandURL: "/commands",
			SnapshotEnabled: true, SnapshotInterval: 5 * time.Minute, RestoreEnabled: true, RestoreInterval: 5 * time.Minute}},
		{"MaxBuffer", c.MaxBuffer, 0xfffff},
		{"ExtendedTypes", c.ExtendedTypes, false},
		{"EnforceQuota", c.EnforceQuota, false},
		{"ContainerCheckInterval", c.ContainerCheckInterval, time.Minute},
		{"ContainerMaxPerMinute", c.ContainerMaxPerMinute, 10000},
		{"StandaloneEnabled", c.StandaloneEnabled, true},
		{"ReconfigEnabled", c.ReconfigEnabled, false},
		{"QuorumListenOnAll", c.QuorumListenOnAll, false},
		{"PeerType", c.PeerType, Participant},
		{"Warnings", len(c.Warnings), 0},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
}

// Derived defaults follow tickTime and dataDir unless set.
func TestDerivedDefaults(t *testing.T) {
	c := parseOK(t, "tickTime=100\ndataDir=/d\n")
	if c.MinSessionTimeout != 200*time.Millisecond || c.MaxSessionTimeout != 2*time.Second {
		t.Errorf("session timeouts %v..%v, want 200ms..2s", c.MinSessionTimeout, c.MaxSessionTimeout)
	}
	if c.DataLogDir != "/d" {
		t.Errorf("dataLogDir %q, want /d", c.DataLogDir)
	}

	// -1 is ZooKeeper's "not set".
	c = parseOK(t, "tickTime=100\nminSessionTimeout=-1\nmaxSessionTimeout=-1\n")
	if c.MinSessionTimeout != 200*time.Millisecond || c.MaxSessionTimeout != 2*time.Second {
		t.Errorf("-1: session timeouts %v..%v, want 200ms..2s", c.MinSessionTimeout, c.MaxSessionTimeout)
	}

	// Explicit values stay, in any order relative to tickTime.
	c = parseOK(t, "minSessionTimeout=1000\ntickTime=100\ndataLogDir=/l\ndataDir=/d\n")
	if c.MinSessionTimeout != time.Second || c.MaxSessionTimeout != 2*time.Second {
		t.Errorf("session timeouts %v..%v, want 1s..2s", c.MinSessionTimeout, c.MaxSessionTimeout)
	}
	if c.DataLogDir != "/l" {
		t.Errorf("dataLogDir %q, want /l", c.DataLogDir)
	}
}

// Each syntax error names file, line and key, and all are reported at once.
func TestSyntaxErrors(t *testing.T) {
	body := strings.Join([]string{
		"tickTime=abc",                     // 1
		"clientPort = 12x",                 // 2
		"maxClientCnxns=99999999999",       // 3
		"extendedTypesEnabled=yes",         // 4
		"standaloneEnabled=maybe",          // 5
		"peerType=leader",                  // 6
		"jute.maxbuffer=0xzz",              // 7
		"jute.maxbuffer=0x80000000",        // 8
		"server.x=h:1:2",                   // 9
		"server.2=h:2888",                  // 10
		"server.3=h:abc:3888",              // 11
		"server.4=h:2888:3888:voter",       // 12
		"server.5=h:2888:70000",            // 13
		"server.6=h:2888:3888;a;b",         // 14
		"server.7=h:2888:3888|g:2888:3888", // 15
		"server.8=h:2888:3888;h:x",         // 16
		"minSessionTimeout=",               // 17
		"dataDir=/ok",                      // 18: fine
		`b=\u12`,                           // 19
	}, "\n") + "\n"
	_, err := Parse(strings.NewReader(body), "conf/zoo.cfg")
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`conf/zoo.cfg:1: tickTime: "abc" is not a whole number`,
		`conf/zoo.cfg:2: clientPort: "12x" is not a whole number`,
		`conf/zoo.cfg:3: maxClientCnxns: "99999999999" is out of range`,
		`conf/zoo.cfg:4: extendedTypesEnabled: "yes" is not true or false`,
		`conf/zoo.cfg:5: standaloneEnabled: "maybe" is not true or false`,
		`conf/zoo.cfg:6: peerType: "leader" is not participant or observer`,
		`conf/zoo.cfg:7: jute.maxbuffer: "0xzz" is not a whole number (decimal, or hex with 0x)`,
		`conf/zoo.cfg:8: jute.maxbuffer: "0x80000000" is out of range`,
		`conf/zoo.cfg:9: server.x: server id "x" is not a non-negative whole number`,
		`conf/zoo.cfg:10: server.2: "h:2888" is not host:quorumPort:electionPort; the form is ` + serverForm,
		`conf/zoo.cfg:11: server.3: "h:abc:3888": quorum port "abc" is not a whole number`,
		`conf/zoo.cfg:12: server.4: "h:2888:3888:voter": role "voter" is not participant or observer`,
		`conf/zoo.cfg:13: server.5: "h:2888:70000": election port 70000 is not a port (1-65535)`,
		`conf/zoo.cfg:14: server.6: "h:2888:3888;a;b" has more than one ';'; the form is ` + serverForm,
		`conf/zoo.cfg:15: server.7: "h:2888:3888|g:2888:3888" lists several addresses for server 7; multiple addresses per server are not supported`,
		`conf/zoo.cfg:16: server.8: "h:2888:3888;h:x": client port "x" is not a whole number`,
		`conf/zoo.cfg:17: minSessionTimeout: "" is not a whole number`,
		`conf/zoo.cfg:19: b: malformed \uxxxx escape "\\u12"`,
	}
	got := strings.Split(err.Error(), "\n")
	// Escape errors come from the reader, before the keys are applied.
	got = append(got[1:], got[0])
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var p *Problem
	if !errors.As(err, &p) || p.Source != "conf/zoo.cfg" || p.Line == 0 || p.Key == "" {
		t.Errorf("errors.As found %+v, want a placed *Problem", p)
	}
}

func TestWarnings(t *testing.T) {
	body := strings.Join([]string{
		"dataDir=/d",                        // 1
		"autopurge.snapRetainCount=1",       // 2
		"autopurge.purgeInterval=-5",        // 3
		"foo.bar=1",                         // 4
		"snapSizeLimitInKb=100000",          // 5
		"zookeeper.tickTime=2000",           // 6: only system-property keys take the prefix
		"4lw.commands.whitelist=ruok,bogus", // 7
		"secureClientPort=2281",             // 8
		"clientPort=1",                      // 9
		"clientPort=2",                      // 10
		"enforceQuota=false",                // 11
		"zookeeper.enforceQuota=true",       // 12
		"server.1=a:1:2",                    // 13
		"server.1=b:1:2",                    // 14
		"ssl.keyStore.location=/k",          // 15
		"dataLogDir=log",                    // 16
		"group.1=1:2",                       // 17
		"weight.1=0",                        // 18
	}, "\n")
	c := parseOK(t, body)
	want := []string{
		"zoo.cfg:2: autopurge.snapRetainCount: 1 is below the minimum 3, using 3",
		"zoo.cfg:3: autopurge.purgeInterval: -5 is negative, purging is off",
		"zoo.cfg:4: foo.bar: unknown key; ignored",
		"zoo.cfg:5: snapSizeLimitInKb: a ZooKeeper setting zkraft does not use; ignored",
		"zoo.cfg:6: zookeeper.tickTime: unknown key; ignored",
		`zoo.cfg:7: 4lw.commands.whitelist: unknown four-letter word(s) "bogus" ignored`,
		"zoo.cfg:8: secureClientPort: TLS client connections are not supported yet; the secure port is not opened",
		"zoo.cfg:10: clientPort: set again (first at line 9); the last value wins",
		"zoo.cfg:12: zookeeper.enforceQuota: set again (first at line 11); the last value wins",
		"zoo.cfg:14: server.1: server 1 set again (first at line 13); the last line wins",
		"zoo.cfg:15: ssl.keyStore.location: a ZooKeeper setting zkraft does not use; ignored",
		"zoo.cfg:17: group.1: hierarchical quorums are not supported: the ensemble commits with a majority of its participants; ignored",
		"zoo.cfg:18: weight.1: hierarchical quorums are not supported: the ensemble commits with a majority of its participants; ignored",
		`zoo.cfg:16: dataLogDir: "log" is relative to the working directory`, // checked after the lines
	}
	var got []string
	for _, w := range c.Warnings {
		got = append(got, w.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.SnapRetainCount != 3 || c.PurgeInterval != 0 || c.ClientPort != 2 || !c.EnforceQuota || c.Servers[0].Host != "b" {
		t.Errorf("values after warnings: retain %d purge %v port %d quota %v server %+v",
			c.SnapRetainCount, c.PurgeInterval, c.ClientPort, c.EnforceQuota, c.Servers)
	}
	if !reflect.DeepEqual(c.FourLetterWords, []string{"ruok", "srvr"}) {
		t.Errorf("4lw %v", c.FourLetterWords)
	}
}

func TestDecodeInt(t *testing.T) {
	ok := map[string]int{"0": 0, "1048575": 1048575, "0xfffff": 0xfffff, "-0x10": -16, "#ff": 255, "017": 15, "2147483647": 1<<31 - 1}
	for in, want := range ok {
		if got, err := decodeInt(in); err != nil || got != want {
			t.Errorf("decodeInt(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0x", "#", "0x-1", "--1", "1_000", "08", "2147483648", "abc", "1.5"} {
		if got, err := decodeInt(in); err == nil {
			t.Errorf("decodeInt(%q) = %d, want an error", in, got)
		}
	}
}
