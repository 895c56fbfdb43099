package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
	"github.com/zkraft/zkraft/protocol"
)

func newCreateCommand(s *dataSession) *cobra.Command {
	var ephemeral, sequential, container bool
	var ttl int64
	cmd := s.newCommand("create [-e] [-s] [-c] [-t ttl] PATH [DATA] [ACL]", "Create a znode",
		`Create PATH with DATA (none: null data) and ACL (default world:anyone:cdrwa).
ACL is zkCli's scheme:id:perms[,...], perms from cdrwa.
-e makes it ephemeral: it goes with the session, so outside the shell at once
when the command exits. -s appends a sequence number, -c makes a container
(removed when its last child goes), -t ttl a TTL node (milliseconds; the
server needs extendedTypesEnabled=true).`,
		"  zkraft create /app\n  zkraft create /app/config 'v=1'\n  zkraft create -s /app/job- data\n  zkraft create /secret x digest:alice:HASH=:cdrwa --auth digest:alice:secret",
		cobra.RangeArgs(1, 3))
	f := cmd.Flags()
	f.BoolVarP(&ephemeral, "ephemeral", "e", false, "ephemeral znode")
	f.BoolVarP(&sequential, "sequential", "s", false, "sequential znode")
	f.BoolVarP(&container, "container", "c", false, "container znode")
	f.Int64VarP(&ttl, "ttl", "t", 0, "TTL in milliseconds (a TTL znode)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		mode, err := createMode(ephemeral, sequential, container, cmd.Flags().Changed("ttl"), ttl)
		if err != nil {
			return err
		}
		p := args[0]
		var data []byte
		if len(args) > 1 {
			data = []byte(args[1])
		}
		acl := zkclient.OpenACL
		if len(args) > 2 {
			if acl, err = parseACL(args[2]); err != nil {
				return err
			}
		}
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			created, _, err := c.Create(ctx, p, data, acl, mode, ttl)
			if err != nil {
				return zkError(err, p)
			}
			return out.emit(map[string]any{"path": created}, func(w io.Writer) { fmt.Fprintln(w, "Created "+created) })
		})
	}
	return cmd
}

// createMode turns create's flags into a create mode, refusing what zkCli
// refuses.
func createMode(ephemeral, sequential, container, hasTTL bool, ttl int64) (int32, error) {
	switch {
	case container && (ephemeral || sequential):
		return 0, usageErrorf("-c cannot be combined with -s or -e: containers cannot be ephemeral or sequential")
	case hasTTL && ephemeral:
		return 0, usageErrorf("-t cannot be combined with -e: TTLs cannot be used with ephemeral znodes")
	case hasTTL && container:
		return 0, usageErrorf("-t cannot be combined with -c: TTLs cannot be used with container znodes")
	case hasTTL && ttl <= 0:
		return 0, usageErrorf("-t: %d is not a positive number of milliseconds", ttl)
	case hasTTL && sequential:
		return protocol.ModePersistentSequentialWithTTL, nil
	case hasTTL:
		return protocol.ModePersistentWithTTL, nil
	case container:
		return protocol.ModeContainer, nil
	case ephemeral && sequential:
		return protocol.ModeEphemeralSequential, nil
	case ephemeral:
		return protocol.ModeEphemeral, nil
	case sequential:
		return protocol.ModePersistentSequential, nil
	}
	return protocol.ModePersistent, nil
}

func newSetCommand(s *dataSession) *cobra.Command {
	var stat bool
	var version int32
	cmd := s.newCommand("set [-s] [-v version] PATH DATA", "Replace the data of a znode",
		"Replace the data of PATH. -v makes it conditional on the data version;\n-s prints the new stat.",
		"  zkraft set /app/config 'v=2'\n  zkraft set -v 3 /app/config 'v=2'", cobra.ExactArgs(2))
	cmd.Flags().BoolVarP(&stat, "stat", "s", false, "print the new stat")
	cmd.Flags().Int32VarP(&version, "version", "v", -1, "expected data version (-1: any)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			st, err := c.Set(ctx, p, []byte(args[1]), version)
			if err != nil {
				return zkError(err, p)
			}
			return out.emit(map[string]any{"path": p, "stat": toStatJSON(st)}, func(w io.Writer) {
				if stat {
					writeStat(w, st)
				}
			})
		})
	}
	return cmd
}

func newDeleteCommand(s *dataSession) *cobra.Command {
	var version int32
	cmd := s.newCommand("delete [-v version] PATH", "Delete a znode without children",
		"Delete PATH, which must have no children (see deleteall). -v makes it\nconditional on the data version.",
		"  zkraft delete /app/config\n  zkraft delete -v 2 /app/config", cobra.ExactArgs(1))
	cmd.Flags().Int32VarP(&version, "version", "v", -1, "expected data version (-1: any)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			if err := c.Delete(ctx, p, version); err != nil {
				return zkError(err, p)
			}
			return out.emit(map[string]any{"path": p, "deleted": true}, func(io.Writer) {})
		})
	}
	return cmd
}

func newDeleteAllCommand(s *dataSession) *cobra.Command {
	cmd := s.newCommand("deleteall PATH", "Delete a znode and everything below it",
		"Delete PATH and its whole subtree, deepest znodes first. Znodes that vanish\nmeanwhile are fine; a znode created meanwhile makes it fail (Node not empty).\nzkCli's -b (batch size) is accepted; the deletes go one at a time.",
		"  zkraft deleteall /app", cobra.ExactArgs(1))
	cmd.Flags().IntP("batch", "b", 1000, "accepted for zkCli's sake; not used")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			paths, err := subtree(ctx, c, p)
			if err != nil {
				return err
			}
			for i := len(paths) - 1; i >= 0; i-- {
				if err := c.Delete(ctx, paths[i], -1); err != nil && !isCode(err, protocol.ErrNoNode) {
					return zkError(err, paths[i])
				}
			}
			return out.emit(map[string]any{"path": p, "deleted": len(paths)}, func(io.Writer) {})
		})
	}
	return cmd
}

func newSetACLCommand(s *dataSession) *cobra.Command {
	var stat, recursive bool
	var version int32
	cmd := s.newCommand("setAcl [-s] [-v version] [-R] PATH ACL", "Replace the ACL of a znode",
		"Replace the ACL of PATH with ACL (scheme:id:perms[,...], perms from cdrwa).\n-v makes it conditional on the ACL version, -R applies it to the whole\nsubtree, -s prints the new stat.",
		"  zkraft setAcl /app world:anyone:r\n  zkraft setAcl -R /app digest:alice:HASH=:cdrwa,world:anyone:r --auth digest:alice:secret",
		cobra.ExactArgs(2))
	cmd.Flags().BoolVarP(&stat, "stat", "s", false, "print the new stat")
	cmd.Flags().Int32VarP(&version, "version", "v", -1, "expected ACL version (-1: any)")
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "apply to every znode of the subtree")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		acl, err := parseACL(args[1])
		if err != nil {
			return err
		}
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			paths := []string{p}
			if recursive {
				if paths, err = subtree(ctx, c, p); err != nil {
					return err
				}
			}
			var st protocol.Stat
			for i, q := range paths {
				got, err := c.SetACL(ctx, q, acl, version)
				if err != nil {
					return zkError(err, q)
				}
				if i == 0 {
					st = got
				}
			}
			return out.emit(map[string]any{"path": p, "stat": toStatJSON(st)}, func(w io.Writer) {
				if stat {
					writeStat(w, st)
				}
			})
		})
	}
	return cmd
}
