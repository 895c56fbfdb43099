package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/config"
	"github.com/zkraft/zkraft/server"
	"github.com/zkraft/zkraft/server/admin"
)

// serverOptions are the flags of "zkraft server".
type serverOptions struct {
	configFile string
	dataDir    string
	clientPort int
	logLevel   string
	logFormat  string
	join       []string
	cpuProfile string
	timerSlack time.Duration
}

func newServerCommand() *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a zkraft server",
		Long: `Run a zkraft server until SIGINT or SIGTERM.

With --config it reads a ZooKeeper zoo.cfg (and dataDir/myid); without it, it
uses embedded defaults: client port 2181, tickTime 2000, data in
./zkraft-data. --data-dir and --client-port override either.

A zoo.cfg listing an ensemble (server.N lines with more than one
participant) runs this server as the member named by dataDir/myid: the
ensemble forms by itself once a quorum of the listed servers is up. The
members gossip on their election ports (TCP and UDP), so that any one of
them can describe the ensemble ("zkraft status").

Logs are structured (slog), raft's and memberlist's included: --log-level
and --log-format, or zkraft.logLevel and zkraft.logFormat in zoo.cfg (the
flags win).

The AdminServer answers ZooKeeper's commands as JSON on
admin.serverAddress:admin.serverPort (default 0.0.0.0:8080) under
admin.commandURL (/commands), with Prometheus metrics at /metrics;
admin.enableServer=false turns it off. With
metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
/metrics is also served on metricsProvider.httpHost:httpPort (0.0.0.0:7000).

With reconfigEnabled=true the reconfig op (zkCli's reconfig, "zkraft
members add/remove") changes the membership. A server started from a
dynamicConfigFile then keeps it in step: after each change it writes
<zoo.cfg>.dynamic.<version> and points zoo.cfg's dynamicConfigFile at it.
A new server started with a zoo.cfg that lists the running members and
itself, or only itself and --join with the election address of any member,
does not bootstrap an ensemble of its own: it gossips that it is joining,
and the leader adds it (a participant as a voter once it has caught up, an
observer as a non-voter) and updates /zookeeper/config, or a reconfig adds
it. An observer joining with only its own line sets peerType=observer.`,
		Example: `  zkraft server --config /etc/zookeeper/conf/zoo.cfg
  zkraft server --data-dir /tmp/zk --client-port 2182
  zkraft server --config zoo4.cfg --join 10.0.0.1:3888,10.0.0.2:3888`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.configFile, "config", "c", "", "zoo.cfg to read (default: embedded standalone defaults)")
	f.StringVar(&o.dataDir, "data-dir", "", "override dataDir (and dataLogDir, unless zoo.cfg sets it)")
	f.IntVar(&o.clientPort, "client-port", 0, "override clientPort")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error (overrides zkraft.logLevel)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json (overrides zkraft.logFormat)")
	f.StringVar(&o.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the whole run to this file (go tool pprof reads it)")
	f.DurationVar(&o.timerSlack, "timer-slack", time.Millisecond, "how late the kernel may wake the server's threads from a timer (Linux); "+
		"fewer wake-ups of the Go runtime's monitor thread, much less CPU under load; 0 keeps the system's slack")
	f.StringSliceVar(&o.join, "join", nil, "election addresses (host:electionPort) of running members to join through; "+
		"this server never bootstraps and waits for the leader to add it")
	return cmd
}

func (o *serverOptions) run(cmd *cobra.Command) error {
	var slackErr error
	if !testing.Testing() { // a test binary must not re-execute itself
		slackErr = raiseTimerSlack(o.timerSlack) // returns only when it did not re-execute
	}
	cfg, err := o.loadConfig(cmd)
	if err != nil {
		return err
	}
	level, format := o.logSettings(cmd, cfg)
	logger, err := newLogger(cmd.ErrOrStderr(), level, format)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		logger.Warn("config: " + w.Error())
	}
	if slackErr != nil {
		logger.Warn("running with the system's timer slack", "err", slackErr)
	}
	members, err := ensembleMembers(cfg, len(o.join) > 0)
	if err != nil {
		return err
	}
	if len(members) == 0 && len(cfg.Servers) > 0 {
		// ZooKeeper does the same for a lone server line (HBase writes one).
		logger.Warn("config: zoo.cfg lists a single participant; running standalone and ignoring the server lines",
			"servers", len(cfg.Servers))
	}
	for _, dir := range []string{cfg.DataDir, cfg.DataLogDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating data directory: %w", err)
		}
	}

	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	opts := buildServerOptions(cfg, logger)
	opts.Members = members
	opts.Join = o.join
	srv, err := server.New(opts)
	if err != nil {
		return err
	}

	// Take over SIGINT and SIGTERM before starting, so a signal during
	// startup still ends in Close.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(); err != nil {
		return errors.Join(err, srv.Close())
	}
	adminOpts, err := buildAdminOptions(cfg, logger)
	if err != nil {
		return errors.Join(err, srv.Close())
	}
	adm, err := admin.Start(srv, adminOpts)
	if err != nil {
		return errors.Join(err, srv.Close())
	}
	logger.Info("zkraft is ready", "version", version, "server_id", opts.ServerID,
		"client_addr", fmt.Sprint(srv.Addr()), "data_dir", opts.DataDir, "data_log_dir", opts.DataLogDir)

	<-ctx.Done()
	// From here a second signal has its default effect: it ends the
	// process at once if Close hangs.
	stop()
	logger.Info("shutting down")
	if err := adm.Close(); err != nil {
		logger.Warn("stopping the admin server", "err", err)
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// loadConfig reads zoo.cfg (or takes the embedded defaults), applies the
// command-line overrides and myid, and validates the result.
func (o *serverOptions) loadConfig(cmd *cobra.Command) (*config.Config, error) {
	cfg := config.Default()
	if o.configFile != "" {
		var err error
		if cfg, err = config.Load(o.configFile); err != nil {
			return nil, err
		}
	}
	if cmd.Flags().Changed("data-dir") {
		if err := cfg.Set("dataDir", o.dataDir, "flag --data-dir"); err != nil {
			return nil, err
		}
	}
	if cmd.Flags().Changed("client-port") {
		if err := cfg.Set("clientPort", strconv.Itoa(o.clientPort), "flag --client-port"); err != nil {
			return nil, err
		}
	}
	id, ok, err := config.ReadMyID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.ServerID = 1 // a standalone server without myid
	if ok {
		cfg.ServerID = id
	} else if cfg.Distributed() {
		return nil, fmt.Errorf("%s lists an ensemble of %d servers but %s does not exist; "+
			"write this member's id (the N of its server.N line) into it", cfg.File, len(cfg.Servers),
			filepath.Join(cfg.DataDir, "myid"))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// buildServerOptions translates zoo.cfg into the server's own options,
// starting from the server's defaults for what zoo.cfg does not cover.
func buildServerOptions(cfg *config.Config, logger *slog.Logger) server.Options {
	opts := server.DefaultOptions()
	opts.ClientAddr = cfg.ClientAddr()
	opts.DataDir = cfg.DataDir
	opts.DataLogDir = cfg.DataLogDir
	opts.ServerID = int(cfg.ServerID)
	opts.TickTime = cfg.TickTime
	opts.InitLimit = cfg.InitLimit
	opts.SyncLimit = cfg.SyncLimit
	opts.MinSessionTimeout = cfg.MinSessionTimeout
	opts.MaxSessionTimeout = cfg.MaxSessionTimeout
	opts.MaxClientCnxns = cfg.MaxClientCnxns
	opts.MaxCnxns = cfg.MaxCnxns
	opts.MaxBuffer = cfg.MaxBuffer
	opts.FourLetterWords = cfg.FourLetterWords
	opts.SuperDigest = cfg.SuperDigest
	opts.ExtendedTypes = cfg.ExtendedTypes
	opts.EnforceQuota = cfg.EnforceQuota
	opts.ReadOnlyMode = cfg.ReadOnlyMode
	opts.PreferHighestSid = cfg.PreferHighestSid
	opts.ContainerCheckInterval = cfg.ContainerCheckInterval
	opts.ContainerMaxPerMinute = cfg.ContainerMaxPerMinute
	opts.SnapRetainCount = cfg.SnapRetainCount
	if cfg.SnapCount > 0 {
		opts.SnapshotThreshold = uint64(cfg.SnapCount)
	}
	opts.LogSegmentSize = cfg.PreAllocSize
	opts.ConfigLines = cfg.Lines()
	opts.ReconfigEnabled = cfg.ReconfigEnabled
	opts.QuorumListenOnAllIPs = cfg.QuorumListenOnAll
	if cfg.DynamicConfigFile != "" {
		opts.DynamicConfigFile = cfg.File
	}
	opts.Logger = logger
	return opts
}

// ensembleMembers turns the server.N lines of a distributed zoo.cfg into the
// server's members; nil when the config runs standalone. This server's id
// (myid) must be among them. peerType=observer makes this server an
// observer even when its line does not say so. A joining server (--join)
// is an ensemble member even when its zoo.cfg lists only itself.
func ensembleMembers(cfg *config.Config, joining bool) ([]server.Member, error) {
	if !cfg.Distributed() && !(joining && len(cfg.Servers) > 0) {
		if joining {
			return nil, fmt.Errorf("--join needs this server's own server.%d line in %s", cfg.ServerID, cfg.File)
		}
		return nil, nil
	}
	if _, ok := cfg.Server(cfg.ServerID); !ok {
		return nil, fmt.Errorf("%s lists an ensemble of %d servers but this server's id %d (from %s) has no server.%d line; "+
			"write this member's id into %s", cfg.File, len(cfg.Servers), cfg.ServerID,
			filepath.Join(cfg.DataDir, "myid"), cfg.ServerID, filepath.Join(cfg.DataDir, "myid"))
	}
	var out []server.Member
	for _, s := range cfg.Servers {
		m := server.Member{
			ID:           int(s.ID),
			QuorumAddr:   net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort)),
			ElectionAddr: net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort)),
			Observer:     s.Role == config.Observer || (s.ID == cfg.ServerID && cfg.PeerType == config.Observer),
		}
		if s.ClientPort != 0 {
			m.ClientAddr = net.JoinHostPort(s.ClientHost, strconv.Itoa(s.ClientPort))
		}
		out = append(out, m)
	}
	return out, nil
}

// prometheusProvider is the metricsProvider.className of ZooKeeper's
// Prometheus provider; naming it opens the metrics listener on
// metricsProvider.httpHost:httpPort (default 0.0.0.0:7000), as ZooKeeper
// 3.6+ does. The admin server serves /metrics in any case.
const prometheusProvider = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"

// buildAdminOptions maps admin.* and metricsProvider.* onto the admin
// server's options.
func buildAdminOptions(cfg *config.Config, logger *slog.Logger) (admin.Options, error) {
	o := admin.Options{CommandURL: cfg.Admin.CommandURL, Logger: logger,
		Snapshot: admin.Gate{Enabled: cfg.Admin.SnapshotEnabled, Interval: cfg.Admin.SnapshotInterval},
		Restore:  admin.Gate{Enabled: cfg.Admin.RestoreEnabled, Interval: cfg.Admin.RestoreInterval}}
	if cfg.Admin.Enabled {
		o.Addr = net.JoinHostPort(cfg.Admin.Address, strconv.Itoa(cfg.Admin.Port))
	}
	if cfg.MetricsProvider["className"] == prometheusProvider {
		host, port := "0.0.0.0", 7000
		if h := cfg.MetricsProvider["httpHost"]; h != "" {
			host = h
		}
		if p := cfg.MetricsProvider["httpPort"]; p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n > 65535 {
				return o, fmt.Errorf("metricsProvider.httpPort %q is not a port number", p)
			}
			port = n
		}
		o.MetricsAddr = net.JoinHostPort(host, strconv.Itoa(port))
	}
	return o, nil
}

// startCPUProfile profiles the process into path until the returned
// function runs (at shutdown).
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
