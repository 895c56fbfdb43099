package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/fsm/zkfile"
)

type snapshotInspectOptions struct {
	outputOptions
	top int
}

func newSnapshotInspectCommand() *cobra.Command {
	o := &snapshotInspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Summarise a zkraft or Apache ZooKeeper snapshot file",
		Long: `Read a snapshot file, check its checksum and print what it holds: counts of
znodes, ephemerals, containers, TTL nodes, sessions and distinct ACLs, the
data size, the last zxid, and the biggest subtrees one or two levels below
the root by node count and by data bytes.

FILE is a zkraft snapshot (from "zkraft snapshot save" or a server's
snapshots directory) or an Apache ZooKeeper version-2/snapshot.<zxid> file.`,
		Example: `  zkraft snapshot inspect backup.snap
  zkraft snapshot inspect /var/lib/zookeeper/version-2/snapshot.1a2 --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	o.addFlags(cmd, false)
	cmd.Flags().IntVar(&o.top, "top", 10, "how many of the biggest subtrees to list")
	return cmd
}

func (o *snapshotInspectOptions) run(cmd *cobra.Command, file string) error {
	if err := o.check(); err != nil {
		return err
	}
	img, format, err := zkfile.OpenSnapshot(file)
	if err != nil {
		return err
	}
	s := zkfile.Summarize(img, format, o.top)
	return o.print(cmd, s, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "format\t%s\nlast zxid\t%s\nznodes\t%d\nephemerals\t%d\ncontainers\t%d\nttl nodes\t%d\n"+
			"sessions\t%d\nacls\t%d\ndata bytes\t%d\napproximate data size\t%d\n",
			s.Format, s.LastZxid, s.Znodes, s.Ephemerals, s.Containers, s.TTLNodes,
			s.Sessions, s.ACLs, s.DataBytes, s.ApproxDataSize)
		for _, l := range []struct {
			title string
			rows  []zkfile.Subtree
		}{{"biggest subtrees by nodes", s.ByNodes}, {"biggest subtrees by bytes", s.ByBytes}} {
			fmt.Fprintf(tw, "\n%s\nPATH\tNODES\tBYTES\n", l.title)
			for _, r := range l.rows {
				fmt.Fprintf(tw, "%s\t%d\t%d\n", r.Path, r.Nodes, r.Bytes)
			}
		}
		tw.Flush()
	})
}
