package bench

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// within checks got against want with the histogram's relative precision.
func within(t *testing.T, name string, got, want time.Duration) {
	t.Helper()
	if diff := math.Abs(float64(got - want)); diff > float64(want)/subBuckets+1 {
		t.Errorf("%s = %v, want %v within %.1f%%", name, got, want, 100.0/subBuckets)
	}
}

func TestHistogramQuantilesUniform(t *testing.T) {
	var h Histogram
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	if h.Count() != 10000 {
		t.Fatalf("Count = %d, want 10000", h.Count())
	}
	within(t, "p50", h.Quantile(0.50), 5000*time.Microsecond)
	within(t, "p99", h.Quantile(0.99), 9900*time.Microsecond)
	within(t, "p999", h.Quantile(0.999), 9990*time.Microsecond)
	if got := h.Quantile(1); got != 10*time.Millisecond {
		t.Errorf("p100 = %v, want the exact max 10ms", got)
	}
	if got := h.Quantile(0); got != time.Microsecond {
		t.Errorf("p0 = %v, want the exact min 1µs", got)
	}
	if got, want := h.Mean(), 5000500*time.Nanosecond; got != want {
		t.Errorf("Mean = %v, want %v", got, want)
	}
}

// TestHistogramAgainstSortedSamples compares with exact nearest-rank
// percentiles of a long-tailed sample, the shape latencies have.
func TestHistogramAgainstSortedSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	samples := make([]time.Duration, 50000)
	for i := range samples {
		d := time.Duration(r.ExpFloat64() * float64(time.Millisecond))
		if r.IntN(100) == 0 {
			d *= 50 // a slow tail
		}
		samples[i] = d
		h.Record(d)
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := samples[int(math.Ceil(q*float64(len(samples))))-1]
		within(t, "quantile", h.Quantile(q), want)
	}
	if h.Max() != samples[len(samples)-1] {
		t.Errorf("Max = %v, want %v", h.Max(), samples[len(samples)-1])
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Millisecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{}) // an empty one changes nothing
	if m != all {
		t.Errorf("merged histogram differs from one that recorded everything")
	}
}

func TestHistogramEdges(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Mean() != 0 || h.Max() != 0 {
		t.Errorf("empty histogram reports non-zero values")
	}
	h.Record(-time.Second)  // a clock step backwards counts as zero
	h.Record(2 * time.Hour) // beyond the last bucket: clamped, max exact
	if h.Quantile(0.5) != 0 {
		t.Errorf("p50 = %v, want 0", h.Quantile(0.5))
	}
	if h.Quantile(1) != 2*time.Hour || h.Max() != 2*time.Hour {
		t.Errorf("p100 = %v, max = %v, want 2h", h.Quantile(1), h.Max())
	}
	// Every bucket's value maps back to the same bucket.
	for i := range numBuckets {
		if got := bucketOf(bucketValue(i)); got != i {
			t.Fatalf("bucketOf(bucketValue(%d)) = %d", i, got)
		}
	}
}
