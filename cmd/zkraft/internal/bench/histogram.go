package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in a fixed number of log-linear buckets, as
// HdrHistogram does: every power of two is split into subBuckets equal parts,
// so a percentile is within 1/subBuckets (about 1.6%) of the true value and
// memory stays at a few KiB however long a run lasts. Values are
// nanoseconds. Not safe for concurrent use: each client owns one and they are
// merged at the end.
type Histogram struct {
	counts [numBuckets]uint64
	total  uint64
	sum    uint64
	min    uint64
	max    uint64
}

const (
	subBucketBits = 6
	subBuckets    = 1 << subBucketBits
	// maxExponent covers values up to 2^(maxExponent+subBucketBits)
	// nanoseconds, about 73 minutes; longer values go to the last bucket.
	maxExponent = 36
	numBuckets  = (maxExponent + 2) * subBuckets
)

// bucketOf maps a value to its bucket. Values below subBuckets get a bucket
// each; above, the top subBucketBits+1 bits pick it.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - subBucketBits - 1 // shift that leaves 64..127
	if e > maxExponent {
		return numBuckets - 1
	}
	return (e+1)*subBuckets + int(v>>uint(e)) - subBuckets
}

// bucketValue is the value a bucket stands for: the middle of its range.
func bucketValue(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	e := i/subBuckets - 1
	low := uint64(subBuckets+i%subBuckets) << uint(e)
	return low + (uint64(1)<<uint(e))/2
}

// Record adds one latency; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += v
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sum += o.sum
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Mean is the exact mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}

// Max is the exact largest value recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Quantile returns the value below or at which a fraction q (0..1) of the
// recorded values lie: the nearest-rank definition, so Quantile(0.99) of 100
// values is the 99th smallest. The result is clamped to the exact minimum and
// maximum, and the lowest and highest ranks are the exact extremes.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	switch {
	case rank <= 1:
		return time.Duration(h.min)
	case rank >= h.total:
		return time.Duration(h.max)
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := bucketValue(i)
			v = max(v, h.min)
			v = min(v, h.max)
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}
