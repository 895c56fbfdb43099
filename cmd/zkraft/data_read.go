package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"strconv"
	"syscall"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
	"github.com/zkraft/zkraft/protocol"
)

const watchNote = `With -w the command leaves a one-time watch and, outside the shell, waits
for its event, prints it and exits (Ctrl-C stops waiting).`

func newLsCommand(s *dataSession) *cobra.Command {
	var stat, watch, recursive bool
	cmd := s.newCommand("ls [-s] [-w] [-R] PATH", "List the children of a znode",
		"Print the children of PATH as zkCli does: [a, b]. -s adds the stat of PATH;\n-R lists the whole subtree, one path a line, breadth first.\n"+watchNote,
		"  zkraft ls /\n  zkraft ls -s /app --server zk1:2181,zk2:2181\n  zkraft ls -R /app --output json", cobra.ExactArgs(1))
	cmd.Flags().BoolVarP(&stat, "stat", "s", false, "also print the stat of PATH")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "leave a child watch and wait for its event")
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "list every path of the subtree")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			if recursive {
				paths, err := subtree(ctx, c, p)
				if err != nil {
					return err
				}
				return out.emit(map[string]any{"path": p, "paths": paths}, func(w io.Writer) {
					for _, q := range paths {
						fmt.Fprintln(w, q)
					}
				})
			}
			children, st, err := c.Children(ctx, p, watch)
			if err != nil {
				return zkError(err, p)
			}
			if children == nil {
				children = []string{}
			}
			return s.emitNode(cmd, c, out, map[string]any{"path": p, "children": children}, statIf(stat, st), watch,
				func(w io.Writer) { fmt.Fprintln(w, listString(children)) })
		})
	}
	return cmd
}

// subtree lists root and every node below it, breadth first, as zkCli's
// ls -R does.
func subtree(ctx context.Context, c *zkclient.Client, root string) ([]string, error) {
	paths := []string{root}
	for i := 0; i < len(paths); i++ {
		children, _, err := c.Children(ctx, paths[i], false)
		if err != nil {
			if i > 0 && isCode(err, protocol.ErrNoNode) {
				continue // deleted while we walked
			}
			return nil, zkError(err, paths[i])
		}
		for _, ch := range children {
			paths = append(paths, path.Join(paths[i], ch))
		}
	}
	return paths, nil
}

func newGetCommand(s *dataSession) *cobra.Command {
	var stat, watch bool
	cmd := s.newCommand("get [-s] [-w] PATH", "Print the data of a znode",
		"Print the data of PATH; a znode created without data prints null, as in zkCli.\n-s adds the stat. In json, data is a string when it is UTF-8, else\ndataBase64 holds it.\n"+watchNote,
		"  zkraft get /app/config\n  zkraft get -s /app/config --output json", cobra.ExactArgs(1))
	cmd.Flags().BoolVarP(&stat, "stat", "s", false, "also print the stat")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "leave a data watch and wait for its event")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			data, st, err := c.Get(ctx, p, watch)
			if err != nil {
				return zkError(err, p)
			}
			v := map[string]any{"path": p, "data": nil}
			switch {
			case data == nil:
			case utf8.Valid(data):
				v["data"] = string(data)
			default:
				v["dataBase64"] = data // encoding/json writes []byte as base64
			}
			return s.emitNode(cmd, c, out, v, statIf(stat, st), watch, func(w io.Writer) {
				if data == nil {
					fmt.Fprintln(w, "null")
				} else {
					fmt.Fprintln(w, string(data))
				}
			})
		})
	}
	return cmd
}

func newStatCommand(s *dataSession) *cobra.Command {
	var watch bool
	cmd := s.newCommand("stat [-w] PATH", "Print the stat of a znode",
		"Print the stat of PATH: zxids, times, versions, owner, sizes.\n"+watchNote,
		"  zkraft stat /app\n  zkraft stat /app --output json", cobra.ExactArgs(1))
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "leave a watch and wait for its event")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			st, err := c.Exists(ctx, p, watch)
			if err != nil {
				return zkError(err, p)
			}
			return s.emitNode(cmd, c, out, map[string]any{"path": p}, &st, watch, func(io.Writer) {})
		})
	}
	return cmd
}

// emitNode prints a read's result: text, then the stat when st is not nil
// (-s); v gets the stat for json. Then it waits for the event a -w left.
func (s *dataSession) emitNode(cmd *cobra.Command, c *zkclient.Client, out printer, v map[string]any,
	st *protocol.Stat, watch bool, text func(io.Writer)) error {
	if st != nil {
		v["stat"] = toStatJSON(*st)
	}
	if err := out.emit(v, func(w io.Writer) {
		text(w)
		if st != nil {
			writeStat(w, *st)
		}
	}); err != nil {
		return err
	}
	return s.awaitWatch(cmd, watch, c, out)
}

// statIf is &st when -s was given, else nil.
func statIf(given bool, st protocol.Stat) *protocol.Stat {
	if !given {
		return nil
	}
	return &st
}

// awaitWatch waits for the one event a -w left, outside the shell (whose
// session prints events as they come).
func (s *dataSession) awaitWatch(cmd *cobra.Command, watch bool, c *zkclient.Client, out printer) error {
	if !watch || s.inShell {
		return nil
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			return fmt.Errorf("waiting for the watch: %w", c.Err())
		}
		return writeEvent(out, ev.Type, ev.State, ev.Path)
	case <-ctx.Done():
		return nil
	}
}

func newGetACLCommand(s *dataSession) *cobra.Command {
	var stat bool
	cmd := s.newCommand("getAcl [-s] PATH", "Print the ACL of a znode",
		"Print the ACL of PATH as zkCli does, one entry as 'scheme,'id then : perms.",
		"  zkraft getAcl /app\n  zkraft getAcl -s /app --output json", cobra.ExactArgs(1))
	cmd.Flags().BoolVarP(&stat, "stat", "s", false, "also print the stat")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			acl, st, err := c.GetACL(ctx, p)
			if err != nil {
				return zkError(err, p)
			}
			return s.emitNode(cmd, c, out, map[string]any{"path": p, "acl": toACLJSON(acl)}, statIf(stat, st), false,
				func(w io.Writer) { writeACL(w, acl) })
		})
	}
	return cmd
}

func newSyncCommand(s *dataSession) *cobra.Command {
	cmd := s.newCommand("sync PATH", "Bring the server up to date with the leader",
		"Wait until the connected server has applied every write committed before the\nrequest, so that a following read sees them.",
		"  zkraft sync /app", cobra.ExactArgs(1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			if err := c.Sync(ctx, p); err != nil {
				return zkError(err, p)
			}
			return out.emit(map[string]any{"path": p, "synced": true}, func(w io.Writer) { fmt.Fprintln(w, "Sync is OK") })
		})
	}
	return cmd
}

func newGetEphemeralsCommand(s *dataSession) *cobra.Command {
	cmd := s.newCommand("getEphemerals [PATH]", "List this session's ephemeral znodes",
		"List the ephemeral znodes of the command's own session whose path starts with\nPATH (default /). Outside the shell a fresh session owns none; it is useful in\n\"zkraft shell\".",
		"  zkraft shell   # then: create -e /lock  and  getEphemerals", cobra.MaximumNArgs(1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := "/"
		if len(args) == 1 {
			p = args[0]
		}
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			paths, err := c.Ephemerals(ctx, p)
			if err != nil {
				return zkError(err, p)
			}
			return out.emit(map[string]any{"path": p, "ephemerals": paths}, func(w io.Writer) { fmt.Fprintln(w, listString(paths)) })
		})
	}
	return cmd
}

func newGetAllChildrenNumberCommand(s *dataSession) *cobra.Command {
	cmd := s.newCommand("getAllChildrenNumber PATH", "Count the znodes below a znode",
		"Print how many znodes are below PATH at any depth (PATH itself not counted).",
		"  zkraft getAllChildrenNumber /app", cobra.ExactArgs(1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			n, err := c.AllChildrenNumber(ctx, p)
			if err != nil {
				return zkError(err, p)
			}
			return out.emit(map[string]any{"path": p, "count": n}, func(w io.Writer) { fmt.Fprintln(w, strconv.Itoa(int(n))) })
		})
	}
	return cmd
}

func newWhoAmICommand(s *dataSession) *cobra.Command {
	cmd := s.newCommand("whoami", "Print the identities of the session",
		"Print the identities the server has for this session: its ip and those added\nwith --auth (or addauth in the shell).",
		"  zkraft whoami --auth digest:alice:secret", cobra.NoArgs)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return s.run(cmd, func(ctx context.Context, c *zkclient.Client, out printer) error {
			ids, err := c.WhoAmI(ctx)
			if err != nil {
				return zkError(err, "whoami")
			}
			list := make([]map[string]string, len(ids))
			for i, id := range ids {
				list[i] = map[string]string{"scheme": id.AuthScheme, "user": id.User}
			}
			return out.emit(map[string]any{"identities": list}, func(w io.Writer) {
				fmt.Fprintln(w, "Auth scheme: User")
				for _, id := range ids {
					fmt.Fprintf(w, "%s: %s\n", id.AuthScheme, id.User)
				}
			})
		})
	}
	return cmd
}
