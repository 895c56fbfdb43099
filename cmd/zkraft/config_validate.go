package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/config"
)

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with zoo.cfg files",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newConfigValidateCommand())
	return cmd
}

// configValidateOptions are the flags of "zkraft config validate".
type configValidateOptions struct{ output string }

func newConfigValidateCommand() *cobra.Command {
	o := &configValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a zoo.cfg and report every problem",
		Long: `Read FILE as "zkraft server --config FILE" would (and the dynamic config
file it names) and print every problem, each with file, line and key, then the
warnings (unknown keys, relative directories). When dataDir exists and the file
has server lines, dataDir/myid is checked too: it must exist and name one of
them. Exit status 0 when valid, 1 when not.`,
		Example: "  zkraft config validate /etc/zookeeper/conf/zoo.cfg\n  zkraft config validate zoo.cfg --output json",
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE:    func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}

// problemJSON is one finding in json output.
type problemJSON struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
}

func (o *configValidateOptions) run(cmd *cobra.Command, path string) error {
	if o.output != "text" && o.output != "json" {
		return usageErrorf("--output: %q is not text or json", o.output)
	}
	problems, warnings, err := validateConfigFile(path)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.output == "json" {
		if err := json.NewEncoder(w).Encode(map[string]any{"file": path, "valid": len(problems) == 0,
			"problems": toProblemJSON(problems), "warnings": toProblemJSON(warnings)}); err != nil {
			return err
		}
	} else {
		writeProblems(w, "", problems)
		writeProblems(w, "warning: ", warnings)
		if len(problems) == 0 {
			fmt.Fprintf(w, "%s: valid\n", path)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %d problem(s)", path, len(problems))
	}
	return nil
}

// validateConfigFile collects the problems of parsing, of Validate and of
// myid. err is for a file that cannot be read at all.
func validateConfigFile(path string) (problems, warnings []*config.Problem, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, perr := config.Parse(f, path)
	f.Close()
	if perr == nil {
		// Load adds the dynamic config file's lines and problems.
		var lcfg *config.Config
		if lcfg, perr = config.Load(path); perr == nil {
			cfg = lcfg
		}
	}
	if cfg == nil {
		return nil, nil, perr
	}
	if problems, err = asProblems(perr); err != nil {
		return nil, nil, err
	}
	vp, err := asProblems(cfg.Validate())
	if err != nil {
		return nil, nil, err
	}
	problems = append(problems, vp...)
	problems = append(problems, checkMyID(cfg)...)
	return problems, cfg.Warnings, nil
}

// checkMyID checks dataDir/myid of an ensemble member.
func checkMyID(cfg *config.Config) []*config.Problem {
	if cfg.DataDir == "" || len(cfg.Servers) == 0 {
		return nil
	}
	if st, err := os.Stat(cfg.DataDir); err != nil || !st.IsDir() {
		return nil
	}
	myid := filepath.Join(cfg.DataDir, "myid")
	id, ok, err := config.ReadMyID(cfg.DataDir)
	switch {
	case err != nil:
		return []*config.Problem{{Source: myid, Msg: err.Error()}}
	case !ok:
		return []*config.Problem{{Source: myid, Msg: "does not exist; an ensemble member needs its server id there"}}
	}
	if _, found := cfg.Server(id); !found {
		return []*config.Problem{{Source: myid, Msg: "server id " + strconv.FormatInt(id, 10) + " has no server." +
			strconv.FormatInt(id, 10) + " line in " + cfg.File}}
	}
	return nil
}

// asProblems splits the joined error of the config package into its
// problems; an error that is no *config.Problem is returned as such.
func asProblems(err error) ([]*config.Problem, error) {
	if err == nil {
		return nil, nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []*config.Problem
	for _, e := range errs {
		var p *config.Problem
		if !errors.As(e, &p) {
			return nil, e
		}
		out = append(out, p)
	}
	return out, nil
}

func writeProblems(w io.Writer, prefix string, ps []*config.Problem) {
	for _, p := range ps {
		fmt.Fprintln(w, prefix+p.Error())
	}
}

func toProblemJSON(ps []*config.Problem) []problemJSON {
	out := make([]problemJSON, len(ps))
	for i, p := range ps {
		out[i] = problemJSON{p.Source, p.Line, p.Key, p.Msg}
	}
	return out
}
