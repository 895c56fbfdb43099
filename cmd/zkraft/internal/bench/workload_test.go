package bench

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMixFractions(t *testing.T) {
	for _, readRatio := range []float64{0.9, 0.5, 1, 0} {
		m := NewMix(readRatio)
		r := rand.New(rand.NewPCG(3, 4))
		const n = 200000
		var counts [numOps]int
		reads := 0
		for range n {
			op := m.Pick(r)
			counts[op]++
			if op.IsRead() {
				reads++
			}
		}
		if got := float64(reads) / n; math.Abs(got-readRatio) > 0.01 {
			t.Errorf("read ratio %v: reads are %.3f of ops", readRatio, got)
		}
		want := map[Op]float64{
			OpGet: readRatio * 8 / 9, OpList: readRatio / 9,
			OpSet: (1 - readRatio) * 0.6, OpCreate: (1 - readRatio) * 0.2, OpDelete: (1 - readRatio) * 0.2,
		}
		for op := range numOps {
			got := float64(counts[op]) / n
			if math.Abs(got-want[op]) > 0.01 {
				t.Errorf("read ratio %v: %v is %.3f of ops, want %.3f", readRatio, op, got, want[op])
			}
			if w := m.Weight(op); math.Abs(w-want[op]) > 1e-9 {
				t.Errorf("read ratio %v: Weight(%v) = %v, want %v", readRatio, op, w, want[op])
			}
		}
	}
}

// TestPickKeepsOwnedBounded checks the mixed workload's adjustments: no
// delete without an owned znode, no create past maxOwned.
func TestPickKeepsOwnedBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ReadRatio = 0 // writes only, so creates and deletes come often
	c := newClient(0, &cfg, layout{root: "/r"}, nil, nil, window{}, nil)
	for range 1000 {
		if op := c.pick(); op == OpDelete {
			t.Fatal("picked delete with no owned znode")
		}
	}
	c.owned = make([]uint64, maxOwned)
	for range 1000 {
		if op := c.pick(); op == OpCreate {
			t.Fatal("picked create with maxOwned owned znodes")
		}
	}
}

func TestParseWorkload(t *testing.T) {
	for _, w := range Workloads {
		got, err := ParseWorkload(strings.ToUpper(string(w)))
		if err != nil || got != w {
			t.Errorf("ParseWorkload(%q) = %q, %v", strings.ToUpper(string(w)), got, err)
		}
	}
	if _, err := ParseWorkload("read"); err == nil || !strings.Contains(err.Error(), "create, set, get, mixed, watch, session") {
		t.Errorf("ParseWorkload(read) error %v does not list the workloads", err)
	}
}

func TestLayoutPaths(t *testing.T) {
	l := layout{root: "/zkraft-bench-x"}
	if got := l.key(1234); got != "/zkraft-bench-x/k/g0012/001234" {
		t.Errorf("key(1234) = %s", got)
	}
	if got := l.owned(3, 42); got != "/zkraft-bench-x/c/c0003/0000000042" {
		t.Errorf("owned(3, 42) = %s", got)
	}
	if numGroups(1000) != 10 || numGroups(1001) != 11 || numGroups(1) != 1 {
		t.Errorf("numGroups: %d %d %d", numGroups(1000), numGroups(1001), numGroups(1))
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	cases := []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Servers = nil }, "server: no server"},
		{func(c *Config) { c.Servers = []string{"h:2181/chroot"} }, "chroot"},
		{func(c *Config) { c.Workload = "nope" }, "workload:"},
		{func(c *Config) { c.Clients = 0 }, "clients: 0 is not between 1 and 1000"},
		{func(c *Config) { c.Clients = MaxClients + 1 }, "clients:"},
		{func(c *Config) { c.Duration = 0 }, "duration:"},
		{func(c *Config) { c.Warmup = -1 }, "warmup:"},
		{func(c *Config) { c.DataSize = MaxDataSize + 1 }, "data-size:"},
		{func(c *Config) { c.KeySpace = 0 }, "key-space:"},
		{func(c *Config) { c.ReadRatio = 1.5 }, "read-ratio:"},
		{func(c *Config) { c.SessionTimeout = 0 }, "session-timeout:"},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want error containing %q, got %v", tc.want, err)
		}
	}
}
