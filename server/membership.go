package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/fsm"
)

// memberZxid is the last zxid member m applied: as gossiped, or else asked
// on its client port with srvr (every server answers it; a server that is not serving, such
// as one no leader has reached yet, answers without a Zxid line). ok is
// false when m cannot tell.
func (s *Server) memberZxid(m Member) (int64, bool) {
	if z, ok := s.gossipZxid(m.ID); ok {
		return z, true
	}
	if m.ClientAddr == "" {
		return 0, false
	}
	out, err := askFourLetter(reachableClientAddr(m), "srvr", 500*time.Millisecond)
	if err != nil {
		return 0, false
	}
	return srvrZxid(out)
}

// srvrZxid reads the Zxid line of a srvr answer.
func srvrZxid(out string) (int64, bool) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Zxid: 0x"); ok {
			z, err := strconv.ParseInt(strings.TrimSpace(v), 16, 64)
			return z, err == nil
		}
	}
	return 0, false
}

// askFourLetter sends a four-letter word and reads the whole answer.
func askFourLetter(addr, cmd string, timeout time.Duration) (string, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(nc, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(nc, 64<<10))
	return string(b), err
}

// ensembleServing reports whether any other member already serves
// clients: then an ensemble exists, and a member without raft state must
// not bootstrap a configuration of its own but wait for the leader to
// replicate to it (it is a member already, or a reconfig or join adds it).
func (s *Server) ensembleServing() bool {
	found := make(chan bool, len(s.opts.Members))
	n := 0
	for _, m := range s.opts.Members {
		if m.ID == s.opts.ServerID || m.ClientAddr == "" {
			continue
		}
		n++
		go func(addr string) {
			out, _ := askFourLetter(addr, "srvr", time.Second)
			_, ok := srvrZxid(out)
			found <- ok
		}(reachableClientAddr(m))
	}
	for range n {
		if <-found {
			return true
		}
	}
	return false
}

// reachableClientAddr is m's client address with a wildcard or empty host
// replaced by its quorum host.
func reachableClientAddr(m Member) string {
	if s, err := memberServer(m); err == nil && s.ClientPort != 0 {
		return net.JoinHostPort(s.ClientHost, strconv.Itoa(s.ClientPort))
	}
	return m.ClientAddr
}

// initialConfig proposes the first /zookeeper/config of an ensemble (the
// first leader does, as it proposes the cluster secret): the members of
// raft's configuration with their zoo.cfg lines.
func (s *Server) initialConfig() error {
	if len(s.fsm.Config()) > 0 {
		return nil
	}
	cf := s.node.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return err
	}
	byID := map[string]Member{}
	for _, m := range s.opts.Members {
		byID[strconv.Itoa(m.ID)] = m
	}
	var ms []Member
	for _, srv := range cf.Configuration().Servers {
		m, ok := byID[string(srv.ID)]
		if !ok {
			continue // not in this leader's zoo.cfg: its line is unknown here
		}
		m.QuorumAddr = string(srv.Address)
		m.Observer = srv.Suffrage != raft.Voter
		ms = append(ms, m)
	}
	lines, err := configLines(ms)
	if err != nil {
		// Members given without their addresses (in-process tests): the
		// ensemble runs, /zookeeper/config stays empty and reconfig is
		// refused with ReconfigInProgress.
		s.log.Warn("no /zookeeper/config: a member line cannot be written", "err", err)
		return nil
	}
	return s.proposeConfig(lines)
}

// proposeConfig commits a /zookeeper/config the server itself sets (no
// client reconfig to answer).
func (s *Server) proposeConfig(lines string) error {
	return s.propose(fsm.EncodeConfig(&fsm.ConfigChange{Time: time.Now().UnixMilli(), Members: lines}),
		s.opts.initTimeout()).Error()
}

// finishCutReconfig brings /zookeeper/config in line with raft's
// configuration when a leader change cut a reconfig short between its raft
// changes and its EntryConfig (ZooKeeper's next leader finishes such a
// reconfig too): listed servers raft removed are dropped, and each listed
// server's role follows its raft suffrage. Raft voters the config does not
// list are removed from raft: either the config that dropped them committed
// (and was answered) before their removal (applyMembers removes departed
// servers last), or a promotion was cut before its config, which no client
// was told of. Raft non-voters the config does not list are joiners
// (join.go) and are left to admitJoiners.
func (s *Server) finishCutReconfig() error {
	s.ens.reconfigMu.Lock()
	defer s.ens.reconfigMu.Unlock()
	cur, _, err := parseConfig(s.fsm.Config())
	if err != nil || len(cur) == 0 {
		return nil // no configuration yet (or one initialConfig could not write)
	}
	cf := s.node.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return err
	}
	if left, err := s.removeUnlistedVoters(cur, cf.Configuration().Servers); err != nil || left {
		return err // having removed itself, this server no longer leads
	}
	next, changed := listedAsInRaft(cur, cf.Configuration().Servers)
	if !changed {
		return nil
	}
	lines, err := configLines(next)
	if err != nil {
		// Not a reason to stay unready: the next reconfig rewrites it.
		s.log.Warn("cannot write /zookeeper/config after an interrupted reconfig", "err", err)
		return nil
	}
	if err := s.proposeConfig(lines); err != nil {
		return err
	}
	s.log.Info("finished a reconfig that a leader change cut short", "members",
		strings.ReplaceAll(strings.TrimSpace(lines), "\n", ", "))
	return nil
}

// removeUnlistedVoters removes from raft the voters listed does not name,
// this server (the leader) last; left reports that it removed itself.
func (s *Server) removeUnlistedVoters(listed []Member, servers []raft.Server) (left bool, err error) {
	named := map[string]bool{}
	for _, m := range listed {
		named[strconv.Itoa(m.ID)] = true
	}
	self := raft.ServerID(strconv.Itoa(s.opts.ServerID))
	var unlisted []raft.ServerID
	for _, srv := range servers {
		if srv.Suffrage == raft.Voter && !named[string(srv.ID)] && srv.ID != self {
			unlisted = append(unlisted, srv.ID)
		}
	}
	if !named[string(self)] {
		unlisted = append(unlisted, self)
	}
	for _, id := range unlisted {
		if err := s.node.raft.RemoveServer(id, 0, s.opts.syncTimeout()).Error(); err != nil {
			return false, fmt.Errorf("removing server %s, which /zookeeper/config no longer lists: %w", id, err)
		}
		s.log.Info("removed a server /zookeeper/config no longer lists (a reconfig cut short by a leader change)", "id", string(id))
	}
	return !named[string(self)], nil
}

// listedAsInRaft is the listed members as raft's configuration has them:
// without the servers raft does not have, each an observer exactly when
// raft has it as a non-voter. changed reports a difference.
func listedAsInRaft(listed []Member, servers []raft.Server) (next []Member, changed bool) {
	suffrage := map[string]raft.ServerSuffrage{}
	for _, srv := range servers {
		suffrage[string(srv.ID)] = srv.Suffrage
	}
	for _, m := range listed {
		sf, ok := suffrage[strconv.Itoa(m.ID)]
		if !ok {
			changed = true
			continue
		}
		if observer := sf != raft.Voter; observer != m.Observer {
			m.Observer, changed = observer, true
		}
		next = append(next, m)
	}
	return next, changed
}

// membershipLoop writes the dynamic config file after configuration
// changes and, every half second, checks this server's own membership and
// (on the leader) admits joining servers (join.go).
func (s *Server) membershipLoop() {
	defer s.wg.Done()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case data := <-s.ens.configs:
			s.writeDynamicConfig(data)
		case <-t.C:
			s.checkSelfMembership()
			if s.opts.ReconfigEnabled && s.ens.gossip != nil && s.leads() {
				s.admitJoiners()
			}
		}
	}
}

// checkSelfMembership notices when this server has been removed from
// raft's configuration (or added back): a removed server stops serving,
// closes its clients' connections (they reconnect to the members left) and
// refuses new sessions, but keeps running, as a ZooKeeper server whose id
// left the configuration keeps its process.
func (s *Server) checkSelfMembership() {
	cf := s.node.raft.GetConfiguration()
	if cf.Error() != nil {
		return
	}
	servers := cf.Configuration().Servers
	s.ens.joining.Store(len(servers) == 0)
	if len(servers) == 0 {
		return // joining: no configuration until the leader adds us
	}
	self := raft.ServerID(strconv.Itoa(s.opts.ServerID))
	in := false
	for _, srv := range servers {
		in = in || srv.ID == self
	}
	if s.ens.removed.Load() == !in {
		return
	}
	s.ens.removed.Store(!in)
	if in {
		s.log.Info("this server is a member of the ensemble again")
		return
	}
	s.log.Warn("this server was removed from the ensemble; it no longer serves clients",
		"members", fmt.Sprint(servers))
	for _, c := range s.conns.list() {
		c.close()
	}
}

// mayBootstrap tells openRaft whether a server without raft state may
// bootstrap the configuration of its zoo.cfg. A joining server never does,
// nor one that finds an ensemble already serving: the leader replicates to
// it once it is (or becomes) a member, and a configuration of its own would
// only compete with the real one.
func (s *Server) mayBootstrap() bool {
	if s.ens == nil {
		return true
	}
	if len(s.opts.Join) > 0 {
		s.log.Info("joining: not bootstrapping raft; waiting for the leader to add this server", "join", s.opts.Join)
		s.ens.joining.Store(true) // gossiped from the start (membershipLoop keeps it current)
		return false
	}
	if s.ensembleServing() {
		s.log.Info("an ensemble is already serving: not bootstrapping raft; waiting for the leader to replicate to this server")
		s.ens.joining.Store(true)
		return false
	}
	return true
}

// currentMembers is the ensemble as /zookeeper/config describes it, or as
// zoo.cfg does before the first configuration applied.
func (s *Server) currentMembers() []Member {
	if ms, _, err := parseConfig(s.fsm.Config()); err == nil {
		return ms
	}
	return append([]Member(nil), s.opts.Members...)
}

// selfMember is this server's line in currentMembers (its zoo.cfg line
// when a reconfig removed it).
func (s *Server) selfMember() Member {
	for _, m := range s.currentMembers() {
		if m.ID == s.opts.ServerID {
			return m
		}
	}
	return s.ens.self
}
