package server

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
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
		"\nMode: standalone\n", "\nZxid: 0x", "\nNode count: 4\n"} {
		if !strings.Contains(srvr, want) {
			t.Errorf("srvr lacks %q:\n%s", want, srvr)
		}
	}
	stat := fourLetter(t, s, "stat")
	if !strings.Contains(stat, "Clients:\n /127.0.0.1:") {
		t.Errorf("stat lists no client:\n%s", stat)
	}
	mntr := fourLetter(t, s, "mntr")
	if !strings.HasPrefix(mntr, "zk_version\t3.9.4-zkraft") || !strings.Contains(mntr, "\nzk_server_state\tstandalone\n") {
		t.Errorf("mntr:\n%s", mntr)
	}
	if got := fourLetter(t, s, "wchs"); got != "0 connections watching 0 paths\nTotal watches:0\n" {
		t.Errorf("wchs: %q", got)
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
