package admin

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/zkraft/zkraft/server"
)

// ZooKeeper 3.9's "snapshot" command (alias "snap") streams a snapshot of
// the server's tree. zkraft streams its own snapshot format (what "zkraft
// snapshot save" fetches and "zkraft snapshot restore" seeds a new server
// with), with the last zxid in the last_zxid header as ZooKeeper does.
// ?streaming=false answers JSON with the zxid and size instead.
const snapshotCommand = "snapshot"

func init() {
	aliases["snap"] = snapshotCommand
	// Listed with the others; serveCommand sends it to serveSnapshot, as
	// its answer is a stream rather than a JSON object.
	commands[snapshotCommand] = command{run: func(*server.Server, *http.Request) (object, string) {
		return nil, "the snapshot command streams"
	}}
}

// serveSnapshot answers the snapshot command.
func (a *Server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	if !a.admit(w, r, snapshotCommand, &a.snapshot) {
		return
	}
	if !a.zk.Serving() {
		a.writeJSON(w, snapshotCommand, object{{"command", snapshotCommand}, {"error", server.NotServingMessage}})
		return
	}
	streaming := true
	if s := r.URL.Query().Get("streaming"); s != "" {
		var err error
		if streaming, err = strconv.ParseBool(s); err != nil {
			http.Error(w, fmt.Sprintf("streaming=%q is not a boolean", s), http.StatusBadRequest)
			return
		}
	}
	pin := a.zk.PinTree()
	zxid := "0x" + strconv.FormatInt(pin.LastZxid(), 16)
	if !streaming {
		n := &countingWriter{}
		if err := pin.Save(n); err != nil {
			a.writeJSON(w, snapshotCommand, object{{"command", snapshotCommand}, {"error", err.Error()}})
			return
		}
		a.writeJSON(w, snapshotCommand, object{{"last_zxid", zxid}, {"snapshot_size", n.n},
			{"command", snapshotCommand}, {"error", nil}})
		return
	}
	// A large tree takes longer than the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="snapshot.`+zxid[2:]+`"`)
	w.Header().Set("last_zxid", zxid)
	if r.Method == http.MethodHead {
		return
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := pin.Save(bw); err == nil {
		err = bw.Flush()
	} else {
		// Headers are gone: a cut stream fails the reader's CRC check.
		a.log.Warn("admin: streaming a snapshot", "err", err)
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
