package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkraft/zkraft/config"
	"github.com/zkraft/zkraft/server"
)

// runAsMain makes the test binary behave as zkraft itself when re-executed
// by the process tests below.
const runAsMain = "ZKRAFT_CMD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// execute runs the command tree in-process with args and returns its error
// and what it wrote.
func execute(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort finds a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestVersionCommand(t *testing.T) {
	out, err := execute(t, context.Background(), "version")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"zkraft " + version + "\n", "commit: ", "go: go1."} {
		if !strings.Contains(out, want) {
			t.Errorf("version output %q lacks %q", out, want)
		}
	}

	old := commit
	commit = "0123abc"
	defer func() { commit = old }()
	if out, _ = execute(t, context.Background(), "version"); !strings.Contains(out, "commit: 0123abc\n") {
		t.Errorf("commit from -ldflags not shown: %q", out)
	}
	out, err = execute(t, context.Background(), "version", "--output", "json")
	var v map[string]string
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v["version"] != version || v["commit"] != "0123abc" || !strings.HasPrefix(v["go"], "go1.") {
		t.Errorf("version --output json: %q, %v", out, err)
	}
}

func TestServerEnsembleNeedsMyID(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "dataDir="+dir+"\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n"+
		"server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\nserver.3=127.0.0.1:2890:3890\n")
	_, err := execute(t, context.Background(), "server", "--config", path)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "myid")+" does not exist") {
		t.Fatalf("ensemble config without myid: %v", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("the message does not name the file: %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = execute(t, context.Background(), "server", "--config", path)
	if err == nil || !strings.Contains(err.Error(), "id 7") || !strings.Contains(err.Error(), "no server.7 line") {
		t.Fatalf("myid not among the server lines: %v", err)
	}
}

func TestEnsembleMembers(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "dataDir="+dir+"\nclientPort=2181\npeerType=observer\n"+
		"server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889;127.0.0.1:2182\n"+
		"server.3=127.0.0.1:2890:3890:observer\nserver.4=127.0.0.1:2891:3891\n")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServerID = 4
	got, err := ensembleMembers(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []server.Member{
		{ID: 1, QuorumAddr: "127.0.0.1:2888", ElectionAddr: "127.0.0.1:3888"},
		{ID: 2, QuorumAddr: "127.0.0.1:2889", ElectionAddr: "127.0.0.1:3889", ClientAddr: "127.0.0.1:2182"},
		{ID: 3, QuorumAddr: "127.0.0.1:2890", ElectionAddr: "127.0.0.1:3890", Observer: true},
		{ID: 4, QuorumAddr: "127.0.0.1:2891", ElectionAddr: "127.0.0.1:3891", Observer: true}, // peerType
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("members\n got %v\nwant %v", got, want)
	}

	// The same lines from a dynamicConfigFile.
	dyn := filepath.Join(dir, "zoo.cfg.dynamic")
	if err := os.WriteFile(dyn, []byte("server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n"+
		"server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path = writeConfig(t, dir, "dataDir="+dir+"\ndynamicConfigFile="+dyn+"\n")
	if cfg, err = config.Load(path); err != nil {
		t.Fatal(err)
	}
	cfg.ServerID = 2
	if got, err = ensembleMembers(cfg, false); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].ClientAddr != "127.0.0.1:2182" || got[0].Observer || got[1].Observer {
		t.Fatalf("members from %s: %+v", dyn, got)
	}
}

func TestServerConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeConfig(t, dir, "dataDir="+dir+"\nclientPort=2181\ntickTime=abc\nmaxClientCnxns=-1\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"server", "-c", bad}, bad + `:3: tickTime: "abc" is not a whole number`},
		{[]string{"server", "-c", filepath.Join(dir, "missing.cfg")}, "no such file or directory"},
		{[]string{"server", "--data-dir", dir, "--client-port", "70000"}, "flag --client-port: clientPort: 70000 is not a port (1-65535)"},
		{[]string{"server", "--log-level", "loud"}, `--log-level: "loud" is not debug, info, warn or error`},
		{[]string{"server", "--log-format", "xml"}, `--log-format: "xml" is not text or json`},
		{[]string{"server", "--bogus"}, "unknown flag: --bogus\nRun 'zkraft server --help' for usage."},
		{[]string{"server", "extra"}, `unknown command "extra" for "zkraft server"`},
	}
	for _, tt := range tests {
		_, err := execute(t, context.Background(), tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want it to contain %q", tt.args, err, tt.want)
		}
	}

	// Every Validate problem comes out, not just the first.
	bad2 := writeConfig(t, dir, "dataDir="+dir+"\nclientPort=2181\nmaxClientCnxns=-1\nminSessionTimeout=9000\nmaxSessionTimeout=5000\n")
	_, err := execute(t, context.Background(), "server", "-c", bad2)
	if err == nil || !strings.Contains(err.Error(), "maxClientCnxns: -1 is negative") ||
		!strings.Contains(err.Error(), "minSessionTimeout: 9000 is larger than maxSessionTimeout 5000") {
		t.Errorf("joined problems: %v", err)
	}

	// A broken myid stops the server.
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, context.Background(), "server", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "is not a server id") {
		t.Errorf("bad myid: %v", err)
	}
}

// buildServerOptions carries every setting the server takes from zoo.cfg.
func TestBuildServerOptions(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader(strings.Join([]string{
		"tickTime=500", "dataDir=/d", "dataLogDir=/l", "clientPort=2999", "clientPortAddress=127.0.0.1",
		"minSessionTimeout=1500", "maxSessionTimeout=25000", "maxClientCnxns=7", "maxCnxns=70",
		"jute.maxbuffer=0x200000", "4lw.commands.whitelist=ruok,mntr", "DigestAuthenticationProvider.superDigest=super:abc=",
		"extendedTypesEnabled=true", "enforceQuota=true", "znode.container.checkIntervalMs=1000",
		"znode.container.maxPerMinute=50", "autopurge.snapRetainCount=9", "snapCount=500",
	}, "\n")), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServerID = 7
	logger := slog.New(slog.DiscardHandler)
	o := buildServerOptions(cfg, logger)
	checks := []struct {
		name      string
		got, want any
	}{
		{"ClientAddr", o.ClientAddr, "127.0.0.1:2999"},
		{"DataDir", o.DataDir, "/d"},
		{"DataLogDir", o.DataLogDir, "/l"},
		{"ServerID", o.ServerID, 7},
		{"TickTime", o.TickTime, 500 * time.Millisecond},
		{"MinSessionTimeout", o.MinSessionTimeout, 1500 * time.Millisecond},
		{"MaxSessionTimeout", o.MaxSessionTimeout, 25 * time.Second},
		{"MaxClientCnxns", o.MaxClientCnxns, 7},
		{"MaxCnxns", o.MaxCnxns, 70},
		{"MaxBuffer", o.MaxBuffer, 0x200000},
		{"FourLetterWords", o.FourLetterWords, []string{"mntr", "ruok", "srvr"}},
		{"SuperDigest", o.SuperDigest, "super:abc="},
		{"ExtendedTypes", o.ExtendedTypes, true},
		{"EnforceQuota", o.EnforceQuota, true},
		{"ContainerCheckInterval", o.ContainerCheckInterval, time.Second},
		{"ContainerMaxPerMinute", o.ContainerMaxPerMinute, 50},
		{"SnapRetainCount", o.SnapRetainCount, 9},
		{"SnapshotThreshold", o.SnapshotThreshold, uint64(500)},
		{"ConfigLines", o.ConfigLines, cfg.Lines()},
		{"Logger", o.Logger, logger},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if o.Version == "" {
		t.Error("the server's default Version was lost")
	}
}

// The embedded defaults, with the overrides a user would pass.
func TestServerDefaultsWithOverrides(t *testing.T) {
	dir := t.TempDir()
	cmd := newServerCommand()
	if err := cmd.ParseFlags([]string{"--data-dir", dir, "--client-port", "2999"}); err != nil {
		t.Fatal(err)
	}
	o := &serverOptions{}
	o.dataDir, _ = cmd.Flags().GetString("data-dir")
	o.clientPort, _ = cmd.Flags().GetInt("client-port")
	cfg, err := o.loadConfig(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != dir || cfg.DataLogDir != dir || cfg.ClientAddr() != ":2999" || cfg.ServerID != 1 || cfg.TickTime != 2*time.Second {
		t.Errorf("config %+v", cfg)
	}

	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err = o.loadConfig(cmd); err != nil || cfg.ServerID != 4 {
		t.Errorf("with myid 4: id %d, %v", cfg.ServerID, err)
	}
}

// The server runs as its own process until SIGTERM or SIGINT, then closes
// and exits 0; it creates its data directories and reads myid.
func TestServerProcessStopsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			logs := filepath.Join(dir, "logs")
			if err := os.MkdirAll(data, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(data, "myid"), []byte("3\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			port := freePort(t)
			path := writeConfig(t, dir, "tickTime=200\ndataDir="+data+"\ndataLogDir="+logs+
				"\nclientPort="+strconv.Itoa(port)+"\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"+
				"4lw.commands.whitelist=ruok\nunknownKey=1\nserver.3=127.0.0.1:2888:3888\n")

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "server", "--config", path, "--log-format", "json")
			cmd.Env = append(os.Environ(), runAsMain+"=1")
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()

			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if answer := waitRuok(t, addr, done); answer != "imok" {
				t.Fatalf("ruok answered %q; log:\n%s", answer, stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after %v: %v; log:\n%s", sig, err, stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("still running 30s after %v; log:\n%s", sig, stderr.String())
			}

			log := stderr.String()
			for _, want := range []string{`"server_id":3`, `unknownKey: unknown key; ignored`, `running standalone and ignoring the server lines`, `"msg":"shutting down"`, `"msg":"stopped"`} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %s:\n%s", want, log)
				}
			}
			if _, err := os.Stat(logs); err != nil {
				t.Errorf("dataLogDir not created: %v", err)
			}
		})
	}
}

// waitRuok polls addr with the ruok four-letter word until the server
// answers, the process ends, or 30 s pass.
func waitRuok(t *testing.T, addr string, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server exited before serving: %v", err)
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = conn.Write([]byte("ruok"))
			answer, _ := io.ReadAll(conn)
			conn.Close()
			return string(answer)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after 30s", addr)
	return ""
}

// syncBuffer is a bytes.Buffer safe for the process's writer goroutine and
// the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A server that cannot start (its port is taken) fails the command with the
// reason, after releasing what it opened.
func TestServerStartFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	path := writeConfig(t, dir, "tickTime=200\ndataDir="+dir+"\nclientPort="+strconv.Itoa(port)+
		"\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = execute(t, ctx, "server", "-c", path)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("start on a taken port: %v", err)
	}
	// The data directory is free again: a second attempt fails the same
	// way rather than on a locked raft store.
	if _, err = execute(t, ctx, "server", "-c", path); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("second start on a taken port: %v", err)
	}
}
