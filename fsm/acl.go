package fsm

import (
	"crypto/sha1"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"

	"github.com/zkraft/zkraft/protocol"
)

// Schemes ZooKeeper's default providers know. "super" is an identity the
// server grants (digest matching the super digest), never an ACL scheme.
const (
	schemeWorld  = "world"
	schemeAuth   = "auth"
	schemeDigest = "digest"
	schemeIP     = "ip"
	schemeSuper  = "super"
)

// DigestID turns "user:password" into the digest scheme's id
// "user:base64(sha1(user:password))".
func DigestID(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// CanRead reports whether a connection with identities auth may learn of a
// change to a node with acl: the check before a watch event is delivered.
func CanRead(acl []protocol.ACL, auth []protocol.Id) bool {
	return allowed(acl, protocol.PermRead, auth)
}

// allowed reports whether an identity in auth holds one of the perm bits on a
// node with acl. world:anyone is implied; a super identity passes everything;
// an empty ACL allows everything (ZooKeeper's checkACL does the same).
func allowed(acl []protocol.ACL, perm int32, auth []protocol.Id) bool {
	return granted(acl, auth, func(perms int32) bool { return perms&perm != 0 })
}

// granted reports whether an ACL entry whose perms pass ok names world:anyone
// or an identity in auth, with allowed's rules for super and an empty ACL.
func granted(acl []protocol.ACL, auth []protocol.Id, ok func(perms int32) bool) bool {
	if len(acl) == 0 {
		return true
	}
	for _, id := range auth {
		if id.Scheme == schemeSuper {
			return true
		}
	}
	for _, a := range acl {
		if !ok(a.Perms) {
			continue
		}
		if a.ID.Scheme == schemeWorld && a.ID.ID == "anyone" {
			return true
		}
		for _, id := range auth {
			if id.Scheme != a.ID.Scheme {
				continue
			}
			if id.Scheme == schemeIP {
				if ipMatches(id.ID, a.ID.ID) {
					return true
				}
			} else if id.ID == a.ID.ID {
				return true
			}
		}
	}
	return false
}

// MayAdminister reports whether identities auth hold ALL (cdrwa, every bit
// in one ACL entry) on the root: what ZooKeeper 3.9.4 requires of the
// AdminServer's snapshot and restore commands.
func (f *FSM) MayAdminister(auth []protocol.Id) bool {
	n, _ := f.cur.Load().get("/")
	return granted(n.acl, auth, func(perms int32) bool { return perms&protocol.PermAll == protocol.PermAll })
}

// fixupACL validates a create/setACL ACL the way ZooKeeper does and returns
// what is stored: duplicates are dropped (first kept), then "auth" entries are
// replaced by the connection's authenticated digest identities. As in
// ZooKeeper 3.8 the expansion comes after the de-duplication, so "auth" next
// to the same digest entry stores it twice. ok is false for InvalidACL.
func fixupACL(acl []protocol.ACL, auth []protocol.Id) ([]protocol.ACL, bool) {
	if len(acl) == 0 {
		return nil, false
	}
	acl = dedupACL(acl)
	out := make([]protocol.ACL, 0, len(acl))
	for _, a := range acl {
		switch a.ID.Scheme {
		case schemeWorld:
			if a.ID.ID != "anyone" {
				return nil, false
			}
			out = append(out, a)
		case schemeAuth:
			// Only identities of providers that authenticate count: the
			// digest scheme does, ip (an address, not a login) does not.
			n := 0
			for _, id := range auth {
				if id.Scheme == schemeDigest {
					out = append(out, protocol.ACL{Perms: a.Perms, ID: id})
					n++
				}
			}
			if n == 0 {
				return nil, false
			}
		case schemeDigest:
			if !validDigestID(a.ID.ID) {
				return nil, false
			}
			out = append(out, a)
		case schemeIP:
			if !validIPID(a.ID.ID) {
				return nil, false
			}
			out = append(out, a)
		default:
			return nil, false
		}
	}
	return out, true
}

func dedupACL(acl []protocol.ACL) []protocol.ACL {
	out := acl[:0:0]
	for _, a := range acl {
		dup := false
		for _, b := range out {
			if a == b {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// validDigestID follows Java's id.split(":").length == 2: exactly one colon
// once trailing empty fields are dropped ("user:" is invalid, ":x" is valid).
func validDigestID(id string) bool {
	parts := strings.Split(id, ":")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return len(parts) == 2
}

// validIPID accepts an IPv4 address with an optional /bits (0-32), as
// ZooKeeper 3.8's IPAuthenticationProvider does (it rejects IPv6).
func validIPID(id string) bool {
	_, _, ok := parseIPExpr(id)
	return ok
}

func parseIPExpr(expr string) (netip.Addr, int, bool) {
	addrPart, bitsPart, hasBits := strings.Cut(expr, "/")
	addr, ok := parseIPv4(addrPart)
	if !ok {
		return netip.Addr{}, 0, false
	}
	bits := 32
	if hasBits {
		b, err := strconv.Atoi(bitsPart)
		if err != nil || b < 0 || b > 32 {
			return netip.Addr{}, 0, false
		}
		bits = b
	}
	return addr, bits, true
}

func parseIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(v)
	}
	return netip.AddrFrom4(b), true
}

// ipMatches reports whether the client address (an ip identity) falls in the
// ACL's address or CIDR range.
func ipMatches(client, expr string) bool {
	addr, bits, ok := parseIPExpr(expr)
	if !ok {
		return false
	}
	c, err := netip.ParseAddr(client)
	if err != nil {
		return false
	}
	c = c.Unmap()
	if !c.Is4() {
		return false
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return false
	}
	return p.Contains(c)
}

// redactACL hides the password hashes of digest entries from a caller without
// ADMIN permission, as ZooKeeper's getACL does ("user:x").
func redactACL(acl []protocol.ACL) []protocol.ACL {
	out := make([]protocol.ACL, len(acl))
	for i, a := range acl {
		if a.ID.Scheme == schemeDigest {
			user, _, _ := strings.Cut(a.ID.ID, ":")
			a.ID.ID = user + ":x"
		}
		out[i] = a
	}
	return out
}
