package main

import (
	"fmt"
	"io"
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
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit and Go version",
		Example: `  zkraft version
  zkraft version --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			v := struct {
				Version  string `json:"version"`
				Commit   string `json:"commit"`
				Go       string `json:"go"`
				Platform string `json:"platform"`
			}{version, buildCommit(), runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
			return o.print(cmd, v, func(w io.Writer) {
				fmt.Fprintf(w, "zkraft %s\ncommit: %s\ngo: %s %s\n", v.Version, v.Commit, v.Go, v.Platform)
			})
		},
	}
	o.addFlags(cmd, false)
	return cmd
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
