package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
)

// fourLetterOptions are the flags of "zkraft 4lw".
type fourLetterOptions struct {
	server  string
	timeout time.Duration
	output  string
}

func newFourLetterCommand() *cobra.Command {
	o := &fourLetterOptions{}
	cmd := &cobra.Command{
		Use:   "4lw WORD",
		Short: "Send a four-letter word and print the answer",
		Long: `Send a four-letter word (ruok, srvr, stat, mntr, conf, cons, envi, wchs, ...)
to the client port and print the answer. The first server of --server that
accepts the connection answers. The exit status is 1 when no server is
reachable or the server refuses the word (it is not in its
4lw.commands.whitelist).`,
		Example: "  zkraft 4lw ruok\n  zkraft 4lw mntr --server 10.0.0.5:2181\n  zkraft 4lw srvr --output json",
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE:    func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "127.0.0.1:2181", "host:port[,host:port...] to ask")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "limit on connecting and on the answer")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}

func (o *fourLetterOptions) run(cmd *cobra.Command, word string) error {
	if len(word) != 4 {
		return usageErrorf("%q is not a four-letter word", word)
	}
	if o.output != "text" && o.output != "json" {
		return usageErrorf("--output: %q is not text or json", o.output)
	}
	servers, _, err := zkclient.ParseConnectString(o.server)
	if err != nil {
		return usageErrorf("--server: %v", err)
	}
	var errs []error
	for _, addr := range servers {
		answer, err := fourLetterWord(cmd.Context(), addr, word, o.timeout)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		if o.output == "json" {
			err = json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]string{"server": addr, "command": word, "response": answer})
		} else {
			_, err = io.WriteString(cmd.OutOrStdout(), answer)
		}
		if err != nil {
			return err
		}
		if strings.Contains(answer, "is not executed because it is not in the whitelist") {
			return fmt.Errorf("%s refused %s: add it to 4lw.commands.whitelist", addr, word)
		}
		return nil
	}
	return fmt.Errorf("4lw %s: %w", word, errors.Join(errs...))
}

// fourLetterWord sends word on a fresh connection and reads the answer
// until the server closes it.
func fourLetterWord(ctx context.Context, addr, word string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte(word)); err != nil {
		return "", err
	}
	answer, err := io.ReadAll(io.LimitReader(conn, 16<<20))
	if err != nil {
		return "", err
	}
	return string(answer), nil
}
