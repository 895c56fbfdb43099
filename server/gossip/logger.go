package gossip

import (
	"context"
	"log"
	"log/slog"
	"strings"
)

// newStdLogger routes memberlist's log.Logger output ("[LEVEL] memberlist:
// message") into slog at the level the prefix names. memberlist's DEBUG
// lines (every probe, every push/pull) stay at Debug; INFO (a member marked
// failed, a suspicion refuted) and above are worth an operator's eye.
func newStdLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{l}, "", 0)
}

type slogWriter struct{ l *slog.Logger }

var levels = []struct {
	prefix string
	level  slog.Level
}{
	{"[DEBUG] ", slog.LevelDebug},
	{"[INFO] ", slog.LevelInfo},
	{"[WARN] ", slog.LevelWarn},
	{"[ERR] ", slog.LevelError},
	{"[ERROR] ", slog.LevelError},
}

func (w slogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for _, l := range levels {
		if rest, ok := strings.CutPrefix(msg, l.prefix); ok {
			msg, level = rest, l.level
			break
		}
	}
	msg = strings.TrimPrefix(msg, "memberlist: ")
	if strings.Contains(msg, "use of closed network connection") {
		// memberlist's timers outlive Shutdown by a moment; their failed
		// sends on the closed sockets are not worth an error line.
		level = slog.LevelDebug
	}
	if w.l.Enabled(context.Background(), level) {
		w.l.Log(context.Background(), level, msg)
	}
	return len(p), nil
}
