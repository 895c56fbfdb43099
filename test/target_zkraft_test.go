package test

// zkraft in-process, with the same settings as the ZooKeeper target.

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/zkraft/zkraft/server"
)

type zkraftTarget struct {
	t       testing.TB // nil for the shared target
	dir     string
	addr    string
	opts    server.Options
	srv     *server.Server
	log     *testLog
	stopped bool
}

func startZkraft(t testing.TB) (*zkraftTarget, error) {
	dir, err := os.MkdirTemp("", "zkraft-test-zkraft-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	z := &zkraftTarget{t: t, dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port), log: &testLog{}}
	data := filepath.Join(dir, "data")
	opts := zkraftOptions(data, port, z.log)
	z.opts = opts
	if err := z.start(); err != nil {
		z.Stop()
		return nil, err
	}
	return z, nil
}

// zkraftOptions are the target's server options for a data directory and
// client port on 127.0.0.1.
func zkraftOptions(data string, port int, log *testLog) server.Options {
	opts := server.DefaultOptions()
	opts.ClientAddr = "127.0.0.1:" + strconv.Itoa(port)
	opts.DataDir = data
	opts.DataLogDir = data
	opts.ServerID = 1
	opts.TickTime = tickTime
	opts.MinSessionTimeout = minSessionTimeout
	opts.MaxSessionTimeout = maxSessionTimeout
	opts.MaxClientCnxns = 0
	opts.MaxBuffer = maxBuffer
	opts.FourLetterWords = []string{"*"}
	opts.SuperDigest = superDigest()
	opts.ExtendedTypes = true
	opts.EnforceQuota = true
	opts.ContainerCheckInterval = containerInterval
	opts.ConfigLines = []string{
		"clientPort=" + strconv.Itoa(port),
		"clientPortAddress=127.0.0.1",
		"dataDir=" + data,
		"dataLogDir=" + data,
		"tickTime=" + strconv.Itoa(int(tickTime.Milliseconds())),
		"minSessionTimeout=" + strconv.Itoa(int(minSessionTimeout.Milliseconds())),
		"maxSessionTimeout=" + strconv.Itoa(int(maxSessionTimeout.Milliseconds())),
		"maxClientCnxns=0",
		"serverId=1",
	}
	opts.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return opts
}

func (z *zkraftTarget) start() error {
	srv, err := server.New(z.opts)
	if err != nil {
		return fmt.Errorf("server.New: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("server.Start: %w", err)
	}
	z.srv = srv
	if a := srv.Addr(); a == nil || a.String() != z.addr {
		return fmt.Errorf("server.Addr() = %v after Start, want %s", a, z.addr)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := fourLetterWord(z.addr, "ruok")
		if err == nil && out == "imok" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("zkraft did not answer ruok with imok within 30s: %q, %v", out, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (z *zkraftTarget) Addr() string { return z.addr }
func (z *zkraftTarget) Kind() string { return "zkraft" }

func (z *zkraftTarget) LogTail(n int) string { return z.log.tail(n) }

func (z *zkraftTarget) stopServer() {
	if z.srv == nil {
		return
	}
	if err := z.srv.Close(); err != nil {
		z.log.Printf("server.Close: %v", err)
	}
	z.srv = nil
}

func (z *zkraftTarget) Restart(t testing.TB) {
	t.Helper()
	z.stopServer()
	if err := z.start(); err != nil {
		t.Fatalf("restarting zkraft: %v", err)
	}
}

func (z *zkraftTarget) Stop() {
	if z.stopped {
		return
	}
	z.stopped = true
	z.stopServer()
	z.log.flush(z.t, "zkraft")
	os.RemoveAll(z.dir)
}
