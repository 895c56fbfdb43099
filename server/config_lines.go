package server

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/zkraft/zkraft/config"
	"github.com/zkraft/zkraft/fsm"
)

// The ensemble's configuration lives in /zookeeper/config as ZooKeeper
// writes it: one server.N line per member, sorted by id, then
// version=<hex>. These helpers turn Members into those lines and back.

// memberLine is m as the value of its server.N line:
// host:quorumPort:electionPort:participant|observer[;clientHost:clientPort].
// A client host that is empty or a wildcard is replaced by the member's
// host: Curator's EnsembleTracker rewrites its connect string from these
// lines, so they must name addresses a client can reach.
func memberLine(m Member) (string, error) {
	s, err := memberServer(m)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

func memberServer(m Member) (config.Server, error) {
	host, qp, err := splitPort(m.QuorumAddr)
	if err != nil {
		return config.Server{}, fmt.Errorf("server %d: quorum address: %w", m.ID, err)
	}
	_, ep, err := splitPort(m.ElectionAddr)
	if err != nil {
		return config.Server{}, fmt.Errorf("server %d: election address: %w", m.ID, err)
	}
	s := config.Server{ID: int64(m.ID), Host: host, QuorumPort: qp, ElectionPort: ep, Role: config.Participant}
	if m.Observer {
		s.Role = config.Observer
	}
	if m.ClientAddr != "" {
		ch, cp, err := splitPort(m.ClientAddr)
		if err != nil {
			return config.Server{}, fmt.Errorf("server %d: client address: %w", m.ID, err)
		}
		if ip := net.ParseIP(ch); ch == "" || (ip != nil && ip.IsUnspecified()) {
			ch = host
		}
		s.ClientHost, s.ClientPort = ch, cp
	}
	return s, nil
}

func splitPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("%q has no valid port", addr)
	}
	return h, n, nil
}

// serverMember is the Member of a parsed server.N line.
func serverMember(s config.Server) Member {
	m := Member{
		ID:           int(s.ID),
		QuorumAddr:   net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort)),
		ElectionAddr: net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort)),
		Observer:     s.Role == config.Observer,
	}
	if s.ClientPort != 0 {
		h := s.ClientHost
		if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
			h = s.Host
		}
		m.ClientAddr = net.JoinHostPort(h, strconv.Itoa(s.ClientPort))
	}
	return m
}

// configLines renders members (sorted by id) as the server.N lines of
// /zookeeper/config, each ending in a newline.
func configLines(members []Member) (string, error) {
	ms := slices.Clone(members)
	slices.SortFunc(ms, func(a, b Member) int { return a.ID - b.ID })
	var b strings.Builder
	for _, m := range ms {
		line, err := memberLine(m)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "server.%d=%s\n", m.ID, line)
	}
	return b.String(), nil
}

var errNoConfig = errors.New("server: /zookeeper/config holds no configuration yet")

// parseConfig reads the members and version out of /zookeeper/config.
func parseConfig(data []byte) ([]Member, int64, error) {
	version, ok := fsm.ConfigVersion(data)
	if !ok {
		return nil, 0, errNoConfig
	}
	var out []Member
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "server.") {
			continue
		}
		m, err := parseServerSpec(line)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, version, nil
}

// parseServerSpec parses "server.N=host:q:e[:role][;[clientHost:]clientPort]",
// the form reconfig's joining and newMembers lists use (ZooKeeper also
// accepts "N=...").
func parseServerSpec(spec string) (Member, error) {
	key, value, ok := strings.Cut(strings.TrimSpace(spec), "=")
	// ZooKeeper takes the id after the last '.', so "4=..." is accepted too.
	key = strings.TrimSpace(key)
	idText := key[strings.LastIndexByte(key, '.')+1:]
	if !ok || (strings.Contains(key, ".") && !strings.HasPrefix(key, "server.")) {
		return Member{}, fmt.Errorf("%q is not server.N=host:quorumPort:electionPort[:role][;clientPort]", spec)
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id < 0 || id > 254 {
		return Member{}, fmt.Errorf("%q: server id %q is not a whole number in [0, 254]", spec, idText)
	}
	s, err := config.ParseServer(id, strings.TrimSpace(value))
	if err != nil {
		return Member{}, err
	}
	return serverMember(s), nil
}
