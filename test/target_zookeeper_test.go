package test

// Apache ZooKeeper 3.8 from the Debian package, run standalone as the oracle.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Debian package puts the server in zookeeper.jar, whose manifest names
// its dependencies under /usr/share/java; slf4j-simple is added so its log
// can be shown when a test fails (zkEnv.sh uses /etc/zookeeper/conf for the
// log4j setup of the packaged service instead).
const (
	zkClasspath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
	zkMainClass = "org.apache.zookeeper.server.ZooKeeperServerMain"
)

type zkTarget struct {
	t       testing.TB // nil for the shared target
	dir     string
	cfgPath string
	logPath string
	port    int
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped bool
}

func startZooKeeper(t testing.TB) (*zkTarget, error) {
	z, err := newZooKeeper(t)
	if err != nil {
		return nil, err
	}
	if err := z.start(); err != nil {
		z.Stop()
		return nil, err
	}
	return z, nil
}

// newZooKeeper prepares a ZooKeeper target (directory, zoo.cfg with the
// extra lines) without starting it.
func newZooKeeper(t testing.TB, extra ...string) (*zkTarget, error) {
	if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
		return nil, fmt.Errorf("Apache ZooKeeper is not installed: %w", err)
	}
	dir, err := os.MkdirTemp("", "zkraft-test-zookeeper-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	z := &zkTarget{t: t, dir: dir, port: port,
		cfgPath: filepath.Join(dir, "zoo.cfg"), logPath: filepath.Join(dir, "zookeeper.log")}
	cfg := strings.Join([]string{
		"tickTime=" + strconv.Itoa(int(tickTime.Milliseconds())),
		"minSessionTimeout=" + strconv.Itoa(int(minSessionTimeout.Milliseconds())),
		"maxSessionTimeout=" + strconv.Itoa(int(maxSessionTimeout.Milliseconds())),
		"dataDir=" + filepath.Join(dir, "data"),
		"clientPort=" + strconv.Itoa(port),
		"clientPortAddress=127.0.0.1",
		"maxClientCnxns=0",
		"admin.enableServer=false",
		"4lw.commands.whitelist=*",
		"extendedTypesEnabled=true",
		"DigestAuthenticationProvider.superDigest=" + superDigest(),
	}, "\n") + "\n" + strings.Join(append(extra, ""), "\n")
	if err := os.WriteFile(z.cfgPath, []byte(cfg), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return z, nil
}

func (z *zkTarget) start() error {
	args := []string{
		"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Djava.net.preferIPv4Stack=true",
		"-Dzookeeper.jmx.log4j.disable=true",
		"-Dzookeeper.admin.enableServer=false",
		"-Dzookeeper.4lw.commands.whitelist=*",
		"-Dzookeeper.extendedTypesEnabled=true",
		"-Dzookeeper.enforceQuota=true",
		"-Dzookeeper.DigestAuthenticationProvider.superDigest=" + superDigest(),
		"-Dznode.container.checkIntervalMs=" + strconv.Itoa(int(containerInterval.Milliseconds())),
		"-cp", zkClasspath, zkMainClass, z.cfgPath,
	}
	logf, err := os.OpenFile(z.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("java", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The JVM must not outlive a test binary that dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	z.cmd = cmd
	z.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); close(z.exited) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		// ruok answers before the server takes sessions; srvr does not.
		if out, err := fourLetterWord(z.Addr(), "srvr"); err == nil && strings.Contains(out, "Mode: standalone") {
			return nil
		}
		select {
		case <-z.exited:
			return fmt.Errorf("zookeeper exited during startup: %s", z.logTail(30))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("zookeeper did not serve within 60s: %s", z.logTail(30))
		}
	}
}

func (z *zkTarget) Addr() string { return "127.0.0.1:" + strconv.Itoa(z.port) }
func (z *zkTarget) Kind() string { return "zookeeper" }

// stopProcess ends the JVM by its PID: SIGTERM, then SIGKILL after 10s.
func (z *zkTarget) stopProcess() {
	if z.cmd == nil {
		return
	}
	_ = z.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-z.exited:
	case <-time.After(10 * time.Second):
		_ = z.cmd.Process.Kill()
		<-z.exited
	}
	z.cmd = nil
}

func (z *zkTarget) Restart(t testing.TB) {
	t.Helper()
	z.stopProcess()
	if err := z.start(); err != nil {
		t.Fatalf("restarting zookeeper: %v", err)
	}
}

func (z *zkTarget) Stop() {
	if z.stopped {
		return
	}
	z.stopped = true
	z.stopProcess()
	if z.t != nil && z.t.Failed() {
		z.t.Logf("zookeeper log tail:\n%s", z.logTail(100))
	}
	os.RemoveAll(z.dir)
}

func (z *zkTarget) LogTail(n int) string { return z.logTail(n) }

func (z *zkTarget) logTail(n int) string {
	b, err := os.ReadFile(z.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
