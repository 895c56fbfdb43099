package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/testserver"
	"github.com/zkraft/zkraft/protocol"
	"github.com/zkraft/zkraft/server"
)

// startServer runs an in-process zkraft on a free loopback port and returns
// its client address.
func startServer(t *testing.T, tune func(*server.Options)) string {
	return testserver.Start(t, tune).Addr().String()
}

// cli runs one zkraft command line against addr and returns its stdout and
// stderr apart.
func cli(t *testing.T, addr string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(append(args, "--server", addr))
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// mustCLI is cli for a command that must succeed.
func mustCLI(t *testing.T, addr string, args ...string) string {
	t.Helper()
	out, stderr, err := cli(t, addr, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s%s", args, err, out, stderr)
	}
	return out
}

// statText matches zkCli's stat block.
var statText = regexp.MustCompile(`cZxid = 0x[0-9a-f]+\nctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}\nmZxid = 0x[0-9a-f]+\n` +
	`mtime = .+\npZxid = 0x[0-9a-f]+\ncversion = -?\d+\ndataVersion = \d+\naclVersion = \d+\n` +
	`ephemeralOwner = 0x[0-9a-f]+\ndataLength = \d+\nnumChildren = \d+\n`)

func TestDataCommandsText(t *testing.T) {
	addr := startServer(t, nil)
	checks := []struct {
		args []string
		want string // exact stdout, or a regexp when it starts with ^
	}{
		{[]string{"create", "/app", "hello"}, "Created /app\n"},
		{[]string{"create", "/app/empty"}, "Created /app/empty\n"},
		{[]string{"create", "/app/cfg", "v=1"}, "Created /app/cfg\n"},
		{[]string{"create", "-s", "/app/job-", "j"}, "Created /app/job-0000000002\n"},
		{[]string{"get", "/app"}, "hello\n"},
		{[]string{"get", "/app/empty"}, "null\n"},
		{[]string{"get", "-s", "/app"}, `^hello\n` + statText.String() + `$`},
		{[]string{"ls", "/app"}, "[cfg, empty, job-0000000002]\n"},
		{[]string{"ls", "-s", "/app"}, `^\[cfg, empty, job-0000000002\]\n` + statText.String() + `$`},
		{[]string{"ls", "-R", "/app"}, "/app\n/app/cfg\n/app/empty\n/app/job-0000000002\n"},
		{[]string{"stat", "/app/cfg"}, `^` + statText.String() + `$`},
		{[]string{"set", "/app/cfg", "v=2"}, ""},
		{[]string{"set", "-s", "-v", "1", "/app/cfg", "v=3"}, `^(?s)cZxid.*dataVersion = 2\n.*dataLength = 3\n`},
		{[]string{"getAcl", "/app"}, "'world,'anyone\n: cdrwa\n"},
		{[]string{"setAcl", "/app/cfg", "world:anyone:rw,ip:127.0.0.1:cdrwa"}, ""},
		{[]string{"getAcl", "/app/cfg"}, "'world,'anyone\n: rw\n'ip,'127.0.0.1\n: cdrwa\n"},
		{[]string{"setAcl", "-R", "/app", "world:anyone:cdrwa"}, ""},
		{[]string{"getAcl", "-s", "/app/cfg"}, `^'world,'anyone\n: cdrwa\n` + statText.String() + `$`},
		{[]string{"sync", "/app"}, "Sync is OK\n"},
		{[]string{"getAllChildrenNumber", "/app"}, "3\n"},
		{[]string{"getEphemerals"}, "[]\n"},
		{[]string{"create", "-e", "/app/gone"}, "Created /app/gone\n"},
		{[]string{"ls", "/app"}, "[cfg, empty, job-0000000002]\n"}, // the ephemeral went with its session
		{[]string{"whoami", "--auth", "digest:alice:secret"}, "Auth scheme: User\ndigest: alice\nip: 127.0.0.1\n"},
		{[]string{"delete", "/app/empty"}, ""},
		{[]string{"deleteall", "-b", "10", "/app"}, ""},
		{[]string{"ls", "/"}, "[zookeeper]\n"},
	}
	for _, c := range checks {
		got := mustCLI(t, addr, c.args...)
		if strings.HasPrefix(c.want, "^") {
			if !regexp.MustCompile(c.want).MatchString(got) {
				t.Errorf("%v printed\n%s\nwant match of %s", c.args, got, c.want)
			}
		} else if got != c.want {
			t.Errorf("%v printed %q, want %q", c.args, got, c.want)
		}
	}

	// A chroot in the connect string.
	mustCLI(t, addr, "create", "/chroot")
	if got := mustCLI(t, addr+"/chroot", "create", "/in", "x"); got != "Created /in\n" {
		t.Errorf("create under a chroot printed %q", got)
	}
	if got := mustCLI(t, addr, "ls", "/chroot"); got != "[in]\n" {
		t.Errorf("the chrooted create landed elsewhere: ls /chroot = %q", got)
	}
}

func TestDataCommandsJSON(t *testing.T) {
	addr := startServer(t, nil)
	mustCLI(t, addr, "create", "/j", "data")
	mustCLI(t, addr, "create", "/j/k")

	var got struct {
		Path string                     `json:"path"`
		Data *string                    `json:"data"`
		Stat map[string]json.RawMessage `json:"stat"`
	}
	out := mustCLI(t, addr, "get", "-s", "/j", "--output", "json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("get -s --output json: %v\n%s", err, out)
	}
	if got.Path != "/j" || got.Data == nil || *got.Data != "data" {
		t.Errorf("get json: %s", out)
	}
	fields := []string{"czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
		"ephemeralOwner", "dataLength", "numChildren", "pzxid"}
	if len(got.Stat) != len(fields) {
		t.Errorf("stat has %d fields, want ZooKeeper's %d: %s", len(got.Stat), len(fields), out)
	}
	for _, f := range fields {
		if _, ok := got.Stat[f]; !ok {
			t.Errorf("stat lacks %s: %s", f, out)
		}
	}
	if string(got.Stat["dataLength"]) != "4" || string(got.Stat["numChildren"]) != "1" {
		t.Errorf("stat values: %s", out)
	}

	jsonChecks := []struct {
		args []string
		want string
	}{
		{[]string{"ls", "/j"}, `{"children":["k"],"path":"/j"}`},
		{[]string{"ls", "-R", "/j"}, `{"path":"/j","paths":["/j","/j/k"]}`},
		{[]string{"get", "/j/k"}, `{"data":null,"path":"/j/k"}`},
		{[]string{"getAcl", "/j"}, `{"acl":[{"scheme":"world","id":"anyone","perms":"cdrwa"}],"path":"/j"}`},
		{[]string{"create", "/j/n"}, `{"path":"/j/n"}`},
		{[]string{"sync", "/j"}, `{"path":"/j","synced":true}`},
		{[]string{"getAllChildrenNumber", "/j"}, `{"count":2,"path":"/j"}`},
		{[]string{"getEphemerals", "/j"}, `{"ephemerals":[],"path":"/j"}`},
		{[]string{"whoami"}, `{"identities":[{"scheme":"ip","user":"127.0.0.1"}]}`},
		{[]string{"delete", "/j/n"}, `{"deleted":true,"path":"/j/n"}`},
	}
	for _, c := range jsonChecks {
		if got := strings.TrimSpace(mustCLI(t, addr, append(c.args, "-o", "json")...)); got != c.want {
			t.Errorf("%v -o json printed\n%s\nwant\n%s", c.args, got, c.want)
		}
	}
}

func TestDataCommandErrors(t *testing.T) {
	addr := startServer(t, nil)
	mustCLI(t, addr, "create", "/e", "x")
	mustCLI(t, addr, "create", "/e/child")
	mustCLI(t, addr, "create", "/locked", "x", "world:anyone:r")
	cases := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"get", "/missing"}, "Node does not exist: /missing", exitFailure},
		{[]string{"create", "/e"}, "Node already exists: /e", exitFailure},
		{[]string{"delete", "/e"}, "Node not empty: /e", exitFailure},
		{[]string{"set", "-v", "7", "/e", "y"}, "version No is not valid : /e", exitFailure},
		{[]string{"set", "/locked", "y"}, "Insufficient permission : /locked", exitFailure},
		{[]string{"create", "-t", "1000", "/ttl"}, "KeeperErrorCode = Unimplemented for /ttl", exitFailure},
		{[]string{"deleteall", "/missing"}, "Node does not exist: /missing", exitFailure},
		{[]string{"listquota", "/e"}, "quota for /e does not exist", exitFailure},
		{[]string{"get"}, "accepts 1 arg(s), received 0", exitUsage},
		{[]string{"get", "-x", "/e"}, "unknown shorthand flag: 'x' in -x", exitUsage},
		{[]string{"get", "/e", "-o", "yaml"}, `--output: "yaml" is not text or json`, exitUsage},
		{[]string{"create", "-c", "-e", "/c"}, "-c cannot be combined with -s or -e", exitUsage},
		{[]string{"create", "/a", "x", "world:anyone"}, "world:anyone does not have the form scheme:id:perm", exitUsage},
		{[]string{"setAcl", "/e", "world:anyone:rz"}, `unknown perm type 'z'`, exitUsage},
		{[]string{"setquota", "/e"}, "give exactly one of -n, -b, -N, -B", exitUsage},
		{[]string{"whoami", "--auth", "nocolon"}, `--auth: "nocolon" is not scheme:credentials`, exitUsage},
		{[]string{"nosuchcommand"}, `unknown command "nosuchcommand"`, exitUsage},
	}
	for _, c := range cases {
		_, _, err := cli(t, addr, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
			continue
		}
		if got := exitCode(err); got != c.code {
			t.Errorf("%v: exit status %d, want %d", c.args, got, c.code)
		}
	}

	// Nothing listens: the command fails after trying every server.
	dead := deadAddr(t)
	_, _, err := cli(t, dead+","+dead, "ls", "/")
	if err == nil || !strings.Contains(err.Error(), "no session from") || exitCode(err) != exitFailure {
		t.Errorf("unreachable servers: %v", err)
	}
	// ...and with a live one later in the list, that one answers.
	if got := mustCLI(t, dead+","+addr, "get", "/e"); got != "x\n" {
		t.Errorf("second server of the list: %q", got)
	}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(freePort(t))
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// shellCmd is "zkraft shell --server addr" reading in, its stdout and
// stderr both in out.
func shellCmd(addr string, in io.Reader) (root *cobra.Command, out *syncBuffer) {
	root, out = newRootCommand(), &syncBuffer{}
	root.SetOut(out)
	root.SetErr(out)
	root.SetIn(in)
	root.SetArgs([]string{"shell", "--server", addr})
	return root, out
}

// startWatch runs "zkraft watch PATH args..." until ctx ends and waits
// until its watch is set; done gets its result.
func startWatch(t *testing.T, ctx context.Context, path string, args ...string) (out, errOut *syncBuffer, done chan error) {
	t.Helper()
	root := newRootCommand()
	out, errOut = &syncBuffer{}, &syncBuffer{}
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetArgs(append([]string{"watch", path}, args...))
	done = make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	waitFor(t, "the watch to be set", func() bool { return strings.Contains(errOut.String(), "watching "+path) })
	return out, errOut, done
}

func TestWatchCommandStreamsUntilCancelled(t *testing.T) {
	addr := startServer(t, nil)
	mustCLI(t, addr, "create", "/w")
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out, _, done := startWatch(t, ctx, "/w", "--server", addr, "-o", format)

			mustCLI(t, addr, "create", "/w/"+format, "x")
			mustCLI(t, addr, "set", "/w/"+format, "y")
			mustCLI(t, addr, "delete", "/w/"+format)
			want := []string{
				"WatchedEvent state:SyncConnected type:NodeCreated path:/w/" + format,
				"WatchedEvent state:SyncConnected type:NodeDataChanged path:/w/" + format,
				"WatchedEvent state:SyncConnected type:NodeDeleted path:/w/" + format,
			}
			if format == "json" {
				want = []string{
					`{"type":"NodeCreated","state":"SyncConnected","path":"/w/json"}`,
					`{"type":"NodeDataChanged","state":"SyncConnected","path":"/w/json"}`,
					`{"type":"NodeDeleted","state":"SyncConnected","path":"/w/json"}`,
				}
			}
			waitFor(t, "three events", func() bool { return strings.Count(out.String(), "\n") >= 3 })
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("watch ended with %v, want a clean exit on interrupt", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("watch did not stop on cancel")
			}
			if got := strings.TrimSpace(out.String()); got != strings.Join(want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

func TestShellReadsCommandsFromStdin(t *testing.T) {
	addr := startServer(t, nil)
	mustCLI(t, addr, "create", "/s", "before")
	script := `# a comment, then a blank line

create -e /s/eph
getEphemerals
get -w /s
set /s 'two words'
addWatch -m PERSISTENT /s/tmp
create /s/tmp
get /s
addauth digest bob:pw
whoami
delete /nothing
ls /s
quit
ls /never-run
`
	root, out := shellCmd(addr, strings.NewReader(script))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	if err == nil || err.Error() != "1 of 11 commands failed" {
		t.Errorf("shell with one failing command: %v", err)
	}
	got := out.String()
	for _, want := range []string{
		"Created /s/eph\n", "[/s/eph]\n", "before\n", "two words\n",
		"WATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/s\n",
		"WatchedEvent state:SyncConnected type:NodeCreated path:/s/tmp\n", "digest: bob\n", "Node does not exist: /nothing\n", "[eph, tmp]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("shell output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "never-run") {
		t.Errorf("a command after quit ran:\n%s", got)
	}
	// The shell's session, and with it the ephemeral, is gone.
	if _, _, err := cli(t, addr, "stat", "/s/eph"); !isCode(err, protocol.ErrNoNode) {
		t.Errorf("ephemeral of the shell's session after exit: %v", err)
	}

	// A clean script exits 0.
	root, _ = shellCmd(addr, strings.NewReader("ls /\n"))
	if err := root.ExecuteContext(ctx); err != nil {
		t.Errorf("clean script: %v", err)
	}
}

func TestSplitWords(t *testing.T) {
	got, err := splitWords(` create  /a "x y" 'it''s' ""`)
	want := []string{"create", "/a", "x y", "its", ""}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitWords = %q, %v; want %q", got, err, want)
	}
	if _, err := splitWords(`get "/a`); err == nil {
		t.Error("an unterminated quote was accepted")
	}
}

func TestCompletion(t *testing.T) {
	if got := completeCommand("get"); strings.Join(got, ",") != "get ,getAcl ,getAllChildrenNumber ,getEphemerals " {
		t.Errorf("completeCommand(get) = %q", got)
	}
	addr := startServer(t, nil)
	mustCLI(t, addr, "create", "/comp")
	mustCLI(t, addr, "create", "/comp/alpha")
	mustCLI(t, addr, "create", "/comp/beta")
	s := &dataSession{server: addr, timeout: 10 * time.Second}
	c, err := s.dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := completePath(context.Background(), c, "/comp/a"); strings.Join(got, ",") != "/comp/alpha" {
		t.Errorf("completePath(/comp/a) = %q", got)
	}
	if got := completePath(context.Background(), c, "/co"); strings.Join(got, ",") != "/comp" {
		t.Errorf("completePath(/co) = %q", got)
	}
	if got := completePath(context.Background(), c, "/missing/x"); got != nil {
		t.Errorf("completePath under a missing node = %q", got)
	}
}

// The process exits 1 for a failed operation and 2 for a wrong command line,
// and prints zkCli's message.
func TestDataCommandExitStatus(t *testing.T) {
	addr := startServer(t, nil)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"get", "/missing"}, exitFailure, "Node does not exist: /missing"},
		{[]string{"get"}, exitUsage, "accepts 1 arg(s), received 0"},
		{[]string{"ls", "--bogus", "/"}, exitUsage, "unknown flag: --bogus"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, os.Args[0], append(c.args, "--server", addr)...)
		cmd.Env = append(os.Environ(), runAsMain+"=1")
		out, err := cmd.CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != c.code || !strings.Contains(string(out), c.msg) {
			t.Errorf("zkraft %v: %v, output %q; want exit status %d and %q", c.args, err, out, c.code, c.msg)
		}
	}
}

// "zkraft watch" as a process: an interrupt ends it with exit status 0.
func TestWatchProcessExitsZeroOnInterrupt(t *testing.T) {
	addr := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "watch", "/", "--server", addr)
	cmd.Env = append(os.Environ(), runAsMain+"=1")
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watch to be set", func() bool { return strings.Contains(errOut.String(), "watching / and below") })
	mustCLI(t, addr, "create", "/seen")
	waitFor(t, "the event", func() bool { return strings.Contains(out.String(), "type:NodeCreated path:/seen") })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("watch after SIGINT: %v; stderr %s", err, errOut.String())
	}
}

// TestWatchCommandResumesAfterRestart: "zkraft watch" outlives a restart of
// its server: it resumes the session and the watch goes on.
func TestWatchCommandResumesAfterRestart(t *testing.T) {
	srv, restart := testserver.StartRestartable(t)
	addr := srv.Addr().String()
	mustCLI(t, addr, "create", "/w")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut, done := startWatch(t, ctx, "/w", "--server", addr)
	mustCLI(t, addr, "create", "/w/before")
	waitFor(t, "the first event", func() bool { return strings.Contains(out.String(), "path:/w/before") })

	restart()
	waitFor(t, "the reconnect", func() bool { return strings.Contains(errOut.String(), "reconnected to "+addr) })
	mustCLI(t, addr, "create", "/w/after")
	waitFor(t, "an event after the restart", func() bool { return strings.Contains(out.String(), "path:/w/after") })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("watch ended with %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "connection to "+addr+" lost") {
		t.Errorf("stderr does not say the connection was lost:\n%s", errOut.String())
	}
}

// TestShellResumesAfterRestart: the shell's next command after its server
// restarted runs on the resumed session, whose watch still fires.
func TestShellResumesAfterRestart(t *testing.T) {
	srv, restart := testserver.StartRestartable(t)
	addr := srv.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, feed := io.Pipe()
	root, out := shellCmd(addr, in)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	fmt.Fprintln(feed, "create -e /eph x")
	fmt.Fprintln(feed, "get -w /eph")
	waitFor(t, "the watch to be set", func() bool { return strings.Contains(out.String(), "x\n") })

	restart()
	fmt.Fprintln(feed, "set /eph y")
	waitFor(t, "the watch to fire after the restart", func() bool {
		return strings.Contains(out.String(), "type:NodeDataChanged path:/eph")
	})
	feed.Close()
	if err := <-done; err != nil {
		t.Fatalf("shell: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "reconnected to "+addr) {
		t.Errorf("no reconnect in the output:\n%s", out.String())
	}
}
