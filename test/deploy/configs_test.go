package deploy_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zkraft/zkraft/config"
)

// The ensemble configurations in deploy/ (compose's zoo.cfg and myid files,
// the zoo.cfg in the Kubernetes ConfigMap) load without warnings and
// validate for every member they name. config's own test covers only
// deploy/*.cfg.
func TestEnsembleConfigs(t *testing.T) {
	deploy := filepath.Join("..", "..", "deploy")

	t.Run("compose", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(deploy, "compose", "zoo.cfg"))
		if err != nil {
			t.Fatal(err)
		}
		c := parse(t, string(data))
		if c.Participants() != 3 || len(c.Servers) != 4 {
			t.Fatalf("%d participants of %d servers, want 3 of 4", c.Participants(), len(c.Servers))
		}
		for _, s := range c.Servers {
			if want := "zk" + strconv.FormatInt(s.ID, 10); s.Host != want {
				t.Errorf("server.%d host %q, want the compose service %q", s.ID, s.Host, want)
			}
			myid, err := os.ReadFile(filepath.Join(deploy, "compose", "myid."+strconv.FormatInt(s.ID, 10)))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(myid)); got != strconv.FormatInt(s.ID, 10) {
				t.Errorf("myid.%d holds %q", s.ID, got)
			}
			validateAs(t, c, s.ID)
		}
	})

	t.Run("kubernetes", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(deploy, "kubernetes", "configmap.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		c := parse(t, literalBlock(t, string(data), "zoo.cfg: |"))
		if c.Participants() != 3 {
			t.Fatalf("%d participants, want 3", c.Participants())
		}
		for i, s := range c.Servers {
			// ids are the pod ordinals; hosts the pods' names under the headless Service
			if s.ID != int64(i) || !strings.HasPrefix(s.Host, "zkraft-"+strconv.Itoa(i)+".zkraft-hs.") {
				t.Errorf("server.%d=%s: want id %d on pod zkraft-%d", s.ID, s.Host, i, i)
			}
			validateAs(t, c, s.ID)
		}
	})
}

func parse(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings {
		t.Errorf("warning: %v", w)
	}
	if !c.Distributed() {
		t.Fatal("not an ensemble configuration")
	}
	return c
}

// validateAs validates c as read by member id (Validate checks the member
// against the server lines).
func validateAs(t *testing.T, c *config.Config, id int64) {
	t.Helper()
	member := *c
	member.ServerID = id
	if err := member.Validate(); err != nil {
		t.Errorf("as server.%d: %v", id, err)
	}
}

// literalBlock returns the YAML literal block scalar that follows the line
// ending in header, without its indentation.
func literalBlock(t *testing.T, yaml, header string) string {
	t.Helper()
	lines := strings.Split(yaml, "\n")
	for i, line := range lines {
		if !strings.HasSuffix(strings.TrimSpace(line), header) {
			continue
		}
		var indent string
		var out strings.Builder
		for _, l := range lines[i+1:] {
			if indent == "" {
				indent = l[:len(l)-len(strings.TrimLeft(l, " "))]
			}
			if indent == "" || !strings.HasPrefix(l, indent) {
				break
			}
			out.WriteString(strings.TrimPrefix(l, indent) + "\n")
		}
		return out.String()
	}
	t.Fatalf("no %q block", header)
	return ""
}
