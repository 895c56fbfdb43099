package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/config"
)

// membersOptions are the flags shared by "zkraft members" subcommands.
type membersOptions struct {
	server     string
	auth       string
	fromConfig string
	output     string
	timeout    time.Duration
}

func newMembersCommand() *cobra.Command {
	o := &membersOptions{}
	cmd := &cobra.Command{
		Use:   "members",
		Short: "List, add and remove ensemble members (reconfig)",
		Long: `List the members of a running ensemble, or change them with the reconfig
operation, exactly as zkCli's "config" and "reconfig" do. Works against zkraft
and Apache ZooKeeper 3.5+.

Changing members needs reconfigEnabled=true on the servers and, by default,
the super user (--auth digest:super:<password> matching
DigestAuthenticationProvider.superDigest), because only WRITE on
/zookeeper/config allows it. A new participant must be running (started with
a zoo.cfg listing the members and itself, or with --join) so that it can
catch up before it votes.`,
		Example: `  zkraft members list --server 127.0.0.1:2181
  zkraft members list --output json
  zkraft members add "server.4=10.0.0.4:2888:3888:participant;2181" --auth digest:super:secret
  zkraft members add "server.5=10.0.0.5:2888:3888:observer;2181" --auth digest:super:secret
  zkraft members remove 4 --auth digest:super:secret --from-config 100000003`,
	}
	f := cmd.PersistentFlags()
	f.StringVarP(&o.server, "server", "s", "127.0.0.1:2181", "connect string: host:port[,host:port...]")
	f.StringVar(&o.auth, "auth", "", "authenticate first, scheme:credentials (e.g. digest:super:secret)")
	f.StringVar(&o.fromConfig, "from-config", "", "add/remove: fail with BadVersion unless the current config version (hex) is this")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for a session")
	cmd.AddCommand(
		&cobra.Command{
			Use:     "list",
			Short:   "Print the members from /zookeeper/config",
			Example: `  zkraft members list --server zk1:2181,zk2:2181 --output json`,
			Args:    cobra.NoArgs,
			RunE:    func(cmd *cobra.Command, _ []string) error { return o.run(cmd, nil, nil) },
		},
		&cobra.Command{
			Use:     "add server.N=host:quorumPort:electionPort[:participant|:observer];[clientHost:]clientPort ...",
			Short:   "Add servers (or change their role or addresses), then print the new members",
			Example: `  zkraft members add "server.4=10.0.0.4:2888:3888:participant;2181" --auth digest:super:secret`,
			Args:    cobra.MinimumNArgs(1),
			RunE:    func(cmd *cobra.Command, args []string) error { return o.run(cmd, args, nil) },
		},
		&cobra.Command{
			Use:     "remove ID ...",
			Short:   "Remove servers by id, then print the members left",
			Example: `  zkraft members remove 4 --auth digest:super:secret`,
			Args:    cobra.MinimumNArgs(1),
			RunE:    func(cmd *cobra.Command, args []string) error { return o.run(cmd, nil, args) },
		},
	)
	return cmd
}

// memberRow is one server.N line of /zookeeper/config.
type memberRow struct {
	ID            int64  `json:"id"`
	Role          string `json:"role"`
	QuorumAddress string `json:"quorum_address"`
	ElectionPort  int    `json:"election_port"`
	ClientAddress string `json:"client_address,omitempty"`
}

type membersView struct {
	Version string      `json:"version"`
	Members []memberRow `json:"members"`
}

func (o *membersOptions) run(cmd *cobra.Command, joining, leaving []string) error {
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("--output %q: use table or json", o.output)
	}
	from := int64(-1)
	if o.fromConfig != "" {
		v, err := strconv.ParseInt(strings.TrimPrefix(o.fromConfig, "0x"), 16, 64)
		if err != nil {
			return fmt.Errorf("--from-config %q is not a hex config version", o.fromConfig)
		}
		from = v
	}
	for _, id := range leaving {
		if _, err := strconv.Atoi(id); err != nil {
			return fmt.Errorf("remove: %q is not a server id", id)
		}
	}
	for _, j := range joining {
		if !strings.HasPrefix(j, "server.") || !strings.Contains(j, "=") {
			return fmt.Errorf("add: %q is not server.N=host:quorumPort:electionPort[:role];clientPort", j)
		}
	}
	conn, err := o.connect()
	if err != nil {
		return err
	}
	defer conn.Close()
	if joining != nil || leaving != nil {
		if _, err := conn.IncrementalReconfig(joining, leaving, from); err != nil {
			return fmt.Errorf("reconfig: %w", explainReconfig(err))
		}
	}
	data, err := o.readConfig(conn)
	if err != nil {
		return err
	}
	view, err := parseMembers(data)
	if err != nil {
		return err
	}
	return o.print(cmd.OutOrStdout(), view)
}

// readConfig reads /zookeeper/config after a sync. A reconfig that
// removed the leader (or the server this session is on) drops connections,
// so a failed read is retried while the client reconnects, up to --timeout.
func (o *membersOptions) readConfig(conn *zk.Conn) ([]byte, error) {
	deadline := time.Now().Add(o.timeout)
	for {
		_, err := conn.Sync("/zookeeper/config")
		if err == nil {
			var data []byte
			if data, _, err = conn.Get("/zookeeper/config"); err == nil {
				return data, nil
			}
		}
		if time.Now().After(deadline) || !(errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer)) {
			return nil, fmt.Errorf("reading /zookeeper/config: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (o *membersOptions) connect() (*zk.Conn, error) {
	conn, events, err := zk.Connect(strings.Split(o.server, ","), o.timeout, zk.WithLogger(silentLogger{}))
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", o.server, err)
	}
	deadline := time.After(o.timeout)
	for done := false; !done; {
		select {
		case ev := <-events:
			done = ev.State == zk.StateHasSession
		case <-deadline:
			conn.Close()
			return nil, fmt.Errorf("no session with %s within %v", o.server, o.timeout)
		}
	}
	go func() {
		for range events {
		}
	}()
	if o.auth != "" {
		scheme, cred, ok := strings.Cut(o.auth, ":")
		if !ok || cred == "" {
			conn.Close()
			return nil, fmt.Errorf("--auth %q: use scheme:credentials, e.g. digest:super:secret", o.auth)
		}
		if err := conn.AddAuth(scheme, []byte(cred)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("--auth %s: %w", scheme, err)
		}
	}
	return conn, nil
}

// explainReconfig adds what to do to the reconfig errors an operator meets.
func explainReconfig(err error) error {
	switch {
	case errors.Is(err, zk.ErrNoAuth):
		return fmt.Errorf("%w (reconfig needs WRITE on /zookeeper/config: use --auth digest:super:<password>)", err)
	case errors.Is(err, zk.ErrBadVersion):
		return fmt.Errorf("%w (--from-config is not the current version; see \"members list\")", err)
	case errors.Is(err, zk.ErrReconfigDisabled):
		return fmt.Errorf("%w (set reconfigEnabled=true on the servers)", err)
	case strings.HasSuffix(err.Error(), "unknown error: -13"):
		// go-zookeeper has no name for NewConfigNoQuorum (-13).
		return fmt.Errorf("new config has no quorum: a majority of the new participants must be running and caught up (%w)", err)
	case strings.HasSuffix(err.Error(), "unknown error: -14"):
		return fmt.Errorf("another reconfig is in progress; retry (%w)", err)
	}
	return err
}

// parseMembers reads the server.N lines and version of /zookeeper/config.
func parseMembers(data []byte) (membersView, error) {
	v := membersView{Members: []memberRow{}}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "version="):
			v.Version = strings.TrimPrefix(line, "version=")
		case strings.HasPrefix(line, "server."):
			key, value, _ := strings.Cut(line, "=")
			id, err := strconv.ParseInt(strings.TrimPrefix(key, "server."), 10, 64)
			if err != nil {
				return v, fmt.Errorf("/zookeeper/config: %q has no server id", line)
			}
			s, err := config.ParseServer(id, value)
			if err != nil {
				return v, fmt.Errorf("/zookeeper/config: %w", err)
			}
			row := memberRow{ID: id, Role: string(s.Role), QuorumAddress: net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort)), ElectionPort: s.ElectionPort}
			if s.ClientPort != 0 {
				h := s.ClientHost
				if h == "" {
					h = "0.0.0.0"
				}
				row.ClientAddress = net.JoinHostPort(h, strconv.Itoa(s.ClientPort))
			}
			v.Members = append(v.Members, row)
		}
	}
	return v, nil
}

func (o *membersOptions) print(w io.Writer, v membersView) error {
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if len(v.Members) == 0 {
		_, err := fmt.Fprintln(w, "no members in /zookeeper/config (a standalone server)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tQUORUM\tELECTION PORT\tCLIENT")
	for _, m := range v.Members {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", m.ID, m.Role, m.QuorumAddress, m.ElectionPort, m.ClientAddress)
	}
	fmt.Fprintf(tw, "version %s\n", v.Version)
	return tw.Flush()
}

// silentLogger drops the zk client's own log lines; errors are returned.
type silentLogger struct{}

func (silentLogger) Printf(string, ...any) {}
