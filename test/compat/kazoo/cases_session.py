"""kazoo cases: connection and session handling: read-only connect,
oversized requests, session takeover, session timeout, server restart
(last: it restarts the suite's server)."""

import os
import signal
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import ConnectionLoss
from kazoo.protocol.states import EventType

from harness import CONNECT, WAIT, check, client, eq, wait_event, wait_until


def case_read_only_and_limits(root):
    """A read-only capable client connects to a read-write server; a request
    over jute.maxbuffer costs the connection, not the session."""
    r = client(read_only=True)
    eq(r.command(b"isro"), "rw", "isro")
    r.create(root + "/big", b"x" * (1024 * 1024 - 200))
    eq(r.get(root + "/big")[1].data_length, 1024 * 1024 - 200, "just under 1 MiB stored")
    states = _states(r)
    session = r.client_id[0]
    try:
        r.set(root + "/big", b"y" * (1024 * 1024))
        raise AssertionError("a request over jute.maxbuffer succeeded")
    except ConnectionLoss:
        pass
    wait_until(lambda: r.connected, "reconnect after the oversized request")
    eq(r.client_id[0], session, "same session after the dropped connection")
    check(KazooState.LOST not in states, "session lost")
    eq(r.get(root + "/big")[0][:1], b"x", "the oversized write was not applied")


def _states(c):
    states = []
    lock = threading.Lock()

    def listener(state):
        with lock:
            states.append(state)

    c.add_listener(listener)
    return states


def case_session_expiry(root):
    a = client()
    watcher = client()
    states = _states(a)
    a.create(root + "/eph", ephemeral=True)
    old = a.client_id
    gone = threading.Event()
    watcher.exists(root + "/eph", watch=lambda ev: gone.set() if ev.type == EventType.DELETED else None)
    # A second client on the same session takes it over and closes it: the
    # server ends the session, and a's next reconnect is told it expired.
    thief = KazooClient(hosts=CONNECT, client_id=old, timeout=10.0)
    thief.start(timeout=WAIT)
    eq(thief.client_id[0], old[0], "the second client resumed the same session")
    thief.stop()
    thief.close()
    wait_event(gone, "the ephemeral of the closed session deleted")
    wait_until(lambda: KazooState.LOST in states, "a to see its session LOST (states %r)" % (states,))
    wait_until(lambda: a.connected and a.client_id and a.client_id[0] != old[0], "a to reconnect with a new session")
    check(a.exists(root + "/eph") is None, "the old session's ephemeral is gone")
    a.create(root + "/eph", ephemeral=True)
    eph = a.exists(root + "/eph")
    eq(eph.owner_session_id, a.client_id[0], "the new ephemeral belongs to the new session")


_PAUSED_CLIENT = r"""
import sys, time
from kazoo.client import KazooClient, KazooState
states = []
c = KazooClient(hosts=sys.argv[1], timeout=2.0)
c.add_listener(lambda s: states.append(s))
c.start(timeout=10)
c.create(sys.argv[2], ephemeral=True)
print("session %x" % c.client_id[0], flush=True)
sys.stdin.readline()  # the parent SIGSTOPs us here, then SIGCONTs and writes a line
deadline = time.monotonic() + 15
while time.monotonic() < deadline and not (KazooState.LOST in states and c.connected):
    time.sleep(0.05)
print("states %s connected %s session %x" % (",".join(states), c.connected, c.client_id[0]), flush=True)
c.stop()
"""


def case_session_timeout(root):
    """A client process that stops (SIGSTOP, as in a long GC pause) misses
    its pings: the server expires the session after its 2 s timeout and
    deletes its ephemeral; once resumed, the client learns its session
    is LOST and starts a new one."""
    watcher = client()
    gone = threading.Event()
    proc = subprocess.Popen([sys.executable, "-c", _PAUSED_CLIENT, CONNECT, root + "/eph"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        check(line.startswith("session "), "child client started: %r" % line)
        old = int(line.split()[1], 16)
        check(watcher.exists(root + "/eph", watch=lambda ev: gone.set()) is not None, "ephemeral created")
        proc.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        wait_event(gone, "the paused client's session to expire", within=15)
        took = time.monotonic() - started
        check(watcher.exists(root + "/eph") is None, "ephemeral deleted by the expiry")
        check(took >= 1.0, "session expired after %.1fs, before its 2 s timeout" % took)
        proc.send_signal(signal.SIGCONT)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        check("LOST" in line and "connected True" in line, "child after resume: %r" % line)
        new = int(line.split()[-1], 16)
        check(new != old, "child reconnected with a new session")
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(5)


def case_server_restart(root):
    """Last: restarts the suite's server. The session survives, kazoo
    re-sends its watches (setWatches), and they fire after the restart."""
    server_dir = os.environ.get("ZK_SERVER_DIR")
    lib = os.environ.get("COMPAT_LIB")
    check(server_dir and lib, "ZK_SERVER_DIR and COMPAT_LIB set by the runner")
    a = client()
    states = _states(a)
    a.create(root + "/eph", ephemeral=True)
    a.create(root + "/data", b"0")
    fired = threading.Event()
    a.get(root + "/data", watch=lambda ev: fired.set())
    session = a.client_id[0]
    restart = subprocess.run(
        ["bash", "-c", '. "$1"; compat_server_stop "$2" && compat_server_start "$2"', "_", lib, server_dir],
        capture_output=True, text=True, timeout=90,
    )
    check(restart.returncode == 0, "restart failed: %s" % restart.stderr[-500:])
    wait_until(lambda: KazooState.SUSPENDED in states and a.connected, "a to reconnect (states %r)" % (states,), 20)
    check(KazooState.LOST not in states, "the session was lost over a restart")
    eq(a.client_id[0], session, "same session after the restart")
    check(a.exists(root + "/eph") is not None, "ephemeral kept over the restart")
    b = client()
    b.set(root + "/data", b"1")
    wait_event(fired, "the data watch re-registered after the reconnect")
