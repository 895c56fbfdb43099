package bench

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Config is one benchmark run.
type Config struct {
	Servers        []string // host:port of any ZooKeeper-protocol servers
	Workload       Workload
	Clients        int           // concurrent sessions, one request in flight each
	Duration       time.Duration // measured part of the run
	Warmup         time.Duration // load before measuring, not reported
	DataSize       int           // bytes of data per create/set
	KeySpace       int           // znodes that get/set/mixed pick from
	ReadRatio      float64       // mixed: fraction of reads
	SessionTimeout time.Duration
	// GoZookeeper runs create, set, get and mixed on go-zookeeper/zk
	// sessions too, as zkraft bench did before rawConn (rawconn.go).
	GoZookeeper bool

	// Progress, when set, receives a line about every ProgressInterval.
	Progress         io.Writer
	ProgressInterval time.Duration

	Logger *slog.Logger // setup and cleanup notes; nil discards them
}

// Limits of the options, named by Validate.
const (
	MaxClients  = 1000
	MaxDataSize = 1000000 // below jute.maxbuffer with room for the header
	MaxKeySpace = 10000000
)

// DefaultConfig is what "zkraft bench" runs without flags.
func DefaultConfig() Config {
	return Config{
		Servers:          []string{"127.0.0.1:2181"},
		Workload:         WorkloadMixed,
		Clients:          8,
		Duration:         10 * time.Second,
		Warmup:           2 * time.Second,
		DataSize:         100,
		KeySpace:         1000,
		ReadRatio:        0.9,
		SessionTimeout:   10 * time.Second,
		ProgressInterval: time.Second,
	}
}

// Validate names the option and its limit for every value out of range.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Servers) == 0 {
		errs = append(errs, errors.New("server: no server given"))
	}
	for _, s := range c.Servers {
		if s == "" || strings.ContainsAny(s, "/ ") {
			errs = append(errs, fmt.Errorf("server: %q is not host[:port] (a chroot suffix is not supported)", s))
		}
	}
	if _, err := ParseWorkload(string(c.Workload)); err != nil {
		errs = append(errs, fmt.Errorf("workload: %w", err))
	}
	if c.Clients < 1 || c.Clients > MaxClients {
		errs = append(errs, fmt.Errorf("clients: %d is not between 1 and %d", c.Clients, MaxClients))
	}
	if c.Duration <= 0 {
		errs = append(errs, fmt.Errorf("duration: %v must be positive", c.Duration))
	}
	if c.Warmup < 0 {
		errs = append(errs, fmt.Errorf("warmup: %v must not be negative", c.Warmup))
	}
	if c.DataSize < 0 || c.DataSize > MaxDataSize {
		errs = append(errs, fmt.Errorf("data-size: %d is not between 0 and %d bytes", c.DataSize, MaxDataSize))
	}
	if c.KeySpace < 1 || c.KeySpace > MaxKeySpace {
		errs = append(errs, fmt.Errorf("key-space: %d is not between 1 and %d", c.KeySpace, MaxKeySpace))
	}
	if c.ReadRatio < 0 || c.ReadRatio > 1 {
		errs = append(errs, fmt.Errorf("read-ratio: %v is not between 0 and 1", c.ReadRatio))
	}
	if c.SessionTimeout < time.Second {
		errs = append(errs, fmt.Errorf("session-timeout: %v is below 1s", c.SessionTimeout))
	}
	return errors.Join(errs...)
}

// usesKeySpace tells whether the workload reads or writes the key space,
// which setup creates beforehand.
func (c *Config) usesKeySpace() bool {
	return c.Workload == WorkloadSet || c.Workload == WorkloadGet || c.Workload == WorkloadMixed
}
