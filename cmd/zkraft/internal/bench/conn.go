package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
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

// dialAll opens n go-zookeeper sessions in parallel.
func dialAll(ctx context.Context, cfg *Config, logger *slog.Logger, n int) ([]*zk.Conn, error) {
	return dialParallel(n, func() (*zk.Conn, error) { return dial(ctx, cfg, logger) }, closeAll)
}

// dialAllRaw opens n rawConn sessions in parallel.
func dialAllRaw(ctx context.Context, cfg *Config, n int) ([]*rawConn, error) {
	return dialParallel(n, func() (*rawConn, error) { return dialRaw(ctx, cfg) }, closeAllRaw)
}

// dialParallel makes n connections, 16 at a time so as not to flood the
// accept queue; on any failure it closes those that opened.
func dialParallel[T any](n int, dial func() (T, error), closeAll func([]T)) ([]T, error) {
	conns := make([]T, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	done := make(chan struct{})
	for i := range n {
		go func() {
			sem <- struct{}{}
			conns[i], errs[i] = dial()
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

// closeAllRaw ends the sessions together: each close waits for the
// server's answer.
func closeAllRaw(conns []*rawConn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		if c != nil {
			wg.Go(c.close)
		}
	}
	wg.Wait()
}

// errorKind shortens an error to a stable label for the error counts.
func errorKind(err error) string {
	return strings.TrimPrefix(err.Error(), "zk: ")
}

// discard is the logger of runs without one.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
