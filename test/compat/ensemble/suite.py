"""ensemble suite: kazoo against a 3-member ensemble of the target (run.sh
made it under $ENSEMBLE_DIR/1..3 with readonlymode.enabled and
reconfigEnabled). One case per function named case_*, run in file order,
each under its own root node and bounded in time; after each case every
member is started again if the case stopped it. Prints the suite contract's
PASS/FAIL lines (see ../README.md)."""

import logging
import os
import socket
import subprocess
import sys
import threading
import time

ENS = os.environ["ENSEMBLE_DIR"]
MEMBERS = (1, 2, 3)


def addr(k):
    with open(os.path.join(ENS, str(k), "addr")) as f:
        return f.read().strip()


# The kazoo suite's harness, on the whole ensemble's connect string.
os.environ["ZK_CONNECT"] = ",".join(addr(k) for k in MEMBERS)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kazoo"))

from kazoo.client import KazooClient, KazooState  # noqa: E402
from kazoo.exceptions import (  # noqa: E402
    BadVersionError,
    ConnectionLoss,
    NodeExistsError,
    NotReadOnlyCallError,
    SessionExpiredError,
)
from kazoo.handlers.threading import KazooTimeoutError  # noqa: E402
from kazoo.protocol.states import KeeperState  # noqa: E402

from harness import check, client, eq, open_clients, run_case, stop_clients, wait_event, wait_until  # noqa: E402

SUITE = "ensemble"
CASE_TIMEOUT = 60.0


def four(k, word, within=5.0):
    """The answer of member k to a four-letter word ('' if it answers none)."""
    host, port = addr(k).rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=within) as s:
            s.settimeout(within)
            s.sendall(word.encode())
            out = b""
            while True:
                b = s.recv(4096)
                if not b:
                    return out.decode(errors="replace")
                out += b
    except OSError:
        return ""


def mode(k):
    for line in four(k, "srvr").splitlines():
        if line.startswith("Mode: "):
            return line[len("Mode: "):].strip()
    return ""


def zxid(k):
    for line in four(k, "srvr").splitlines():
        if line.startswith("Zxid: "):
            return int(line[len("Zxid: "):], 16)
    return -1


def lib(fn, k):
    """Runs lib.sh's fn on member k's directory; raises if it fails."""
    r = subprocess.run(["bash", "-c", '. "$1"; %s "$2"' % fn, "_", os.environ["COMPAT_LIB"], os.path.join(ENS, str(k))],
                       capture_output=True, text=True, timeout=90)
    check(r.returncode == 0, "%s member %d: %s" % (fn, k, r.stderr[-500:]))


def running(k):
    return os.path.exists(os.path.join(ENS, str(k), "pid"))


def leader():
    for k in MEMBERS:
        if mode(k) == "leader":
            return k
    return 0


def wait_leader(within=30):
    wait_until(lambda: leader() != 0, "a leader", within)
    return leader()


def serving(k):
    return mode(k) in ("leader", "follower", "observer")


def followers():
    return [k for k in MEMBERS if mode(k) == "follower"]


def states(c):
    seen = []
    c.add_listener(lambda s: seen.append(s))
    return seen


def peer_of(c):
    """host:port of the member c is connected to."""
    h, p = c._connection._socket.getpeername()[:2]
    return "%s:%d" % (h, p)


def config_lines(data):
    return sorted(line for line in data.decode().splitlines() if line.strip())


def case_replication(root):
    """Writes through any member reach every member; a watch on one member
    fires for a write through another; all members end on one zxid."""
    eq(sorted(mode(k) for k in MEMBERS), ["follower", "follower", "leader"], "modes of the three members")
    cs = {k: client(hosts=addr(k)) for k in MEMBERS}
    for k in MEMBERS:
        cs[k].create("%s/from-%d" % (root, k), str(k).encode())
    for k in MEMBERS:
        cs[k].sync(root)
        eq(sorted(cs[k].get_children(root)), ["from-1", "from-2", "from-3"], "children seen through member %d" % k)
        eq(cs[k].get(root + "/from-1")[0], b"1", "data seen through member %d" % k)
    fired = threading.Event()
    cs[2].get(root + "/from-1", watch=lambda ev: fired.set())
    cs[3].set(root + "/from-1", b"x")
    wait_event(fired, "a watch on member 2 to fire for a set through member 3")
    eq(cs[2].get(root + "/from-1")[0], b"x", "member 2 after its watch fired")
    wait_until(lambda: len({zxid(k) for k in MEMBERS}) == 1, "the members to reach one zxid")


def case_session_moves(root):
    """A client whose member stops moves to the next one with its session,
    ephemerals and watches."""
    f = followers()[0]
    order = [f] + [k for k in MEMBERS if k != f]
    a = client(hosts=",".join(addr(k) for k in order), randomize_hosts=False)
    eq(peer_of(a), addr(f), "the member a connected to")
    seen = states(a)
    session = a.client_id[0]
    a.create(root + "/eph", ephemeral=True)
    a.create(root + "/w", b"0")
    data_fired, child_fired = threading.Event(), threading.Event()
    a.get(root + "/w", watch=lambda ev: data_fired.set())
    a.get_children(root, watch=lambda ev: child_fired.set())
    lib("compat_server_stop", f)
    wait_until(lambda: a.connected and peer_of(a) != addr(f), "a to reconnect to another member", 20)
    check(KazooState.LOST not in seen, "the session was lost when its member stopped (states %r)" % (seen,))
    eq(a.client_id[0], session, "the session after the move")
    other = [k for k in MEMBERS if k != f and addr(k) != peer_of(a)][0]
    b = client(hosts=addr(other))
    b.sync(root)
    check(b.exists(root + "/eph") is not None, "the ephemeral after its session moved")
    b.set(root + "/w", b"1")
    wait_event(data_fired, "the data watch set before the move")
    b.create(root + "/new")
    wait_event(child_fired, "the child watch set before the move")
    a.create(root + "/after-move")
    lib("compat_server_start", f)


def case_leader_kill(root):
    """SIGKILL of the leader: a new leader, writes accepted again within
    seconds, the session and its ephemeral kept, and the killed member
    rejoins and catches up."""
    old = leader()
    check(old != 0, "a leader before the kill")
    rest = [k for k in MEMBERS if k != old]
    a = client()
    seen = states(a)
    session = a.client_id[0]
    a.create(root + "/eph", ephemeral=True)
    start = time.monotonic()
    lib("compat_server_kill", old)
    first = None
    deadline = start + 30
    while first is None:
        check(time.monotonic() < deadline, "no write accepted within 30 s of the kill")
        try:
            a.create(root + "/after")
            first = time.monotonic() - start
        except NodeExistsError:  # a retry of a create that went through
            first = time.monotonic() - start
        except (ConnectionLoss, SessionExpiredError) as e:
            if isinstance(e, SessionExpiredError):
                raise AssertionError("the session expired over the failover")
            time.sleep(0.05)
    print("ensemble/leader_kill: first write accepted %.1f s after SIGKILL of member %d" % (first, old))
    new = wait_leader()
    check(new in rest, "the new leader %d is one of the survivors %r" % (new, rest))
    eq(a.client_id[0], session, "the session after the failover")
    check(KazooState.LOST not in seen, "the session was lost over the failover (states %r)" % (seen,))
    b = client(hosts=addr(rest[0]))
    check(b.exists(root + "/eph") is not None, "the ephemeral after the failover")
    lib("compat_server_start", old)
    c = client(hosts=addr(old))
    c.sync(root)
    check(c.exists(root + "/after") is not None, "the restarted member caught up")


def case_read_only(root):
    """A member cut off from the quorum serves reads to clients that allow
    read-only mode, refuses writes and other clients, and returns to normal
    when the quorum is back."""
    a = client()
    a.create(root + "/ro", b"x")
    a.sync(root)
    k = followers()[0]
    others = [m for m in MEMBERS if m != k]
    wait_until(lambda: zxid(k) == zxid(leader()), "member %d to catch up" % k)
    for m in others:
        lib("compat_server_stop", m)
    wait_until(lambda: mode(k) == "read-only", "member %d to turn read-only (mode %r)" % (k, mode(k)), 30)
    eq(four(k, "isro"), "ro", "isro of the read-only member")
    r = client(hosts=addr(k), read_only=True)
    rseen = states(r)
    rsession = r.client_id[0]
    eq(r.client_state, KeeperState.CONNECTED_RO, "the state of a read-only client")
    eq(r.get(root + "/ro")[0], b"x", "a read on the read-only member")
    try:
        r.create(root + "/refused")
        raise AssertionError("a create on the read-only member succeeded")
    except NotReadOnlyCallError:
        pass
    rw = KazooClient(hosts=addr(k), timeout=10.0)
    try:
        rw.start(timeout=3)
        raise AssertionError("a client that does not allow read-only mode connected")
    except KazooTimeoutError:
        pass
    finally:
        rw.stop()
        rw.close()
    for m in others:
        lib("compat_server_start", m)
    wait_until(lambda: serving(k), "member %d to rejoin the quorum (mode %r)" % (k, mode(k)), 30)
    eq(four(k, "isro"), "rw", "isro once the quorum is back")

    def created():
        try:
            r.create(root + "/rw")
            return True
        except NodeExistsError:
            return True
        except (NotReadOnlyCallError, ConnectionLoss, SessionExpiredError):
            return False

    wait_until(created, "the read-only client to find the read-write server and write", 30)
    # The read-only session was the member's own; as on ZooKeeper, kazoo
    # gets a new one from the read-write server.
    check(r.client_id[0] != rsession and KazooState.LOST in rseen,
          "the read-only session %x kept on the read-write server (states %r)" % (rsession, rseen))


def case_reconfig(root):
    """Incremental reconfig as the super user, through the member it
    removes: remove a follower, the fromConfig version check, add it back;
    /zookeeper/config follows in ZooKeeper's format and the member serves
    again."""
    # The super user's client sits on the follower it removes: the answer
    # must reach it there before that member stops serving.
    f = followers()[0]
    admin = client(hosts=",".join(addr(k) for k in [f] + [m for m in MEMBERS if m != f]), randomize_hosts=False)
    eq(peer_of(admin), addr(f), "the member the super user's client connected to")
    admin.add_auth("digest", os.environ.get("ZK_SUPER_AUTH", "super:superpw"))
    data, _ = admin.get("/zookeeper/config")
    lines = config_lines(data)
    servers = [line for line in lines if line.startswith("server.")]
    eq(len(servers), 3, "server lines of /zookeeper/config (%r)" % lines)
    version = [line for line in lines if line.startswith("version=")]
    eq(len(version), 1, "version line of /zookeeper/config (%r)" % lines)
    for k in MEMBERS:
        want = "server.%d=" % k
        line = [s for s in servers if s.startswith(want)]
        check(line and line[0].endswith(";" + addr(k)), "member %d's line names its client address: %r" % (k, line))
    line = [s for s in servers if s.startswith("server.%d=" % f)][0]
    new, _ = admin.reconfig(joining=None, leaving=str(f), new_members=None)
    after = config_lines(new)
    check(not any(s.startswith("server.%d=" % f) for s in after), "server.%d left in %r" % (f, after))
    eq(len([s for s in after if s.startswith("server.")]), 2, "server lines after the removal (%r)" % after)
    check(after != lines and any(s.startswith("version=") for s in after), "a new version after the removal: %r" % after)
    # The removed member stops serving; what follows goes through the rest
    # (a request sent through it meanwhile may be cut, on ZooKeeper too).
    admin = client(hosts=",".join(addr(k) for k in MEMBERS if k != f))
    admin.add_auth("digest", os.environ.get("ZK_SUPER_AUTH", "super:superpw"))
    admin.sync("/zookeeper/config")
    eq(config_lines(admin.get("/zookeeper/config")[0]), after, "/zookeeper/config read by another client")
    try:
        old = int(version[0][len("version="):], 16)
        admin.reconfig(joining=None, leaving=str(leader()), new_members=None, from_config=old)
        raise AssertionError("a reconfig from the old config version %x succeeded" % old)
    except BadVersionError:
        pass
    back, _ = admin.reconfig(joining=line, leaving=None, new_members=None)
    check(line in config_lines(back), "server.%d back in %r" % (f, config_lines(back)))
    wait_until(lambda: serving(f), "member %d to serve again after it was added back (mode %r)" % (f, mode(f)), 30)
    c = client(hosts=addr(f))
    c.create(root + "/through-readded")
    c.sync(root)
    check(c.exists(root + "/through-readded") is not None, "a write through the re-added member")


def restore():
    """Starts every member a case left stopped and waits for a leader."""
    for k in MEMBERS:
        if not running(k):
            lib("compat_server_start", k)
    wait_until(lambda: all(serving(k) for k in MEMBERS) and leader() != 0, "all three members to serve", 40)
    if os.environ.get("ZK_TARGET", "zkraft") == "zkraft":
        # zkraft hands leadership to the highest server id for initLimit
        # ticks (5 s here) after an election (ZooKeeper's own election would
        # have picked it); modes read during that move disagree, and a
        # client pipelining writes through a follower can lose its
        # connection, so the next case starts once the leader is the
        # highest member or has led for longer than that.
        seen = {"leader": 0, "since": time.monotonic()}

        def settled():
            k = leader()
            if k != seen["leader"]:
                seen["leader"], seen["since"] = k, time.monotonic()
            return k == max(MEMBERS) or (k != 0 and time.monotonic() - seen["since"] > 5.5)

        wait_until(settled, "leadership to settle", 20)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cases = [(n[len("case_"):], f) for n, f in globals().items() if n.startswith("case_")]
    only = sys.argv[1:]
    passed = failed = 0
    for name, fn in cases:
        if only and name not in only:
            continue
        root = "/ensemble-" + name
        try:
            setup = client()
            setup.ensure_path(root)
            open_clients.remove(setup)
            setup.stop()
            setup.close()
        except Exception as e:
            print("FAIL %s/%s: setting up %s: %s" % (SUITE, name, root, e), flush=True)
            failed += 1
            break
        if run_case(SUITE, name, fn, root, CASE_TIMEOUT):
            passed += 1
        else:
            failed += 1
        stop_clients()
        try:
            restore()
        except BaseException as e:
            print("FAIL %s/%s-restore: %s" % (SUITE, name, str(e).replace("\n", " ")), flush=True)
            failed += 1
            break
    print("%s: %d passed, %d failed" % (SUITE, passed, failed), flush=True)
    sys.stdout.flush()
    os._exit(1 if failed else 0)


if __name__ == "__main__":
    main()
