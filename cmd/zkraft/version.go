package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time by the Makefile:
//
//	go build -ldflags "-X main.version=v0.1.0 -X main.commit=0123abc" ./cmd/zkraft
var (
	version = "dev"
	commit  = ""
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "zkraft %s\ncommit: %s\ngo: %s %s/%s\n",
				version, buildCommit(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// versionString is the one-line form for --version.
func versionString() string {
	if c := buildCommit(); c != "unknown" {
		return version + " (" + c + ")"
	}
	return version
}

// buildCommit is the commit given with -ldflags, else the one the Go
// toolchain stamped into the binary (builds inside a git checkout with
// -buildvcs), else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "unknown"
}
