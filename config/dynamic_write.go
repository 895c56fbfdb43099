package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// WriteDynamic records a new ensemble configuration as ZooKeeper does after
// a reconfig: it writes members (server.N lines) to
// <cfgPath>.dynamic.<hex version> and points the dynamicConfigFile line of
// the zoo.cfg at cfgPath to it (added if missing; every other line is kept
// as it was). Both writes are atomic: a temporary file beside the target,
// fsynced, then renamed over it. A version not newer than the one zoo.cfg
// names already is skipped (a replayed log); written reports whether
// anything was written.
func WriteDynamic(cfgPath, members string, version int64) (path string, written bool, err error) {
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return "", false, err
	}
	lines := strings.Split(string(raw), "\n")
	at := -1
	for i, line := range lines {
		key, value, ok := cutProperty(line)
		if !ok || key != keyDynamicConfigFile {
			continue
		}
		at = i
		if cur, ok := DynamicConfigVersion(value); ok && cur >= version {
			return value, false, nil
		}
	}
	path = cfgPath + ".dynamic." + strconv.FormatInt(version, 16)
	if err := writeAtomic(path, []byte(strings.TrimRight(members, "\n")+"\n")); err != nil {
		return "", false, err
	}
	entry := keyDynamicConfigFile + "=" + path
	if at >= 0 {
		lines[at] = entry
	} else {
		if n := len(lines); n > 0 && lines[n-1] == "" {
			lines = lines[:n-1]
		}
		lines = append(lines, entry, "")
	}
	if err := writeAtomic(cfgPath, []byte(strings.Join(lines, "\n"))); err != nil {
		return "", false, err
	}
	return path, true, nil
}

// cutProperty splits a simple "key=value" (or "key: value") line; comments,
// blank lines and continued lines are not properties here.
func cutProperty(line string) (key, value string, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' || t[0] == '!' || strings.HasSuffix(t, "\\") {
		return "", "", false
	}
	i := strings.IndexAny(t, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+1:]), true
}

// writeAtomic replaces path with data (WriteFileAtomic).
func writeAtomic(path string, data []byte) error {
	if err := WriteFileAtomic(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	}); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
