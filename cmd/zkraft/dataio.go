package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/server"
)

// Helpers shared by the backup, import and export commands.

// outputOptions are --output and --progress.
type outputOptions struct {
	output   string
	progress bool
}

func (o *outputOptions) addFlags(cmd *cobra.Command, withProgress bool) {
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	if withProgress {
		cmd.Flags().BoolVar(&o.progress, "progress", false, "report progress on stderr even when it is not a terminal")
	}
}

func (o *outputOptions) check() error {
	if o.output != "text" && o.output != "json" {
		return fmt.Errorf("--output: %q is not text or json", o.output)
	}
	return nil
}

// progressf prints a progress line on stderr when stderr is a terminal or
// --progress was given, and nothing otherwise.
func (o *outputOptions) progressf(cmd *cobra.Command) func(format string, args ...any) {
	w := cmd.ErrOrStderr()
	show := o.progress
	if f, ok := w.(*os.File); ok && !show {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			show = true
		}
	}
	return func(format string, args ...any) {
		if show {
			fmt.Fprintf(w, format+"\n", args...)
		}
	}
}

// print writes v as indented JSON with --output json, else calls text.
func (o *outputOptions) print(cmd *cobra.Command, v any, text func(w io.Writer)) error {
	w := cmd.OutOrStdout()
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

// targetOptions are the flags naming the directories of a zkraft server to
// seed or read: --config, --data-dir, --data-log-dir.
type targetOptions struct {
	configFile string
	dataDir    string
	dataLogDir string
}

func (o *targetOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.configFile, "config", "c", "", "zoo.cfg of the zkraft server (its dataDir, dataLogDir, myid and ensemble)")
	f.StringVar(&o.dataDir, "data-dir", "", "the server's data directory (overrides zoo.cfg's dataDir)")
	f.StringVar(&o.dataLogDir, "data-log-dir", "", "the server's log directory (default: zoo.cfg's dataLogDir, else the data directory)")
}

// serverOptions reads zoo.cfg and myid as "zkraft server" would and returns
// the server options naming the directories.
func (o *targetOptions) serverOptions(cmd *cobra.Command) (*server.Options, error) {
	if o.configFile == "" && o.dataDir == "" {
		return nil, errors.New("name the zkraft server's directories with --data-dir or --config")
	}
	so := &serverOptions{configFile: o.configFile, dataDir: o.dataDir}
	cfg, err := so.loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	if o.dataLogDir != "" {
		if err := cfg.Set("dataLogDir", o.dataLogDir, "flag --data-log-dir"); err != nil {
			return nil, err
		}
	}
	members, err := ensembleMembers(cfg, false)
	if err != nil {
		return nil, err
	}
	opts := buildServerOptions(cfg, nil)
	opts.Members = members
	return &opts, nil
}
