package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zkraft/zkraft/config"
)

// TestLogSettings: a flag beats zoo.cfg's zkraft.logLevel/logFormat, which
// beat the defaults; the json format writes one JSON object per line.
func TestLogSettings(t *testing.T) {
	for _, tt := range []struct {
		args                  []string
		cfgLevel, cfgFormat   string
		wantLevel, wantFormat string
	}{
		{nil, "", "", "info", "text"},
		{nil, "debug", "json", "debug", "json"},
		{[]string{"--log-level", "warn"}, "debug", "json", "warn", "json"},
		{[]string{"--log-format", "text", "--log-level", "error"}, "debug", "json", "error", "text"},
	} {
		cmd := newServerCommand()
		if err := cmd.ParseFlags(tt.args); err != nil {
			t.Fatal(err)
		}
		o := &serverOptions{}
		o.logLevel, _ = cmd.Flags().GetString("log-level")
		o.logFormat, _ = cmd.Flags().GetString("log-format")
		c := config.Default()
		c.LogLevel, c.LogFormat = tt.cfgLevel, tt.cfgFormat
		level, format := o.logSettings(cmd, c)
		if level != tt.wantLevel || format != tt.wantFormat {
			t.Errorf("flags %v, zoo.cfg %q/%q: got %s/%s, want %s/%s", tt.args, tt.cfgLevel, tt.cfgFormat,
				level, format, tt.wantLevel, tt.wantFormat)
		}
	}

	var buf bytes.Buffer
	l, err := newLogger(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", 1)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var m map[string]any
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &m) != nil || m["msg"] != "shown" || m["k"] != float64(1) {
		t.Errorf("json logger at warn wrote %q", buf.String())
	}
	if _, err := newLogger(&buf, "loud", "text"); err == nil {
		t.Error("level loud accepted")
	}
}
