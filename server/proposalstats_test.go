package server

import (
	"sync"
	"testing"
)

// TestProposalStats: -1 before the first proposal, then the last, smallest
// and largest size, also under concurrent proposals; resetSizes starts the
// sizes over but keeps the count.
func TestProposalStats(t *testing.T) {
	var p proposalStats
	if l, mn, mx := p.sizes(); l != -1 || mn != -1 || mx != -1 {
		t.Fatalf("fresh sizes %d/%d/%d, want -1/-1/-1", l, mn, mx)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				p.add(10 + (g*1000+i)%500)
			}
		}()
	}
	wg.Wait()
	p.add(0)
	if l, mn, mx := p.sizes(); l != 0 || mn != 0 || mx != 509 {
		t.Fatalf("sizes %d/%d/%d, want 0/0/509", l, mn, mx)
	}
	if n := p.total(); n != 4001 {
		t.Fatalf("count %d, want 4001", n)
	}
	p.resetSizes()
	p.add(48)
	if l, mn, mx := p.sizes(); l != 48 || mn != 48 || mx != 48 || p.total() != 4002 {
		t.Fatalf("after reset: %d/%d/%d count %d, want 48/48/48 count 4002", l, mn, mx, p.total())
	}
}
