package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
	"github.com/zkraft/zkraft/protocol"
)

// The data commands (ls, get, create, ...) carry zkCli's names and flags.
// Each one dials a session, runs, and closes it; inside "zkraft shell" they
// share the shell's session instead. Both paths go through dataSession.

// dataSession holds the connection flags of one data command and, in the
// shell, the session the commands share.
type dataSession struct {
	server  string
	auth    []string
	timeout time.Duration
	output  string

	client  *zkclient.Client // the shell's session; nil: dial per command
	inShell bool
	out     io.Writer // the shell's locked output; nil: the command's
}

// dataBuilders build the data commands that also run inside the shell.
var dataBuilders = []func(*dataSession) *cobra.Command{
	newLsCommand, newGetCommand, newStatCommand, newCreateCommand,
	newSetCommand, newDeleteCommand, newDeleteAllCommand,
	newGetACLCommand, newSetACLCommand, newSyncCommand,
	newSetQuotaCommand, newListQuotaCommand, newDelQuotaCommand,
	newGetEphemeralsCommand, newGetAllChildrenNumberCommand, newWhoAmICommand,
}

// dataCommands builds the data commands on one shared session (the shell's).
func dataCommands(s *dataSession) []*cobra.Command {
	cmds := make([]*cobra.Command, len(dataBuilders))
	for i, b := range dataBuilders {
		cmds[i] = b(s)
	}
	return cmds
}

// clientCommands are the top-level commands of this file's family, each
// with its own flags: the data commands, watch, shell, 4lw and config.
func clientCommands() []*cobra.Command {
	var cmds []*cobra.Command
	for _, b := range append(dataBuilders, newWatchCommand) {
		cmds = append(cmds, b(&dataSession{}))
	}
	return append(cmds, newShellCommand(), newFourLetterCommand(), newConfigCommand())
}

// addConnFlags adds the connection flags. They have no shorthand: zkCli's
// single letters (-s, -w, ...) belong to the commands.
func (s *dataSession) addConnFlags(cmd *cobra.Command) {
	if s.inShell {
		return // the shell's own flags decided the session
	}
	f := cmd.Flags()
	f.StringVar(&s.server, "server", "127.0.0.1:2181", "connect string: host:port[,host:port...][/chroot]")
	f.StringArrayVar(&s.auth, "auth", nil, "scheme:credentials sent as addauth after connecting (repeatable), e.g. digest:user:password")
	f.DurationVar(&s.timeout, "timeout", 10*time.Second, "session timeout, and the limit on connecting and on each request")
	f.StringVarP(&s.output, "output", "o", "text", "output format: text or json")
}

// newCommand builds a data command with the connection flags; the
// positional-argument check reports a usage error (exit status 2).
func (s *dataSession) newCommand(use, short, long, example string, args cobra.PositionalArgs) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		Args: usageArgs(args),
	}
	s.addConnFlags(cmd)
	return cmd
}

// printer writes a command's result as text or json.
type printer struct {
	w    io.Writer
	json bool
}

// emit writes v as one JSON object with --output json, else calls text.
func (p printer) emit(v any, text func(w io.Writer)) error {
	if p.json {
		enc := json.NewEncoder(p.w)
		return enc.Encode(v)
	}
	text(p.w)
	return nil
}

// run opens (or reuses) the session and runs fn with it.
func (s *dataSession) run(cmd *cobra.Command, fn func(ctx context.Context, c *zkclient.Client, p printer) error) error {
	if s.output != "text" && s.output != "json" {
		return usageErrorf("--output: %q is not text or json", s.output)
	}
	out := s.out
	if out == nil {
		out = cmd.OutOrStdout()
	}
	p := printer{w: out, json: s.output == "json"}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	c := s.client
	if c == nil {
		dctx, cancel := s.opCtx(ctx)
		var err error
		c, err = s.dial(dctx)
		cancel()
		if err != nil {
			return err
		}
		defer c.Close()
	}
	octx, cancel := s.opCtx(ctx)
	defer cancel()
	return fn(octx, c, p)
}

// dial connects as the flags say.
func (s *dataSession) dial(ctx context.Context) (*zkclient.Client, error) {
	servers, chroot, err := zkclient.ParseConnectString(s.server)
	if err != nil {
		return nil, usageErrorf("--server: %v", err)
	}
	cfg := zkclient.Config{Servers: servers, Chroot: chroot, SessionTimeout: s.timeout}
	for _, a := range s.auth {
		scheme, cred, ok := strings.Cut(a, ":")
		if !ok || scheme == "" {
			return nil, usageErrorf("--auth: %q is not scheme:credentials", a)
		}
		cfg.Auth = append(cfg.Auth, zkclient.Auth{Scheme: scheme, Cred: []byte(cred)})
	}
	c, err := zkclient.Dial(ctx, cfg)
	if errors.Is(err, protocol.ErrAuthFailed) {
		return nil, fmt.Errorf("%w (the server closed the session)", err)
	}
	return c, err
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

// opCtx bounds one request by --timeout.
func (s *dataSession) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

// lockedWriter serialises the shell's output with watch events printed from
// another goroutine.
type lockedWriter struct {
	mu *sync.Mutex // shared by stdout and stderr, which may be one stream
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
