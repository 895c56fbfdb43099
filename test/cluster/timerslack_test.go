package cluster

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The server re-executes itself once with a timer slack of 1ms (its
// --timer-slack default, cmd/zkraft/timerslack_linux.go): the process
// keeps its PID and its name, and every thread of it, the Go runtime's own included,
// runs with the slack.
func TestServerThreadsRunWithTimerSlack(t *testing.T) {
	e := newEnsemble(t, 3, "")
	e.start(1)
	e.start(2)
	e.waitLeader(60 * time.Second)
	for _, id := range []int{1, 2} {
		pid := e.members[id-1].cmd.Process.Pid // what the test started, still the server
		tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) < 2 {
			t.Fatalf("member %d (pid %d) has %d threads", id, pid, len(tasks))
		}
		// The re-executed process keeps the binary's name (pgrep zkraft).
		if comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm")); err != nil || strings.TrimSpace(string(comm)) != filepath.Base(binary) {
			t.Errorf("member %d runs as %q (%v), want %q", id, comm, err, filepath.Base(binary))
		}
		for _, task := range tasks {
			b, err := os.ReadFile(filepath.Join("/proc", task.Name(), "timerslack_ns"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(b)); got != "1000000" {
				t.Errorf("member %d thread %s has a timer slack of %s ns, want 1000000", id, task.Name(), got)
			}
		}
	}
}
