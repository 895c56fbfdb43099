package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
	"github.com/zkraft/zkraft/protocol"
)

func newWatchCommand(s *dataSession) *cobra.Command {
	cmd := s.newCommand("watch PATH", "Stream the changes of a subtree",
		`Leave a persistent recursive watch on PATH (addWatch, mode
PERSISTENT_RECURSIVE) and print every event below it, one line each, until
interrupted (Ctrl-C or SIGTERM, exit status 0). After a lost connection it
resumes the session on the next server of --server and sets the watch again
(events in between are lost, as with any ZooKeeper client); if the session
expired meanwhile it ends with exit status 1. With --output json each event
is one JSON object a line.`,
		"  zkraft watch /app\n  zkraft watch / --output json --server zk1:2181,zk2:2181", cobra.ExactArgs(1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p := args[0]
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		cmd.SetContext(ctx)
		return s.run(cmd, func(opCtx context.Context, c *zkclient.Client, out printer) error {
			if err := c.AddWatch(opCtx, p, protocol.AddWatchPersistentRecursive); err != nil {
				return zkError(err, p)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "watching %s and below on %s; Ctrl-C to stop\n", p, c.Server())
			first := c
			defer func() {
				if c != first { // s.run closes the first
					c.Close()
				}
			}()
			for {
				select {
				case ev, ok := <-c.Events():
					if ok {
						if err := writeEvent(out, ev.Type, ev.State, ev.Path); err != nil {
							return err
						}
						continue
					}
					if ctx.Err() != nil {
						return nil
					}
					n, err := reconnect(ctx, c, cmd.ErrOrStderr())
					if ctx.Err() != nil {
						return nil // interrupted while reconnecting
					}
					if err != nil {
						return fmt.Errorf("watching %s: %w", p, err)
					}
					c = n
				case <-ctx.Done():
					return nil
				}
			}
		})
	}
	return cmd
}
