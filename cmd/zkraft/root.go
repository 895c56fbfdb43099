package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newRootCommand builds the zkraft command tree.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "zkraft",
		Short: "A ZooKeeper-compatible coordination service on raft",
		Long: `zkraft is a coordination service that speaks the Apache ZooKeeper client
protocol unchanged, so any ZooKeeper client (zkCli, Curator, kazoo, Kafka in
ZooKeeper mode, the C and Go clients) works against it, and keeps its data in
a replicated state machine on hashicorp/raft.

It reads the zoo.cfg and myid files ZooKeeper deployments already have.
Without a zoo.cfg, "zkraft server" runs a standalone server on client port
2181 with its data in ./zkraft-data.`,
		Example: `  zkraft server                       # standalone, embedded defaults
  zkraft server --config /etc/zookeeper/conf/zoo.cfg
  zkraft version`,
		Version: versionString(),
		// A failing server is not a usage mistake: print the error alone.
		SilenceUsage: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(newServerCommand(), newBenchCommand(), newVersionCommand())
	root.AddCommand(clientCommands()...)
	root.AddCommand(newMembersCommand(), newStatusCommand())
	root.AddCommand(newSnapshotCommand(), newImportCommand(), newExportCommand())
	return root
}
