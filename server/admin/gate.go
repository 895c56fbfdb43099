package admin

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// The snapshot and restore commands read or replace the whole tree, so, as
// in ZooKeeper 3.9.4, they need:
//
//   - an Authorization header naming a scheme and its credentials:
//     "digest user:password" or "ip" (the caller's address); without one
//     the answer is 401;
//   - ALL (cdrwa, in one ACL entry) on the root for those identities (the
//     super digest user always has it); otherwise 403;
//   - at most one run per interval (admin.snapshot.intervalInMS,
//     admin.restore.intervalInMS, 5 minutes by default); otherwise 429;
//   - admin.snapshot.enabled / admin.restore.enabled (default true);
//     otherwise 403.
//
// With the default root ACL (world:anyone:cdrwa) any authenticated caller
// passes; an operator who cares sets a root ACL.

// Gate is the limits of one guarded command.
type Gate struct {
	Enabled  bool
	Interval time.Duration // 0: no rate limit
}

// gate guards one command: its limits and when it last ran.
type gate struct {
	Gate
	mu   sync.Mutex
	last time.Time
}

// admit answers the request with an error status and reports false when
// the command may not run now.
func (a *Server) admit(w http.ResponseWriter, r *http.Request, name string, g *gate) bool {
	if !g.Enabled {
		http.Error(w, fmt.Sprintf("the %s command is disabled (admin.%s.enabled=false)", name, name), http.StatusForbidden)
		return false
	}
	ids, why := a.identities(r)
	if ids == nil {
		w.Header().Set("WWW-Authenticate", "digest")
		http.Error(w, fmt.Sprintf("the %s command needs authentication: %s", name, why), http.StatusUnauthorized)
		return false
	}
	if !a.zk.MayAdminister(ids) {
		a.log.Warn("admin: command refused: no ALL permission on /", "command", name, "remote", r.RemoteAddr)
		http.Error(w, fmt.Sprintf("the %s command needs ALL permission on / for the identity given", name), http.StatusForbidden)
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if now := time.Now(); g.Interval > 0 && !g.last.IsZero() && now.Sub(g.last) < g.Interval {
		wait := g.Interval - now.Sub(g.last)
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+0.999)))
		http.Error(w, fmt.Sprintf("the %s command runs at most once every %v (admin.%s.intervalInMS); retry in %v",
			name, g.Interval, name, wait.Round(time.Second)), http.StatusTooManyRequests)
		return false
	}
	g.last = time.Now()
	return true
}

// identities are the ZooKeeper identities a request's Authorization header
// proves, or nil and why not.
func (a *Server) identities(r *http.Request) ([]protocol.Id, string) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return nil, `send "Authorization: digest user:password" or "Authorization: ip"`
	}
	scheme, cred, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "digest":
		cred = strings.TrimSpace(cred)
		if !strings.Contains(cred, ":") {
			return nil, "digest credentials are user:password"
		}
		return a.zk.DigestIdentities(cred), ""
	case "ip":
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return nil, "the caller's address is unknown"
		}
		return []protocol.Id{{Scheme: "ip", ID: host}}, ""
	default:
		return nil, fmt.Sprintf("unknown scheme %q (digest or ip)", scheme)
	}
}
