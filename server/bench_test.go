package server

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// BenchmarkOps runs N concurrent go-zookeeper/zk sessions, each with one
// request in flight, against a standalone server with fsync on every raft
// batch, as REFERENCE.md measured Apache ZooKeeper 3.8 (standalone, same
// machine: create 1,705 / 7,679 / 11,650; setData 1,741 / 7,808 / 12,164;
// getData 3,261 / 21,860 / 33,551 ops/s at 1 / 8 / 32 sessions).
//
//	go test -run - -bench Ops -benchtime 3s ./server/
func BenchmarkOps(b *testing.B) {
	for _, work := range []string{"create", "setData", "getData"} {
		for _, n := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/sessions=%d", work, n), func(b *testing.B) { benchOps(b, work, n) })
		}
	}
}

func benchOps(b *testing.B, work string, sessions int) {
	o := testOptions(b)
	o.TickTime = 2 * time.Second
	o.MinSessionTimeout = 4 * time.Second
	o.MaxSessionTimeout = 40 * time.Second
	o.MaxClientCnxns = 0
	s := startServer(b, o)
	conns := make([]*zk.Conn, sessions)
	for i := range conns {
		conns[i], _ = connect(b, s, 10*time.Second)
	}
	data := make([]byte, 100)
	acl := zk.WorldACL(zk.PermAll)
	for i, c := range conns {
		if _, err := c.Create(fmt.Sprintf("/b%d", i), data, 0, acl); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/b%d", i)
			for {
				k := next.Add(1)
				if k > int64(b.N) {
					return
				}
				var err error
				switch work {
				case "create":
					_, err = c.Create(fmt.Sprintf("%s/n%d", p, k), data, 0, acl)
				case "setData":
					_, err = c.Set(p, data, -1)
				case "getData":
					_, _, err = c.Get(p)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}
