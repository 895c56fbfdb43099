package test

// Several sessions at once: what real clients build on top of the ops.

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestConcurrentSequentialCreates: sequential names stay unique and dense
// when many sessions create under one parent at once.
func TestConcurrentSequentialCreates(t *testing.T) {
	root := testRoot(t, shared)
	const clients, each = 8, 40
	conns := make([]*client, clients)
	for i := range conns {
		conns[i] = connect(t, shared)
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := c.Create(root+"/n-", nil, zk.FlagSequence, worldAll); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("sequential create: %v", err)
	}
	kids, _, err := conns[0].Children(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, k := range kids {
		seen[k] = true
	}
	for i := range clients * each {
		if name := fmt.Sprintf("n-%010d", i); !seen[name] {
			t.Errorf("missing %s among %d children", name, len(kids))
		}
	}
	if len(kids) != clients*each {
		t.Errorf("%d children, want %d", len(kids), clients*each)
	}
}

// TestConcurrentVersionedUpdates: compare-and-set on the version lets
// exactly one writer win per version, so no increment is lost.
func TestConcurrentVersionedUpdates(t *testing.T) {
	root := testRoot(t, shared)
	p := root + "/counter"
	const clients, each = 6, 25
	conns := make([]*client, clients)
	for i := range conns {
		conns[i] = connect(t, shared)
	}
	mustCreate(t, conns[0], p, []byte("0"), 0)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < each; {
				data, st, err := c.Get(p)
				if err != nil {
					errs <- err
					return
				}
				n, _ := strconv.Atoi(string(data))
				_, err = c.Set(p, []byte(strconv.Itoa(n+1)), st.Version)
				switch {
				case err == nil:
					done++
				case errors.Is(err, zk.ErrBadVersion):
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("versioned update: %v", err)
	}
	data, st, err := conns[0].Get(p)
	if err != nil || string(data) != strconv.Itoa(clients*each) || st.Version != clients*each {
		t.Fatalf("counter = %q version %d (%v), want %d and version %d", data, st.Version, err, clients*each, clients*each)
	}
}

// TestLockRecipe: go-zookeeper's lock (ephemeral sequential nodes and
// watches on the predecessor) gives mutual exclusion, and a holder whose
// session ends releases the lock.
func TestLockRecipe(t *testing.T) {
	root := testRoot(t, shared)
	a, b := connect(t, shared), connect(t, shared)
	la := zk.NewLock(a.Conn, root+"/lock", worldAll)
	lb := zk.NewLock(b.Conn, root+"/lock", worldAll)
	if err := la.Lock(); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- lb.Lock() }()
	select {
	case err := <-got:
		t.Fatalf("second client got the lock while the first held it (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := la.Unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second lock: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the second client did not get the lock within 10s of the unlock")
	}

	// A holder that goes away releases the lock with its session.
	holder := rawConnect(t, shared.Addr(), 10000, 0, nil, 0)
	if err := lb.Unlock(); err != nil {
		t.Fatal(err)
	}
	mine, code := holder.Create(root+"/lock/_c_holder-lock-", nil, worldAll, modeEphemeralSequential)
	wantCode(t, "raw lock node", code, errOK)
	go func() { got <- la.Lock() }()
	select {
	case err := <-got:
		t.Fatalf("lock granted while %s exists (%v)", mine, err)
	case <-time.After(300 * time.Millisecond):
	}
	wantCode(t, "closeSession of the holder", holder.CloseSession(), errOK)
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("lock after the holder's session ended: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the lock was not granted within 10s of the holder's session ending")
	}
	_ = la.Unlock()
}
