package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteDynamic: the next dynamic file is written and zoo.cfg points at
// it, the rest of zoo.cfg untouched; an older version (a replayed log) is
// skipped; Load reads the result back.
func TestWriteDynamic(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	static := "# keep me\ntickTime=2000\ndataDir=" + dir + "\ndynamicConfigFile=" + cfg + ".dynamic\nclientPort=2181\n"
	os.WriteFile(cfg, []byte(static), 0o600)
	members := "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nserver.2=127.0.0.1:2889:3889:observer;127.0.0.1:2182"

	path, written, err := WriteDynamic(cfg, members, 0x100000003)
	if err != nil || !written || path != cfg+".dynamic.100000003" {
		t.Fatalf("WriteDynamic = %q, %v, %v", path, written, err)
	}
	got, _ := os.ReadFile(cfg)
	want := strings.Replace(static, cfg+".dynamic\n", path+"\n", 1)
	if string(got) != want {
		t.Fatalf("zoo.cfg:\n%s\nwant:\n%s", got, want)
	}
	if info, _ := os.Stat(cfg); info.Mode().Perm() != 0o600 {
		t.Fatalf("zoo.cfg mode %v, want 0600 kept", info.Mode().Perm())
	}
	c, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != 2 || c.Servers[1].Role != Observer {
		t.Fatalf("servers read back: %+v", c.Servers)
	}

	if _, written, err := WriteDynamic(cfg, "server.9=x:1:2", 0x100000002); err != nil || written {
		t.Fatalf("an older version: written %v, %v", written, err)
	}
	if _, err := os.Stat(cfg + ".dynamic.100000002"); !os.IsNotExist(err) {
		t.Fatalf("an older version left a file: %v", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(matches) != 0 {
		t.Fatalf("temporary files left: %v", matches)
	}
}
