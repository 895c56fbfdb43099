package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/config"
	"github.com/zkraft/zkraft/fsm"
)

func newSnapshotCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save, inspect and restore snapshots of a zkraft tree",
		Long: `Backups of a zkraft tree as snapshot files (zkraft's own format, CRC32C-sealed).

"save" fetches a consistent snapshot from a running server's AdminServer,
"inspect" summarises a zkraft or Apache ZooKeeper snapshot file, and
"restore" seeds the data directory of a new server (or of every member of
a new ensemble) so that it starts with the snapshot's tree.`,
		Example: `  zkraft snapshot save backup.snap --admin 127.0.0.1:8080
  zkraft snapshot inspect backup.snap
  zkraft snapshot restore backup.snap --data-dir /var/lib/zkraft-new`,
	}
	cmd.AddCommand(newSnapshotSaveCommand(), newSnapshotInspectCommand(), newSnapshotRestoreCommand())
	return cmd
}

type snapshotSaveOptions struct {
	outputOptions
	admin      string
	commandURL string
	auth       string
	timeout    time.Duration
}

func newSnapshotSaveCommand() *cobra.Command {
	o := &snapshotSaveOptions{}
	cmd := &cobra.Command{
		Use:   "save FILE",
		Short: "Save a consistent snapshot of a running server to FILE",
		Long: `Fetch a snapshot of a running server's tree through its AdminServer
("snapshot" command, as in ZooKeeper 3.9) and write it to FILE.

The snapshot is one consistent point in time of that server (on an ensemble
member, the writes it has applied). FILE is written through a temporary file
and renamed into place only after its checksum was verified, so an
interrupted save never leaves a partial FILE.

As in ZooKeeper 3.9, the server requires authentication (--auth, sent as
the Authorization header) with ALL permission on the root, and serves at
most one snapshot per admin.snapshot.intervalInMS (5 minutes by default).`,
		Example: `  zkraft snapshot save backup.snap --admin 127.0.0.1:8080 --auth digest:super:secret
  zkraft snapshot save backup.snap --admin http://zk1:8080 --auth ip --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	o.addFlags(cmd, false)
	f := cmd.Flags()
	f.StringVar(&o.admin, "admin", "", "AdminServer address of the server, host:port or URL (required)")
	f.StringVar(&o.commandURL, "command-url", "/commands", "the AdminServer's admin.commandURL")
	f.StringVar(&o.auth, "auth", "", `credentials: "digest:user:password", or "ip" (the caller's address)`)
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	_ = cmd.MarkFlagRequired("admin")
	return cmd
}

// snapshotSaveResult is what "snapshot save" reports.
type snapshotSaveResult struct {
	File     string `json:"file"`
	LastZxid string `json:"last_zxid"`
	Bytes    int64  `json:"bytes"`
	Znodes   int    `json:"znodes"`
	Sessions int    `json:"sessions"`
}

func (o *snapshotSaveOptions) run(cmd *cobra.Command, file string) error {
	if err := o.check(); err != nil {
		return err
	}
	base := o.admin
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	url := strings.TrimSuffix(base, "/") + o.commandURL + "/snapshot?streaming=true"
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if o.auth != "" {
		req.Header.Set("Authorization", adminAuthorization(o.auth))
	}
	client := &http.Client{Timeout: o.timeout}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching the snapshot: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("fetching the snapshot from %s: HTTP %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/octet-stream") {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s answered %s instead of a snapshot stream: %s", url, ct, strings.TrimSpace(string(body)))
	}
	res := snapshotSaveResult{File: file}
	err = config.WriteFileAtomic(file, func(f *os.File) error {
		n, err := io.Copy(f, resp.Body)
		if err != nil {
			return fmt.Errorf("receiving the snapshot: %w", err)
		}
		res.Bytes = n
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		img, err := fsm.ReadImage(f)
		if err != nil {
			return fmt.Errorf("the received snapshot does not check out: %w", err)
		}
		res.LastZxid = fmt.Sprintf("0x%x", img.LastZxid)
		res.Znodes, res.Sessions = len(img.Nodes), len(img.Sessions)
		return nil
	})
	if err != nil {
		return err
	}
	return o.print(cmd, res, func(w io.Writer) {
		fmt.Fprintf(w, "saved %s: %d bytes, %d znodes, %d sessions, last zxid %s\n",
			res.File, res.Bytes, res.Znodes, res.Sessions, res.LastZxid)
	})
}

// adminAuthorization turns --auth's "scheme:credentials" (the data
// commands' form) into the AdminServer's Authorization header value,
// "scheme credentials".
func adminAuthorization(auth string) string {
	scheme, cred, _ := strings.Cut(auth, ":")
	return strings.TrimSpace(scheme + " " + cred)
}
