package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "tickTime=2000\ndataDir="+dir+"\nclientPort=2181\nsomeUnknownKey=1\n")
	out, err := execute(t, context.Background(), "config", "validate", good)
	if err != nil || !strings.Contains(out, good+": valid\n") || !strings.Contains(out, "warning: "+good+":4: someUnknownKey: ") {
		t.Errorf("valid file: %v\n%s", err, out)
	}

	// Every problem, each with file, line and key: syntax and Validate's.
	badDir := t.TempDir()
	bad := writeConfig(t, badDir, "tickTime=abc\ndataDir="+badDir+"\nclientPort=2181\nmaxClientCnxns=-1\n"+
		"minSessionTimeout=9000\nmaxSessionTimeout=5000\nserver.1=nohostport\n")
	out, err = execute(t, context.Background(), "config", "validate", bad)
	if err == nil || exitCode(err) != exitFailure {
		t.Fatalf("invalid file: error %v", err)
	}
	for _, want := range []string{
		bad + `:1: tickTime: "abc" is not a whole number`,
		bad + ":4: maxClientCnxns: -1 is negative",
		bad + ":5: minSessionTimeout: 9000 is larger than maxSessionTimeout 5000",
		bad + ":7: server.1: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// An ensemble member's myid: missing, then not among the server lines.
	ens := writeConfig(t, dir, "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir="+dir+"\nclientPort=2181\n"+
		"server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n")
	myid := filepath.Join(dir, "myid")
	out, err = execute(t, context.Background(), "config", "validate", ens, "-o", "json")
	var res struct {
		Valid    bool `json:"valid"`
		Problems []struct {
			File, Key, Message string
			Line               int
		} `json:"problems"`
	}
	if jerr := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &res); jerr != nil {
		t.Fatalf("json output: %v\n%s", jerr, out)
	}
	if err == nil || res.Valid || len(res.Problems) != 1 || res.Problems[0].File != myid || !strings.Contains(res.Problems[0].Message, "does not exist") {
		t.Errorf("ensemble without myid: %v %+v", err, res)
	}
	if err := os.WriteFile(myid, []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = execute(t, context.Background(), "config", "validate", ens)
	if err == nil || !strings.Contains(out, myid+": server id 3 has no server.3 line in "+ens) {
		t.Errorf("myid 3 of servers 1 and 2: %v\n%s", err, out)
	}
	if err := os.WriteFile(myid, []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err = execute(t, context.Background(), "config", "validate", ens); err != nil {
		t.Errorf("ensemble member 2: %v\n%s", err, out)
	}

	if _, err := execute(t, context.Background(), "config", "validate", filepath.Join(dir, "none.cfg")); err == nil || exitCode(err) != exitFailure {
		t.Errorf("missing file: %v", err)
	}
	if _, err := execute(t, context.Background(), "config", "validate"); err == nil || exitCode(err) != exitUsage {
		t.Errorf("no file: %v", err)
	}
}
