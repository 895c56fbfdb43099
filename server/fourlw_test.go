package server

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

func fourLetter(t testing.TB, s *Server, cmd string) string {
	t.Helper()
	out, err := fourLetterErr(s.Addr().String(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fourLetterErr(addr, cmd string) (string, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write([]byte(cmd)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(nc)
	return string(b), err
}

func TestFourLetterWords(t *testing.T) {
	s := startServer(t, testOptions(t))
	if got := fourLetter(t, s, "ruok"); got != "imok" {
		t.Errorf("ruok: %q", got)
	}
	if got := fourLetter(t, s, "isro"); got != "rw" {
		t.Errorf("isro: %q", got)
	}
	srvr := fourLetter(t, s, "srvr")
	for _, want := range []string{"Zookeeper version: 3.9.4-zkraft, built on ", "\nLatency min/avg/max: ",
		"\nMode: standalone\n", "\nZxid: 0x", "\nNode count: 5\n"} {
		if !strings.Contains(srvr, want) {
			t.Errorf("srvr lacks %q:\n%s", want, srvr)
		}
	}
	stat := fourLetter(t, s, "stat")
	if !strings.Contains(stat, "Clients:\n /127.0.0.1:") {
		t.Errorf("stat lists no client:\n%s", stat)
	}
	r := dialRaw(t, s.Addr().String())
	resp := r.connect(5000, 0, nil)
	r.send(1, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/zookeeper", Watch: true})
	r.recv(&protocol.GetDataResponse{})
	cons := fourLetter(t, s, "cons")
	if want := fmt.Sprintf("[1](queued=0,recved=2,sent=2,sid=0x%x,lop=GETD,", resp.SessionID); !strings.Contains(cons, want) {
		t.Errorf("cons lacks %q:\n%s", want, cons)
	}
	if got, want := fourLetter(t, s, "wchc"), fmt.Sprintf("0x%x\n\t/zookeeper\n\n", resp.SessionID); got != want {
		t.Errorf("wchc: %q, want %q", got, want)
	}
	if got, want := fourLetter(t, s, "wchp"), fmt.Sprintf("/zookeeper\n\t0x%x\n\n", resp.SessionID); got != want {
		t.Errorf("wchp: %q, want %q", got, want)
	}
	if got := fourLetter(t, s, "wchs"); got != "1 connections watching 1 paths\nTotal watches:1\n" {
		t.Errorf("wchs: %q", got)
	}
	dump := fourLetter(t, s, "dump")
	if want := fmt.Sprintf("Session Sets (1)/(1):\n1 expire at "); !strings.Contains(dump, want) ||
		!strings.Contains(dump, fmt.Sprintf("\t0x%x\n", resp.SessionID)) {
		t.Errorf("dump:\n%s", dump)
	}
	r.nc.Close()
	mntr := fourLetter(t, s, "mntr")
	if !strings.HasPrefix(mntr, "zk_version\t3.9.4-zkraft") || !strings.Contains(mntr, "\nzk_server_state\tstandalone\n") {
		t.Errorf("mntr:\n%s", mntr)
	}
	if got := fourLetter(t, s, "srst"); got != "Server stats reset.\n" {
		t.Errorf("srst: %q", got)
	}
}

func TestFourLetterWhitelist(t *testing.T) {
	o := testOptions(t)
	o.FourLetterWords = []string{"srvr"}
	s := startServer(t, o)
	if got := fourLetter(t, s, "ruok"); got != "ruok is not executed because it is not in the whitelist.\n" {
		t.Errorf("ruok: %q", got)
	}
	if got := fourLetter(t, s, "srvr"); !strings.HasPrefix(got, "Zookeeper version:") {
		t.Errorf("srvr: %q", got)
	}
}
