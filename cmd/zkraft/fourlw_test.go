package main

import (
	"strings"
	"testing"

	"github.com/zkraft/zkraft/server"
)

func TestFourLetterWordCommand(t *testing.T) {
	addr := startServer(t, func(o *server.Options) { o.FourLetterWords = []string{"ruok", "srvr"} })
	if got := mustCLI(t, addr, "4lw", "ruok"); got != "imok" {
		t.Errorf("4lw ruok printed %q", got)
	}
	if got := mustCLI(t, addr, "4lw", "ruok", "-o", "json"); got != `{"command":"ruok","response":"imok","server":"`+addr+`"}`+"\n" {
		t.Errorf("4lw ruok json: %q", got)
	}
	if got := mustCLI(t, addr, "4lw", "srvr"); !strings.HasPrefix(got, "Zookeeper version: ") || !strings.Contains(got, "Mode: standalone") {
		t.Errorf("4lw srvr printed %q", got)
	}
	out, _, err := cli(t, addr, "4lw", "mntr")
	if err == nil || exitCode(err) != exitFailure || out != "mntr is not executed because it is not in the whitelist.\n" {
		t.Errorf("4lw mntr outside the whitelist: %v, printed %q", err, out)
	}
	if _, _, err := cli(t, deadAddr(t), "4lw", "ruok"); err == nil || exitCode(err) != exitFailure || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("4lw to nothing: %v", err)
	}
	if _, _, err := cli(t, addr, "4lw", "ruokay"); err == nil || exitCode(err) != exitUsage {
		t.Errorf("4lw with a six-letter word: %v", err)
	}
}
