package deploy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docker runs docker and the compose tool for one test: a unique image tag
// and compose project, so parallel runs do not clash.
type docker struct {
	t       *testing.T
	root    string   // repository root
	compose []string // "docker compose" or "docker-compose"
	image   string   // zkraft-test:<random>
	project string   // zkraft-test-<random>
	env     []string // ZKRAFT_IMAGE, ZKRAFT_PORT_n for compose
}

// requireDocker finds a working docker daemon and compose tool. Without them
// the test skips, except when CI=true: CI on this machine has docker, so its
// absence there is a failure.
func requireDocker(t *testing.T) *docker {
	t.Helper()
	missing := func(reason string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s", reason)
		}
		t.Skipf("skipping the container test: %s (set CI=true to make this a failure)", reason)
	}
	if _, err := exec.LookPath("docker"); err != nil {
		missing("no docker binary in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		missing(fmt.Sprintf("the docker daemon does not answer: %v: %s", err, bytes.TrimSpace(out)))
	}
	var compose []string
	if exec.CommandContext(ctx, "docker", "compose", "version").Run() == nil {
		compose = []string{"docker", "compose"}
	} else if path, err := exec.LookPath("docker-compose"); err == nil {
		compose = []string{path}
	} else {
		missing("neither `docker compose` nor docker-compose is installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	return &docker{t: t, root: root, compose: compose,
		image: "zkraft-test:" + suffix, project: "zkraft-test-" + suffix}
}

// run runs a command under ctx and returns its combined output, failing the
// test when it fails.
func (d *docker) run(ctx context.Context, env []string, name string, args ...string) string {
	d.t.Helper()
	out, err := d.try(ctx, env, name, args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

func (d *docker) try(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = d.root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// buildImage builds the static binary into a fresh build context and the
// image from deploy/Dockerfile, as deploy/README.md tells users to; the image
// is removed when the test ends.
func (d *docker) buildImage(ctx context.Context) {
	d.t.Helper()
	dir := d.t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rootfs", "data"), 0o755); err != nil {
		d.t.Fatal(err)
	}
	d.run(ctx, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-ldflags=-s -w",
		"-o", filepath.Join(dir, "zkraft"), "./cmd/zkraft")
	d.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := d.try(ctx, nil, "docker", "rmi", "-f", d.image); err != nil {
			d.t.Logf("removing the image: %v: %s", err, out)
		}
	})
	d.run(ctx, nil, "docker", "build", "-q", "-f", filepath.Join(d.root, "deploy", "Dockerfile"), "-t", d.image, dir)
}

// composeArgs prefixes the project, compose file and observer profile.
func (d *docker) composeArgs(args ...string) (string, []string) {
	all := append(append([]string{}, d.compose[1:]...),
		"-p", d.project, "-f", filepath.Join(d.root, "deploy", "docker-compose.yml"), "--profile", "observer")
	return d.compose[0], append(all, args...)
}

func (d *docker) composeRun(ctx context.Context, args ...string) string {
	d.t.Helper()
	name, all := d.composeArgs(args...)
	return d.run(ctx, d.env, name, all...)
}

// up starts the compose ensemble, observer included, with client ports
// published on the given loopback ports. Everything is torn down (volumes
// included) when the test ends; on failure the members' logs are printed
// first.
func (d *docker) up(ctx context.Context, ports []int) {
	d.t.Helper()
	d.env = []string{"ZKRAFT_IMAGE=" + d.image}
	for i, p := range ports {
		d.env = append(d.env, fmt.Sprintf("ZKRAFT_PORT_%d=%d", i+1, p))
	}
	d.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if d.t.Failed() {
			name, args := d.composeArgs("logs", "--no-color", "--tail", "60")
			out, _ := d.try(ctx, d.env, name, args...)
			d.t.Logf("member logs:\n%s", out)
		}
		name, args := d.composeArgs("down", "-v", "--remove-orphans", "-t", "5")
		if out, err := d.try(ctx, d.env, name, args...); err != nil {
			d.t.Logf("compose down: %v: %s", err, out)
		}
	})
	d.composeRun(ctx, "up", "-d")
}

// freePorts returns n distinct loopback ports free at the time of the call.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// mode asks the member on a loopback port for its srvr Mode line; "" when
// it does not answer (yet).
func mode(port int) string {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return ""
	}
	var buf bytes.Buffer
	buf.ReadFrom(conn)
	for line := range strings.Lines(buf.String()) {
		if m, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}
