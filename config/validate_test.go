package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// validateErrs parses body and returns Validate's problems, one per line.
func validateErrs(t *testing.T, body string) []string {
	t.Helper()
	err := parseOK(t, body).Validate()
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

const base = "dataDir=/d\nclientPort=2181\n"

func TestValidateOK(t *testing.T) {
	for _, body := range []string{
		base,
		base + "tickTime=1\nminSessionTimeout=0\nmaxSessionTimeout=0\n",
		base + "minSessionTimeout=40000\nmaxSessionTimeout=40000\n",
		base + "clientPortAddress=::1\n",
		base + "admin.serverPort=0\n",
		// One server line with standaloneEnabled: ZooKeeper runs standalone.
		base + "server.1=h:2888:3888\n",
		// An ensemble with its limits.
		base + "initLimit=5\nsyncLimit=2\nserver.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888:observer\n",
		// The client port from the server lines instead of clientPort.
		"dataDir=/d\ninitLimit=5\nsyncLimit=2\nserver.1=a:2888:3888;2181\nserver.2=b:2888:3888;2181\n",
		base + "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n",
	} {
		if errs := validateErrs(t, body); errs != nil {
			t.Errorf("%q: %v", body, errs)
		}
	}
}

// Every Validate message form, each placed at the line that set the key.
func TestValidateErrors(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"clientPort=2181\n", []string{"zoo.cfg: dataDir: not set; it is required"}},
		{"dataDir=\nclientPort=2181\n", []string{"zoo.cfg:1: dataDir: is empty"}},
		{base + "dataLogDir=\n", []string{"zoo.cfg:3: dataLogDir: is empty"}},
		{"dataDir=/d\n", []string{"zoo.cfg: clientPort: not set; it is required"}},
		{"dataDir=/d\nclientPortAddress=127.0.0.1\n", []string{"zoo.cfg:2: clientPortAddress: is set but clientPort is not"}},
		{"dataDir=/d\nclientPort=70000\n", []string{"zoo.cfg:2: clientPort: 70000 is not a port (1-65535)"}},
		{"dataDir=/d\nclientPort=-1\n", []string{"zoo.cfg:2: clientPort: -1 is not a port (1-65535)"}},
		{base + "clientPortAddress=a b\n", []string{`zoo.cfg:3: clientPortAddress: "a b" is not a host name or IP address`}},
		{base + "secureClientPort=65536\n", []string{"zoo.cfg:3: secureClientPort: 65536 is not a port (1-65535)"}},
		{base + "tickTime=0\n", []string{"zoo.cfg:3: tickTime: 0 is not a positive number of milliseconds"}},
		{base + "tickTime=-100\n", []string{
			"zoo.cfg:3: tickTime: -100 is not a positive number of milliseconds",
			"zoo.cfg: minSessionTimeout: -200 is negative",
			"zoo.cfg: maxSessionTimeout: -2000 is negative",
			"zoo.cfg: minSessionTimeout: -200 is larger than maxSessionTimeout -2000",
		}},
		{base + "initLimit=-1\nsyncLimit=-2\n", []string{"zoo.cfg:3: initLimit: -1 is negative", "zoo.cfg:4: syncLimit: -2 is negative"}},
		{base + "maxClientCnxns=-1\n", []string{"zoo.cfg:3: maxClientCnxns: -1 is negative"}},
		{base + "maxCnxns=-1\n", []string{"zoo.cfg:3: maxCnxns: -1 is negative"}},
		{base + "zookeeper.maxCnxns=-1\n", []string{"zoo.cfg:3: zookeeper.maxCnxns: -1 is negative"}},
		{base + "minSessionTimeout=50000\nmaxSessionTimeout=40000\n", []string{"zoo.cfg:3: minSessionTimeout: 50000 is larger than maxSessionTimeout 40000"}},
		{base + "minSessionTimeout=-5\n", []string{"zoo.cfg:3: minSessionTimeout: -5 is negative"}},
		{base + "maxSessionTimeout=1000\n", []string{"zoo.cfg: minSessionTimeout: 6000 is larger than maxSessionTimeout 1000"}},
		{base + "admin.serverPort=70000\n", []string{"zoo.cfg:3: admin.serverPort: 70000 is not a port (0-65535)"}},
		{base + "admin.commandURL=commands\n", []string{`zoo.cfg:3: admin.commandURL: "commands" does not start with /`}},
		{base + "jute.maxbuffer=0\n", []string{"zoo.cfg:3: jute.maxbuffer: 0 is not a positive number of bytes"}},
		{base + "DigestAuthenticationProvider.superDigest=nocolon\n", []string{
			"zoo.cfg:3: DigestAuthenticationProvider.superDigest: is not user:base64digest (generate it with DigestAuthenticationProvider)"}},
		{base + "znode.container.checkIntervalMs=0\n", []string{"zoo.cfg:3: znode.container.checkIntervalMs: 0 is not a positive number of milliseconds"}},
		{base + "znode.container.maxPerMinute=0\n", []string{"zoo.cfg:3: znode.container.maxPerMinute: 0 is not positive"}},
		{base + "server.1=a:2888:3888\nserver.2=b:2888:3888\n", []string{
			"zoo.cfg: initLimit: not set; an ensemble needs it (in ticks)",
			"zoo.cfg: syncLimit: not set; an ensemble needs it (in ticks)",
		}},
		{base + "initLimit=1\nsyncLimit=1\nstandaloneEnabled=false\nserver.1=a:2888:3888:observer\n", []string{
			"zoo.cfg:6: server.1: standaloneEnabled=false needs at least one participant"}},
		{base + "server.1=a:2888:3888:observer\n", []string{"zoo.cfg:3: server.1: observers without participants is not a valid ensemble"}},
		{base + "server.1=a:2888:3888\nserver.2=b:2888:3888:observer\n", []string{"zoo.cfg:3: server.1: observers without a quorum is not a valid ensemble"}},
		{"dataDir=/d\ninitLimit=1\nsyncLimit=1\nserver.1=a:2888:3888\nserver.2=b:2888:3888\n", []string{"zoo.cfg: clientPort: not set; it is required"}},
	}
	for _, tt := range tests {
		if got := validateErrs(t, tt.body); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %q\nwant %q", tt.body, got, tt.want)
		}
	}
}

// With the member's id known, clientPort must agree with its server line,
// and a missing clientPort must be given by that line.
func TestValidateClientAddressAgainstServerLine(t *testing.T) {
	lines := "initLimit=1\nsyncLimit=1\nserver.1=a:2888:3888;127.0.0.1:2181\nserver.2=b:2888:3888;2182\n"

	c := parseOK(t, "dataDir=/d\nclientPort=2182\n"+lines)
	c.ServerID = 1
	want := "zoo.cfg:2: clientPort: :2182 differs from the client address of this server's line server.1=a:2888:3888:participant;127.0.0.1:2181"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("port mismatch: %v, want %s", err, want)
	}

	c = parseOK(t, "dataDir=/d\nclientPort=2181\nclientPortAddress=127.0.0.2\n"+lines)
	c.ServerID = 1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "differs from the client address") {
		t.Errorf("host mismatch: %v", err)
	}

	c = parseOK(t, "dataDir=/d\nclientPort=2181\nclientPortAddress=0.0.0.0\n"+lines)
	c.ServerID = 1
	if err := c.Validate(); err != nil {
		t.Errorf("wildcard clientPortAddress with the same port: %v", err)
	}

	c = parseOK(t, "dataDir=/d\n"+lines)
	c.ServerID = 2
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.ClientAddr(); got != ":2182" {
		t.Errorf("ClientAddr from server.2 = %q, want :2182", got)
	}
	c.ServerID = 1
	if got := c.ClientAddr(); got != "127.0.0.1:2181" {
		t.Errorf("ClientAddr from server.1 = %q, want 127.0.0.1:2181", got)
	}
	c.ServerID = 3
	if err := c.Validate(); err == nil || err.Error() != "zoo.cfg: clientPort: not set; it is required" {
		t.Errorf("id without a line: %v", err)
	}
}

// Defaults and overrides have no file line; their problems say so.
func TestValidateWithoutFile(t *testing.T) {
	c := Default()
	c.ClientPort = 0
	c.MaxBuffer = -1
	err := c.Validate()
	want := "clientPort: not set; it is required\njute.maxbuffer: -1 is not a positive number of bytes"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var p *Problem
	if !errors.As(err, &p) || p.Source != "" || p.Line != 0 {
		t.Errorf("problem %+v should have no place", p)
	}
}

func TestDistributed(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{"", false},
		{"server.1=a:1:2\n", false},
		{"standaloneEnabled=false\nserver.1=a:1:2\n", true},
		{"server.1=a:1:2\nserver.2=b:1:2\n", true},
		{"server.1=a:1:2\nserver.2=b:1:2:observer\n", false},
	}
	for _, tt := range tests {
		if got := parseOK(t, tt.body).Distributed(); got != tt.want {
			t.Errorf("%q: Distributed() = %v, want %v", tt.body, got, tt.want)
		}
	}
}
