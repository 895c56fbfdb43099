package server

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fourLetterWords are the commands the client port answers in text.
var fourLetterWords = map[string]bool{
	"conf": true, "cons": true, "crst": true, "dirs": true, "dump": true, "envi": true,
	"gtmk": true, "ruok": true, "stmk": true, "srvr": true, "srst": true, "stat": true,
	"wchc": true, "wchp": true, "wchs": true, "mntr": true, "isro": true, "hash": true,
}

// fourLetterWord reports whether the first four bytes of a connection are a
// command rather than the length of a frame. No frame a client sends is that
// long (each is over 1.6 GB), so the two cannot be confused.
func fourLetterWord(b [4]byte) (string, bool) {
	cmd := string(b[:])
	return cmd, fourLetterWords[cmd]
}

func (s *Server) fourLetterAllowed(cmd string) bool {
	if cmd == "isro" && s.opts.ReadOnlyMode {
		return true // ZooKeeper whitelists isro whenever read-only mode is on
	}
	for _, w := range s.opts.FourLetterWords {
		w = strings.TrimSpace(w)
		if w == "*" || w == cmd {
			return true
		}
	}
	return false
}

// serveFourLetter answers a four-letter word and closes the connection.
func (s *Server) serveFourLetter(c *conn, cmd string) {
	c.stats.recved.Add(1)
	s.stats.packetsReceived.Add(1)
	var b bytes.Buffer
	if !s.fourLetterAllowed(cmd) {
		fmt.Fprintf(&b, "%s is not executed because it is not in the whitelist.\n", cmd)
	} else {
		s.fourLetter(&b, c, cmd)
	}
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.nc.Write(b.Bytes())
}

func (s *Server) fourLetter(b *bytes.Buffer, c *conn, cmd string) {
	if s.notServing(cmd) {
		b.WriteString(notServingMessage + "\n")
		return
	}
	switch cmd {
	case "ruok":
		b.WriteString("imok")
	case "isro":
		if s.readOnly() {
			b.WriteString("ro")
		} else {
			b.WriteString("rw")
		}
	case "srvr":
		s.writeServerStats(b, false)
	case "stat":
		s.writeServerStats(b, true)
	case "conf":
		s.writeConf(b)
	case "cons":
		s.writeCons(b)
		b.WriteString("\n")
	case "crst":
		s.ResetConnectionStats()
		b.WriteString("Connection stats reset.\n")
	case "srst":
		s.stats.reset()
		b.WriteString("Server stats reset.\n")
	case "dump":
		s.writeDump(b)
	case "envi":
		s.writeEnvi(b)
	case "mntr":
		s.writeMntr(b)
	case "wchs":
		conns, paths, total := s.watches.summary()
		fmt.Fprintf(b, "%d connections watching %d paths\nTotal watches:%d\n", conns, paths, total)
	case "wchc":
		bc := s.watches.byConnection()
		cs := make([]*conn, 0, len(bc))
		for cc := range bc {
			cs = append(cs, cc)
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i].sessionID.Load() < cs[j].sessionID.Load() })
		for _, cc := range cs {
			fmt.Fprintf(b, "0x%x\n", cc.sessionID.Load())
			for _, p := range bc[cc] {
				fmt.Fprintf(b, "\t%s\n", p)
			}
		}
		b.WriteString("\n")
	case "wchp":
		bp := s.watches.byPathList()
		paths := make([]string, 0, len(bp))
		for p := range bp {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(b, "%s\n", p)
			ids := make([]int64, 0, len(bp[p]))
			for _, cc := range bp[p] {
				ids = append(ids, cc.sessionID.Load())
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			for _, id := range ids {
				fmt.Fprintf(b, "\t0x%x\n", id)
			}
		}
		b.WriteString("\n")
	case "dirs":
		fmt.Fprintf(b, "datadir_size: %d\nlogdir_size: %d\n", dirSize(s.opts.DataDir), dirSize(s.dataLogDir()))
	case "gtmk":
		// ZooKeeper's default trace mask; zkraft has no trace mask.
		b.WriteString("306")
	case "stmk":
		// The mask follows as 8 bytes; it is read and echoed, and ignored.
		var m [8]byte
		c.nc.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := io.ReadFull(c.br, m[:]); err == nil {
			b.WriteString(strconv.FormatInt(int64(binary.BigEndian.Uint64(m[:])), 10))
		}
	case "hash":
		// The digest feature of ZooKeeper is off by default; nothing to list.
	}
}

func (s *Server) dataLogDir() string {
	if s.opts.DataLogDir != "" {
		return s.opts.DataLogDir
	}
	return s.opts.DataDir
}

// javaDouble formats an average as ZooKeeper does: rounded half up to four
// decimals, then printed as Java's Double.toString ("0.0", "3.2", "0.2381").
func javaDouble(v float64) string {
	v = math.Floor(v*10000+0.5) / 10000
	str := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(str, ".") {
		str += ".0"
	}
	return str
}

func (s *Server) versionLine() string {
	return fmt.Sprintf("Zookeeper version: %s, built on %s", s.opts.Version, buildDate)
}

// buildDate stands in for ZooKeeper's build timestamp in version lines.
var buildDate = "1970-01-01 00:00 UTC"

func (s *Server) writeServerStats(b *bytes.Buffer, clients bool) {
	b.WriteString(s.versionLine() + "\n")
	if clients {
		b.WriteString("Clients:\n")
		s.writeCons(b)
		b.WriteString("\n")
	}
	st := s.Stats()
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", st.MinLatency, javaDouble(st.AvgLatency), st.MaxLatency)
	fmt.Fprintf(b, "Received: %d\n", st.Received)
	fmt.Fprintf(b, "Sent: %d\n", st.Sent)
	fmt.Fprintf(b, "Connections: %d\n", st.Connections)
	fmt.Fprintf(b, "Outstanding: %d\n", st.Outstanding)
	fmt.Fprintf(b, "Zxid: 0x%x\n", st.Zxid)
	fmt.Fprintf(b, "Mode: %s\n", st.Mode)
	fmt.Fprintf(b, "Node count: %d\n", st.NodeCount)
	if p := st.ProposalSizes; p != nil {
		fmt.Fprintf(b, "Proposal sizes last/min/max: %d/%d/%d\n", p[0], p[1], p[2])
	}
}

func (s *Server) outstanding() int {
	n := 0
	for _, c := range s.conns.list() {
		n += c.outstanding()
	}
	return n
}

func (s *Server) writeConf(b *bytes.Buffer) {
	if len(s.opts.ConfigLines) > 0 {
		for _, l := range s.opts.ConfigLines {
			b.WriteString(l + "\n")
		}
		return
	}
	port := ""
	if a := s.Addr(); a != nil {
		_, port, _ = strings.Cut(a.String(), "]:")
		if port == "" {
			port = a.String()[strings.LastIndexByte(a.String(), ':')+1:]
		}
	}
	fmt.Fprintf(b, "clientPort=%s\n", port)
	fmt.Fprintf(b, "secureClientPort=-1\n")
	fmt.Fprintf(b, "dataDir=%s\n", s.opts.DataDir)
	fmt.Fprintf(b, "dataDirSize=%d\n", dirSize(s.opts.DataDir))
	fmt.Fprintf(b, "dataLogDir=%s\n", s.dataLogDir())
	fmt.Fprintf(b, "dataLogSize=%d\n", dirSize(s.dataLogDir()))
	fmt.Fprintf(b, "tickTime=%d\n", s.opts.TickTime.Milliseconds())
	fmt.Fprintf(b, "maxClientCnxns=%d\n", s.opts.MaxClientCnxns)
	fmt.Fprintf(b, "minSessionTimeout=%d\n", s.opts.MinSessionTimeout.Milliseconds())
	fmt.Fprintf(b, "maxSessionTimeout=%d\n", s.opts.MaxSessionTimeout.Milliseconds())
	fmt.Fprintf(b, "clientPortListenBacklog=-1\n")
	fmt.Fprintf(b, "serverId=%d\n", s.opts.ServerID)
}

// writeCons lists connections as ZooKeeper's cons does: the remote address,
// then counters, with session details once a session is attached.
func (s *Server) writeCons(b *bytes.Buffer) {
	for _, c := range s.Connections() {
		fmt.Fprintf(b, " /%s[%d](queued=%d,recved=%d,sent=%d", c.RemoteAddr, c.InterestOps, c.Outstanding,
			c.Received, c.Sent)
		if cs := c.ConnSession; cs != nil {
			fmt.Fprintf(b, ",sid=0x%x,lop=%s,est=%d,to=%d,lcxid=0x%x,lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
				cs.SessionID, cs.LastOp, cs.Established, cs.Timeout, int32(cs.LastCxid),
				cs.LastZxid, cs.LastResponse, cs.LastLatency, cs.MinLatency, cs.AvgLatency, cs.MaxLatency)
		}
		b.WriteString(")\n")
	}
}

// writeDump lists the sessions, the ephemerals of each session, and the
// connections, in ZooKeeper's dump layout.
func (s *Server) writeDump(b *bytes.Buffer) {
	b.WriteString("SessionTracker dump:\n")
	if s.ens != nil && !s.node.isLeader() {
		s.writeGlobalSessions(b)
	} else {
		s.writeSessionSets(b)
	}
	s.writeEphemeralsAndConns(b)
}

// writeGlobalSessions is a follower's or observer's session list, as
// ZooKeeper's learners print it: every session of the ensemble and its
// timeout (only the leader tracks expiry).
func (s *Server) writeGlobalSessions(b *bytes.Buffer) {
	ss := s.fsm.Sessions()
	fmt.Fprintf(b, "Global Sessions(%d):\n", len(ss))
	for _, se := range ss {
		fmt.Fprintf(b, "0x%x\t%dms\n", se.ID, se.Timeout)
	}
}

// writeSessionSets groups the sessions this server tracks by expiry time.
func (s *Server) writeSessionSets(b *bytes.Buffer) {
	type bucket struct {
		at  time.Time
		ids []int64
	}
	s.sessions.mu.Lock()
	groups := map[int64]*bucket{}
	total := 0
	tick := max(s.opts.TickTime, time.Millisecond)
	for id, ls := range s.sessions.m {
		exp := time.Unix(0, ls.lastHeard.Load()+ls.timeout.Load())
		key := exp.Truncate(tick).UnixNano() + int64(tick)
		g := groups[key]
		if g == nil {
			g = &bucket{at: time.Unix(0, key)}
			groups[key] = g
		}
		g.ids = append(g.ids, id)
		total++
	}
	s.sessions.mu.Unlock()
	keys := make([]int64, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	fmt.Fprintf(b, "Session Sets (%d)/(%d):\n", len(groups), total)
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g.ids, func(i, j int) bool { return g.ids[i] < g.ids[j] })
		fmt.Fprintf(b, "%d expire at %s:\n", len(g.ids), javaDate(g.at))
		for _, id := range g.ids {
			fmt.Fprintf(b, "\t0x%x\n", id)
		}
	}
}

// writeEphemeralsAndConns is the rest of dump: the sessions holding
// ephemerals with their paths, then the connections.
func (s *Server) writeEphemeralsAndConns(b *bytes.Buffer) {
	b.WriteString("ephemeral nodes dump:\n")
	var withEph []int64
	for _, ss := range s.fsm.Sessions() {
		if ss.Ephemerals > 0 {
			withEph = append(withEph, ss.ID)
		}
	}
	fmt.Fprintf(b, "Sessions with Ephemerals (%d):\n", len(withEph))
	for _, id := range withEph {
		fmt.Fprintf(b, "0x%x:\n", id)
		for _, p := range s.fsm.Ephemerals(id, "/") {
			fmt.Fprintf(b, "\t%s\n", p)
		}
	}
	b.WriteString("Connections dump:\n")
	cs := s.conns.list()
	sort.Slice(cs, func(i, j int) bool { return cs[i].stats.established.Before(cs[j].stats.established) })
	fmt.Fprintf(b, "Connections Sets (%d)/(%d):\n", len(cs), len(cs))
	for _, c := range cs {
		to := time.Duration(c.timeout.Load())
		if to == 0 {
			to = s.opts.MaxSessionTimeout
		}
		fmt.Fprintf(b, "1 expire at %s:\n", javaDate(time.Now().Add(to)))
		fmt.Fprintf(b, "\tip: /%s sessionId: 0x%x\n", c.remote, c.sessionID.Load())
	}
}

// javaDate formats like java.util.Date.toString: "Sun Nov 22 04:27:37 UTC 2026".
func javaDate(t time.Time) string { return t.UTC().Format("Mon Jan 02 15:04:05 MST 2006") }

func (s *Server) writeEnvi(b *bytes.Buffer) {
	b.WriteString("Environment:\n")
	for _, kv := range s.Environment() {
		fmt.Fprintf(b, "%s=%v\n", kv.Key, kv.Value)
	}
}

// writeMntr writes the zk_* key/value lines of ZooKeeper 3.8's mntr, tab
// separated, beginning with the same keys in the same order.
func (s *Server) writeMntr(b *bytes.Buffer) {
	for _, kv := range s.Monitor() {
		fmt.Fprintf(b, "zk_%s\t%v\n", kv.Key, kv.Value)
	}
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

func maxFDs() int64 {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max open files") {
			f := strings.Fields(l)
			if len(f) >= 4 {
				if n, err := strconv.ParseInt(f[3], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
