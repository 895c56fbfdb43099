package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// statusRow is one member as "zkraft status" shows it.
type statusRow struct {
	ID          int    `json:"sid"`
	Role        string `json:"role"`  // participant or observer
	State       string `json:"state"` // leader, follower, observer, looking, read-only, standalone, unreachable
	Epoch       int64  `json:"epoch"`
	Zxid        int64  `json:"zxid"`
	Lag         *int64 `json:"lag"` // applied entries behind the leader; null when unknown
	Sessions    *int64 `json:"sessions"`
	Connections *int64 `json:"connections"`
	Version     string `json:"version"`
	ClientAddr  string `json:"client_address"`
	AdminAddr   string `json:"admin_address,omitempty"`
	Error       string `json:"error,omitempty"` // why the member is unreachable
}

// statusReport is the whole answer, also the --output json document.
type statusReport struct {
	AskedVia string      `json:"asked_via"`
	LeaderID int         `json:"leader_id"` // -1 when none
	Voters   int         `json:"voters"`
	Healthy  int         `json:"healthy_voters"` // reachable and leading or following
	Quorum   bool        `json:"quorum"`
	Members  []statusRow `json:"members"`
}

// gossipMember is one entry of the AdminServer's /commands/ensemble.
type gossipMember struct {
	ID         int    `json:"sid"`
	Alive      bool   `json:"alive"`
	Role       string `json:"role"`
	State      string `json:"state"`
	ClientAddr string `json:"client_address"`
	AdminAddr  string `json:"admin_address"`
	Version    string `json:"version"`
	Epoch      int64  `json:"epoch"`
	Zxid       int64  `json:"zxid"`
}

// adminGet fetches commandURL/<name> from an AdminServer into v and returns
// the command's "error" field as an error.
func adminGet(ctx context.Context, addr, name string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, statusRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/commands/"+name, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/commands/%s: HTTP %s", addr, name, resp.Status)
	}
	var e struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("%s/commands/%s: not a JSON answer: %w", addr, name, err)
	}
	if e.Error != nil {
		return fmt.Errorf("%s/commands/%s: %s", addr, name, *e.Error)
	}
	return json.Unmarshal(body, v)
}

// statusRequestTimeout bounds each HTTP request; members are asked in
// parallel, so a dead member costs one timeout, not one per member.
var statusRequestTimeout = 3 * time.Second

// collectViaAdmin asks one AdminServer for the gossiped ensemble, then every
// live member's own AdminServer for its monitor values.
func collectViaAdmin(ctx context.Context, admin string) (*statusReport, error) {
	var ens struct {
		Members []gossipMember `json:"members"`
	}
	if err := adminGet(ctx, admin, "ensemble", &ens); err != nil {
		if !strings.Contains(err.Error(), "standalone") {
			return nil, err
		}
		// A standalone server: itself, from its monitor.
		var conf struct {
			ServerID int `json:"server_id"`
		}
		_ = adminGet(ctx, admin, "configuration", &conf) // the sid only; 0 if it fails
		ens.Members = []gossipMember{{ID: conf.ServerID, Alive: true, Role: "participant", AdminAddr: admin}}
	}
	rows := make([]statusRow, len(ens.Members))
	var wg sync.WaitGroup
	for i, m := range ens.Members {
		rows[i] = statusRow{ID: m.ID, Role: m.Role, State: gossipState(m.State), Epoch: m.Epoch, Zxid: m.Zxid,
			Version: m.Version, ClientAddr: m.ClientAddr, AdminAddr: m.AdminAddr}
		switch {
		case !m.Alive:
			rows[i].State, rows[i].Error = "unreachable", "not in the gossip view"
			continue
		case m.AdminAddr == "":
			continue // gossip's values are all there is
		}
		wg.Add(1)
		go func(r *statusRow) {
			defer wg.Done()
			fillFromMonitor(ctx, r)
		}(&rows[i])
	}
	wg.Wait()
	return summarize("admin "+admin, rows), nil
}

// fillFromMonitor refreshes a row from the member's own monitor command: the
// state, zxid and version as the member sees them now, and its sessions and
// connections. A member that does not answer is unreachable.
func fillFromMonitor(ctx context.Context, r *statusRow) {
	var mon map[string]any
	if err := adminGet(ctx, r.AdminAddr, "monitor", &mon); err != nil {
		r.State, r.Error = "unreachable", err.Error()
		return
	}
	// monitor's state is fresher than gossip's, except that a member
	// without a leader still calls itself follower or observer there
	// (ZooKeeper's members do not answer monitor then): gossip's looking
	// or joining stands.
	if s, ok := mon["server_state"].(string); ok && s != "" {
		leaderless := r.State == "looking" || r.State == "joining"
		if !leaderless || (s != "follower" && s != "observer") {
			r.State = s
		}
	}
	if v, ok := mon["version"].(string); ok && r.Version == "" {
		r.Version, _, _ = strings.Cut(v, ",")
	}
	if z, ok := mon["zxid"].(string); ok {
		if n, err := strconv.ParseInt(strings.TrimPrefix(z, "0x"), 16, 64); err == nil {
			r.Zxid = n
		}
	}
	if e, ok := mon["epoch"].(float64); ok {
		r.Epoch = int64(e)
	}
	r.Sessions = jsonInt(mon["global_sessions"])
	r.Connections = jsonInt(mon["num_alive_connections"])
}

func jsonInt(v any) *int64 {
	f, ok := v.(float64)
	if !ok {
		return nil
	}
	n := int64(f)
	return &n
}

// gossipState turns a gossiped state into the mode words srvr uses.
func gossipState(s string) string {
	switch s {
	case "leading":
		return "leader"
	case "following":
		return "follower"
	case "observing":
		return "observer"
	}
	return s
}

// summarize finds the leader, fills each reachable member's lag and decides
// whether the ensemble has a quorum: a leader, and a majority of the voters
// reachable and leading or following.
func summarize(via string, rows []statusRow) *statusReport {
	slices.SortFunc(rows, func(a, b statusRow) int { return a.ID - b.ID })
	rep := &statusReport{AskedVia: via, LeaderID: -1, Members: rows}
	var leader *statusRow
	for i := range rows {
		r := &rows[i]
		if r.State == "leader" || r.State == "standalone" {
			leader = r
			rep.LeaderID = r.ID
		}
		if r.Role != "observer" {
			rep.Voters++
			if r.State == "leader" || r.State == "follower" || r.State == "standalone" {
				rep.Healthy++
			}
		}
	}
	if leader != nil {
		for i := range rows {
			r := &rows[i]
			if r.State == "unreachable" {
				continue
			}
			// zxid = term<<32 | raft index (low 32 bits): the low halves
			// differ by the entries the member has yet to apply.
			lag := int64(uint32(leader.Zxid) - uint32(r.Zxid))
			if lag < 0 || lag > 1<<31 {
				lag = 0
			}
			r.Lag = &lag
		}
	}
	rep.Quorum = leader != nil && rep.Healthy >= rep.Voters/2+1
	return rep
}
