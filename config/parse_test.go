package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "zoo.cfg", "# sample\ntickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zookeeper\nclientPort=2181\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.File != path || c.TickTime != 2*time.Second || c.DataDir != "/var/lib/zookeeper" || c.ClientPort != 2181 {
		t.Errorf("loaded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}

	bad := writeFile(t, dir, "bad.cfg", "dataDir=/d\n\ntickTime=x\n")
	if _, err := Load(bad); err == nil || err.Error() != bad+`:3: tickTime: "x" is not a whole number` {
		t.Errorf("bad file: %v", err)
	}

	if _, err := Load(filepath.Join(dir, "missing.cfg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

// The Debian package's zoo.cfg, comments and all, loads without warnings.
func TestLoadDebianSample(t *testing.T) {
	const sample = "/etc/zookeeper/conf_example/zoo.cfg"
	if _, err := os.Stat(sample); err != nil {
		t.Skipf("no ZooKeeper sample config to compare with (%v); install the zookeeper package", err)
	}
	c, err := Load(sample)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings {
		t.Errorf("warning: %v", w)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestLoadDynamicConfigFile(t *testing.T) {
	dir := t.TempDir()
	dyn := writeFile(t, dir, "zoo.cfg.dynamic.100000000",
		"server.1=a:2888:3888:participant;2181\nserver.2=b:2888:3888;0.0.0.0:2181\nserver.3=c:2888:3888:observer;2181\n")
	path := writeFile(t, dir, "zoo.cfg", "dataDir=/d\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile="+dyn+"\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != 3 || c.Servers[2].Role != Observer || c.Servers[1].ClientPort != 2181 {
		t.Fatalf("servers %+v", c.Servers)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	if v, ok := DynamicConfigVersion(dyn); !ok || v != 0x100000000 {
		t.Errorf("version %x %v", v, ok)
	}
	if _, ok := DynamicConfigVersion(filepath.Join(dir, "zoo.cfg.dynamic")); ok {
		t.Error("a name without a hex suffix has a version")
	}

	// Only membership belongs in the dynamic file.
	badDyn := writeFile(t, dir, "bad.dynamic", "server.1=a:2888:3888\nversion=100000000\ntickTime=5\nserver.2=b\n")
	path = writeFile(t, dir, "zoo2.cfg", "dataDir=/d\ndynamicConfigFile="+badDyn+"\n")
	_, err = Load(path)
	want := []string{
		badDyn + ":2: version: a dynamic config file takes its version from its name, not from a key",
		badDyn + ":3: tickTime: only server.N, group.x and weight.x belong in a dynamic config file",
		badDyn + `:4: server.2: "b" is not host:quorumPort:electionPort; the form is ` + serverForm,
	}
	if err == nil || !reflect.DeepEqual(strings.Split(err.Error(), "\n"), want) {
		t.Errorf("bad dynamic file: %v", err)
	}

	// Membership in both files is refused, as in ZooKeeper.
	path = writeFile(t, dir, "zoo3.cfg", "dataDir=/d\ndynamicConfigFile="+dyn+"\nserver.9=z:1:2\ngroup.1=9\n")
	_, err = Load(path)
	want = []string{
		path + ":3: server.9: must be in the dynamic config file " + dyn + ", not here",
		path + ": group.x and weight.x must be in the dynamic config file " + dyn,
	}
	if err == nil || !reflect.DeepEqual(strings.Split(err.Error(), "\n"), want) {
		t.Errorf("servers in both files: %v", err)
	}

	// A missing dynamic file is reported at the line that names it.
	path = writeFile(t, dir, "zoo4.cfg", "dataDir=/d\ndynamicConfigFile="+filepath.Join(dir, "nope")+"\n")
	if _, err = Load(path); err == nil || !strings.HasPrefix(err.Error(), path+":2: dynamicConfigFile: open ") {
		t.Errorf("missing dynamic file: %v", err)
	}
}

func TestReadMyID(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := ReadMyID(dir); ok || err != nil {
		t.Errorf("no myid: ok %v err %v", ok, err)
	}
	for body, want := range map[string]int64{"1": 1, "3\n": 3, " 42 \nignored\n": 42, "0\n": 0} {
		writeFile(t, dir, "myid", body)
		id, ok, err := ReadMyID(dir)
		if err != nil || !ok || id != want {
			t.Errorf("myid %q: %d %v %v, want %d", body, id, ok, err, want)
		}
	}
	for _, body := range []string{"", "x\n", "-1\n", "1.5\n"} {
		writeFile(t, dir, "myid", body)
		if _, _, err := ReadMyID(dir); err == nil || !strings.Contains(err.Error(), "is not a server id") {
			t.Errorf("myid %q: %v, want an error", body, err)
		}
	}
}

// Set applies overrides with the same parsing as the file, and derived
// settings follow unless the file fixed them.
func TestSet(t *testing.T) {
	c := parseOK(t, "dataDir=/file\nclientPort=2181\n")
	if err := c.Set("dataDir", "/flag", "flag --data-dir"); err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/flag" || c.DataLogDir != "/flag" {
		t.Errorf("dataDir %q dataLogDir %q, want both /flag", c.DataDir, c.DataLogDir)
	}
	c = parseOK(t, "dataDir=/file\ndataLogDir=/log\n")
	_ = c.Set("dataDir", "/flag", "flag --data-dir")
	if c.DataLogDir != "/log" {
		t.Errorf("explicit dataLogDir moved to %q", c.DataLogDir)
	}

	err := c.Set("clientPort", "x", "flag --client-port")
	if err == nil || err.Error() != `flag --client-port: clientPort: "x" is not a whole number` {
		t.Errorf("bad flag: %v", err)
	}
	if err := c.Set("clientPort", "70000", "flag --client-port"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || err.Error() != "flag --client-port: clientPort: 70000 is not a port (1-65535)" {
		t.Errorf("Validate after Set: %v", err)
	}

	d := Default()
	_ = d.Set("tickTime", "100", "flag --tick")
	if d.MinSessionTimeout != 200*time.Millisecond {
		t.Errorf("session timeout did not follow tickTime: %v", d.MinSessionTimeout)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("overriding a default warned: %v", d.Warnings)
	}
}

func TestParseServer(t *testing.T) {
	tests := []struct {
		in   string
		want Server
		str  string
	}{
		{"zk1:2888:3888", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Participant}, "zk1:2888:3888:participant"},
		{"zk1:2888:3888:observer", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Observer}, "zk1:2888:3888:observer"},
		{"zk1:2888:3888:OBSERVER", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Observer}, "zk1:2888:3888:observer"},
		{"zk1:2888:3888;2181", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Participant, ClientPort: 2181},
			"zk1:2888:3888:participant;0.0.0.0:2181"},
		{"zk1:2888:3888:participant;10.0.0.1:2181", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Participant,
			ClientHost: "10.0.0.1", ClientPort: 2181}, "zk1:2888:3888:participant;10.0.0.1:2181"},
		{"[::1]:2888:3888;[::1]:2181", Server{Host: "::1", QuorumPort: 2888, ElectionPort: 3888, Role: Participant,
			ClientHost: "::1", ClientPort: 2181}, "[::1]:2888:3888:participant;[::1]:2181"},
		{"zk1:2888:3888;", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Participant}, "zk1:2888:3888:participant"},
		{"zk1:2888:3888:", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Participant}, "zk1:2888:3888:participant"},
		{"zk1:2888:3888; 2181", Server{Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Participant, ClientPort: 2181},
			"zk1:2888:3888:participant;0.0.0.0:2181"},
	}
	for _, tt := range tests {
		got, err := ParseServer(1, tt.in)
		tt.want.ID = 1
		if err != nil || got != tt.want {
			t.Errorf("ParseServer(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if got.String() != tt.str {
			t.Errorf("String() = %q, want %q", got.String(), tt.str)
		}
		if again, err := ParseServer(1, got.String()); err != nil || again.String() != got.String() {
			t.Errorf("String() does not parse back: %+v %v", again, err)
		}
	}
	for _, in := range []string{"", "zk1", "zk1:2888", ":2888:3888", "zk1:2888:3888:x:y", "[::1:2888:3888", "[::1]2888:3888",
		"zk1:0:3888", "zk1:2888:3888;:2181", "zk1:2888:3888;h:", "zk1:2888:3888;h:1:2"} {
		if s, err := ParseServer(1, in); err == nil {
			t.Errorf("ParseServer(%q) = %+v, want an error", in, s)
		}
	}
}

func TestServersOrderedByID(t *testing.T) {
	c := parseOK(t, "server.10=c:1:2\nserver.2=b:1:2\nserver.1=a:1:2\n")
	var ids []int64
	for _, s := range c.Servers {
		ids = append(ids, s.ID)
	}
	if !reflect.DeepEqual(ids, []int64{1, 2, 10}) {
		t.Errorf("ids %v", ids)
	}
	if s, ok := c.Server(10); !ok || s.Host != "c" {
		t.Errorf("Server(10) = %+v %v", s, ok)
	}
	if c.Participants() != 3 {
		t.Errorf("participants %d", c.Participants())
	}
}

func TestLines(t *testing.T) {
	c := parseOK(t, strings.Join([]string{
		"tickTime=2000", "dataDir=/d", "clientPort=2181", "clientPortAddress=127.0.0.1",
		"4lw.commands.whitelist=ruok,stat", "DigestAuthenticationProvider.superDigest=super:secret",
		"autopurge.purgeInterval=12", "snapCount=1000", "server.2=b:2888:3888", "server.1=a:2888:3888;2181",
		"group.1=1:2", "weight.1=1", "weight.2=1", "metricsProvider.httpPort=7000",
	}, "\n"))
	c.ServerID = 1
	want := []string{
		"clientPort=2181", "clientPortAddress=127.0.0.1", "dataDir=/d", "dataLogDir=/d", "tickTime=2000",
		"maxClientCnxns=60", "minSessionTimeout=4000", "maxSessionTimeout=40000", "serverId=1",
		"initLimit=0", "syncLimit=0", "maxCnxns=0", "autopurge.snapRetainCount=3", "autopurge.purgeInterval=12", "snapCount=1000",
		"4lw.commands.whitelist=ruok,srvr,stat", "admin.enableServer=true", "admin.serverAddress=0.0.0.0",
		"admin.serverPort=8080", "admin.commandURL=/commands", "jute.maxbuffer=1048575",
		"extendedTypesEnabled=false", "enforceQuota=false", "znode.container.checkIntervalMs=60000",
		"znode.container.maxPerMinute=10000", "localSessionsEnabled=false", "reconfigEnabled=false",
		"standaloneEnabled=true", "peerType=participant",
		"server.1=a:2888:3888:participant;0.0.0.0:2181", "server.2=b:2888:3888:participant",
		"group.1=1:2", "weight.1=1", "weight.2=1", "metricsProvider.httpPort=7000",
	}
	if got := c.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("Lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range c.Lines() {
		if strings.Contains(l, "secret") {
			t.Errorf("Lines shows the super digest: %q", l)
		}
	}

	// The effective settings read back as the same configuration.
	again := parseOK(t, strings.Join(c.Lines(), "\n"))
	again.ServerID = 1
	if !reflect.DeepEqual(again.Lines(), c.Lines()) {
		t.Errorf("Lines do not parse back to themselves:\n%s", strings.Join(again.Lines(), "\n"))
	}
}

// The sample configurations shipped in deploy/ load cleanly.
func TestDeploySamples(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "deploy", "*.cfg"))
	if len(paths) == 0 {
		t.Fatal("no deploy/*.cfg samples found: the repository ships deploy/zoo.cfg")
	}
	for _, path := range paths {
		c, err := Load(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		for _, w := range c.Warnings {
			t.Errorf("%s: warning: %v", path, w)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}
