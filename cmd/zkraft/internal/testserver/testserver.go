// Package testserver starts an in-process zkraft for the tests of the
// command line and its clients.
package testserver

import (
	"testing"

	"github.com/zkraft/zkraft/server"
)

// Start runs a standalone zkraft on a free loopback port, with its data in
// a temporary directory, until the test ends. tune, if not nil, adjusts the
// options first. The result is the server; Addr() is its client address.
func Start(t testing.TB, tune func(*server.Options)) *server.Server {
	t.Helper()
	opts := server.DefaultOptions()
	opts.ClientAddr = "127.0.0.1:0"
	opts.DataDir = t.TempDir()
	opts.DataLogDir = opts.DataDir
	if tune != nil {
		tune(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Close twice is fine: a test may stop the server itself.
		if err := srv.Close(); err != nil {
			t.Errorf("closing server: %v", err)
		}
	})
	return srv
}

// StartRestartable is Start with a restart: restart closes the server and
// starts a new one on the same address and data directory (its sessions
// survive, as across a real restart) and returns it.
func StartRestartable(t testing.TB) (srv *server.Server, restart func() *server.Server) {
	t.Helper()
	dir := t.TempDir()
	tune := func(o *server.Options) { o.DataDir, o.DataLogDir = dir, dir }
	srv = Start(t, tune)
	addr := srv.Addr().String()
	return srv, func() *server.Server {
		t.Helper()
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		srv = Start(t, func(o *server.Options) { tune(o); o.ClientAddr = addr })
		return srv
	}
}
