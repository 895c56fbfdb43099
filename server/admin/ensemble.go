package admin

import (
	"net/http"

	"github.com/zkraft/zkraft/server"
	"github.com/zkraft/zkraft/server/gossip"
)

// ensemble is a zkraft extension (ZooKeeper has no such command): every
// member of the ensemble as gossiped on the election ports, so that one
// AdminServer describes them all ("zkraft status" reads it). Members of
// the configuration that gossip does not reach are listed too, with
// "alive": false and only their configured fields. It answers in any state:
// a member cut off from the quorum still tells what it sees.
func ensemble(zk *server.Server, _ *http.Request) (object, string) {
	live := zk.Ensemble()
	v, ok := zk.QuorumView()
	if !ok {
		return nil, "standalone server: no ensemble"
	}
	seen := map[int]bool{}
	list := []any{}
	leader := -1
	for _, m := range live {
		seen[m.ID] = true
		if m.State == "leading" {
			leader = m.ID
		}
		list = append(list, memberObject(m, true))
	}
	for _, c := range v.Members {
		if seen[c.ID] {
			continue
		}
		m := gossip.Meta{ID: c.ID, Role: "participant", ClientAddr: c.ClientAddr,
			QuorumAddr: c.QuorumAddr, ElectionAddr: c.ElectionAddr}
		if c.Observer {
			m.Role = "observer"
		}
		list = append(list, memberObject(m, false))
	}
	return object{{"myid", v.Self.ID}, {"leader_id", leader}, {"members", list}}, ""
}

func memberObject(m gossip.Meta, alive bool) object {
	return object{
		{"sid", m.ID}, {"alive", alive}, {"role", m.Role}, {"state", m.State},
		{"client_address", m.ClientAddr}, {"admin_address", m.AdminAddr},
		{"quorum_address", m.QuorumAddr}, {"election_address", m.ElectionAddr},
		{"version", m.Version}, {"epoch", m.Epoch}, {"zxid", m.AppliedZxid},
	}
}

func init() {
	commands["ensemble"] = command{run: ensemble, anyState: true}
}
