package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/peterh/liner"
	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
	"github.com/zkraft/zkraft/protocol"
)

func newShellCommand() *cobra.Command {
	s := &dataSession{}
	cmd := s.newCommand("shell", "Interactive session, like zkCli",
		`Open one session and read zkCli commands: ls, get, stat, create, set, delete,
deleteall, getAcl, setAcl, sync, setquota, listquota, delquota, getEphemerals,
getAllChildrenNumber, whoami, addauth SCHEME AUTH and addWatch [-m PERSISTENT|
PERSISTENT_RECURSIVE] PATH; help lists them, quit ends. Arguments may be quoted
with ' or ". Watches (-w, addWatch) print their events when they come.
When the connection breaks, the command in flight fails with connection loss
and the session resumes on the next server of --server, with its addauth
credentials and watches, as zkCli's does; only an expired session ends the
shell.

On a terminal it offers history (kept in ~/.zkraft_history) and tab completion
of command names and znode paths. Otherwise it reads one command a line from
stdin, skipping blank lines and # comments, and exits with status 1 when any
command failed.`,
		"  zkraft shell --server 127.0.0.1:2181\n  printf 'create /a x\\nget /a\\n' | zkraft shell", cobra.NoArgs)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runShell(cmd, s) }
	return cmd
}

// completionTimeout bounds the getChildren behind a tab completion.
const completionTimeout = 2 * time.Second

// lineReader is where the shell's commands come from.
type lineReader interface {
	readLine(prompt string) (string, error) // io.EOF at the end
	close()
}

func runShell(cmd *cobra.Command, s *dataSession) error {
	if s.output != "text" && s.output != "json" {
		return usageErrorf("--output: %q is not text or json", s.output)
	}
	ctx := cmd.Context()
	dctx, cancel := s.opCtx(ctx)
	c, err := s.dial(dctx)
	cancel()
	if err != nil {
		return err
	}
	defer func() { c.Close() }()
	var mu sync.Mutex
	out := &lockedWriter{mu: &mu, w: cmd.OutOrStdout()}
	errOut := &lockedWriter{mu: &mu, w: cmd.ErrOrStderr()}
	inner := &dataSession{client: c, inShell: true, output: s.output, timeout: s.timeout, out: out}
	printEvents := func(c *zkclient.Client) {
		p := printer{w: out, json: s.output == "json"}
		for ev := range c.Events() {
			if !p.json {
				fmt.Fprint(out, "\nWATCHER::\n\n")
			}
			_ = writeEvent(p, ev.Type, ev.State, ev.Path)
		}
	}
	go printEvents(c)
	var cur atomic.Pointer[zkclient.Client] // for tab completion
	cur.Store(c)

	var in lineReader
	interactive := cmd.InOrStdin() == os.Stdin && isatty.IsTerminal(os.Stdin.Fd())
	if interactive {
		in = newTerminalReader(ctx, cur.Load)
	} else {
		in = &plainReader{sc: bufio.NewScanner(cmd.InOrStdin())}
	}
	defer in.close()

	var ran, failed int
	for n := 0; ; n++ {
		line, err := in.readLine(fmt.Sprintf("[zkraft: %s(CONNECTED) %d] ", c.Server(), n))
		if errors.Is(err, io.EOF) || errors.Is(err, liner.ErrPromptAborted) {
			break
		}
		if err != nil {
			return err
		}
		words, err := splitWords(line)
		if err != nil {
			fmt.Fprintln(errOut, err)
			failed++
			continue
		}
		if len(words) == 0 || strings.HasPrefix(words[0], "#") {
			continue
		}
		if words[0] == "quit" || words[0] == "exit" {
			break
		}
		ran++
		// As zkCli: when the connection broke (while idle, or under the
		// last command, which then failed with connection loss), the
		// session goes on over a new connection, its credentials and
		// watches with it, unless it expired.
		if c.Err() != nil {
			n, err := reconnect(ctx, c, errOut)
			if err != nil {
				return err
			}
			c = n
			inner.client = n
			cur.Store(n)
			go printEvents(n)
		}
		if err := runShellLine(ctx, inner, c, words, out, errOut); err != nil {
			fmt.Fprintln(errOut, err)
			failed++
		}
	}
	if !interactive && failed > 0 {
		return fmt.Errorf("%d of %d commands failed", failed, ran)
	}
	return nil
}

// runShellLine runs one command on the shell's session.
func runShellLine(ctx context.Context, s *dataSession, c *zkclient.Client, words []string, out, errOut io.Writer) error {
	if words[0] == "addauth" {
		if len(words) != 3 {
			return usageErrorf("usage: addauth SCHEME AUTH")
		}
		actx, cancel := s.opCtx(ctx)
		defer cancel()
		return zkError(c.AddAuth(actx, words[1], []byte(words[2])), words[1])
	}
	if words[0] == "addWatch" {
		return shellAddWatch(ctx, s, c, words[1:])
	}
	root := shellRoot(s)
	root.SetArgs(words)
	root.SetOut(out)
	root.SetErr(errOut)
	return root.ExecuteContext(ctx)
}

// shellAddWatch is zkCli's addWatch [-m mode] PATH: a persistent watch
// whose events the shell prints as they come.
func shellAddWatch(ctx context.Context, s *dataSession, c *zkclient.Client, args []string) error {
	mode := protocol.AddWatchPersistentRecursive
	if len(args) == 3 && args[0] == "-m" {
		switch args[1] {
		case "PERSISTENT":
			mode = protocol.AddWatchPersistent
		case "PERSISTENT_RECURSIVE":
		default:
			return usageErrorf("addWatch -m: %q is not PERSISTENT or PERSISTENT_RECURSIVE", args[1])
		}
		args = args[2:]
	}
	if len(args) != 1 {
		return usageErrorf("usage: addWatch [-m PERSISTENT|PERSISTENT_RECURSIVE] PATH")
	}
	actx, cancel := s.opCtx(ctx)
	defer cancel()
	return zkError(c.AddWatch(actx, args[0], mode), args[0])
}

// shellRoot is the command tree one shell line runs in; it is built again
// for every line so that flags start from their defaults.
func shellRoot(s *dataSession) *cobra.Command {
	root := &cobra.Command{
		Use:           "zkraft shell:",
		Short:         "zkCli commands on the shell's session; also addauth SCHEME AUTH, addWatch [-m MODE] PATH, quit",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w\nUsage: %s", err, c.UseLine())}
	})
	root.AddCommand(dataCommands(s)...)
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// splitWords splits a shell line into words; ' and " quote.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, usageErrorf("unterminated %c quote in: %s", quote, line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// plainReader reads commands from a pipe or file, without a prompt.
type plainReader struct{ sc *bufio.Scanner }

func (p *plainReader) readLine(string) (string, error) {
	if p.sc.Scan() {
		return p.sc.Text(), nil
	}
	if err := p.sc.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}

func (p *plainReader) close() {}

// terminalReader is liner: line editing, history, tab completion.
type terminalReader struct {
	l       *liner.State
	history string
}

func newTerminalReader(ctx context.Context, client func() *zkclient.Client) *terminalReader {
	t := &terminalReader{l: liner.NewLiner()}
	t.l.SetCtrlCAborts(true)
	t.l.SetTabCompletionStyle(liner.TabPrints)
	t.l.SetWordCompleter(func(line string, pos int) (string, []string, string) {
		head, tail := line[:pos], line[pos:]
		start := strings.LastIndexAny(head, " \t") + 1
		word := head[start:]
		if start == 0 {
			return "", completeCommand(word), tail
		}
		return head[:start], completePath(ctx, client(), word), tail
	})
	if home, err := os.UserHomeDir(); err == nil {
		t.history = filepath.Join(home, ".zkraft_history")
		if f, err := os.Open(t.history); err == nil {
			_, _ = t.l.ReadHistory(f)
			f.Close()
		}
	}
	return t
}

func (t *terminalReader) readLine(prompt string) (string, error) {
	line, err := t.l.Prompt(prompt)
	if err == nil && strings.TrimSpace(line) != "" {
		t.l.AppendHistory(line)
	}
	return line, err
}

func (t *terminalReader) close() {
	if t.history != "" {
		if f, err := os.Create(t.history); err == nil {
			_, _ = t.l.WriteHistory(f)
			f.Close()
		}
	}
	t.l.Close()
}

// completeCommand offers the shell's command names starting with prefix.
func completeCommand(prefix string) []string {
	names := []string{"addauth", "addWatch", "help", "quit"}
	for _, c := range dataCommands(&dataSession{inShell: true}) {
		names = append(names, c.Name())
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n+" ")
		}
	}
	sort.Strings(out)
	return out
}

// completePath offers the children of the node a partial path points into.
func completePath(ctx context.Context, c *zkclient.Client, word string) []string {
	if !strings.HasPrefix(word, "/") {
		return nil
	}
	dir, base := word[:strings.LastIndexByte(word, '/')], word[strings.LastIndexByte(word, '/')+1:]
	parent := dir
	if parent == "" {
		parent = "/"
	}
	octx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	children, _, err := c.Children(octx, parent, false)
	if err != nil {
		return nil
	}
	var out []string
	for _, ch := range children {
		if strings.HasPrefix(ch, base) {
			out = append(out, dir+"/"+ch)
		}
	}
	sort.Strings(out)
	return out
}
