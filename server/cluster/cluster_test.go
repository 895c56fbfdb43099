package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

func listen(t *testing.T) *Mux {
	t.Helper()
	m, err := Listen("127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestMuxRoutesByFirstByte(t *testing.T) {
	m := listen(t)
	a, b := m.Listener(0x10), m.Listener(0x11)
	for _, tc := range []struct {
		proto byte
		l     net.Listener
	}{{0x11, b}, {0x10, a}} {
		nc, err := Dial(m.Addr().String(), tc.proto, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write([]byte("hi"))
		got, err := tc.l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2)
		if _, err := io.ReadFull(got, buf); err != nil || string(buf) != "hi" {
			t.Fatalf("proto %#x: read %q, %v", tc.proto, buf, err)
		}
		got.Close()
	}
}

func TestMuxDropsUnknownByte(t *testing.T) {
	m := listen(t)
	m.Listener(ProtoRaft)
	nc, err := Dial(m.Addr().String(), 0x7f, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection with an unknown protocol byte stayed open")
	}
}

func TestMuxAdvertisedAddr(t *testing.T) {
	m, err := Listen("127.0.0.1:0", "zk1.example:2888", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.Listener(ProtoRaft).Addr().String(); got != "zk1.example:2888" {
		t.Fatalf("Addr = %q", got)
	}
}

type countFSM struct {
	mu sync.Mutex
	n  int
}

func (f *countFSM) Apply(*raft.Log) interface{} { f.mu.Lock(); f.n++; f.mu.Unlock(); return nil }
func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) {
	return nil, errors.New("no snapshots in this test")
}
func (f *countFSM) Restore(io.ReadCloser) error { return nil }
func (f *countFSM) count() int                  { f.mu.Lock(); defer f.mu.Unlock(); return f.n }

// fastRaftConfig is raft's default configuration with short timeouts and
// no log output, for a member with this id.
func fastRaftConfig(id raft.ServerID) *raft.Config {
	conf := raft.DefaultConfig()
	conf.LocalID = id
	conf.HeartbeatTimeout = 100 * time.Millisecond
	conf.ElectionTimeout = 100 * time.Millisecond
	conf.LeaderLeaseTimeout = 50 * time.Millisecond
	conf.Logger = hclog.NewNullLogger()
	return conf
}

// raftOverMux forms a three-voter raft over three muxes, every member
// bootstrapping the same configuration, and returns it once it has a
// leader; setup, when not nil, sees each transport first.
func raftOverMux(t *testing.T, setup func(*Transport)) (leader *raft.Raft, fsms []*countFSM) {
	t.Helper()
	var muxes []*Mux
	var servers []raft.Server
	for i := range 3 {
		m := listen(t)
		muxes = append(muxes, m)
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(fmt.Sprint(i + 1)), Address: raft.ServerAddress(m.Advertise())})
	}
	var rafts []*raft.Raft
	for i, m := range muxes {
		conf := fastRaftConfig(servers[i].ID)
		trans := m.NewTransport(time.Second, hclog.NewNullLogger())
		if setup != nil {
			setup(trans)
		}
		logs, snaps := raft.NewInmemStore(), raft.NewInmemSnapshotStore()
		if err := raft.BootstrapCluster(conf, logs, logs, snaps, trans, raft.Configuration{Servers: servers}); err != nil {
			t.Fatal(err)
		}
		f := &countFSM{}
		r, err := raft.NewRaft(conf, f, logs, logs, snaps, trans)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Shutdown().Error(); trans.Close() })
		rafts = append(rafts, r)
		fsms = append(fsms, f)
	}
	deadline := time.Now().Add(10 * time.Second)
	for leader == nil {
		for _, r := range rafts {
			if r.State() == raft.Leader {
				leader = r
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no leader within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return leader, fsms
}

// waitApplied waits until every FSM applied n entries.
func waitApplied(t *testing.T, fsms []*countFSM, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i, f := range fsms {
		for f.count() != n {
			if time.Now().After(deadline) {
				t.Fatalf("member %d applied %d entries, want %d", i+1, f.count(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestRaftOverMux replicates an entry over the mux transport.
func TestRaftOverMux(t *testing.T) {
	leader, fsms := raftOverMux(t, nil)
	if err := leader.Apply([]byte("x"), 5*time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	waitApplied(t, fsms, 1)
}

// TestLimitCommitHoldsFollowersBack: with the commit index a member sends
// capped (LimitCommit), the followers store an entry the leader committed
// but apply it only once the cap allows.
func TestLimitCommitHoldsFollowersBack(t *testing.T) {
	var limit atomic.Uint64
	leader, fsms := raftOverMux(t, func(tr *Transport) { tr.LimitCommit(limit.Load) })
	if err := leader.Apply([]byte("x"), 5*time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	// Several commit timeouts and heartbeats pass (fastRaftConfig's are
	// tens of milliseconds); the followers must still not apply.
	time.Sleep(300 * time.Millisecond)
	applied := 0
	for _, f := range fsms {
		applied += f.count()
	}
	if applied != 1 {
		t.Fatalf("%d members applied the entry with the commit capped at 0, want only the leader", applied)
	}
	limit.Store(^uint64(0))
	waitApplied(t, fsms, 1)
}

// fakeLeader records proposals in order and answers as told.
type fakeLeader struct {
	mu       sync.Mutex
	got      [][]byte
	touched  []int64
	notLead  bool
	release  chan struct{} // proposals wait for it when set
	syncZxid int64
}

func (h *fakeLeader) Propose(e []byte) Outcome {
	h.mu.Lock()
	h.got = append(h.got, e)
	notLead, rel := h.notLead, h.release
	h.mu.Unlock()
	return Outcome{Wait: func() ([]byte, error) {
		if rel != nil {
			<-rel
		}
		if notLead {
			return nil, ErrNotLeader
		}
		return e, nil
	}, Settled: rel}
}

func (h *fakeLeader) Touch(ids []int64) {
	h.mu.Lock()
	h.touched = append(h.touched, ids...)
	h.mu.Unlock()
}

func (h *fakeLeader) SyncZxid() (int64, error) { return h.syncZxid, nil }

func serveFake(t *testing.T, h Handler) *Mux {
	m := listen(t)
	go Serve(m.Listener(ProtoForward), h, nil)
	return m
}

func TestForwardPipelinesInOrder(t *testing.T) {
	h := &fakeLeader{syncZxid: 0x500000007}
	m := serveFake(t, h)
	f := NewForwarder(func() (string, bool) { return m.Advertise(), true }, time.Second, time.Second, time.Second, nil)
	defer f.Close()
	var doneMu sync.Mutex
	var done [][]byte // what OnWriteDone saw; the fake leader answers with the entry
	f.OnWriteDone(func(p []byte) { doneMu.Lock(); done = append(done, p); doneMu.Unlock() })
	var calls []*Call
	for i := range 1000 {
		calls = append(calls, f.Send(KindWrite, binary.BigEndian.AppendUint32(nil, uint32(i))))
	}
	touch := f.Send(KindTouch, binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 7), 9))
	syncCall := f.Send(KindSync, nil)
	for i, c := range calls {
		if err := c.Wait(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if c.Gen != calls[0].Gen || c.Gen == 0 {
			t.Fatalf("call %d went on connection %d, the first on %d", i, c.Gen, calls[0].Gen)
		}
		doneMu.Lock()
		seen := done
		doneMu.Unlock()
		if len(seen) <= i || binary.BigEndian.Uint32(seen[i]) != uint32(i) || binary.BigEndian.Uint32(c.Payload) != uint32(i) {
			t.Fatalf("write %d: OnWriteDone saw %d payloads, payload %x", i, len(seen), c.Payload)
		}
	}
	if err := touch.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := syncCall.Wait(); err != nil || int64(binary.BigEndian.Uint64(syncCall.Payload)) != h.syncZxid {
		t.Fatalf("sync: %x, %v", syncCall.Payload, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, e := range h.got {
		if binary.BigEndian.Uint32(e) != uint32(i) {
			t.Fatalf("proposal %d carries %d", i, binary.BigEndian.Uint32(e))
		}
	}
	if len(h.got) != 1000 || fmt.Sprint(h.touched) != "[7 9]" {
		t.Fatalf("got %d proposals, touched %v", len(h.got), h.touched)
	}
}

func TestForwardNotLeader(t *testing.T) {
	m := serveFake(t, &fakeLeader{notLead: true})
	f := NewForwarder(func() (string, bool) { return m.Advertise(), true }, time.Second, time.Second, time.Second, nil)
	defer f.Close()
	if err := f.Send(KindWrite, []byte("x")).Wait(); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("err = %v, want ErrNotLeader", err)
	}
}

func TestForwardNoLeaderDoesNotHang(t *testing.T) {
	f := NewForwarder(func() (string, bool) { return "", false }, time.Second, 50*time.Millisecond, time.Second, nil)
	start := time.Now()
	if err := f.Send(KindWrite, []byte("x")).Wait(); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("err = %v, want ErrNoLeader", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

// TestForwardConnLost: calls pending when the leader goes away fail with
// ErrConnLost, and the next call goes out on a new connection.
func TestForwardConnLost(t *testing.T) {
	h := &fakeLeader{release: make(chan struct{})}
	m := serveFake(t, h)
	addr := m.Advertise()
	f := NewForwarder(func() (string, bool) { return addr, true }, time.Second, time.Second, time.Second, nil)
	defer f.Close()
	c := f.Send(KindWrite, []byte("x"))
	for {
		h.mu.Lock()
		n := len(h.got)
		h.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	m.Close() // closes the listener; the served connection stays until...
	f.mu.Lock()
	f.cur.nc.Close() // ...the follower side notices a broken connection
	f.mu.Unlock()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("pending call not failed after the connection broke")
	}
	if !errors.Is(c.Err, ErrConnLost) {
		t.Fatalf("err = %v", c.Err)
	}
	close(h.release)
	m2 := serveFake(t, &fakeLeader{})
	addr = m2.Advertise()
	c2 := f.Send(KindWrite, []byte("y"))
	if err := c2.Wait(); err != nil || c2.Gen == c.Gen {
		t.Fatalf("after redial: err %v, gen %d (before %d)", err, c2.Gen, c.Gen)
	}
}

// TestForwardRetiresOldLeader: when the leader changes, a call pending on
// the old leader still gets its answer while new calls go to the new one;
// a call the old leader never answers fails once the grace is over.
func TestForwardRetiresOldLeader(t *testing.T) {
	old := &fakeLeader{release: make(chan struct{})}
	mOld, mNew := serveFake(t, old), serveFake(t, &fakeLeader{})
	var mu sync.Mutex
	addr := mOld.Advertise()
	leader := func() (string, bool) { mu.Lock(); defer mu.Unlock(); return addr, true }
	moveTo := func(m *Mux) { mu.Lock(); addr = m.Advertise(); mu.Unlock() }
	const grace = 300 * time.Millisecond
	f := NewForwarder(leader, time.Second, time.Second, grace, nil)
	defer f.Close()

	held := f.Send(KindWrite, []byte("held"))
	moveTo(mNew)
	f.LeaderChanged(mNew.Advertise(), true)
	next := f.Send(KindWrite, []byte("next"))
	if err := next.Wait(); err != nil || next.Gen == held.Gen {
		t.Fatalf("a call after the change: err %v, gen %d (the pending one's %d)", err, next.Gen, held.Gen)
	}
	close(old.release)
	if err := held.Wait(); err != nil || string(held.Payload) != "held" {
		t.Fatalf("the call pending on the old leader: %v %q, want its answer", err, held.Payload)
	}

	// An old leader that never answers.
	silent := &fakeLeader{release: make(chan struct{})}
	defer close(silent.release)
	mSilent := serveFake(t, silent)
	moveTo(mSilent)
	lost := f.Send(KindWrite, []byte("lost"))
	moveTo(mNew)
	start := time.Now()
	f.LeaderChanged(mNew.Advertise(), true)
	select {
	case <-lost.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a call the old leader never answers still pending 5s after the change")
	}
	if !errors.Is(lost.Err, ErrConnLost) || time.Since(start) < grace {
		t.Fatalf("err %v after %v, want ErrConnLost after the %v grace", lost.Err, time.Since(start), grace)
	}
}

// writeCounter counts the writes made on a connection.
type writeCounter struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	w.mu.Unlock()
	return w.Conn.Write(p)
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// The answers of a batch leave together, in one write, as soon as the
// batch settled, even while the next batch's answers are still pending.
func TestRespondWritesEachSettledBatchOnce(t *testing.T) {
	leaderEnd, followerEnd := net.Pipe()
	defer followerEnd.Close()
	conn := &writeCounter{Conn: leaderEnd}
	const batch = 20
	first, second := make(chan struct{}), make(chan struct{})
	answers := make(chan answer, 2*batch)
	for i := range 2 * batch {
		settled := first
		if i >= batch {
			settled = second
		}
		answers <- answer{seq: uint64(i), Outcome: Outcome{
			Wait: func() ([]byte, error) {
				<-settled // as raft's future of a proposal in the batch
				return binary.BigEndian.AppendUint64(nil, uint64(i)), nil
			},
			Settled: settled,
		}}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		respond(conn, answers)
	}()
	read := func(n int) {
		t.Helper()
		followerEnd.SetReadDeadline(time.Now().Add(10 * time.Second))
		for i := range n {
			var frame [13 + 8]byte
			if _, err := io.ReadFull(followerEnd, frame[:]); err != nil {
				t.Fatalf("answer %d: %v", i, err)
			}
		}
	}
	close(first)
	read(batch) // the second batch has not settled: the first must not wait for it
	if n := conn.count(); n != 1 {
		t.Fatalf("the first batch's %d answers took %d writes, want 1", batch, n)
	}
	close(second)
	read(batch)
	if n := conn.count(); n != 2 {
		t.Fatalf("two batches took %d writes, want 2", n)
	}
	close(answers)
	<-done
}

// Inject reaches the member's own raft without the network: an
// AppendEntries from an older term is refused with raft's current term. It
// gives up when told to, and fails once the transport closed.
func TestTransportInject(t *testing.T) {
	m := listen(t)
	conf := fastRaftConfig("1")
	trans := m.NewTransport(time.Second, hclog.NewNullLogger())
	logs, snaps := raft.NewInmemStore(), raft.NewInmemSnapshotStore()
	servers := []raft.Server{{Suffrage: raft.Voter, ID: "1", Address: raft.ServerAddress(m.Advertise())}}
	if err := raft.BootstrapCluster(conf, logs, logs, snaps, trans, raft.Configuration{Servers: servers}); err != nil {
		t.Fatal(err)
	}
	r, err := raft.NewRaft(conf, &countFSM{}, logs, logs, snaps, trans)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.State() != raft.Leader {
		if time.Now().After(deadline) {
			t.Fatal("the one voter did not lead within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := trans.Inject(&raft.AppendEntriesRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("2"), Addr: []byte("elsewhere")},
		Term:      0,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Success || resp.Term != r.CurrentTerm() {
		t.Fatalf("raft answered an older term's AppendEntries with success %v term %d, want a refusal with term %d", resp.Success, resp.Term, r.CurrentTerm())
	}
	if err := r.Shutdown().Error(); err != nil { // closes the transport too
		t.Fatal(err)
	}
	if _, err := trans.Inject(&raft.AppendEntriesRequest{Term: 1}, nil); !errors.Is(err, raft.ErrTransportShutdown) {
		t.Fatalf("Inject after raft's shutdown: %v", err)
	}
	// A transport no raft reads from: the caller's abort ends the wait.
	idle := listen(t).NewTransport(time.Second, hclog.NewNullLogger())
	defer idle.Close()
	abort := make(chan struct{})
	close(abort)
	if _, err := idle.Inject(&raft.AppendEntriesRequest{Term: 1}, abort); !errors.Is(err, errInjectAborted) {
		t.Fatalf("Inject with nobody reading and abort closed: %v", err)
	}
}
