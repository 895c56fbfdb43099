package zkclient

import (
	"context"
	"errors"

	"github.com/zkraft/zkraft/protocol"
)

// OpenACL is world:anyone with every permission, zkCli's default for create.
var OpenACL = []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}

// Create makes a node and returns its path (with the sequence number of a
// sequential node) and stat. A ttl above 0 makes a TTL node (mode must be
// one of the WithTTL modes).
func (c *Client) Create(ctx context.Context, path string, data []byte, acl []protocol.ACL, mode int32, ttl int64) (string, protocol.Stat, error) {
	var resp protocol.Create2Response
	var err error
	switch {
	case ttl > 0:
		_, err = c.do(ctx, protocol.OpCreateTTL, &protocol.CreateTTLRequest{Path: c.abs(path), Data: data, ACL: acl, Flags: mode, TTL: ttl}, &resp)
	case mode == protocol.ModeContainer:
		_, err = c.do(ctx, protocol.OpCreateContainer, &protocol.CreateRequest{Path: c.abs(path), Data: data, ACL: acl, Flags: mode}, &resp)
	default:
		_, err = c.do(ctx, protocol.OpCreate2, &protocol.CreateRequest{Path: c.abs(path), Data: data, ACL: acl, Flags: mode}, &resp)
	}
	return c.strip(resp.Path), resp.Stat, err
}

// Delete removes a node; version -1 matches any.
func (c *Client) Delete(ctx context.Context, path string, version int32) error {
	_, err := c.do(ctx, protocol.OpDelete, &protocol.DeleteRequest{Path: c.abs(path), Version: version}, nil)
	return err
}

// Exists returns the stat of path; watch leaves a data (or exist) watch.
func (c *Client) Exists(ctx context.Context, path string, watch bool) (protocol.Stat, error) {
	var resp protocol.StatResponse
	_, err := c.do(ctx, protocol.OpExists, &protocol.PathWatchRequest{Path: c.abs(path), Watch: watch}, &resp)
	if watch && err == nil {
		c.watches.add(&c.watches.data, c.abs(path))
	} else if watch && errors.Is(err, protocol.ErrNoNode) {
		c.watches.add(&c.watches.exist, c.abs(path))
	}
	return resp.Stat, err
}

// Get returns the data (nil for a node created with null data) and stat.
func (c *Client) Get(ctx context.Context, path string, watch bool) ([]byte, protocol.Stat, error) {
	var resp protocol.GetDataResponse
	_, err := c.do(ctx, protocol.OpGetData, &protocol.PathWatchRequest{Path: c.abs(path), Watch: watch}, &resp)
	if watch && err == nil {
		c.watches.add(&c.watches.data, c.abs(path))
	}
	return resp.Data, resp.Stat, err
}

// Set replaces the data of path; version -1 matches any.
func (c *Client) Set(ctx context.Context, path string, data []byte, version int32) (protocol.Stat, error) {
	var resp protocol.StatResponse
	_, err := c.do(ctx, protocol.OpSetData, &protocol.SetDataRequest{Path: c.abs(path), Data: data, Version: version}, &resp)
	return resp.Stat, err
}

// Children returns the names of path's children and path's stat.
func (c *Client) Children(ctx context.Context, path string, watch bool) ([]string, protocol.Stat, error) {
	var resp protocol.GetChildren2Response
	_, err := c.do(ctx, protocol.OpGetChildren2, &protocol.PathWatchRequest{Path: c.abs(path), Watch: watch}, &resp)
	if watch && err == nil {
		c.watches.add(&c.watches.child, c.abs(path))
	}
	return resp.Children, resp.Stat, err
}

// GetACL returns the ACL of path and its stat.
func (c *Client) GetACL(ctx context.Context, path string) ([]protocol.ACL, protocol.Stat, error) {
	var resp protocol.GetACLResponse
	_, err := c.do(ctx, protocol.OpGetACL, &protocol.PathRequest{Path: c.abs(path)}, &resp)
	return resp.ACL, resp.Stat, err
}

// SetACL replaces the ACL of path; version (the aversion) -1 matches any.
func (c *Client) SetACL(ctx context.Context, path string, acl []protocol.ACL, version int32) (protocol.Stat, error) {
	var resp protocol.StatResponse
	_, err := c.do(ctx, protocol.OpSetACL, &protocol.SetACLRequest{Path: c.abs(path), ACL: acl, Version: version}, &resp)
	return resp.Stat, err
}

// Sync waits until the server is up to date with the leader for path.
func (c *Client) Sync(ctx context.Context, path string) error {
	var resp protocol.PathResponse
	_, err := c.do(ctx, protocol.OpSync, &protocol.PathRequest{Path: c.abs(path)}, &resp)
	return err
}

// Ephemerals lists the session's ephemeral nodes whose path starts with
// prefix ("/" for all).
func (c *Client) Ephemerals(ctx context.Context, prefix string) ([]string, error) {
	var resp protocol.GetEphemeralsResponse
	_, err := c.do(ctx, protocol.OpGetEphemerals, &protocol.PathRequest{Path: c.abs(prefix)}, &resp)
	paths := make([]string, len(resp.Ephemerals))
	for i, p := range resp.Ephemerals {
		paths[i] = c.strip(p)
	}
	return paths, err
}

// AllChildrenNumber counts the nodes below path, at any depth.
func (c *Client) AllChildrenNumber(ctx context.Context, path string) (int32, error) {
	var resp protocol.GetAllChildrenNumberResponse
	_, err := c.do(ctx, protocol.OpGetAllChildrenNumber, &protocol.PathRequest{Path: c.abs(path)}, &resp)
	return resp.TotalNumber, err
}

// AddWatch leaves a persistent watch (mode protocol.AddWatchPersistent or
// AddWatchPersistentRecursive) on path; its events come on Events.
func (c *Client) AddWatch(ctx context.Context, path string, mode int32) error {
	var resp protocol.ErrorResponse
	_, err := c.do(ctx, protocol.OpAddWatch, &protocol.AddWatchRequest{Path: c.abs(path), Mode: mode}, &resp)
	if err == nil && resp.Err != protocol.ErrOK {
		err = resp.Err
	}
	if err == nil && mode == protocol.AddWatchPersistentRecursive {
		c.watches.add(&c.watches.tree, c.abs(path))
	} else if err == nil {
		c.watches.add(&c.watches.persistent, c.abs(path))
	}
	return err
}

// WhoAmI returns the identities the session is authenticated as.
func (c *Client) WhoAmI(ctx context.Context) ([]protocol.ClientInfo, error) {
	var resp protocol.WhoAmIResponse
	_, err := c.do(ctx, protocol.OpWhoAmI, nil, &resp)
	return resp.ClientInfo, err
}
