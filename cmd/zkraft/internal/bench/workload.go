package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Workload names what each client does in its loop.
type Workload string

const (
	// WorkloadCreate creates new persistent znodes, each client under its
	// own parent.
	WorkloadCreate Workload = "create"
	// WorkloadSet sets data on random znodes of the key space.
	WorkloadSet Workload = "set"
	// WorkloadGet reads random znodes of the key space.
	WorkloadGet Workload = "get"
	// WorkloadMixed is a ZooKeeper-style mix of get, list, set, create and
	// delete; ReadRatio of the operations are reads.
	WorkloadMixed Workload = "mixed"
	// WorkloadWatch is watch fan-out: every client watches one znode, one
	// extra session writes it, and the latency is from the write being sent
	// to each client's event arriving.
	WorkloadWatch Workload = "watch"
	// WorkloadSession is session churn: connect, create an ephemeral znode,
	// close the session.
	WorkloadSession Workload = "session"
)

// Workloads lists every workload, in the order help texts show them.
var Workloads = []Workload{WorkloadCreate, WorkloadSet, WorkloadGet, WorkloadMixed, WorkloadWatch, WorkloadSession}

// ParseWorkload accepts a workload name, case-insensitively.
func ParseWorkload(s string) (Workload, error) {
	for _, w := range Workloads {
		if strings.EqualFold(s, string(w)) {
			return w, nil
		}
	}
	names := make([]string, len(Workloads))
	for i, w := range Workloads {
		names[i] = string(w)
	}
	return "", fmt.Errorf("unknown workload %q (want one of %s)", s, strings.Join(names, ", "))
}

// Op is one kind of request a client issues; results are reported per Op.
type Op int

const (
	OpGet Op = iota
	OpList
	OpSet
	OpCreate
	OpDelete
	OpWatchEvent // one watch event delivered to one watcher
	OpSession    // connect + create ephemeral + close
	numOps
)

var opNames = [numOps]string{"get", "list", "set", "create", "delete", "watch-event", "session"}

func (o Op) String() string {
	if o < 0 || o >= numOps {
		return fmt.Sprintf("op(%d)", int(o))
	}
	return opNames[o]
}

// IsRead tells reads (answered by the server a client is connected to) from
// writes (ordered through the leader).
func (o Op) IsRead() bool { return o == OpGet || o == OpList }

// Mix picks the next operation of the mixed workload. Reads are getData
// (8 in 9) and getChildren of a key-space group (1 in 9); writes are setData
// (60%), create (20%) and delete (20%), so the number of znodes stays about
// constant while the tree still sees structural changes, as in the mixes
// ZooKeeper deployments see (many reads, writes mostly updates).
type Mix struct {
	cum [numOps]float64 // cumulative weights, last one 1
}

// NewMix builds the mixed workload's op chooser for a fraction readRatio
// (0..1) of reads.
func NewMix(readRatio float64) Mix {
	w := [numOps]float64{}
	w[OpGet] = readRatio * 8 / 9
	w[OpList] = readRatio / 9
	writes := 1 - readRatio
	w[OpSet] = writes * 0.6
	w[OpCreate] = writes * 0.2
	w[OpDelete] = writes * 0.2
	var m Mix
	sum := 0.0
	for i := range w {
		sum += w[i]
		m.cum[i] = sum
	}
	return m
}

// Pick draws the next operation.
func (m *Mix) Pick(r *rand.Rand) Op {
	x := r.Float64() * m.cum[numOps-1]
	for i, c := range m.cum {
		if x < c {
			return Op(i)
		}
	}
	// Rounding left x at the very top: the last op with a weight.
	for i := numOps - 1; i > 0; i-- {
		if m.cum[i] > m.cum[i-1] {
			return Op(i)
		}
	}
	return OpGet
}

// Weight is the fraction of operations that are op.
func (m *Mix) Weight(op Op) float64 {
	prev := 0.0
	if op > 0 {
		prev = m.cum[op-1]
	}
	return (m.cum[op] - prev) / m.cum[numOps-1]
}

// groupSize is how many keys share a parent znode, so a "list" reads a
// directory of modest size, as service registries and queues do.
const groupSize = 100

// layout names the znodes of one run under its root.
type layout struct {
	root string
}

func (l layout) keysDir() string              { return l.root + "/k" }
func (l layout) group(g int) string           { return fmt.Sprintf("%s/k/g%04d", l.root, g) }
func (l layout) key(k int) string             { return fmt.Sprintf("%s/k/g%04d/%06d", l.root, k/groupSize, k) }
func (l layout) clientsDir() string           { return l.root + "/c" }
func (l layout) clientDir(c int) string       { return fmt.Sprintf("%s/c/c%04d", l.root, c) }
func (l layout) owned(c int, n uint64) string { return fmt.Sprintf("%s/c/c%04d/%010d", l.root, c, n) }
func (l layout) watched() string              { return l.root + "/w" }
func numGroups(keySpace int) int              { return (keySpace + groupSize - 1) / groupSize }
