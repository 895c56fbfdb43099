package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/config"
	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/fsm/zkfile"
	"github.com/zkraft/zkraft/server"
)

type exportOptions struct {
	outputOptions
	targetOptions
	zkSnapshot string
	zkDataDir  string
	snapshot   string
}

func newExportCommand() *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a zkraft tree as an Apache ZooKeeper snapshot file",
		Long: `Write the tree of a stopped zkraft server (--data-dir/--config: its newest raft
snapshot plus the log after it) or of a zkraft snapshot file (--snapshot) as
an Apache ZooKeeper 3.8 snapshot: data, ACLs, every stat field, sessions.

With --zk-datadir DIR it is written as DIR/version-2/snapshot.<last zxid>,
where a ZooKeeper server with dataDir=DIR loads it at startup; with
--zk-snapshot FILE it is written to FILE (ZooKeeper wants it named
snapshot.<hex zxid> in its version-2 directory; the name's zxid becomes its
last processed zxid).`,
		Example: `  zkraft export --data-dir /var/lib/zkraft --zk-datadir /var/lib/zookeeper
  zkraft export --snapshot backup.snap --zk-snapshot /tmp/snapshot.100000005`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.outputOptions.addFlags(cmd, true)
	o.targetOptions.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.zkSnapshot, "zk-snapshot", "", "ZooKeeper snapshot file to write")
	f.StringVar(&o.zkDataDir, "zk-datadir", "", "ZooKeeper dataDir to write version-2/snapshot.<zxid> into")
	f.StringVar(&o.snapshot, "snapshot", "", "zkraft snapshot file to export (instead of a data directory)")
	return cmd
}

type exportResult struct {
	Source   string `json:"source"`
	File     string `json:"file"`
	LastZxid string `json:"last_zxid"`
	Znodes   int    `json:"znodes"`
	Sessions int    `json:"sessions"`
}

func (o *exportOptions) run(cmd *cobra.Command) error {
	if err := o.check(); err != nil {
		return err
	}
	if (o.zkSnapshot == "") == (o.zkDataDir == "") {
		return errors.New("name the output with exactly one of --zk-snapshot and --zk-datadir")
	}
	progress := o.progressf(cmd)
	var img *fsm.Image
	source := o.snapshot
	if o.snapshot != "" {
		if o.configFile != "" || o.dataDir != "" {
			return errors.New("--snapshot and --data-dir/--config both name a source: give one")
		}
		progress("reading %s", o.snapshot)
		var err error
		if img, _, err = zkfile.OpenSnapshot(o.snapshot); err != nil {
			return err
		}
	} else {
		opts, err := o.serverOptions(cmd)
		if err != nil {
			return err
		}
		source = opts.DataDir
		progress("reading the zkraft data in %s", opts.DataDir)
		if img, err = server.ReadDataDir(opts); err != nil {
			return err
		}
	}
	out := o.zkSnapshot
	if o.zkDataDir != "" {
		dir := filepath.Join(o.zkDataDir, "version-2")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		out = filepath.Join(dir, fmt.Sprintf("snapshot.%x", img.LastZxid))
	}
	progress("writing %d znodes to %s", len(img.Nodes), out)
	if err := config.WriteFileAtomic(out, func(f *os.File) error { return zkfile.WriteSnapshot(f, img) }); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	r := exportResult{Source: source, File: out, LastZxid: fmt.Sprintf("0x%x", img.LastZxid),
		Znodes: len(img.Nodes), Sessions: len(img.Sessions)}
	return o.print(cmd, r, func(w io.Writer) {
		fmt.Fprintf(w, "exported %s to %s: %d znodes, %d sessions, last zxid %s\n", r.Source, r.File, r.Znodes, r.Sessions, r.LastZxid)
	})
}
