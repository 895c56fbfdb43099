package test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestSessionExpiry: a session that stops pinging expires after its
// timeout; its ephemerals go and their watches fire for other clients; its
// resume attempt is refused with timeout 0.
func TestSessionExpiry(t *testing.T) {
	root := testRoot(t, shared)
	w := raw(t, shared)
	e := rawConnect(t, shared.Addr(), 1000, 0, nil, 0)
	if e.Timeout != 1000 {
		t.Fatalf("negotiated timeout %d, want 1000", e.Timeout)
	}
	if _, code := e.Create(root+"/eph", nil, worldAll, modeEphemeral); code != errOK {
		t.Fatal(code)
	}
	if _, code := e.Create(root+"/seq-", nil, worldAll, modeEphemeralSequential); code != errOK {
		t.Fatal(code)
	}
	if _, code := e.Create(root+"/keep", nil, worldAll, modePersistent); code != errOK {
		t.Fatal(code)
	}
	w.Exists(root+"/eph", true)
	w.GetChildren(root, true)

	e.StopPings()
	evs := w.WaitEvents(2, 10*time.Second)
	// The session may not expire before a full timeout has passed since the
	// client was last heard (less a little for the ping in flight); expiry is
	// checked once per tick, so allow a few ticks and scheduling slack above.
	took := time.Since(e.LastSend())
	if took < 950*time.Millisecond || took > 1000*time.Millisecond+8*tickTime+3*time.Second {
		t.Errorf("ephemerals went %v after the client's last frame, want about the 1s timeout", took)
	}
	seen := map[string]bool{}
	for _, s := range eventList(evs) {
		seen[s] = true
	}
	if !seen[ev(evNodeDeleted, root+"/eph")] || !seen[ev(evNodeChildrenChanged, root)] {
		t.Errorf("expiry events %q, want NodeDeleted %s and NodeChildrenChanged %s", eventList(evs), root+"/eph", root)
	}
	kids, _ := w.GetChildren(root, false)
	if !equalStrings(kids, []string{"keep"}) {
		t.Errorf("children after expiry %v, want only the persistent node", kids)
	}
	if !e.Closed(5 * time.Second) {
		t.Errorf("the server did not close the expired session's connection")
	}

	again, err := tryRawConnect(shared.Addr(), 1000, e.SessionID, e.Passwd, 0)
	if err != nil {
		t.Fatalf("resume attempt: %v", err)
	}
	defer again.Drop()
	if again.Timeout != 0 {
		t.Errorf("resuming an expired session: timeout %d session %#x, want timeout 0", again.Timeout, again.SessionID)
	}
	if !again.Closed(5 * time.Second) {
		t.Errorf("the server kept the connection of a refused resume open")
	}
}

// TestSessionExpiryAfterDisconnect: a client that goes away without closing
// its session loses its ephemerals once the timeout passes.
func TestSessionExpiryAfterDisconnect(t *testing.T) {
	root := testRoot(t, shared)
	e := rawConnect(t, shared.Addr(), 1000, 0, nil, 0)
	e.Create(root+"/eph", nil, worldAll, modeEphemeral)
	c := connect(t, shared)
	_, _, ch, err := c.ExistsW(root + "/eph")
	if err != nil {
		t.Fatal(err)
	}
	e.Drop()
	wantZkEvent(t, ch, zk.EventNodeDeleted, root+"/eph")
}

// TestSessionClose: closing a session removes its ephemerals at once and
// fires their watches; the session cannot be resumed.
func TestSessionClose(t *testing.T) {
	root := testRoot(t, shared)
	c := connect(t, shared)
	e := raw(t, shared)
	e.Create(root+"/eph", nil, worldAll, modeEphemeral)
	_, _, ch, err := c.ExistsW(root + "/eph")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "closeSession", e.CloseSession(), errOK)
	wantZkEvent(t, ch, zk.EventNodeDeleted, root+"/eph")
	if ok, _, _ := c.Exists(root + "/eph"); ok {
		t.Errorf("the closed session's ephemeral is still there")
	}
	if !e.Closed(5 * time.Second) {
		t.Errorf("the server did not close the connection after closeSession")
	}
	again, err := tryRawConnect(shared.Addr(), 10000, e.SessionID, e.Passwd, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Drop()
	if again.Timeout != 0 {
		t.Errorf("resuming a closed session: timeout %d, want 0", again.Timeout)
	}
}

// TestSessionTimeoutNegotiation: the server clamps the requested timeout to
// [minSessionTimeout, maxSessionTimeout] and hands out a 16-byte password.
func TestSessionTimeoutNegotiation(t *testing.T) {
	minMs, maxMs := int32(minSessionTimeout.Milliseconds()), int32(maxSessionTimeout.Milliseconds())
	for _, tc := range []struct{ ask, want int32 }{
		{1, minMs}, {minMs - 1, minMs}, {minMs, minMs}, {minMs + 1, minMs + 1},
		{10000, 10000}, {maxMs, maxMs}, {maxMs + 1, maxMs}, {600000, maxMs},
	} {
		r := rawConnect(t, shared.Addr(), tc.ask, 0, nil, 0)
		if r.Timeout != tc.want || r.SessionID == 0 || len(r.Passwd) != 16 {
			t.Errorf("asked %dms: timeout %d session %#x password %d bytes; want %dms, a session and 16 bytes",
				tc.ask, r.Timeout, r.SessionID, len(r.Passwd), tc.want)
		}
		r.CloseSession()
	}
}

// TestSessionResumeRefused: a wrong password or an unknown session id gets
// a ConnectResponse with timeout 0 and a closed connection; a client that has
// seen a newer zxid than the server is refused without an answer; the right
// password resumes.
func TestSessionResumeRefused(t *testing.T) {
	r := raw(t, shared)
	r.Drop()
	bad := append([]byte(nil), r.Passwd...)
	bad[0] ^= 0xff
	for _, tc := range []struct {
		name   string
		id     int64
		passwd []byte
	}{{"wrong password", r.SessionID, bad}, {"unknown session", r.SessionID ^ 0x5a5a5a, r.Passwd}} {
		c, err := tryRawConnect(shared.Addr(), 10000, tc.id, tc.passwd, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.Timeout != 0 {
			t.Errorf("%s: timeout %d session %#x, want timeout 0", tc.name, c.Timeout, c.SessionID)
		}
		if !c.Closed(5 * time.Second) {
			t.Errorf("%s: connection left open", tc.name)
		}
		c.Drop()
	}

	c, err := tryRawConnect(shared.Addr(), 10000, 0, nil, 1<<50)
	if err == nil {
		c.Drop()
		t.Errorf("a client ahead of the server (lastZxidSeen 2^50) got a session %#x, want the connection closed", c.SessionID)
	}

	good := rawConnect(t, shared.Addr(), 10000, r.SessionID, r.Passwd, 0)
	if good.SessionID != r.SessionID || good.Timeout != 10000 {
		t.Fatalf("resume with the right password: session %#x timeout %d", good.SessionID, good.Timeout)
	}
	if _, code := good.Exists("/", false); code != errOK {
		t.Errorf("resumed session cannot read: %d", code)
	}
}

// TestSessionSurvivesRestart: after a server restart the client reconnects
// with the same session; its ephemerals are still there and it can go on.
func TestSessionSurvivesRestart(t *testing.T) {
	tg := startTarget(t)
	c := connect(t, tg)
	sid := c.SessionID()
	mustCreate(t, c, "/eph", []byte("e"), zk.FlagEphemeral)
	r := raw(t, tg)
	mustRawCreate(t, r, "/raweph", modeEphemeral)
	rsid, rpw, rzxid := r.SessionID, r.Passwd, r.LastZxid()

	tg.Restart(t)
	c.waitState(t, zk.StateHasSession, 20*time.Second)
	if c.SessionID() != sid {
		t.Fatalf("session after restart %#x, want %#x", c.SessionID(), sid)
	}
	_, st, err := c.Get("/eph")
	if err != nil || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral after restart: %+v, %v", st, err)
	}
	mustCreate(t, c, "/eph2", nil, zk.FlagEphemeral)

	r2 := rawConnect(t, tg.Addr(), 10000, rsid, rpw, rzxid)
	if r2.SessionID != rsid || r2.Timeout == 0 {
		t.Fatalf("raw resume after restart: session %#x timeout %d, want %#x", r2.SessionID, r2.Timeout, rsid)
	}
	if st, code := r2.Exists("/raweph", false); code != errOK || st.EphemeralOwner != rsid {
		t.Fatalf("raw session's ephemeral after restart: %+v %d", st, code)
	}
	// Closing the resumed session still removes its ephemerals.
	wantCode(t, "closeSession after restart", r2.CloseSession(), errOK)
	if ok, _, _ := c.Exists("/raweph"); ok {
		t.Errorf("ephemeral of a session closed after the restart is still there")
	}
}

// TestSessionExpiresAfterRestart: a session whose client never comes back
// expires after the restart too, and its ephemerals go.
func TestSessionExpiresAfterRestart(t *testing.T) {
	tg := startTarget(t)
	e := rawConnect(t, tg.Addr(), 1000, 0, nil, 0)
	mustRawCreate(t, e, "/eph", modeEphemeral)
	e.Drop()
	tg.Restart(t)
	c := connect(t, tg)
	waitFor(t, 10*time.Second, "the ephemeral of a session that did not come back to go", func() bool {
		ok, _, err := c.Exists("/eph")
		return err == nil && !ok
	})
}

func mustRawCreate(t testing.TB, r *rawConn, path string, flags int32) string {
	t.Helper()
	p, code := r.Create(path, nil, worldAll, flags)
	if code != errOK {
		t.Fatalf("create %s: %d", path, code)
	}
	return p
}

// TestResumeOnNewConnection: resuming a session on a second connection
// closes the first; authentication belongs to the connection, so the new
// one starts with only its ip identity.
func TestResumeOnNewConnection(t *testing.T) {
	root := testRoot(t, shared)
	r := raw(t, shared)
	if code, err := r.Auth("digest", []byte("dave:pw")); err != nil || code != errOK {
		t.Fatalf("auth: %d %v", code, err)
	}
	if _, code := r.Create(root+"/d", []byte("x"), zk.DigestACL(zk.PermAll, "dave", "pw"), 0); code != errOK {
		t.Fatal(code)
	}
	mustRawCreate(t, r, root+"/eph", modeEphemeral)
	r2 := rawConnect(t, shared.Addr(), 10000, r.SessionID, r.Passwd, r.LastZxid())
	if r2.SessionID != r.SessionID || r2.Timeout == 0 {
		t.Fatalf("resume: session %#x timeout %d", r2.SessionID, r2.Timeout)
	}
	if !r.Closed(5 * time.Second) {
		t.Errorf("the first connection of a resumed session is still open")
	}
	who, _ := r2.WhoAmI()
	if !equalStrings(who, []string{"ip:127.0.0.1"}) {
		t.Errorf("whoAmI on the new connection = %v, want only ip:127.0.0.1", who)
	}
	_, _, rep := r2.GetData(root+"/d", false)
	wantCode(t, "reading a digest node on the new connection before auth", rep.Err, errNoAuth)
	if st, code := r2.Exists(root+"/eph", false); code != errOK || st.EphemeralOwner != r.SessionID {
		t.Errorf("the session's ephemeral after the move: %+v %d", st, code)
	}
}
