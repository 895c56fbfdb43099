package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/fsm/zkfile"
	"github.com/zkraft/zkraft/server"
)

type snapshotRestoreOptions struct {
	outputOptions
	targetOptions
}

func newSnapshotRestoreCommand() *cobra.Command {
	o := &snapshotRestoreOptions{}
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Seed a new server's data directory with a snapshot",
		Long: `Seed the data directory of a NEW zkraft server so that it starts with the tree
of FILE (a zkraft snapshot, or an Apache ZooKeeper snapshot.<zxid> file).

The tree becomes raft's snapshot at term = zxid>>32 and index = zxid's low
32 bits, with the raft configuration the server would bootstrap with (the
ensemble of --config's zoo.cfg, or a single voter). For a new ensemble, run
the same restore for every member (each with its own zoo.cfg/myid and
directories) and start them: they form the ensemble holding the tree.

A directory that already holds raft state is refused: restore only into a
server that has never run.`,
		Example: `  zkraft snapshot restore backup.snap --data-dir /var/lib/zkraft-new
  zkraft snapshot restore backup.snap --config /etc/zkraft/zoo.cfg --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	o.outputOptions.addFlags(cmd, true)
	o.targetOptions.addFlags(cmd)
	return cmd
}

// seedReport is what restore and import print.
type seedReport struct {
	Source   string             `json:"source"`
	DataDir  string             `json:"data_dir"`
	LogDir   string             `json:"data_log_dir"`
	Seed     *server.SeedResult `json:"seed"`
	Sessions int                `json:"sessions"`
	Import   *zkfile.LoadReport `json:"import,omitempty"`
}

func (r *seedReport) text(w io.Writer) {
	fmt.Fprintf(w, "seeded %s from %s: %d znodes, %d sessions, last zxid 0x%x\n",
		r.DataDir, r.Source, r.Seed.Nodes, r.Sessions, r.Seed.LastZxid)
	fmt.Fprintf(w, "raft snapshot at term %d index %d; servers %s\n", r.Seed.Term, r.Seed.Index, strings.Join(r.Seed.Voters, ", "))
}

func (o *snapshotRestoreOptions) run(cmd *cobra.Command, file string) error {
	if err := o.check(); err != nil {
		return err
	}
	progress := o.progressf(cmd)
	opts, err := o.serverOptions(cmd)
	if err != nil {
		return err
	}
	progress("reading %s", file)
	img, _, err := zkfile.OpenSnapshot(file)
	if err != nil {
		return err
	}
	r, err := seed(opts, file, img, progress)
	if err != nil {
		return err
	}
	return o.print(cmd, r, r.text)
}

// seed writes img into the server's directories (server.Seed) and reports.
func seed(opts *server.Options, source string, img *fsm.Image, progress func(string, ...any)) (*seedReport, error) {
	progress("writing %d znodes into %s", len(img.Nodes), opts.DataDir)
	res, err := server.Seed(opts, img)
	if err != nil {
		return nil, err
	}
	return &seedReport{Source: source, DataDir: opts.DataDir, LogDir: opts.DataLogDir, Seed: res,
		Sessions: len(img.Sessions)}, nil
}
