package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

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

// reconnect resumes c's session after its connection broke, trying for as
// long as the session could still be alive (its timeout) and saying so on
// errOut.
func reconnect(ctx context.Context, c *zkclient.Client, errOut io.Writer) (*zkclient.Client, error) {
	fmt.Fprintf(errOut, "connection to %s lost (%v); reconnecting\n", c.Server(), c.Err())
	deadline := time.Now().Add(c.Timeout())
	// One attempt may not use up the session's time: a server that takes
	// the connection but does not answer (still starting) is left for the
	// next try.
	attempt := max(c.Timeout()/3, 2*time.Second)
	for {
		until := time.Now().Add(attempt)
		if until.After(deadline) {
			until = deadline
		}
		dctx, cancel := context.WithDeadline(ctx, until)
		n, err := c.Reconnect(dctx)
		cancel()
		if err == nil {
			fmt.Fprintf(errOut, "reconnected to %s, session 0x%x\n", n.Server(), n.SessionID())
			return n, nil
		}
		if errors.Is(err, protocol.ErrSessionExpired) || ctx.Err() != nil || time.Now().After(deadline) {
			return nil, fmt.Errorf("session 0x%x lost: %w", c.SessionID(), err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
