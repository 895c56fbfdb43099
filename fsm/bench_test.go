package fsm

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

var payload = bytes.Repeat([]byte("x"), 100)

// bigFSM builds an FSM holding n znodes of 100 bytes under n/1000 parents,
// in one tx (Apply would give the same tree, only slower to build).
func bigFSM(n int) *FSM {
	f := New(Options{})
	t := newTx(f.cur.Load(), &f.opts, 1, 1)
	parents := n / 1000
	if parents == 0 {
		parents = 1
	}
	for p := 0; p < parents; p++ {
		t.addNode(fmt.Sprintf("/p%04d", p), &znode{data: payload, acl: worldAll, czxid: 1, mzxid: 1, pzxid: 1})
	}
	for i := 0; t.nodes.Root() != nil && i < n-parents; i++ {
		path := fmt.Sprintf("/p%04d/n%07d", i%parents, i)
		t.addNode(path, &znode{data: payload, acl: worldAll, czxid: 1, mzxid: 1, pzxid: 1})
		if i%100000 == 0 {
			t.events = t.events[:0]
		}
	}
	t.events = nil
	f.cur.Store(t.commit())
	return f
}

var (
	millionOnce sync.Once
	million     *FSM
	millionTook time.Duration
	millionHeap uint64
)

func millionFSM(b *testing.B) *FSM {
	millionOnce.Do(func() {
		start := time.Now()
		million = bigFSM(1_000_000)
		millionTook = time.Since(start)
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		millionHeap = m.HeapAlloc
	})
	b.Logf("1,000,000-znode tree built in %v, heap %d MiB", millionTook, millionHeap>>20)
	return million
}

func BenchmarkApplyCreate(b *testing.B) {
	f := New(Options{})
	f.Apply(&raft.Log{Index: 1, Term: 1, Data: EncodeRequest(&Header{Op: protocol.OpCreate}, protocol.Marshal(&protocol.CreateRequest{Path: "/bench", ACL: worldAll}))})
	entries := make([][]byte, b.N)
	for i := range entries {
		entries[i] = EncodeRequest(&Header{Op: protocol.OpCreate, Time: int64(i)}, protocol.Marshal(&protocol.CreateRequest{Path: fmt.Sprintf("/bench/n%09d", i), Data: payload, ACL: worldAll}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := f.Apply(&raft.Log{Index: uint64(i + 2), Term: 1, Data: entries[i]}).(*Result); r.Err != protocol.ErrOK {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkApplySetData(b *testing.B) {
	f := bigFSM(10_000)
	entries := make([][]byte, 1000)
	for i := range entries {
		entries[i] = EncodeRequest(&Header{Op: protocol.OpSetData, Time: int64(i)}, protocol.Marshal(&protocol.SetDataRequest{Path: fmt.Sprintf("/p%04d/n%07d", i%10, i), Data: payload, Version: -1}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := f.Apply(&raft.Log{Index: uint64(i + 1), Term: 1, Data: entries[i%len(entries)]}).(*Result); r.Err != protocol.ErrOK {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkApplyCreateOn1M(b *testing.B) {
	f := millionFSM(b)
	entries := make([][]byte, b.N)
	for i := range entries {
		entries[i] = EncodeRequest(&Header{Op: protocol.OpCreate, Time: int64(i)}, protocol.Marshal(&protocol.CreateRequest{Path: fmt.Sprintf("/p%04d/extra%09d", i%1000, i), Data: payload, ACL: worldAll}))
	}
	saved := f.cur.Load()
	defer f.cur.Store(saved)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := f.Apply(&raft.Log{Index: uint64(i + 2), Term: 1, Data: entries[i]}).(*Result); r.Err != protocol.ErrOK {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkReadGetData(b *testing.B) {
	f := bigFSM(10_000)
	req := &protocol.PathWatchRequest{Path: "/p0003/n0000013", Watch: true}
	watch := func(WatchKind, string) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, code := f.Read(protocol.OpGetData, req, nil, watch); code != protocol.ErrOK {
			b.Fatal(code)
		}
	}
}

func BenchmarkReadGetDataParallel(b *testing.B) {
	f := bigFSM(10_000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := &protocol.PathWatchRequest{Path: "/p0003/n0000013"}
		for pb.Next() {
			if _, _, code := f.Read(protocol.OpGetData, req, nil, nil); code != protocol.ErrOK {
				b.Fatal(code)
			}
		}
	})
}

func BenchmarkGetChildren1000(b *testing.B) {
	f := millionFSM(b)
	req := &protocol.PathWatchRequest{Path: "/p0500"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, _, code := f.Read(protocol.OpGetChildren, req, nil, nil)
		if code != protocol.ErrOK || len(resp.(*protocol.GetChildrenResponse).Children) != 999 {
			b.Fatal(code)
		}
	}
}

// BenchmarkSnapshot1M: capture is what Apply and reads wait for; persist runs
// beside them.
func BenchmarkSnapshot1M(b *testing.B) {
	f := millionFSM(b)
	b.Run("capture", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s, err := f.Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			s.Release()
		}
	})
	b.Run("persist", func(b *testing.B) {
		b.ReportAllocs()
		var size int64
		for i := 0; i < b.N; i++ {
			s, _ := f.Snapshot()
			sink := &countSink{}
			if err := s.Persist(sink); err != nil {
				b.Fatal(err)
			}
			size = sink.n
		}
		b.ReportMetric(float64(size)/(1<<20), "MiB")
	})
	b.Run("restore", func(b *testing.B) {
		var buf bytes.Buffer
		if err := writeSnapshot(&buf, f.cur.Load()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			g := New(Options{})
			if err := g.Restore(io.NopCloser(bytes.NewReader(buf.Bytes()))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type countSink struct{ n int64 }

func (s *countSink) Write(p []byte) (int, error) { s.n += int64(len(p)); return len(p), nil }
func (s *countSink) Close() error                { return nil }
func (s *countSink) Cancel() error               { return nil }
func (s *countSink) ID() string                  { return "count" }
