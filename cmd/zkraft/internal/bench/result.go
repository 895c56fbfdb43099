package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what one run measured. Latencies are in milliseconds.
type Result struct {
	Servers      string            `json:"servers"`
	Workload     Workload          `json:"workload"`
	Clients      int               `json:"clients"`
	DataSize     int               `json:"data_size"`
	KeySpace     int               `json:"key_space"`
	ReadRatio    float64           `json:"read_ratio,omitempty"`
	Warmup       float64           `json:"warmup_s"`
	Duration     float64           `json:"duration_s"`
	Total        OpStats           `json:"total"`
	Ops          []OpStats         `json:"ops"`
	Errors       uint64            `json:"errors"`
	ErrorKinds   map[string]uint64 `json:"error_kinds,omitempty"`
	CleanupError string            `json:"cleanup_error,omitempty"`
}

// OpStats are the throughput and latency of one op kind (or all of them).
type OpStats struct {
	Op        string  `json:"op"`
	Count     uint64  `json:"count"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Mean      float64 `json:"mean_ms"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	P999      float64 `json:"p999_ms"`
	Max       float64 `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func stats(name string, h *Histogram, seconds float64) OpStats {
	return OpStats{
		Op: name, Count: h.Count(), OpsPerSec: float64(h.Count()) / seconds,
		Mean: ms(h.Mean()), P50: ms(h.Quantile(0.50)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), Max: ms(h.Max()),
	}
}

// summarize merges the clients' histograms and error counts.
func summarize(cfg *Config, w window, clients []*client) *Result {
	seconds := w.to.Sub(w.from).Seconds()
	r := &Result{
		Servers: strings.Join(cfg.Servers, ","), Workload: cfg.Workload, Clients: cfg.Clients,
		DataSize: cfg.DataSize, KeySpace: cfg.KeySpace,
		Warmup: cfg.Warmup.Seconds(), Duration: seconds,
		ErrorKinds: map[string]uint64{},
	}
	if cfg.Workload == WorkloadMixed {
		r.ReadRatio = cfg.ReadRatio
	}
	var total Histogram
	for op := range numOps {
		var h Histogram
		for _, c := range clients {
			if c.hist[op] != nil {
				h.Merge(c.hist[op])
			}
		}
		if h.Count() > 0 {
			r.Ops = append(r.Ops, stats(op.String(), &h, seconds))
			total.Merge(&h)
		}
	}
	r.Total = stats("all", &total, seconds)
	for _, c := range clients {
		for k, n := range c.errs {
			r.ErrorKinds[k] += n
			r.Errors += n
		}
	}
	return r
}

// WriteJSON writes the result as one indented JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the result for people: a header, a row per op kind and
// a total row, then the errors by kind.
func (r *Result) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "workload %s, %d clients, %d-byte data", r.Workload, r.Clients, r.DataSize)
	if r.Workload == WorkloadMixed {
		fmt.Fprintf(w, ", %.0f%% reads", r.ReadRatio*100)
	}
	fmt.Fprintf(w, ", %.1fs measured after %.1fs warmup, server %s\n\n", r.Duration, r.Warmup, r.Servers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tcount\tops/s\tmean ms\tp50 ms\tp99 ms\tp999 ms\tmax ms\t")
	rows := r.Ops
	if len(rows) != 1 {
		rows = append(rows[:len(rows):len(rows)], r.Total)
	}
	for _, s := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n",
			s.Op, s.Count, s.OpsPerSec, s.Mean, s.P50, s.P99, s.P999, s.Max)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nerrors: %d\n", r.Errors)
	kinds := make([]string, 0, len(r.ErrorKinds))
	for k := range r.ErrorKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %8d  %s\n", r.ErrorKinds[k], k)
	}
	if r.CleanupError != "" {
		fmt.Fprintf(w, "cleanup failed, znodes may be left: %s\n", r.CleanupError)
	}
	return nil
}
