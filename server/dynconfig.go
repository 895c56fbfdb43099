package server

import (
	"strings"

	"github.com/zkraft/zkraft/config"
	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// configApplied is called inside the apply of every new /zookeeper/config.
// It must not block: it hands the newest data to membershipLoop, which
// writes the dynamic config file, dropping an older one not yet written.
func (s *Server) configApplied(r *fsm.Result) {
	if s.ens == nil || s.opts.DynamicConfigFile == "" {
		return
	}
	resp, ok := r.Resp.(*protocol.GetConfigResponse)
	if !ok {
		return
	}
	// Only the apply goroutine sends, so after the drain there is room.
	select {
	case <-s.ens.configs:
	default:
	}
	s.ens.configs <- resp.Data
}

// writeDynamicConfig writes the dynamic config file of a configuration
// (the data of /zookeeper/config) and points zoo.cfg at it.
func (s *Server) writeDynamicConfig(data []byte) {
	version, ok := fsm.ConfigVersion(data)
	if !ok {
		return
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "server.") {
			lines = append(lines, l)
		}
	}
	path, written, err := config.WriteDynamic(s.opts.DynamicConfigFile, strings.Join(lines, "\n"), version)
	switch {
	case err != nil:
		s.log.Error("writing the dynamic config file failed", "zoo_cfg", s.opts.DynamicConfigFile, "err", err)
	case written:
		s.log.Info("dynamic config file written", "path", path, "zoo_cfg", s.opts.DynamicConfigFile)
	}
}
