package test

// Shrinking a diverging sequence by delta debugging: drop chunks of ops while
// the replayed remainder still diverges (any divergence counts), then print
// the shortest sequence found with both servers' replies to every op.

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func diffReproducer(t *testing.T, zkT, krT target, seed int64, ops []dop, div *diffDivergence) string {
	t.Helper()
	start := time.Now()
	replays := 0
	fails := func(cand []dop) bool {
		if replays >= diffShrinkReplays || time.Since(start) > diffShrinkTime {
			return false
		}
		replays++
		_, d, err := diffPlay(zkT, krT, seed, cand, nil, 0, nil)
		return err == nil && d != nil
	}
	// The same sequence must diverge again on a replay, or it depends on
	// timing and shrinking would chase noise.
	if !fails(ops) {
		return fmt.Sprintf("the divergence did not reproduce on a replay (timing?); the %d ops:\n%s", len(ops), diffListing(ops, nil, nil))
	}
	min := ddmin(ops, fails)
	var zkText, krText []string
	_, last, err := diffPlay(zkT, krT, seed, min, nil, 0, func(z, k string) {
		zkText, krText = append(zkText, z), append(krText, k)
	})
	var b strings.Builder
	fmt.Fprintf(&b, "minimal reproducer (%d of %d ops, %d replays in %v; the whole sequence: -diff.seed=%d -diff.ops=%d):\n",
		len(min), len(ops), replays, time.Since(start).Round(time.Millisecond), seed, diffOpsPerSequence())
	b.WriteString(diffListing(min, zkText, krText))
	if err != nil {
		fmt.Fprintf(&b, "final replay failed: %v\n", err)
	} else if last != nil {
		fmt.Fprintf(&b, "final replay: %s\n", last)
	} else {
		b.WriteString("final replay did not diverge (flaky?)\n")
	}
	return b.String()
}

func diffOpsPerSequence() int {
	if *diffOpsFlag > 0 {
		return *diffOpsFlag
	}
	return diffDefaultOps
}

// ddmin is Zeller's delta debugging minimisation over the op list.
func ddmin(ops []dop, fails func([]dop) bool) []dop {
	n := 2
	for len(ops) >= 2 {
		chunk := (len(ops) + n - 1) / n
		reduced := false
		for start := 0; start < len(ops); start += chunk {
			end := min(start+chunk, len(ops))
			cand := append(append([]dop(nil), ops[:start]...), ops[end:]...)
			if len(cand) > 0 && fails(cand) {
				ops = cand
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if n >= len(ops) {
				break
			}
			n = min(2*n, len(ops))
		}
	}
	return ops
}

// diffListing prints ops with the replies of both servers; a differing
// reply is marked.
func diffListing(ops []dop, zkText, krText []string) string {
	var b strings.Builder
	for i, o := range ops {
		fmt.Fprintf(&b, "  %3d  %s\n", i, o)
		if i < len(zkText) && i < len(krText) {
			mark := "   "
			if zkText[i] != krText[i] {
				mark = ">>>"
			}
			fmt.Fprintf(&b, "   %s zookeeper: %s\n", mark, zkText[i])
			fmt.Fprintf(&b, "   %s zkraft:    %s\n", mark, krText[i])
		}
	}
	return b.String()
}
