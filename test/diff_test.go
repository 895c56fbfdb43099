package test

// TestDifferential runs the same random op sequences against Apache ZooKeeper
// 3.8 (the oracle) and zkraft and compares every reply, every Stat, every
// watch event and the final tree after normalising what legitimately differs
// (see diff_exec_test.go; the documented differences are in
// diff_known_test.go and COMPATIBILITY.md). A divergence is shrunk to a short
// reproducer by replaying subsets of the sequence under fresh roots of the
// same servers.
//
//	go test ./test -run TestDifferential -v                        # the CI seeds
//	go test ./test -run TestDifferential -diff.seeds=500 -v        # more seeds
//	go test ./test -run TestDifferential -diff.seed=17 -diff.ops=400 -v
//	go test ./test -run TestDifferential -diff.seeds=2000 -diff.shrink=false -diff.maxfail=100 -v  # a survey

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	diffSeedsFlag  = flag.Int("diff.seeds", 0, "differential test: run seeds 1..N (0: the CI set)")
	diffSeedFlag   = flag.Int64("diff.seed", 0, "differential test: run only this seed (0: off)")
	diffOpsFlag    = flag.Int("diff.ops", 0, "differential test: ops per sequence (0: the default)")
	diffShrinkFlag = flag.Bool("diff.shrink", true, "differential test: shrink a diverging sequence to a minimal reproducer")
	diffMaxFail    = flag.Int("diff.maxfail", 3, "differential test: stop after this many diverging seeds")
)

const (
	diffCISeeds     = 150
	diffCISeedsRace = 100 // with -race (see diff_race_test.go)
	diffDefaultOps  = 400
	// Shrinking stops after this many replays or this long, whichever first.
	diffShrinkReplays = 200
	diffShrinkTime    = 2 * time.Minute
)

// diffDivergence is the first difference of a sequence.
type diffDivergence struct {
	Op      int    // index of the op whose reply differs; -1 for events
	What    string // the op
	Session int    // for events; -1 when the final trees differ
	ZK, KR  string // the two renderings
}

func (d *diffDivergence) String() string {
	if d.Op >= 0 {
		return fmt.Sprintf("reply of op %d (%s) differs:\n  zookeeper: %s\n  zkraft:    %s", d.Op, d.What, d.ZK, d.KR)
	}
	if d.Session < 0 {
		return fmt.Sprintf("the final trees differ:\n  zookeeper:\n%s\n  zkraft:\n%s", d.ZK, d.KR)
	}
	return fmt.Sprintf("watch events of session s%d differ:\n  zookeeper:\n%s\n  zkraft:\n%s", d.Session, d.ZK, d.KR)
}

var (
	diffRootSeq atomic.Int64
	// diffAcceptedCount counts replies and per-session event lists that
	// differed as COMPATIBILITY.md documents.
	diffAcceptedCount atomic.Int64
)

func TestDifferential(t *testing.T) {
	if reason := zookeeperMissing(); reason != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the differential test cannot run: %s", reason)
		}
		t.Skipf("skipping the differential test: %s (install the Debian zookeeper package and Java)", reason)
	}
	zkT, err := startZooKeeper(t)
	if err != nil {
		t.Fatalf("starting Apache ZooKeeper: %v", err)
	}
	t.Cleanup(zkT.Stop)
	krT, err := startZkraft(t)
	if err != nil {
		t.Fatalf("starting zkraft: %v", err)
	}
	t.Cleanup(krT.Stop)

	seeds := make([]int64, 0, diffCISeeds)
	switch {
	case *diffSeedFlag != 0:
		seeds = append(seeds, *diffSeedFlag)
	case *diffSeedsFlag > 0:
		for s := int64(1); s <= int64(*diffSeedsFlag); s++ {
			seeds = append(seeds, s)
		}
	default:
		n := int64(diffCISeeds)
		if diffRaceEnabled {
			n = diffCISeedsRace
		}
		for s := int64(1); s <= n; s++ {
			seeds = append(seeds, s)
		}
	}
	nOps := diffOpsPerSequence()

	start := time.Now()
	var sequences, ops, failed int
	for _, seed := range seeds {
		played, div, err := diffPlay(zkT, krT, seed, nil, newDiffGen(seed), nOps, nil)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		sequences++
		ops += len(played)
		if div == nil {
			continue
		}
		failed++
		repro := ""
		if *diffShrinkFlag {
			repro = diffReproducer(t, zkT, krT, seed, played, div)
		}
		t.Errorf("seed %d: %s\n%s", seed, div, repro)
		if failed >= *diffMaxFail {
			t.Errorf("stopping after %d diverging seeds", failed)
			break
		}
		// The servers' trees now differ outside this sequence's root (its
		// sessions, the root's own stat): later sequences get fresh ones.
		zkT.Stop()
		krT.Stop()
		if zkT, err = startZooKeeper(t); err != nil {
			t.Fatalf("restarting Apache ZooKeeper: %v", err)
		}
		t.Cleanup(zkT.Stop)
		if krT, err = startZkraft(t); err != nil {
			t.Fatalf("restarting zkraft: %v", err)
		}
		t.Cleanup(krT.Stop)
	}
	t.Logf("differential: compared %d sequences, %d ops (%d sessions each, one closed midway) in %v; %d diverged; %d replies or event lists differed as COMPATIBILITY.md documents",
		sequences, ops, diffSessions, time.Since(start).Round(time.Millisecond), failed, diffAcceptedCount.Load())
}

// zookeeperMissing says why Apache ZooKeeper cannot be started, or "".
func zookeeperMissing() string {
	if _, err := exec.LookPath("java"); err != nil {
		return "java is not installed"
	}
	for _, f := range strings.Split(zkClasspath, ":") {
		if _, err := os.Stat(f); err != nil {
			return fmt.Sprintf("%s is missing", f)
		}
	}
	return ""
}

// diffPlay runs one sequence on fresh roots of both servers: the given ops,
// or n ops drawn from gen. It returns the ops played up to and including the
// first divergence; rec, when set, sees both renderings of every reply. err
// is set only when the test itself cannot go on.
func diffPlay(zkT, krT target, seed int64, ops []dop, gen *diffGen, n int, rec func(zk, kr string)) ([]dop, *diffDivergence, error) {
	root := fmt.Sprintf("/diff-%d-%d", seed, diffRootSeq.Add(1))
	var zs, ks *diffSide
	err := both(
		func() (err error) { zs, err = newDiffSide(zkT, root); return },
		func() (err error) { ks, err = newDiffSide(krT, root); return },
	)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the sessions: %w", err)
	}
	defer func() { _ = both(func() error { zs.close(); return nil }, func() error { ks.close(); return nil }) }()

	if gen != nil {
		ops = nil
	} else {
		n = len(ops)
	}
	var played []dop
	for i := 0; i < n; i++ {
		var o dop
		if gen != nil {
			o = gen.next(i, n)
		} else {
			o = ops[i]
		}
		played = append(played, o)
		var rz, rk diffResult
		// An op that may delete nodes is bracketed by barriers: a session
		// close deletes its ephemerals, and the container sweeper (which may
		// run before the op's reply is even read) deletes several containers,
		// both in an order ZooKeeper takes from a hash set. Their events
		// are then compared as a set.
		bracket := o.Kind == "closeSession" || o.Kind == "delete" || o.Kind == "multi"
		var fromZ, fromK [diffSessions]int64
		if bracket {
			if err := both(func() (err error) { fromZ, err = zs.barrier(); return }, func() (err error) { fromK, err = ks.barrier(); return }); err != nil {
				return played, nil, err
			}
		}
		_ = both(func() error { rz = zs.mustRun(i, o); return nil }, func() error { rk = ks.mustRun(i, o); return nil })
		if rec != nil {
			rec(rz.Text, rk.Text)
		}
		if rz.Text != rk.Text {
			if row := diffAccepted(o, rz.Text, rk.Text); row != "" {
				diffAcceptedCount.Add(1)
			} else {
				return played, &diffDivergence{Op: i, What: o.String(), ZK: rz.Text, KR: rk.Text}, nil
			}
		}
		swept := false
		if rz.Deleted || rk.Deleted {
			var dz, dk string
			if err := both(func() (err error) { dz, err = zs.due(); return }, func() (err error) { dk, err = ks.due(); return }); err != nil {
				return played, nil, err
			}
			var ez, ek error
			if dz != "" || dk != "" {
				swept = true
				deadline := time.Now().Add(5 * time.Second)
				_ = both(func() error { ez = zs.settle(deadline); return nil }, func() error { ek = ks.settle(deadline); return nil })
			}
			if ez != nil || ek != nil {
				return played, &diffDivergence{Op: i, What: o.String(), ZK: rz.Text + errSuffix(ez), KR: rk.Text + errSuffix(ek)}, nil
			}
		}
		if bracket {
			var toZ, toK [diffSessions]int64
			if err := both(func() (err error) { toZ, err = zs.barrier(); return }, func() (err error) { toK, err = ks.barrier(); return }); err != nil {
				return played, nil, err
			}
			// A sweep may also have run before the due check found
			// nothing left: the window then costs only ordering checks
			// of one op's events, which both servers queue in one order.
			if o.Kind == "closeSession" || swept || rz.Deleted || rk.Deleted {
				zs.window(i, fromZ, toZ)
				ks.window(i, fromK, toK)
			}
		}
		if gen != nil {
			gen.learn(rz.Created)
		}
	}
	// The final trees: every node, with data, ACL and Stat, as super. This
	// also proves the closed session's ephemerals are gone on both.
	var tz, tk []string
	var ez, ek error
	_ = both(func() error { tz, ez = zs.tree(); return nil }, func() error { tk, ek = ks.tree(); return nil })
	if ez != nil || ek != nil {
		return played, nil, fmt.Errorf("reading the final trees: %v / %v", ez, ek)
	}
	if a, b := strings.Join(tz, "\n"), strings.Join(tk, "\n"); a != b {
		return played, &diffDivergence{Op: -1, Session: -1, ZK: indent(a), KR: indent(b)}, nil
	}
	var evz, evk [diffSessions][]string
	_ = both(func() error { evz, ez = zs.events(); return nil }, func() error { evk, ek = ks.events(); return nil })
	if ez != nil || ek != nil {
		return played, nil, fmt.Errorf("collecting events: %v / %v", ez, ek)
	}
	for s := range evz {
		a, b := strings.Join(evz[s], "\n"), strings.Join(evk[s], "\n")
		if a != b {
			return played, &diffDivergence{Op: -1, Session: s, ZK: indent(a), KR: indent(b)}, nil
		}
	}
	return played, nil, nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " SETTLE: " + err.Error()
}

func indent(s string) string {
	if s == "" {
		return "    (none)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// mustRun runs an op; a transport failure (connection closed, no reply) is
// rendered as such, so a server that drops a connection the other keeps is a
// divergence like any other.
func (s *diffSide) mustRun(i int, o dop) diffResult {
	if s.sess[o.S] == nil {
		return diffResult{Text: "NO-SESSION"}
	}
	select {
	case <-s.sess[o.S].closed:
		return diffResult{Text: "CONNECTION-CLOSED"}
	default:
	}
	r, err := s.runOp(i, o)
	if err != nil {
		return diffResult{Text: "TRANSPORT-FAILURE"}
	}
	return r
}

// both runs f and g at the same time and returns the first error.
func both(f, g func() error) error {
	var wg sync.WaitGroup
	var eg error
	wg.Add(1)
	go func() { defer wg.Done(); eg = g() }()
	ef := f()
	wg.Wait()
	if ef != nil {
		return ef
	}
	return eg
}
