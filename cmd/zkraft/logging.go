package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/config"
)

// logSettings are the effective log level and format: a flag given on the
// command line, else zoo.cfg's zkraft.logLevel / zkraft.logFormat, else the
// flags' defaults (info, text).
func (o *serverOptions) logSettings(cmd *cobra.Command, cfg *config.Config) (level, format string) {
	level, format = o.logLevel, o.logFormat
	if !cmd.Flags().Changed("log-level") && cfg.LogLevel != "" {
		level = cfg.LogLevel
	}
	if !cmd.Flags().Changed("log-format") && cfg.LogFormat != "" {
		format = cfg.LogFormat
	}
	return level, format
}

// newLogger builds the process logger: level is debug, info, warn or error;
// format is text (logfmt-like key=value) or json (one object per line).
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}
