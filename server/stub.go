package server

// CONTRACT-STUB: replaced by the real server.

import "net"

// Server is one zkraft member serving clients.
type Server struct{ opts Options }

// New prepares a server; Start opens its raft node and listener.
func New(opts Options) (*Server, error) { return &Server{opts: opts}, nil }

// Start opens storage and raft, waits for leadership (standalone) and starts
// accepting clients.
func (s *Server) Start() error { return nil }

// Addr is the client listener's address once started.
func (s *Server) Addr() net.Addr { return nil }

// Close stops accepting, closes connections without closing their sessions
// (clients reconnect after a restart), and shuts raft down.
func (s *Server) Close() error { return nil }
