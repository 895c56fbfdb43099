package config

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// serverForm is the shape of a server.N value, for error messages.
const serverForm = "host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]"

// applyServer records one server.N line. Lines are kept ordered by id; a
// repeated id replaces the earlier line, as in ZooKeeper (Properties keeps
// the last value).
func (c *Config) applyServer(key, value, source string, line int) (problems, warnings []*Problem) {
	at := func(msg string) *Problem { return &Problem{Source: source, Line: line, Key: key, Msg: msg} }

	idText := strings.TrimPrefix(key, "server.")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id < 0 {
		return []*Problem{at(fmt.Sprintf("server id %q is not a non-negative whole number", idText))}, nil
	}
	s, err := ParseServer(id, value)
	if err != nil {
		return []*Problem{at(err.Error())}, nil
	}
	canon := "server." + strconv.FormatInt(id, 10)
	if prev, dup := c.origin[canon]; dup && prev.source == source {
		warnings = append(warnings, at(fmt.Sprintf("server %d set again (first at line %d); the last line wins", id, prev.line)))
	}
	c.origin[canon] = origin{source: source, line: line, key: key}

	i := sort.Search(len(c.Servers), func(i int) bool { return c.Servers[i].ID >= id })
	if i < len(c.Servers) && c.Servers[i].ID == id {
		c.Servers[i] = s
	} else {
		c.Servers = append(c.Servers, Server{})
		copy(c.Servers[i+1:], c.Servers[i:])
		c.Servers[i] = s
	}
	return nil, warnings
}

// ParseServer parses the value of a server.<id> line:
// host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort].
// host may be an IPv6 literal in brackets. ZooKeeper's multi-address form
// (addresses separated by '|') is rejected, as ZooKeeper does unless
// multiAddress.enabled is set.
func ParseServer(id int64, value string) (Server, error) {
	bad := func(why string) (Server, error) {
		return Server{}, fmt.Errorf("%q %s; the form is %s", value, why, serverForm)
	}
	s := Server{ID: id, Role: Participant}

	// Java's String.split drops trailing empty fields, so ZooKeeper reads
	// "h:1:2;" and "h:1:2:" as "h:1:2"; so does this.
	serverPart, clientPart, hasClient := strings.Cut(strings.TrimRight(value, ";"), ";")
	if strings.Contains(clientPart, ";") {
		return bad("has more than one ';'")
	}
	serverPart = strings.TrimRight(serverPart, ":")
	if strings.Contains(serverPart, "|") {
		return Server{}, fmt.Errorf("%q lists several addresses for server %d; multiple addresses per server are not supported", value, id)
	}

	host, rest, err := splitHost(serverPart)
	if err != nil {
		return bad(err.Error())
	}
	parts := strings.Split(rest, ":")
	if host == "" || len(parts) < 2 || len(parts) > 3 {
		return bad("is not host:quorumPort:electionPort")
	}
	s.Host = host
	if s.QuorumPort, err = parsePort(parts[0]); err != nil {
		return Server{}, fmt.Errorf("%q: quorum port %w", value, err)
	}
	if s.ElectionPort, err = parsePort(parts[1]); err != nil {
		return Server{}, fmt.Errorf("%q: election port %w", value, err)
	}
	if len(parts) == 3 {
		if s.Role, err = parsePeerType(parts[2]); err != nil {
			return Server{}, fmt.Errorf("%q: role %w", value, err)
		}
	}

	if hasClient {
		clientPart = strings.TrimSpace(clientPart)
		portText := clientPart
		if strings.HasPrefix(clientPart, "[") || strings.Contains(clientPart, ":") {
			h, p, err := net.SplitHostPort(clientPart)
			if err != nil || h == "" {
				return bad("has a client part that is not [clientHost:]clientPort")
			}
			s.ClientHost, portText = h, p
		}
		if s.ClientPort, err = parsePort(portText); err != nil {
			return Server{}, fmt.Errorf("%q: client port %w", value, err)
		}
	}
	return s, nil
}

// splitHost takes the host off the front of "host:rest", where host may be a
// bracketed IPv6 literal, and returns it without brackets.
func splitHost(s string) (host, rest string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", "", fmt.Errorf("has an unclosed '['")
		}
		host = s[1:end]
		rest, ok := strings.CutPrefix(s[end+1:], ":")
		if !ok {
			return "", "", fmt.Errorf("has no port after %q", s[:end+1])
		}
		return host, rest, nil
	}
	host, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("is not host:quorumPort:electionPort")
	}
	return host, rest, nil
}

// parsePort reads a TCP port, 1-65535.
func parsePort(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%d is not a port (1-65535)", n)
	}
	return n, nil
}
