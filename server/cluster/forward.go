package cluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// The forwarding protocol. A follower keeps one connection to the leader's
// quorum port (first byte ProtoForward) and pipelines requests on it; the
// leader answers each in request order. Frames:
//
//	request:  len uint32 | kind byte | seq uint64 | payload
//	response: len uint32 | seq uint64 | status byte | payload
//
// len counts the bytes after itself. Writes are proposed in the order they
// arrive, so one follower's writes reach the log in the order it sent them.

// Request kinds.
const (
	// KindWrite carries a raft log entry to propose; the response comes once
	// the leader's apply future completes. Its payload is whatever the
	// leader's Handler made of the outcome (zkraft: the index and term of the
	// committed entry, see Forwarder.OnWriteDone).
	KindWrite byte = 1
	// KindTouch carries session ids (int64 each) that clients of the
	// follower were heard from; the leader renews them.
	KindTouch byte = 2
	// KindSync asks for a zxid: every entry committed before the request
	// arrived is at or below it. The response payload is that int64.
	KindSync byte = 3
)

// Response statuses.
const (
	statusOK        byte = 0
	statusNotLeader byte = 1
	statusFailed    byte = 2
)

// maxFrame bounds a forwarding frame; a write entry is at most
// jute.maxbuffer plus its header, far below this.
const maxFrame = 64 << 20

var (
	// ErrNotLeader: the member the request reached no longer leads.
	ErrNotLeader = errors.New("cluster: not the leader")
	// ErrNoLeader: no leader is known (an election is going on, or this
	// member is cut off from the quorum).
	ErrNoLeader = errors.New("cluster: no leader")
	// ErrConnLost: the connection to the leader broke before the answer
	// came; the request may or may not have been applied.
	ErrConnLost = errors.New("cluster: connection to the leader lost")
)

// Handler is what the leader side does with forwarded requests.
type Handler interface {
	// Propose hands entry to raft without waiting and returns its pending
	// outcome; the payload goes back with the answer.
	Propose(entry []byte) Outcome
	// Touch renews the sessions a follower's clients were heard from.
	Touch(ids []int64)
	// SyncZxid returns a zxid covering every entry committed so far,
	// after making sure this member still leads.
	SyncZxid() (int64, error)
}

// Outcome is a proposal's pending answer.
type Outcome struct {
	// Wait waits for the answer.
	Wait func() ([]byte, error)
	// Settled, when not nil, is closed once Wait would return at once. The
	// leader applies a batch of proposals together; the responder waits
	// for the batch rather than for each proposal, and writes the batch's
	// answers in one go. Nil: not known in advance.
	Settled <-chan struct{}
}

// SettledNow is an Outcome's Settled for an answer that is there already.
var SettledNow <-chan struct{} = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Serve answers forwarding connections accepted from l until l is closed.
func Serve(l net.Listener, h Handler, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		go serveConn(nc, h, logger)
	}
}

type answer struct {
	seq uint64
	Outcome
}

func serveConn(nc net.Conn, h Handler, logger *slog.Logger) {
	defer nc.Close()
	answers := make(chan answer, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		respond(nc, answers)
	}()
	defer func() {
		close(answers)
		<-done
	}()
	br := bufio.NewReaderSize(nc, 64<<10)
	for {
		kind, seq, payload, err := readRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				logger.Debug("forwarding connection closed", "remote", nc.RemoteAddr().String(), "err", err)
			}
			return
		}
		var a answer
		a.seq = seq
		switch kind {
		case KindWrite:
			a.Outcome = h.Propose(payload)
		case KindTouch:
			ids := make([]int64, len(payload)/8)
			for i := range ids {
				ids[i] = int64(binary.BigEndian.Uint64(payload[8*i:]))
			}
			h.Touch(ids)
			a.Outcome = Outcome{Wait: func() ([]byte, error) { return nil, nil }, Settled: SettledNow}
		case KindSync:
			// Asked in order with the writes before it, so a sync answers
			// after them; the barrier itself runs on the responder.
			a.Wait = func() ([]byte, error) {
				z, err := h.SyncZxid()
				return binary.BigEndian.AppendUint64(nil, uint64(z)), err
			}
		default:
			logger.Warn("forwarding request of unknown kind; closing", "remote", nc.RemoteAddr().String(), "kind", kind)
			return
		}
		answers <- a
	}
}

// respond writes the answers in request order. Answers that are there go
// out together: before waiting for one that is not, it flushes what it has,
// and so it does once no request waits. An answer whose batch is known
// (Settled) is waited for as part of it: one wake-up and one write for the
// batch's answers to this member, not one for each.
func respond(nc net.Conn, answers <-chan answer) {
	bw := bufio.NewWriterSize(nc, 64<<10)
	broken := false
	flush := func() {
		if broken || bw.Buffered() == 0 {
			return
		}
		nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := bw.Flush(); err != nil {
			broken = true
			nc.Close()
		}
	}
	for a := range answers {
		if !settled(a.Settled) {
			flush()
			if a.Settled != nil {
				<-a.Settled
			}
		}
		payload, err := a.Wait()
		if broken {
			continue // drain, so the reader never blocks on a dead peer
		}
		status := statusOK
		switch {
		case errors.Is(err, ErrNotLeader):
			status, payload = statusNotLeader, nil
		case err != nil:
			status, payload = statusFailed, []byte(err.Error())
		}
		var hdr [13]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(9+len(payload)))
		binary.BigEndian.PutUint64(hdr[4:], a.seq)
		hdr[12] = status
		bw.Write(hdr[:])
		bw.Write(payload)
		if len(answers) == 0 {
			flush()
		}
	}
	flush()
}

// settled reports whether c is closed (false for nil).
func settled(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func readRequest(br *bufio.Reader) (kind byte, seq uint64, payload []byte, err error) {
	var hdr [13]byte
	if _, err = io.ReadFull(br, hdr[:4]); err != nil {
		return
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 9 || n > maxFrame {
		return 0, 0, nil, fmt.Errorf("cluster: forwarding frame of %d bytes", n)
	}
	if _, err = io.ReadFull(br, hdr[4:13]); err != nil {
		return
	}
	kind = hdr[4]
	seq = binary.BigEndian.Uint64(hdr[5:13])
	payload = make([]byte, n-9)
	_, err = io.ReadFull(br, payload)
	return
}
