// Package deploy_test runs the deployment files in deploy/ for real: the
// image from deploy/Dockerfile and the ensemble of deploy/docker-compose.yml.
package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestComposeEnsemble builds the image, starts the compose ensemble with its
// observer, writes through one member and reads through the others, stops
// the leader's container and checks that a new leader is elected and takes
// writes.
func TestComposeEnsemble(t *testing.T) {
	d := requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	d.buildImage(ctx)
	t.Logf("binary and image %s built in %v", d.image, time.Since(start).Round(time.Millisecond))

	ports := freePorts(t, 4) // zk1..zk3, then the observer zk4
	start = time.Now()
	d.up(ctx, ports)
	leader := waitModes(t, ctx, ports, -1)
	t.Logf("ensemble up, zk%d leads, %v after compose up", leader+1, time.Since(start).Round(time.Millisecond))

	// Write through a follower, read through the other follower and the
	// observer (after sync, which makes them catch up with the leader).
	var followers []int
	for i := range 3 {
		if i != leader {
			followers = append(followers, i)
		}
	}
	w := connect(t, ports[followers[0]])
	create(t, ctx, w, "/deploy-test", "written through a follower")
	for _, i := range []int{followers[1], 3} {
		expect(t, ctx, connect(t, ports[i]), "/deploy-test", "written through a follower")
	}

	// zkraft is PID 1 in its container: SIGTERM from docker stop must end
	// it cleanly (exit 0), not by the SIGKILL after the grace period (137).
	id := strings.TrimSpace(d.composeRun(ctx, "ps", "-q", fmt.Sprintf("zk%d", leader+1)))
	start = time.Now()
	d.composeRun(ctx, "stop", "-t", "10", fmt.Sprintf("zk%d", leader+1))
	stopped := time.Since(start)
	if code := strings.TrimSpace(d.run(ctx, nil, "docker", "inspect", "-f", "{{.State.ExitCode}}", id)); code != "0" {
		t.Errorf("the stopped leader exited with %s, want 0 (a clean shutdown on SIGTERM)", code)
	}
	next := waitModes(t, ctx, ports, leader)
	t.Logf("zk%d stopped in %v; zk%d leads %v after the stop returned",
		leader+1, stopped.Round(time.Millisecond), next+1, time.Since(start.Add(stopped)).Round(time.Millisecond))

	// A write through the survivor that does not lead, read through the new
	// leader: the two remaining voters are a quorum.
	other := followers[0]
	if other == next {
		other = followers[1]
	}
	start = time.Now()
	create(t, ctx, connect(t, ports[other]), "/after-failover", "quorum of two")
	t.Logf("write through zk%d accepted %v after the new leader was seen", other+1, time.Since(start).Round(time.Millisecond))
	expect(t, ctx, connect(t, ports[next]), "/after-failover", "quorum of two")
}

// waitModes polls srvr on every member until one of the voters (ports 0..2,
// except stopped; -1 = none stopped) leads, the other running voters follow
// and the observer (port 3) says observer. It returns the leader's index.
func waitModes(t *testing.T, ctx context.Context, ports []int, stopped int) int {
	t.Helper()
	var modes []string
	for {
		modes = modes[:0]
		leader := -1
		ok := true
		for i, p := range ports {
			m := mode(p)
			modes = append(modes, m)
			switch {
			case i == stopped:
			case i == 3:
				ok = ok && m == "observer"
			case m == "leader":
				leader = i
			default:
				ok = ok && m == "follower"
			}
		}
		if ok && leader >= 0 {
			return leader
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no settled ensemble in time; modes by member: %q", modes)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// connect opens a session on the member at a loopback port, closed when the
// test ends.
func connect(t *testing.T, port int) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{fmt.Sprintf("127.0.0.1:%d", port)}, 10*time.Second,
		zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// create makes path holding data, retrying a connection loss (the member may
// still be connecting). A node that already exists counts: an earlier
// attempt may have applied before its reply was lost (callers read it back).
func create(t *testing.T, ctx context.Context, c *zk.Conn, path, data string) {
	t.Helper()
	for {
		_, err := c.Create(path, []byte(data), 0, zk.WorldACL(zk.PermAll))
		if err == nil || errors.Is(err, zk.ErrNodeExists) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("create %s: %v", path, err)
		}
		time.Sleep(200 * time.Millisecond) // a reconnect is under way; nothing to poll
	}
}

// expect reads path after a sync and checks its data.
func expect(t *testing.T, ctx context.Context, c *zk.Conn, path, data string) {
	t.Helper()
	for {
		_, err := c.Sync(path)
		var got []byte
		if err == nil {
			got, _, err = c.Get(path)
		}
		if err == nil {
			if string(got) != data {
				t.Fatalf("%s holds %q, want %q", path, got, data)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
