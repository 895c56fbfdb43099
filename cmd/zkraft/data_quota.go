package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
	"github.com/zkraft/zkraft/protocol"
)

// Quotas are znodes, as zkCli keeps them: the quota of /p lives in
// /zookeeper/quota/p/zookeeper_limits (what setquota writes) and
// /zookeeper/quota/p/zookeeper_stats (the usage, kept by the server).
const quotaRoot = "/zookeeper/quota"

func limitsNode(p string) string { return quotaRoot + p + "/zookeeper_limits" }
func statsNode(p string) string  { return quotaRoot + p + "/zookeeper_stats" }

// quotaLimits are the four limits zkCli writes; -1 is "none".
type quotaLimits struct {
	Count          int64 `json:"count"`
	Bytes          int64 `json:"bytes"`
	CountHardLimit int64 `json:"countHardLimit"`
	ByteHardLimit  int64 `json:"byteHardLimit"`
}

// parseStatsTrack reads ZooKeeper's StatsTrack text: key=value pairs split
// by ',' or ';'; a missing or empty value is -1.
func parseStatsTrack(data string) map[string]int64 {
	m := map[string]int64{}
	for _, pair := range strings.FieldsFunc(data, func(r rune) bool { return r == ',' || r == ';' }) {
		k, v, _ := strings.Cut(pair, "=")
		v, _, _ = strings.Cut(v, "=") // "bytes=-1=" marks the format with hard limits
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			n = -1
		}
		m[k] = n
	}
	return m
}

func limitsFrom(data string) quotaLimits {
	m := parseStatsTrack(data)
	get := func(k string) int64 {
		if v, ok := m[k]; ok {
			return v
		}
		return -1
	}
	return quotaLimits{get("count"), get("bytes"), get("countHardLimit"), get("byteHardLimit")}
}

// String is the text zkCli 3.8 writes: the old count/bytes pair, then "=;"
// and the hard limits, which older readers ignore.
func (q quotaLimits) String() string {
	return fmt.Sprintf("count=%d,bytes=%d=;byteHardLimit=%d;countHardLimit=%d", q.Count, q.Bytes, q.ByteHardLimit, q.CountHardLimit)
}

// quotaFlags are setquota's and delquota's -n -b -N -B.
type quotaFlags struct{ n, b, hn, hb int64 }

func (f *quotaFlags) add(cmd *cobra.Command, verb string) {
	fs := cmd.Flags()
	fs.Int64VarP(&f.n, "count", "n", -1, verb+" the soft limit on the number of znodes (warns only)")
	fs.Int64VarP(&f.b, "bytes", "b", -1, verb+" the soft limit on data bytes (warns only)")
	fs.Int64VarP(&f.hn, "count-hard", "N", -1, verb+" the hard limit on the number of znodes")
	fs.Int64VarP(&f.hb, "bytes-hard", "B", -1, verb+" the hard limit on data bytes")
}

// quotaWhich returns the names of the limit flags given.
func quotaWhich(cmd *cobra.Command) []string {
	var set []string
	for _, n := range []string{"count", "bytes", "count-hard", "bytes-hard"} {
		if cmd.Flags().Changed(n) {
			set = append(set, n)
		}
	}
	return set
}

// apply sets the limits named in which to v(flag value) in q.
func (f *quotaFlags) apply(q *quotaLimits, which []string, value func(int64) int64) {
	for _, n := range which {
		switch n {
		case "count":
			q.Count = value(f.n)
		case "bytes":
			q.Bytes = value(f.b)
		case "count-hard":
			q.CountHardLimit = value(f.hn)
		case "bytes-hard":
			q.ByteHardLimit = value(f.hb)
		}
	}
}

func newSetQuotaCommand(s *dataSession) *cobra.Command {
	var f quotaFlags
	cmd := s.newCommand("setquota -n|-b|-N|-B val PATH", "Set a quota on a subtree",
		`Set one limit of the quota of PATH, keeping its other limits. Soft limits
(-n, -b) only make the server log; hard limits (-N, -B) make writes past them
fail with QuotaExceeded when the server runs with enforceQuota=true. A quota
cannot sit below or above another one.`,
		"  zkraft setquota -n 1000 /app\n  zkraft setquota -B 1048576 /app", cobra.ExactArgs(1))
	f.add(cmd, "set")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		which := quotaWhich(cmd)
		if len(which) != 1 {
			return usageErrorf("give exactly one of -n, -b, -N, -B")
		}
		if err := protocol.ValidatePath(p, false); err != nil || p == "/" || p == "/zookeeper" || strings.HasPrefix(p, "/zookeeper/") {
			return usageErrorf("%s: a quota needs a znode path outside /zookeeper", p)
		}
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			if _, err := c.Exists(ctx, p, false); err != nil {
				return zkError(err, p)
			}
			if err := checkQuotaNesting(ctx, c, p); err != nil {
				return err
			}
			q := quotaLimits{-1, -1, -1, -1}
			data, _, err := c.Get(ctx, limitsNode(p), false)
			exists := err == nil
			if err != nil && !isCode(err, protocol.ErrNoNode) {
				return zkError(err, limitsNode(p))
			}
			if exists {
				q = limitsFrom(string(data))
			}
			f.apply(&q, which, func(v int64) int64 { return v })
			if exists {
				_, err = c.Set(ctx, limitsNode(p), []byte(q.String()), -1)
				if err != nil {
					return zkError(err, limitsNode(p))
				}
			} else if err := createQuota(ctx, c, p, q); err != nil {
				return err
			}
			warnBelowUsage(ctx, c, cmd.ErrOrStderr(), p, which[0], q)
			return out.emit(map[string]any{"path": p, "limits": q}, func(io.Writer) {})
		})
	}
	return cmd
}

// warnBelowUsage says, as zkCli does, when the limit just set is already
// below the subtree's usage.
func warnBelowUsage(ctx context.Context, c *zkclient.Client, w io.Writer, p, which string, q quotaLimits) {
	stats, _, err := c.Get(ctx, statsNode(p), false)
	if err != nil {
		return
	}
	usage := parseStatsTrack(string(stats))
	limit, kind := q.Count, "count"
	switch which {
	case "bytes":
		limit, kind = q.Bytes, "bytes"
	case "count-hard":
		limit = q.CountHardLimit
	case "bytes-hard":
		limit, kind = q.ByteHardLimit, "bytes"
	}
	if limit >= 0 && limit < usage[kind] {
		fmt.Fprintf(w, "[Warning]: the %s quota you create is less than the existing %s:%d\n", kind, kind, usage[kind])
	}
}

// createQuota makes the quota nodes of p: its directory under
// /zookeeper/quota, the limits, and the stats, which the server fills with
// the subtree's usage.
func createQuota(ctx context.Context, c *zkclient.Client, p string, q quotaLimits) error {
	dir := quotaRoot
	for _, part := range strings.Split(p[1:], "/") {
		dir += "/" + part
		if _, _, err := c.Create(ctx, dir, nil, zkclient.OpenACL, protocol.ModePersistent, 0); err != nil && !isCode(err, protocol.ErrNodeExists) {
			return zkError(err, dir)
		}
	}
	if _, _, err := c.Create(ctx, limitsNode(p), []byte(q.String()), zkclient.OpenACL, protocol.ModePersistent, 0); err != nil {
		return zkError(err, limitsNode(p))
	}
	if _, _, err := c.Create(ctx, statsNode(p), []byte("count=0,bytes=0"), zkclient.OpenACL, protocol.ModePersistent, 0); err != nil && !isCode(err, protocol.ErrNodeExists) {
		return zkError(err, statsNode(p))
	}
	return nil
}

// checkQuotaNesting refuses a quota on p when an ancestor or a descendant
// of p already has one, as zkCli does: the server only counts a node
// against its innermost quota.
func checkQuotaNesting(ctx context.Context, c *zkclient.Client, p string) error {
	for q := parentOf(p); q != "/"; q = parentOf(q) {
		if _, err := c.Exists(ctx, limitsNode(q), false); err == nil {
			return fmt.Errorf("%s has a parent %s which has a quota", p, q)
		}
	}
	below, err := subtree(ctx, c, quotaRoot+p)
	if isCode(err, protocol.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range below {
		if strings.HasSuffix(n, "/zookeeper_limits") && n != limitsNode(p) {
			return fmt.Errorf("%s has a child %s which has a quota", p, strings.TrimSuffix(strings.TrimPrefix(n, quotaRoot), "/zookeeper_limits"))
		}
	}
	return nil
}

func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func newListQuotaCommand(s *dataSession) *cobra.Command {
	cmd := s.newCommand("listquota PATH", "Print the quota of a subtree and its usage",
		"Print the limits of PATH's quota and the subtree's current usage, as zkCli\ndoes. No quota on PATH is an error (exit status 1).",
		"  zkraft listquota /app\n  zkraft listquota /app --output json", cobra.ExactArgs(1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			limits, _, err := c.Get(ctx, limitsNode(p), false)
			if isCode(err, protocol.ErrNoNode) {
				return fmt.Errorf("quota for %s does not exist", p)
			}
			if err != nil {
				return zkError(err, limitsNode(p))
			}
			stats, _, err := c.Get(ctx, statsNode(p), false)
			if err != nil && !isCode(err, protocol.ErrNoNode) {
				return zkError(err, statsNode(p))
			}
			usage := parseStatsTrack(string(stats))
			v := map[string]any{"path": p, "limits": limitsFrom(string(limits)),
				"usage": map[string]int64{"count": usage["count"], "bytes": usage["bytes"]}}
			return out.emit(v, func(w io.Writer) {
				fmt.Fprintf(w, "absolute path is %s\n", limitsNode(p))
				fmt.Fprintf(w, "Output quota for %s %s\n", p, limits)
				if stats != nil {
					fmt.Fprintf(w, "Output stat for %s %s\n", p, stats)
				}
			})
		})
	}
	return cmd
}

func newDelQuotaCommand(s *dataSession) *cobra.Command {
	var f quotaFlags
	cmd := s.newCommand("delquota [-n|-b|-N|-B] PATH", "Remove a quota or one of its limits",
		"Without a flag, remove PATH's quota. With -n, -b, -N or -B, clear those limits\nonly.",
		"  zkraft delquota /app\n  zkraft delquota -N /app", cobra.ExactArgs(1))
	var n, b, hn, hb bool
	fs := cmd.Flags()
	fs.BoolVarP(&n, "count", "n", false, "clear the soft limit on the number of znodes")
	fs.BoolVarP(&b, "bytes", "b", false, "clear the soft limit on data bytes")
	fs.BoolVarP(&hn, "count-hard", "N", false, "clear the hard limit on the number of znodes")
	fs.BoolVarP(&hb, "bytes-hard", "B", false, "clear the hard limit on data bytes")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		which := quotaWhich(cmd)
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			data, _, err := c.Get(ctx, limitsNode(p), false)
			if isCode(err, protocol.ErrNoNode) {
				return fmt.Errorf("quota does not exist for %s", p)
			}
			if err != nil {
				return zkError(err, limitsNode(p))
			}
			if len(which) > 0 {
				q := limitsFrom(string(data))
				f.apply(&q, which, func(int64) int64 { return -1 })
				if _, err := c.Set(ctx, limitsNode(p), []byte(q.String()), -1); err != nil {
					return zkError(err, limitsNode(p))
				}
				return out.emit(map[string]any{"path": p, "limits": q}, func(io.Writer) {})
			}
			if err := deleteQuota(ctx, c, p); err != nil {
				return err
			}
			return out.emit(map[string]any{"path": p, "deleted": true}, func(io.Writer) {})
		})
	}
	return cmd
}

// deleteQuota removes p's limits and stats and then the directories under
// /zookeeper/quota that are left empty.
func deleteQuota(ctx context.Context, c *zkclient.Client, p string) error {
	for _, n := range []string{limitsNode(p), statsNode(p)} {
		if err := c.Delete(ctx, n, -1); err != nil && !isCode(err, protocol.ErrNoNode) {
			return zkError(err, n)
		}
	}
	for dir := quotaRoot + p; dir != quotaRoot; dir = parentOf(dir) {
		err := c.Delete(ctx, dir, -1)
		if isCode(err, protocol.ErrNotEmpty) {
			return nil // another quota lives below
		}
		if err != nil && !isCode(err, protocol.ErrNoNode) {
			return zkError(err, dir)
		}
	}
	return nil
}
