package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBenchFlagValidation(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--workload", "read"}, []string{`--workload: unknown workload "read"`}},
		{[]string{"--output", "yaml"}, []string{`--output: "yaml" is not table or json`}},
		{[]string{"--clients", "0", "--duration", "0s"}, []string{"clients: 0 is not between", "duration: 0s must be positive"}},
		{[]string{"--server", "", "--data-size", "-1"}, []string{"server: no server given", "data-size: -1"}},
		{[]string{"--read-ratio", "2", "--key-space", "0"}, []string{"read-ratio: 2", "key-space: 0"}},
		{[]string{"--log-level", "loud"}, []string{"--log-level"}},
		{[]string{"extra"}, []string{"unknown command"}},
	}
	for _, tc := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := execute(t, ctx, append([]string{"bench"}, tc.args...)...)
		cancel()
		if err == nil {
			t.Errorf("bench %v: no error; output %q", tc.args, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("bench %v: error %q lacks %q", tc.args, err, w)
			}
		}
	}
}

// TestBenchAgainstInProcessServer runs the command for about a second
// against an in-process zkraft and checks the JSON report.
func TestBenchAgainstInProcessServer(t *testing.T) {
	addr := startServer(t, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := execute(t, ctx, "bench", "--server", addr, "--workload", "mixed",
		"--clients", "4", "--duration", "1s", "--warmup", "200ms", "--quiet", "--output", "json")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	var res struct {
		Workload string `json:"workload"`
		Clients  int    `json:"clients"`
		Errors   uint64 `json:"errors"`
		Total    struct {
			Count     uint64  `json:"count"`
			OpsPerSec float64 `json:"ops_per_sec"`
			P99       float64 `json:"p99_ms"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	if res.Workload != "mixed" || res.Clients != 4 {
		t.Errorf("report says workload %q with %d clients", res.Workload, res.Clients)
	}
	if res.Total.Count == 0 || res.Total.OpsPerSec <= 0 || res.Total.P99 <= 0 {
		t.Errorf("nothing measured: %+v", res.Total)
	}
	if res.Errors != 0 {
		t.Errorf("%d errors\n%s", res.Errors, out)
	}
}
