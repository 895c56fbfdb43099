package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/fsm/zkfile"
)

type importOptions struct {
	outputOptions
	targetOptions
	zkDataDir    string
	zkDataLogDir string
}

func newImportCommand() *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import an Apache ZooKeeper data directory into a new zkraft server",
		Long: `Read an Apache ZooKeeper server's data directory (version-2/snapshot.<zxid>
and log.<zxid> files) the way ZooKeeper does at startup - the newest snapshot
whose Adler32 checksum holds, then every logged transaction after it, each
checked against its own checksum - and seed a NEW zkraft server's data
directory with the resulting tree: data, ACLs, every stat field, sessions,
ephemerals and the sequence counters.

Stop ZooKeeper first (or copy its directory). A log that ends in a torn
entry stops there with a warning, as ZooKeeper does; a corrupt entry stops
the replay with a warning naming the file and offset.

Imported zxids are kept. The new raft log starts above them: the tree
becomes raft's snapshot at term = last zxid>>32, index = its low 32 bits,
and the first election runs at the next term, so every new zxid
(term<<32 | index) is bigger than every imported one. For an ensemble,
import into every member (each with its own zoo.cfg and myid).`,
		Example: `  zkraft import --zk-datadir /var/lib/zookeeper --data-dir /var/lib/zkraft
  zkraft import --zk-datadir /data/zk --zk-datalogdir /datalog/zk --config /etc/zkraft/zoo.cfg --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.outputOptions.addFlags(cmd, true)
	o.targetOptions.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.zkDataDir, "zk-datadir", "", "ZooKeeper's dataDir (holding version-2) (required)")
	f.StringVar(&o.zkDataLogDir, "zk-datalogdir", "", "ZooKeeper's dataLogDir when it differs from dataDir")
	_ = cmd.MarkFlagRequired("zk-datadir")
	return cmd
}

func (o *importOptions) run(cmd *cobra.Command) error {
	if err := o.check(); err != nil {
		return err
	}
	progress := o.progressf(cmd)
	opts, err := o.serverOptions(cmd)
	if err != nil {
		return err
	}
	progress("reading ZooKeeper data in %s", o.zkDataDir)
	tree, rep, err := zkfile.LoadDataDir(o.zkDataDir, o.zkDataLogDir, func(msg string) {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: "+msg)
	})
	if err != nil {
		return err
	}
	progress("snapshot %s (zxid 0x%x), %d transactions replayed from %d logs, last zxid 0x%x",
		rep.Snapshot, rep.SnapshotZxid, rep.Txns, len(rep.Logs), rep.LastZxid)
	r, err := seed(opts, o.zkDataDir, tree.Image(), progress)
	if err != nil {
		return err
	}
	r.Import = rep
	return o.print(cmd, r, func(w io.Writer) {
		fmt.Fprintf(w, "read %s (zxid 0x%x) and %d transactions after it\n", rep.Snapshot, rep.SnapshotZxid, rep.Txns)
		r.text(w)
	})
}
