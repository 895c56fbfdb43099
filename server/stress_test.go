package server

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/protocol"
)

// Many clients mixing writes, reads and watches, with four-letter words
// polled beside them: every op succeeds, every watch fires, nothing
// deadlocks (run it under -race).
func TestConcurrentClients(t *testing.T) {
	s := startServer(t, testOptions(t))
	const clients, rounds = 12, 60
	acl := zk.WorldACL(zk.PermAll)
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds)
	for i := 0; i < clients; i++ {
		c, _ := connect(t, s, 5*time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := fmt.Sprintf("/c%d", i)
			if _, err := c.Create(base, nil, 0, acl); err != nil {
				errs <- err
				return
			}
			for r := 0; r < rounds; r++ {
				p := fmt.Sprintf("%s/n%d", base, r)
				_, _, ch, err := c.ExistsW(p)
				if err != nil {
					errs <- err
					return
				}
				if _, err := c.Create(p, []byte("x"), zk.FlagEphemeral, acl); err != nil {
					errs <- err
					return
				}
				select {
				case e := <-ch:
					if e.Type != zk.EventNodeCreated {
						errs <- fmt.Errorf("%s: event %v", p, e.Type)
					}
				case <-time.After(5 * time.Second):
					errs <- fmt.Errorf("%s: no NodeCreated", p)
					return
				}
				if _, err := c.Set(p, []byte("y"), 0); err != nil {
					errs <- err
					return
				}
				if d, _, err := c.Get(p); err != nil || string(d) != "y" {
					errs <- fmt.Errorf("%s: get %q %v", p, d, err)
					return
				}
				if r%2 == 0 {
					if err := c.Delete(p, -1); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	stop := make(chan struct{})
	var pollers sync.WaitGroup
	pollers.Add(1)
	go func() {
		defer pollers.Done()
		for {
			for _, cmd := range []string{"cons", "wchc", "wchp", "dump", "mntr", "stat"} {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := fourLetterErr(s.Addr().String(), cmd); err != nil {
					t.Errorf("%s: %v", cmd, err)
					return
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	pollers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.fsm.Stats().Ephemerals; got != clients*rounds/2 {
		t.Errorf("%d ephemerals, want %d", got, clients*rounds/2)
	}
}

// Connections that come and go leave no goroutines behind.
func TestNoGoroutineLeak(t *testing.T) {
	s := startServer(t, testOptions(t))
	base := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		r := dialRaw(t, s.Addr().String())
		r.connect(5000, 0, nil)
		r.send(1, protocol.OpExists, &protocol.PathWatchRequest{Path: "/", Watch: true})
		r.recv(nil)
		r.nc.Close()
		fourLetter(t, s, "ruok")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, paths, _ := s.watches.summary()
		n := runtime.NumGoroutine()
		if n <= base+2 && paths == 0 && s.conns.count() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines (%d before), %d watched paths, %d connections left",
				n, base, paths, s.conns.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
