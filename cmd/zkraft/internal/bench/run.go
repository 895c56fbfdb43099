package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// Run sets up a namespace on the servers, runs the workload for the warmup
// and the measured duration, cleans up and reports. Run returns an error when
// the run could not take place (no connection, setup failed); failures of
// individual operations are counted in the Result instead.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = discard()
	}
	admin, err := dial(ctx, &cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("connecting to %v: %w", cfg.Servers, err)
	}
	defer admin.Close()

	l := layout{root: "/zkraft-bench-" + randomHex(6)}
	if err := setup(admin, &cfg, l); err != nil {
		return nil, errors.Join(err, cleanup(admin, nil, l, logger))
	}
	logger.Debug("bench namespace ready", "root", l.root)

	res, clients, runErr := runClients(ctx, &cfg, l, logger)
	var known []string
	for _, c := range clients {
		known = append(known, c.leftovers()...)
	}
	cleanStart := time.Now()
	cleanErr := cleanup(admin, known, l, logger)
	logger.Debug("bench namespace removed", "root", l.root, "znodes", len(known), "took", time.Since(cleanStart))
	if runErr != nil {
		return nil, errors.Join(runErr, cleanErr)
	}
	if cleanErr != nil {
		// The numbers stand; say what was left behind.
		res.CleanupError = cleanErr.Error()
	}
	return res, nil
}

// runClients connects the sessions, runs the load and gathers the results.
func runClients(ctx context.Context, cfg *Config, l layout, logger *slog.Logger) (*Result, []*client, error) {
	sessions, raws := cfg.Clients, 0
	switch {
	case cfg.Workload == WorkloadSession:
		sessions = 0 // each op dials its own
	case cfg.Workload == WorkloadWatch:
		sessions++ // the writer
	case !cfg.GoZookeeper:
		sessions, raws = 0, cfg.Clients
	}
	conns, err := dialAll(ctx, cfg, logger, sessions)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting %d sessions: %w", sessions, err)
	}
	defer closeAll(conns)
	rawConns, err := dialAllRaw(ctx, cfg, raws)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting %d sessions: %w", raws, err)
	}
	defer closeAllRaw(rawConns)

	start := time.Now()
	w := window{from: start.Add(cfg.Warmup)}
	w.to = w.from.Add(cfg.Duration)
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		var conn *zk.Conn
		var raw *rawConn
		if i < len(conns) {
			conn = conns[i]
		}
		if i < len(rawConns) {
			raw = rawConns[i]
		}
		clients[i] = newClient(i, cfg, l, conn, raw, w, logger)
	}
	all := clients

	stopProgress := startProgress(cfg, start, w, clients)
	var runErr error
	if cfg.Workload == WorkloadWatch {
		writer := newClient(cfg.Clients, cfg, l, conns[cfg.Clients], nil, w, logger)
		all = append(all[:len(all):len(all)], writer)
		wr := &watchRun{writer: writer, clients: clients, path: l.watched(), data: make([]byte, cfg.DataSize)}
		runErr = wr.run(ctx, w.to)
	} else {
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.loop(ctx)
			}()
		}
		wg.Wait()
	}
	stopProgress()
	if runErr == nil {
		runErr = ctx.Err()
	}
	return summarize(cfg, w, all), clients, runErr
}

// startProgress prints a line per interval: phase, elapsed time, ops/s over
// the interval and errors so far. The returned func stops it.
func startProgress(cfg *Config, start time.Time, w window, all []*client) func() {
	if cfg.Progress == nil || cfg.ProgressInterval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(cfg.ProgressInterval)
		defer t.Stop()
		var lastOps uint64
		last := start
		for {
			select {
			case now := <-t.C:
				var ops, failed uint64
				for _, c := range all {
					ops += c.ops.Load()
					failed += c.failed.Load()
				}
				phase := "run"
				if now.Before(w.from) {
					phase = "warmup"
				}
				rate := float64(ops-lastOps) / now.Sub(last).Seconds()
				fmt.Fprintf(cfg.Progress, "%-6s %6.1fs  %10.0f ops/s  %d errors\n",
					phase, now.Sub(start).Seconds(), rate, failed)
				lastOps, last = ops, now
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return hex.EncodeToString(b)
}
