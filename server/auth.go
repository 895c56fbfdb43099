package server

import (
	"fmt"
	"strings"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// handleAuth adds identities from an auth packet. The digest scheme turns
// "user:password" into {digest, user:base64(sha1)} (plus {super, ""} when
// that is the configured super digest); ip re-asserts the connection's
// address. Any other scheme fails: ZooKeeper answers AuthFailed and closes
// the connection, and the client reports an AuthFailed state.
func (c *conn) handleAuth(xid int32, body []byte) error {
	var req protocol.AuthPacket
	if err := protocol.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("decoding auth packet: %w", err)
	}
	switch req.Scheme {
	case "digest":
		for _, id := range c.s.DigestIdentities(string(req.Auth)) {
			c.addAuth(id)
		}
	case "ip":
		c.addAuth(protocol.Id{Scheme: "ip", ID: c.ip})
	default:
		c.s.stats.authFailed.Add(1)
		c.s.log.Info("auth failed: unknown scheme", "client", c.remote, "scheme", req.Scheme)
		c.queueReply(xid, 0, protocol.ErrAuthFailed, nil)
		c.closeAfterFlush()
		return errClose
	}
	c.queueReply(xid, 0, protocol.ErrOK, nil)
	return nil
}

// DigestIdentities are the identities digest credentials "user:password"
// prove: {digest, user:base64(sha1)}, and {super, ""} when that is the
// configured super digest. The AdminServer authenticates with them too.
func (s *Server) DigestIdentities(userPassword string) []protocol.Id {
	id := fsm.DigestID(userPassword)
	ids := []protocol.Id{{Scheme: "digest", ID: id}}
	if s.opts.SuperDigest != "" && id == s.opts.SuperDigest {
		ids = append(ids, protocol.Id{Scheme: "super", ID: ""})
	}
	return ids
}

// addAuth appends an identity once. The slice is replaced, not grown in
// place: headers already proposed keep referring to the old one.
func (c *conn) addAuth(id protocol.Id) {
	for _, a := range c.auth {
		if a == id {
			return
		}
	}
	next := make([]protocol.Id, len(c.auth), len(c.auth)+1)
	copy(next, c.auth)
	next = append(next, id)
	c.auth = next
	c.authView.Store(&next)
}

// canRead reports whether the connection may be told of a change to a node
// with acl (ZooKeeper withholds watch events without READ since
// CVE-2024-23944). Safe from any goroutine.
func (c *conn) canRead(acl []protocol.ACL) bool {
	ids := c.authView.Load()
	if ids == nil {
		return fsm.CanRead(acl, nil)
	}
	return fsm.CanRead(acl, *ids)
}

// clientInfo is the whoAmI answer: one entry per identity, the digest
// scheme showing only the user name as ZooKeeper's provider does. ZooKeeper
// 3.8 lists the identities added by auth packets before the connection's ip
// identity ([{digest bob} {ip 127.0.0.1}]).
func (c *conn) clientInfo() []protocol.ClientInfo {
	out := make([]protocol.ClientInfo, 0, len(c.auth))
	for _, a := range c.auth[1:] {
		user := a.ID
		if a.Scheme == "digest" {
			user, _, _ = strings.Cut(a.ID, ":")
		}
		out = append(out, protocol.ClientInfo{AuthScheme: a.Scheme, User: user})
	}
	return append(out, protocol.ClientInfo{AuthScheme: c.auth[0].Scheme, User: c.auth[0].ID})
}

// handleSASL answers a SASL token on a server without SASL configured as
// ZooKeeper 3.8 does: OK with a null token, and the connection stays open.
func (c *conn) handleSASL(xid int32) error {
	c.queueReply(xid, 0, protocol.ErrOK, &protocol.SASLRequest{})
	return nil
}
