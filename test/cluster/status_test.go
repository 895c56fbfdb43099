package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// enableAdmin turns every member's AdminServer on, on a free loopback port,
// and returns the admin addresses by member id (index 0 unused). Call it
// before starting anything.
func (e *ensemble) enableAdmin() []string {
	e.t.Helper()
	addrs := make([]string, len(e.members)+1)
	for _, m := range e.members {
		addrs[m.id] = fmt.Sprintf("127.0.0.1:%d", m.adminPort)
		p := filepath.Join(m.dir, "zoo.cfg")
		b, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		s := strings.Replace(string(b), "admin.enableServer=false\n",
			fmt.Sprintf("admin.enableServer=true\nadmin.serverAddress=127.0.0.1\nadmin.serverPort=%d\n", m.adminPort), 1)
		if s == string(b) {
			e.t.Fatalf("%s has no admin.enableServer=false line", p)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	return addrs
}

// startedWithAdmin starts 3 members with their AdminServers on and returns
// the ensemble, the admin addresses by id and the leader.
func startedWithAdmin(t *testing.T) (*ensemble, []string, int) {
	t.Helper()
	e := newEnsemble(t, 3, "")
	admins := e.enableAdmin()
	t.Cleanup(e.dumpLogs)
	for id := 1; id <= 3; id++ {
		e.start(id)
	}
	return e, admins, e.waitLeader(30 * time.Second)
}

// statusJSON is what "zkraft status --output json" prints.
type statusJSON struct {
	LeaderID int  `json:"leader_id"`
	Voters   int  `json:"voters"`
	Healthy  int  `json:"healthy_voters"`
	Quorum   bool `json:"quorum"`
	Members  []struct {
		ID          int    `json:"sid"`
		State       string `json:"state"`
		Lag         *int64 `json:"lag"`
		Sessions    *int64 `json:"sessions"`
		Connections *int64 `json:"connections"`
		ClientAddr  string `json:"client_address"`
	} `json:"members"`
}

// runStatus runs the built binary's status command and returns its output
// and exit code.
func runStatus(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"status"}, args...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("running zkraft status: %v", err)
	return "", 0
}

// TestStatus: "zkraft status" through each member's AdminServer shows all
// three members with the right leader and exits 0; with two members killed
// the survivor's answer exits 1.
func TestStatus(t *testing.T) {
	e, admins, leader := startedWithAdmin(t)
	e.connect(leader) // one session, so that the sessions column counts something

	for id := 1; id <= 3; id++ {
		// Gossip converges within a few probe intervals; poll until the
		// answer is complete.
		var got statusJSON
		var out string
		deadline := time.Now().Add(20 * time.Second)
		for {
			var code int
			out, code = runStatus(t, "--admin", admins[id], "--output", "json")
			got = statusJSON{}
			_ = json.Unmarshal([]byte(out), &got)
			if code == 0 && got.Quorum && got.LeaderID == leader && len(got.Members) == 3 && got.Healthy == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("status via member %d (leader %d): exit %d, output:\n%s", id, leader, code, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
		sessions := int64(0)
		for i, m := range got.Members {
			want := "follower"
			if m.ID == leader {
				want = "leader"
			}
			if m.ID != i+1 || m.State != want || m.ClientAddr != e.members[i].clientAddr() ||
				m.Lag == nil || m.Connections == nil || m.Sessions == nil {
				t.Errorf("status via member %d: row %d = %+v, want sid %d %s at %s with lag, sessions, connections",
					id, i, m, i+1, want, e.members[i].clientAddr())
				continue
			}
			sessions += *m.Sessions
		}
		if sessions < 3 { // every member counts the ensemble's one session
			t.Errorf("status via member %d: %d sessions in all, want the one session on every member:\n%s", id, sessions, out)
		}
	}
	table, code := runStatus(t, "--admin", admins[leader])
	if code != 0 || !strings.Contains(table, "SID") || strings.Count(table, "follower") != 2 ||
		!strings.Contains(table, fmt.Sprintf("leader: %d;", leader)) {
		t.Errorf("table via the leader: exit %d\n%s", code, table)
	}

	// The same through four-letter words on a client port (conf, srvr, mntr).
	for _, id := range []int{1, 3} {
		out, code := runStatus(t, "--server", e.members[id-1].clientAddr(), "--output", "json")
		var got statusJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || !got.Quorum ||
			got.LeaderID != leader || len(got.Members) != 3 || got.Healthy != 3 {
			t.Errorf("status --server via member %d (leader %d): exit %d, output:\n%s", id, leader, code, out)
			continue
		}
		for i, m := range got.Members {
			if m.ID != i+1 || m.ClientAddr != e.members[i].clientAddr() || m.Sessions == nil || *m.Sessions != 1 {
				t.Errorf("status --server via member %d: row %d = %+v", id, i, m)
			}
		}
	}

	survivor := followers(leader)[0]
	for id := 1; id <= 3; id++ {
		if id != survivor {
			e.kill(id)
		}
	}
	out, code := runStatus(t, "--admin", admins[survivor])
	if code != 1 || !strings.Contains(out, "unreachable") || !strings.Contains(out, "no quorum") {
		t.Fatalf("status via the survivor %d: exit %d, want 1 with unreachable members:\n%s", survivor, code, out)
	}
	out, code = runStatus(t, "--server", e.members[survivor-1].clientAddr())
	if code != 1 || !strings.Contains(out, "unreachable") || !strings.Contains(out, "no quorum") {
		t.Fatalf("status --server via the survivor %d: exit %d, want 1 with unreachable members:\n%s", survivor, code, out)
	}
}
