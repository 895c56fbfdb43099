package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/testserver"
	"github.com/zkraft/zkraft/server"
)

// startServer runs an in-process standalone zkraft on a loopback port,
// without the per-IP connection limit (workloads open many sessions).
func startServer(t *testing.T) string {
	return testserver.Start(t, func(o *server.Options) { o.MaxClientCnxns = 0 }).Addr().String()
}

// TestRunEveryWorkload runs each workload briefly against zkraft and checks
// that it did work, saw no errors and left nothing behind; mixed runs on
// both clients (rawConn and go-zookeeper's).
func TestRunEveryWorkload(t *testing.T) {
	addr := startServer(t)
	type run struct {
		name        string
		w           Workload
		goZookeeper bool
	}
	var runs []run
	for _, w := range Workloads {
		runs = append(runs, run{string(w), w, false})
	}
	runs = append(runs, run{"mixed-go-zookeeper", WorkloadMixed, true})
	for _, r := range runs {
		w := r.w
		t.Run(r.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Servers = []string{addr}
			cfg.Workload = w
			cfg.GoZookeeper = r.goZookeeper
			cfg.Clients = 3
			cfg.Duration = 300 * time.Millisecond
			cfg.Warmup = 100 * time.Millisecond
			cfg.KeySpace = 250 // three groups, one partly full
			cfg.ReadRatio = 0.5
			var progress bytes.Buffer
			cfg.Progress = &progress
			cfg.ProgressInterval = 50 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total.Count == 0 || res.Total.OpsPerSec <= 0 {
				t.Errorf("no operations measured: %+v", res.Total)
			}
			if res.Errors != 0 || res.CleanupError != "" {
				t.Errorf("errors %d %v, cleanup %q", res.Errors, res.ErrorKinds, res.CleanupError)
			}
			if res.Total.P50 <= 0 || res.Total.P99 < res.Total.P50 || res.Total.Max < res.Total.P999 {
				t.Errorf("latencies out of order: %+v", res.Total)
			}
			if w == WorkloadMixed && len(res.Ops) < 4 {
				t.Errorf("mixed measured only %d op kinds: %+v", len(res.Ops), res.Ops)
			}
			if !strings.Contains(progress.String(), "ops/s") {
				t.Errorf("no progress lines, got %q", progress.String())
			}
			var table bytes.Buffer
			if err := res.WriteTable(&table); err != nil || !strings.Contains(table.String(), "errors: 0") {
				t.Errorf("table: %v\n%s", err, table.String())
			}
			assertOnlyZookeeperNode(t, addr)
		})
	}
}

func assertOnlyZookeeperNode(t *testing.T, addr string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Servers = []string{addr}
	conn, err := dial(context.Background(), &cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	children, _, err := conn.Children("/")
	if err != nil {
		t.Fatal(err)
	}
	if len(children) != 1 || children[0] != "zookeeper" {
		t.Errorf("left behind under /: %v", children)
	}
}

// TestCleanupAfterCreateRun checks that a create run's thousands of znodes
// go in batches even when some were deleted by someone else meanwhile.
func TestCleanupAfterCreateRun(t *testing.T) {
	addr := startServer(t)
	cfg := DefaultConfig()
	cfg.Servers = []string{addr}
	conn, err := dial(context.Background(), &cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	l := layout{root: "/zkraft-bench-cleanup"}
	cfg.Workload = WorkloadCreate
	cfg.Clients = 2
	if err := setup(conn, &cfg, l); err != nil {
		t.Fatal(err)
	}
	var known []string
	for n := range uint64(450) {
		known = append(known, l.owned(int(n%2), n))
	}
	if err := createBatches(conn, known, nil, 2); err != nil {
		t.Fatal(err)
	}
	for _, p := range known[:5] { // gone already: their batch falls back to one by one
		if err := conn.Delete(p, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := cleanup(conn, append(known, l.owned(0, 9999)), l, discard()); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := conn.Exists(l.root); err != nil || ok {
		t.Errorf("root still exists (%v, %v)", ok, err)
	}
}
