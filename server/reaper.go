package server

import (
	"time"

	"github.com/zkraft/zkraft/fsm"
)

// reapLoop proposes the deletion of empty containers and expired TTL nodes
// every ContainerCheckInterval, at most ContainerMaxPerMinute per minute as
// ZooKeeper's ContainerManager throttles them.
func (s *Server) reapLoop() {
	interval := s.opts.ContainerCheckInterval
	if interval <= 0 {
		s.wg.Done()
		return
	}
	s.every(interval, func(now time.Time) {
		if !s.leads() {
			return
		}
		limit := 10000
		if s.opts.ContainerMaxPerMinute > 0 {
			limit = max(1, int(int64(s.opts.ContainerMaxPerMinute)*int64(interval)/int64(time.Minute)))
		}
		ms := now.UnixMilli()
		paths := s.fsm.ReapCandidates(ms, limit)
		if len(paths) == 0 {
			return
		}
		s.log.Debug("reaping containers and TTL nodes", "count", len(paths))
		if err := s.propose(fsm.EncodeReap(ms, paths), 0).Error(); err != nil {
			s.log.Warn("proposing reap failed", "err", err)
		}
	})
}

// every calls fn about every period until the server shuts down. The
// caller counted it in s.wg.
func (s *Server) every(period time.Duration, fn func(now time.Time)) {
	defer s.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case now := <-t.C:
			fn(now)
		}
	}
}
