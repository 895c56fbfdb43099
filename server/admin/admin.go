// Package admin is zkraft's AdminServer: ZooKeeper's HTTP commands (JSON,
// with ZooKeeper's names and field names) under admin.commandURL, and the
// Prometheus text exposition at /metrics.
//
// /metrics is served by the admin listener always, and also by a listener
// of its own when the configuration names ZooKeeper's Prometheus metrics
// provider (metricsProvider.httpPort), so that scrape configs written for
// ZooKeeper 3.6+ keep working.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/zkraft/zkraft/server"
)

// Options configure the admin listeners.
type Options struct {
	// Addr is host:port of the AdminServer (admin.serverAddress and
	// admin.serverPort); empty disables it (admin.enableServer=false).
	Addr string
	// CommandURL is where the commands live (admin.commandURL).
	CommandURL string
	// MetricsAddr is host:port of a listener serving only /metrics (the
	// Prometheus provider's httpHost:httpPort); empty for none.
	MetricsAddr string
	// Snapshot and Restore limit the commands of those names (gate.go).
	Snapshot, Restore Gate
	Logger            *slog.Logger
}

// Server is the running admin and metrics listeners.
type Server struct {
	zk      *server.Server
	opts    Options
	log     *slog.Logger
	servers []*http.Server
	addrs   []net.Addr // parallel to servers
	admin   net.Addr
	metrics net.Addr
	// snapshot and restore guard the commands of those names.
	snapshot, restore gate
}

// Start opens the configured listeners. With neither address set it starts
// nothing and returns a Server whose Close does nothing. Only the metrics
// listener failing is an error (ZooKeeper does not start without its
// configured metrics provider either).
func Start(zk *server.Server, opts Options) (*Server, error) {
	if opts.CommandURL == "" {
		opts.CommandURL = "/commands"
	}
	opts.CommandURL = "/" + strings.Trim(opts.CommandURL, "/")
	a := &Server{zk: zk, opts: opts, log: opts.Logger}
	a.snapshot.Gate, a.restore.Gate = opts.Snapshot, opts.Restore
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if opts.Addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc(opts.CommandURL, a.serveList)
		mux.HandleFunc(opts.CommandURL+"/", a.serveCommand)
		mux.HandleFunc("/metrics", a.serveMetrics)
		// As in ZooKeeper, an AdminServer that cannot listen (the port is
		// taken: 8080 is a popular default) is logged and the server runs on
		// without it.
		if addr, err := a.listen(opts.Addr, mux); err != nil {
			a.log.Warn("admin server not started; set admin.serverPort or admin.enableServer=false",
				"addr", opts.Addr, "err", err)
		} else {
			a.admin = addr
			zk.SetAdminAddr(addr.String()) // gossiped, for "zkraft status"
			a.log.Info("admin server listening", "addr", addr.String(), "command_url", opts.CommandURL)
		}
	}
	if opts.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/metrics", a.serveMetrics)
		addr, err := a.listen(opts.MetricsAddr, mux)
		if err != nil {
			return nil, errors.Join(err, a.Close())
		}
		a.metrics = addr
		a.log.Info("metrics listening", "addr", addr.String())
	}
	return a, nil
}

func (a *Server) listen(addr string, h http.Handler) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listening on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	a.servers = append(a.servers, hs)
	a.addrs = append(a.addrs, ln.Addr())
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("admin listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return ln.Addr(), nil
}

// Addr is the AdminServer's address, nil when it is disabled.
func (a *Server) Addr() net.Addr { return a.admin }

// MetricsAddr is the separate metrics listener's address, nil without one.
func (a *Server) MetricsAddr() net.Addr { return a.metrics }

// Close stops the listeners, giving requests in progress a moment.
func (a *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var errs []error
	for _, hs := range a.servers {
		if err := hs.Shutdown(ctx); err != nil {
			errs = append(errs, hs.Close())
		}
	}
	a.servers = nil
	return errors.Join(errs...)
}

// serveList answers GET commandURL with links to every command, as
// ZooKeeper does.
func (a *Server) serveList(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "<a href=\"%s/%s\">%s</a>\n<br/>\n", a.opts.CommandURL, n, n)
	}
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.Write(b.Bytes())
}

// serveCommand runs commandURL/<name>. Like ZooKeeper 3.8 it answers 200
// with a JSON body even for an unknown command or a failed one; the
// "error" field says what went wrong.
func (a *Server) serveCommand(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, a.opts.CommandURL+"/")
	name = strings.TrimSuffix(name, "/")
	if primary, ok := aliases[name]; ok {
		name = primary
	}
	if name == restoreCommand {
		a.serveRestore(w, r)
		return
	}
	if !getOnly(w, r) {
		return
	}
	if name == "" {
		a.serveList(w, r)
		return
	}
	var resp object
	if name == snapshotCommand {
		a.serveSnapshot(w, r)
		return
	}
	c, ok := commands[name]
	switch {
	case !ok:
		resp = object{{"command", name}, {"error", "Unknown command: " + name}}
	case !c.anyState && !a.zk.Serving():
		resp = object{{"command", name}, {"error", server.NotServingMessage}}
	default:
		body, errMsg := c.run(a.zk, r)
		if errMsg != "" {
			resp = object{{"error", errMsg}, {"command", name}}
		} else {
			resp = append(body, field{"command", name}, field{"error", nil})
		}
	}
	a.writeJSON(w, name, resp)
}

// writeJSON sends a command's answer.
func (a *Server) writeJSON(w http.ResponseWriter, name string, resp object) {
	out, err := json.MarshalIndent(resp, "", "  ")
	if err != nil {
		a.log.Error("admin: encoding a command's answer", "command", name, "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(out, '\n'))
}

func getOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// object is a JSON object that keeps its fields in order (ZooKeeper's
// answers list the command's fields first, then command and error).
type object []field

type field struct {
	k string
	v any
}

// MarshalJSON writes the fields in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.k, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
