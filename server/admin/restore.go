package admin

import (
	"net/http"
	"strconv"

	"github.com/zkraft/zkraft/server"
)

// ZooKeeper 3.9's "restore" command (alias "rest"): a POST whose body is a
// snapshot, as the snapshot command streams it, replaces the tree. zkraft
// takes its own snapshot format and restores through the log, so every
// member of the ensemble takes the same tree (server.RestoreTree; what is
// kept is in fsm/restore.go). The answer is ZooKeeper's: last_zxid, command
// and error.
const restoreCommand = "restore"

func init() {
	aliases["rest"] = restoreCommand
	// Listed with the others; serveCommand sends it to serveRestore, as it
	// takes a POST with a body.
	commands[restoreCommand] = command{run: func(*server.Server, *http.Request) (object, string) {
		return nil, "the restore command takes a POST with a snapshot as its body"
	}}
}

func (a *Server) serveRestore(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "restore takes a POST with a snapshot as its body", http.StatusMethodNotAllowed)
		return
	}
	if !a.admit(w, r, restoreCommand, &a.restore) {
		return
	}
	if !a.zk.Serving() {
		a.writeJSON(w, restoreCommand, object{{"command", restoreCommand}, {"error", server.NotServingMessage}})
		return
	}
	zxid, err := a.zk.RestoreTree(r.Body)
	if err != nil {
		a.log.Warn("admin: restore refused", "err", err)
		a.writeJSON(w, restoreCommand, object{{"command", restoreCommand}, {"error", err.Error()}})
		return
	}
	a.log.Info("admin: tree restored from a snapshot", "zxid", "0x"+strconv.FormatInt(zxid, 16))
	a.writeJSON(w, restoreCommand, object{{"last_zxid", zxid}, {"command", restoreCommand}, {"error", nil}})
}
