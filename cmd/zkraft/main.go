// Command zkraft runs and administers zkraft, a coordination service that
// speaks the Apache ZooKeeper client protocol and keeps its data in raft.
package main

import "os"

func main() {
	if err := newRootCommand().Execute(); err != nil {
		os.Exit(exitCode(err))
	}
}
