package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/cmd/zkraft/internal/zkclient"
)

// statusOptions are the flags of "zkraft status".
type statusOptions struct {
	admin   string
	server  string
	output  string
	timeout time.Duration
}

func newStatusCommand() *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every member of the ensemble, asked through any one member",
		Long: `Show every member of a running zkraft ensemble: sid, role, state
(leader, follower, observer, looking, read-only, or unreachable), epoch,
applied zxid, lag behind the leader (log entries the member has yet to
apply), sessions, client connections, version and client address.

One AdminServer (--admin, admin.serverPort) is enough: it lists the members
as gossiped on the election ports (its /commands/ensemble), then each
member's own AdminServer is asked for its monitor values. Members that gossip
does not reach, or whose AdminServer does not answer, are shown as
unreachable. Members with admin.enableServer=false show their gossiped
values only.

With --server host:clientPort[,...] it uses four-letter words on the client
ports instead, so it also works against Apache ZooKeeper: "conf" for the
server.N lines, then each member's "srvr" and "mntr" (sessions). Those words
must be in 4lw.commands.whitelist (srvr alone lists only the given servers,
and without mntr the sessions column stays empty).

The exit status is 0 when the ensemble has a quorum (a leader, and a
majority of the voters reachable and leading or following), 1 otherwise or
when the asked AdminServer does not answer, 2 for a wrong command line.`,
		Example: `  zkraft status                                # AdminServer on 127.0.0.1:8080
  zkraft status --admin 10.0.0.5:8080
  zkraft status --admin zk1:8080 --output json | jq '.members[] | {sid, state, lag}'
  zkraft status --admin zk1:8080 >/dev/null || echo "no quorum"
  zkraft status --server zk1:2181              # four-letter words; Apache ZooKeeper too`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.admin, "admin", "127.0.0.1:8080", "host:port of any member's AdminServer")
	f.StringVar(&o.server, "server", "", "host:clientPort[,...]: use four-letter words on the client ports instead of the AdminServer")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.DurationVar(&o.timeout, "timeout", 3*time.Second, "limit on each request to a member")
	return cmd
}

// errNoQuorum is the exit-1 outcome after a complete report.
var errNoQuorum = errors.New("the ensemble has no quorum")

func (o *statusOptions) run(cmd *cobra.Command) error {
	if o.output != "table" && o.output != "json" {
		return usageErrorf("--output: %q is not table or json", o.output)
	}
	if o.timeout <= 0 {
		return usageErrorf("--timeout: %v must be positive", o.timeout)
	}
	statusRequestTimeout = o.timeout
	var rep *statusReport
	if o.server != "" {
		if cmd.Flags().Changed("admin") {
			return usageErrorf("--admin and --server: give one")
		}
		servers, _, err := zkclient.ParseConnectString(o.server)
		if err != nil {
			return usageErrorf("--server: %v", err)
		}
		rep = collectViaClientPort(cmd.Context(), servers)
	} else {
		var err error
		rep, err = collectViaAdmin(cmd.Context(), o.admin)
		if err != nil {
			return fmt.Errorf("asking the AdminServer at %s (set --admin to a member's admin.serverPort, or use --server): %w", o.admin, err)
		}
	}
	out := cmd.OutOrStdout()
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := printStatusTable(out, rep); err != nil {
		return err
	}
	if !rep.Quorum {
		return fmt.Errorf("%w: leader %s, %d of %d voters reachable and leading or following",
			errNoQuorum, leaderName(rep.LeaderID), rep.Healthy, rep.Voters)
	}
	return nil
}

func leaderName(id int) string {
	if id < 0 {
		return "none"
	}
	return strconv.Itoa(id)
}

func printStatusTable(w io.Writer, rep *statusReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SID\tROLE\tSTATE\tEPOCH\tZXID\tLAG\tSESSIONS\tCONNECTIONS\tVERSION\tCLIENT ADDRESS")
	for _, r := range rep.Members {
		epoch, zxid := "-", "-"
		if r.State != "unreachable" && (r.Zxid != 0 || r.Epoch != 0) {
			epoch, zxid = strconv.FormatInt(r.Epoch, 10), fmt.Sprintf("0x%x", r.Zxid)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Role, r.State, epoch, zxid,
			optInt(r.Lag), optInt(r.Sessions), optInt(r.Connections), dash(r.Version), dash(r.ClientAddr))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	quorum := "no quorum"
	if rep.Quorum {
		quorum = "quorum"
	}
	_, err := fmt.Fprintf(w, "leader: %s; %d of %d voters healthy: %s\n", leaderName(rep.LeaderID), rep.Healthy, rep.Voters, quorum)
	return err
}

func optInt(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
