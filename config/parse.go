package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Load reads the zoo.cfg at path, and the dynamic config file it names, if
// any. Problems are reported as "path:line: key: message". The result still
// needs Validate (after any command-line overrides).
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := Parse(f, path)
	if err != nil {
		return nil, err
	}
	if c.DynamicConfigFile != "" {
		if err := c.loadDynamic(c.DynamicConfigFile); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Parse reads a zoo.cfg from r; name is used in messages (the file name).
// It reports every syntax problem at once, joined: values that are not
// numbers or booleans, malformed server lines, broken escapes. Defaults are
// ZooKeeper's for a file (tickTime 3000, no dataDir, no clientPort); derived
// settings are filled in. It does not read the dynamic config file or myid
// (see Load and ReadMyID), and it does not Validate. On error the Config
// holds what could be read, Warnings included.
func Parse(r io.Reader, name string) (*Config, error) {
	entries, problems, err := readProperties(r, name)
	if err != nil {
		return nil, err
	}
	c := fileDefaults()
	c.File = name
	for _, e := range entries {
		p, w := c.apply(e.key, e.value, name, e.line)
		problems = append(problems, p...)
		c.Warnings = append(c.Warnings, w...)
	}
	for _, d := range []struct{ key, path string }{{keyDataDir, c.DataDir}, {keyDataLogDir, c.DataLogDir}} {
		// As ZooKeeper warns: the directory depends on where the server
		// is started from.
		if o, ok := c.origin[d.key]; ok && d.path != "" && !filepath.IsAbs(d.path) {
			c.Warnings = append(c.Warnings, &Problem{Source: o.source, Line: o.line, Key: o.key,
				Msg: fmt.Sprintf("%q is relative to the working directory", d.path)})
		}
	}
	if c.DynamicConfigFile != "" {
		// ZooKeeper refuses membership in both places: the dynamic file
		// owns it.
		for _, s := range c.Servers {
			problems = append(problems, c.problem("server."+strconv.FormatInt(s.ID, 10),
				"must be in the dynamic config file %s, not here", c.DynamicConfigFile))
		}
		for _, m := range []map[string]string{c.Groups, c.Weights} {
			if len(m) > 0 {
				problems = append(problems, &Problem{Source: name, Msg: "group.x and weight.x must be in the dynamic config file " + c.DynamicConfigFile})
				break
			}
		}
	}
	c.derive()
	if len(problems) > 0 {
		return c, joinProblems(problems)
	}
	return c, nil
}

// Set applies one setting from outside the file, such as a command-line
// flag; source names it in messages ("flag --client-port"). Settings derived
// from it (dataLogDir from dataDir, session timeouts from tickTime) follow
// unless the file set them explicitly.
func (c *Config) Set(key, value, source string) error {
	problems, warnings := c.apply(key, javaTrim(value), source, 0)
	c.Warnings = append(c.Warnings, warnings...)
	c.derive()
	if len(problems) > 0 {
		return joinProblems(problems)
	}
	return nil
}

// loadDynamic reads ZooKeeper's dynamic config file: server.N, group.x and
// weight.x lines only. Its version comes from the file name's hex suffix
// (zoo.cfg.dynamic.100000000); a version key inside is an error, as in
// ZooKeeper.
func (c *Config) loadDynamic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &Problem{Source: c.File, Line: c.origin[keyDynamicConfigFile].line, Key: keyDynamicConfigFile, Msg: err.Error()}
	}
	defer f.Close()
	entries, problems, err := readProperties(f, path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.key, "server."), strings.HasPrefix(e.key, "group."), strings.HasPrefix(e.key, "weight."):
			p, w := c.apply(e.key, e.value, path, e.line)
			problems = append(problems, p...)
			c.Warnings = append(c.Warnings, w...)
		case e.key == "version":
			problems = append(problems, &Problem{Source: path, Line: e.line, Key: e.key,
				Msg: "a dynamic config file takes its version from its name, not from a key"})
		default:
			problems = append(problems, &Problem{Source: path, Line: e.line, Key: e.key,
				Msg: "only server.N, group.x and weight.x belong in a dynamic config file"})
		}
	}
	if len(problems) > 0 {
		return joinProblems(problems)
	}
	return nil
}

// DynamicConfigVersion is the version of a dynamic config file, read from the
// hex suffix of its name as ZooKeeper does ("zoo.cfg.dynamic.100000000");
// ok is false when the name has none.
func DynamicConfigVersion(path string) (version int64, ok bool) {
	base := filepath.Base(path)
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(base[i+1:], 16, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// joinProblems joins problems into one error whose message has one problem
// per line; errors.As finds each *Problem.
func joinProblems(problems []*Problem) error {
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// ReadMyID reads dataDir/myid, the member's server id. ok is false when there
// is no such file, which is normal for a standalone server. The first line
// must hold the id; surrounding blanks are allowed.
func ReadMyID(dataDir string) (id int64, ok bool, err error) {
	path := filepath.Join(dataDir, "myid")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	first, _, _ := strings.Cut(string(data), "\n")
	first = strings.TrimSpace(first)
	id, err = strconv.ParseInt(first, 10, 64)
	if err != nil || id < 0 {
		return 0, false, fmt.Errorf("%s: %q is not a server id (a non-negative whole number)", path, first)
	}
	return id, true, nil
}
