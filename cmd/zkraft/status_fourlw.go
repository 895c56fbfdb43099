package main

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/zkraft/zkraft/config"
)

// collectViaClientPort builds the report from four-letter words on the
// client ports, so it also works against Apache ZooKeeper: the members come
// from the server.N lines of "conf" on the first server that answers (only
// the given servers when conf is not whitelisted), then every member's
// "srvr" (mode, zxid, connections, version) and "mntr" (sessions, when
// whitelisted).
func collectViaClientPort(ctx context.Context, servers []string) *statusReport {
	var rows []statusRow
	sid := -1
	for _, addr := range servers {
		conf, err := fourLetterWord(ctx, addr, "conf", statusRequestTimeout)
		if err != nil {
			continue
		}
		rows = membersFromConf(conf)
		if n, err := strconv.Atoi(fourLetterFields(conf, "=")["serverId"]); err == nil && len(servers) == 1 {
			sid = n // a standalone server names only itself
		}
		break
	}
	if len(rows) == 0 {
		for _, addr := range servers {
			rows = append(rows, statusRow{ID: sid, Role: "participant", ClientAddr: addr})
		}
	}
	var wg sync.WaitGroup
	for i := range rows {
		wg.Add(1)
		go func(r *statusRow) {
			defer wg.Done()
			fillFromFourLetterWords(ctx, r)
		}(&rows[i])
	}
	wg.Wait()
	return summarize("client port "+strings.Join(servers, ","), rows)
}

// membersFromConf reads the server.N lines conf prints (ZooKeeper 3.5+ in
// its "membership:" block, zkraft among its settings). A wildcard client
// host is replaced by the quorum host, as clients would.
func membersFromConf(conf string) []statusRow {
	var rows []statusRow
	sc := bufio.NewScanner(strings.NewReader(conf))
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		idStr, isServer := strings.CutPrefix(key, "server.")
		if !ok || !isServer {
			continue
		}
		id, err := strconv.ParseInt(idStr, 10, 64)
		if err != nil {
			continue
		}
		s, err := config.ParseServer(id, value)
		if err != nil || s.ClientPort == 0 {
			continue
		}
		host := s.ClientHost
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = s.Host
		}
		rows = append(rows, statusRow{ID: int(id), Role: string(s.Role),
			ClientAddr: net.JoinHostPort(host, strconv.Itoa(s.ClientPort))})
	}
	return rows
}

// fillFromFourLetterWords asks one member for srvr and mntr.
func fillFromFourLetterWords(ctx context.Context, r *statusRow) {
	srvr, err := fourLetterWord(ctx, r.ClientAddr, "srvr", statusRequestTimeout)
	if err != nil {
		r.State, r.Error = "unreachable", err.Error()
		return
	}
	if strings.Contains(srvr, "not currently serving") {
		r.State = "looking"
		return
	}
	kv := fourLetterFields(srvr, ": ")
	r.State = kv["Mode"]
	if r.State == "" {
		r.State, r.Error = "unreachable", strings.TrimSpace(srvr)
		return
	}
	if z, err := strconv.ParseInt(strings.TrimPrefix(kv["Zxid"], "0x"), 16, 64); err == nil {
		r.Zxid, r.Epoch = z, z>>32
	}
	if n, err := strconv.ParseInt(kv["Connections"], 10, 64); err == nil {
		r.Connections = &n
	}
	r.Version, _, _ = strings.Cut(kv["Zookeeper version"], ",")
	if r.ID < 0 {
		// Without conf, the sid is unknown; mntr does not carry it either.
		r.ID = 0
	}
	if mntr, err := fourLetterWord(ctx, r.ClientAddr, "mntr", statusRequestTimeout); err == nil {
		if n, err := strconv.ParseInt(fourLetterFields(mntr, "\t")["zk_global_sessions"], 10, 64); err == nil {
			r.Sessions = &n
		}
	}
}

// fourLetterFields splits "key<sep>value" lines.
func fourLetterFields(out, sep string) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), sep); ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return kv
}
