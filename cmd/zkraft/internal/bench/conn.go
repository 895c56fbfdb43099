package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// quietLogger keeps go-zookeeper's connection chatter out of the report;
// what matters shows up as errors of the operations.
type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Printf(format string, args ...any) {
	q.l.Debug("zk client: " + strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// dial opens a session and waits until the server has granted it, so no
// client's first operation pays for the handshake.
func dial(ctx context.Context, cfg *Config, logger *slog.Logger) (*zk.Conn, error) {
	conn, events, err := zk.Connect(cfg.Servers, cfg.SessionTimeout,
		zk.WithLogger(quietLogger{logger}), zk.WithLogInfo(false))
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(cfg.SessionTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, errors.New("connection closed before a session was granted")
			}
			if ev.State == zk.StateHasSession {
				return conn, nil
			}
			if ev.State == zk.StateAuthFailed || ev.State == zk.StateExpired {
				conn.Close()
				return nil, fmt.Errorf("connecting: %v", ev.State)
			}
		case <-timer.C:
			conn.Close()
			return nil, fmt.Errorf("no session from %s within %v", strings.Join(cfg.Servers, ","), cfg.SessionTimeout)
		case <-ctx.Done():
			conn.Close()
			return nil, ctx.Err()
		}
	}
}

// dialAll opens n sessions in parallel.
func dialAll(ctx context.Context, cfg *Config, logger *slog.Logger, n int) ([]*zk.Conn, error) {
	conns := make([]*zk.Conn, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 16) // do not flood the accept queue
	done := make(chan struct{})
	for i := range n {
		go func() {
			sem <- struct{}{}
			conns[i], errs[i] = dial(ctx, cfg, logger)
			<-sem
			done <- struct{}{}
		}()
	}
	for range n {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

func closeAll(conns []*zk.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// errorKind shortens an error to a stable label for the error counts.
func errorKind(err error) string {
	return strings.TrimPrefix(err.Error(), "zk: ")
}

// discard is the logger of runs without one.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
