"""kazoo suite: kazoo's recipes, watches, transactions and session handling
against the server at $ZK_CONNECT. One case per function named case_*,
run in file order, each under its own root node and bounded in time.
Prints the suite contract's PASS/FAIL lines (see ../README.md).
"""

import logging
import os
import subprocess
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (
    BadVersionError,
    ConnectionLoss,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    LockTimeout,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)
from kazoo.protocol.states import EventType
from kazoo.security import make_digest_acl

SUITE = "kazoo"
CONNECT = os.environ["ZK_CONNECT"]
CASE_TIMEOUT = 30.0  # seconds per case
WAIT = 10.0  # seconds for any one expected event

_clients = []


def client(hosts=None, **kw):
    """A started client on the server under test, stopped after the case."""
    kw.setdefault("timeout", 10.0)
    c = KazooClient(hosts=hosts or CONNECT, **kw)
    c.start(timeout=WAIT)
    _clients.append(c)
    return c


def stop_clients():
    while _clients:
        c = _clients.pop()
        try:
            c.stop()
            c.close()
        except Exception:  # a client of a failed case may be in any state
            pass


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def wait_until(cond, what, within=WAIT):
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("waited %.0fs for %s" % (within, what))
        time.sleep(0.02)


def times_out(fn, what):
    try:
        fn()
    except LockTimeout:
        return
    raise AssertionError(what + ": did not time out")


def wait_event(ev, what, within=WAIT):
    if not ev.wait(within):
        raise AssertionError("waited %.0fs for %s" % (within, what))


def background(fn, *args):
    """Runs fn in a daemon thread; .result() re-raises its exception."""
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # handed to the caller
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()

    class Handle:
        def done(self):
            return not t.is_alive()

        def result(self, within=WAIT):
            t.join(within)
            check(not t.is_alive(), "background %s still running after %.0fs" % (fn.__name__, within))
            if "error" in box:
                raise box["error"]
            return box.get("value")

    return Handle()


# --- cases -----------------------------------------------------------------


def case_basic_ops(root):
    c = client()
    c.ensure_path(root + "/a/b/c")
    check(c.exists(root + "/a/b/c") is not None, "ensure_path made the whole path")
    path = c.create(root + "/n", b"v1")
    eq(path, root + "/n", "create path")
    data, stat = c.get(root + "/n")
    eq((data, stat.version, stat.data_length), (b"v1", 0, 2), "get")
    stat = c.set(root + "/n", b"v2", version=0)
    eq(stat.version, 1, "version after set")
    try:
        c.set(root + "/n", b"v3", version=0)
        raise AssertionError("set with a stale version succeeded")
    except BadVersionError:
        pass
    try:
        c.create(root + "/n")
        raise AssertionError("second create succeeded")
    except NodeExistsError:
        pass
    seq = c.create(root + "/s-", sequence=True)
    eq(seq, root + "/s-0000000002", "sequential name")
    path, stat = c.create(root + "/withstat", b"xyz", include_data=True)
    eq((path, stat.data_length), (root + "/withstat", 3), "create2 path and stat")
    kids, stat = c.get_children(root, include_data=True)
    eq(sorted(kids), ["a", "n", "s-0000000002", "withstat"], "children")
    eq(stat.numChildren, 4, "numChildren of getChildren2")
    try:
        c.delete(root + "/a")
        raise AssertionError("deleting a node with children succeeded")
    except NotEmptyError:
        pass
    c.delete(root + "/a", recursive=True)
    check(c.exists(root + "/a") is None, "recursive delete")
    try:
        c.get(root + "/missing")
        raise AssertionError("get of a missing node succeeded")
    except NoNodeError:
        pass
    c.sync(root)
    eq(c.command(b"ruok"), "imok", "ruok")
    version = c.server_version()
    check(isinstance(version, tuple) and version >= (3, 5), "server_version %r" % (version,))


def case_chroot(root):
    c = client()
    c.ensure_path(root + "/jail")
    j = client(CONNECT + root + "/jail")
    j.create("/inside", b"x")
    j.ensure_path("/deep/er")
    eq(sorted(j.get_children("/")), ["deep", "inside"], "children of the chroot")
    check(c.exists(root + "/jail/deep/er") is not None, "chrooted create lands under the chroot")
    fired = threading.Event()
    j.exists("/later", watch=lambda ev: fired.set() if ev.path == "/later" else None)
    c.create(root + "/jail/later")
    wait_event(fired, "the watch event under the chroot, with the chroot stripped")


def case_acl_auth(root):
    c = client()
    acl = make_digest_acl("alice", "secret", all=True)
    c.create(root + "/private", b"s", acl=[acl])
    try:
        c.get(root + "/private")
        raise AssertionError("read without auth succeeded")
    except NoAuthError:
        pass
    a = client(auth_data=[("digest", "alice:secret")])
    eq(a.get(root + "/private")[0], b"s", "read with auth")
    acls, stat = a.get_acls(root + "/private")
    eq([(x.id.scheme, x.id.id, x.perms) for x in acls], [("digest", acl.id.id, 31)], "ACL")
    c.add_auth("digest", "alice:secret")
    eq(c.get(root + "/private")[0], b"s", "read after add_auth")
    c.set_acls(root + "/private", [make_digest_acl("alice", "secret", read=True)], version=0)
    eq(c.get_acls(root + "/private")[1].aversion, 1, "aversion after set_acls")


def case_lock(root):
    a, b = client(), client()
    la, lb = a.Lock(root + "/lock", "a"), b.Lock(root + "/lock", "b")
    check(la.acquire(timeout=WAIT), "a acquires the free lock")
    times_out(lambda: lb.acquire(timeout=0.5), "b acquires a held lock")
    check(not lb.acquire(blocking=False), "b acquires a held lock without blocking")
    eq(la.contenders(), ["a"], "contenders while a holds it")
    waiter = background(lb.acquire)
    wait_until(lambda: lb.contenders() == ["a", "b"], "b queued behind a")
    la.release()
    check(waiter.result(), "b gets the lock once a releases it")
    eq(la.contenders(), ["b"], "contenders after the hand-over")
    lb.release()
    # A lock is kept by an ephemeral node: a holder that goes away frees it.
    lc = a.Lock(root + "/lock", "c")
    check(lc.acquire(timeout=WAIT), "c acquires")
    a.stop()
    check(lb.acquire(timeout=WAIT), "b acquires once c's session is closed")
    lb.release()
    rw = b.ReadLock(root + "/rw"), b.WriteLock(root + "/rw")
    r2 = client().ReadLock(root + "/rw")
    check(rw[0].acquire(timeout=WAIT) and r2.acquire(timeout=WAIT), "two readers together")
    times_out(lambda: rw[1].acquire(timeout=0.5), "writer while readers hold the lock")
    rw[0].release()
    r2.release()
    check(rw[1].acquire(timeout=WAIT), "writer once the readers left")
    rw[1].release()


def case_semaphore(root):
    cs = [client(), client(), client()]
    sems = [c.Semaphore(root + "/sem", identifier="id%d" % i, max_leases=2) for i, c in enumerate(cs)]
    check(sems[0].acquire(timeout=WAIT), "first lease")
    check(sems[1].acquire(timeout=WAIT), "second lease")
    check(not sems[2].acquire(blocking=False), "third lease over max_leases=2")
    eq(sorted(sems[2].lease_holders()), ["id0", "id1"], "lease holders")
    waiter = background(sems[2].acquire)
    time.sleep(0.2)
    check(not waiter.done(), "third waits while two leases are out")
    sems[0].release()
    check(waiter.result(), "third gets the freed lease")
    eq(sorted(sems[1].lease_holders()), ["id1", "id2"], "lease holders after the hand-over")
    sems[1].release()
    sems[2].release()
    eq(sems[0].lease_holders(), [], "no holders at the end")


def case_election(root):
    a, b = client(), client()
    ea, eb = a.Election(root + "/election", "a"), b.Election(root + "/election", "b")
    led, stop_a = threading.Event(), threading.Event()
    order = []

    def lead_a():
        order.append("a")
        led.set()
        stop_a.wait(WAIT)

    ta = background(ea.run, lead_a)
    wait_event(led, "a to lead")
    b_led = threading.Event()

    def lead_b():
        order.append("b")
        b_led.set()

    tb = background(eb.run, lead_b)
    wait_until(lambda: eb.contenders() == ["a", "b"], "contenders a, b")
    check(not b_led.is_set(), "b leads while a does")
    stop_a.set()  # a's leadership ends: its node goes, b is next
    ta.result()
    wait_event(b_led, "b to lead after a stepped down")
    tb.result()
    eq(order, ["a", "b"], "leadership order")
    ec = b.Election(root + "/election", "c")
    tc = background(ec.run, lambda: None)
    wait_until(lambda: ec.contenders() == ["c"] or tc.done(), "c to run")
    ec.cancel()
    tc.result()


def case_counter(root):
    a, b = client(), client()
    ca, cb = a.Counter(root + "/counter"), b.Counter(root + "/counter")
    ca += 5
    cb -= 2
    eq(ca.value, 3, "counter after +5 -2")

    def bump(counter, n):
        for _ in range(n):
            counter += 1

    ha, hb = background(bump, ca, 25), background(bump, cb, 25)
    ha.result(20), hb.result(20)
    eq(ca.value, 53, "counter after 50 concurrent increments (version-checked sets)")
    fc = a.Counter(root + "/float", default=0.0)
    fc += 2.5
    eq(fc.value, 2.5, "float counter")


def case_barrier(root):
    a, b = client(), client()
    ba, bb = a.Barrier(root + "/barrier"), b.Barrier(root + "/barrier")
    eq(bb.wait(timeout=0.2), True, "wait with no barrier up")
    ba.create()
    eq(bb.wait(timeout=0.5), False, "wait while the barrier is up")
    waiter = background(bb.wait, WAIT)
    time.sleep(0.2)
    ba.remove()
    eq(waiter.result(), True, "wait returns once the barrier is removed")


def case_double_barrier(root):
    cs = [client() for _ in range(3)]
    bars = [c.DoubleBarrier(root + "/double", 3, identifier="m%d" % i) for i, c in enumerate(cs)]
    entered = []

    def enter(i):
        bars[i].enter()
        entered.append(i)

    h0, h1 = background(enter, 0), background(enter, 1)
    time.sleep(0.3)
    eq(entered, [], "nobody enters before all three are there")
    h2 = background(enter, 2)
    for h in (h0, h1, h2):
        h.result()
    eq(sorted(entered), [0, 1, 2], "all three entered")
    left = [background(b.leave) for b in bars]
    for h in left:
        h.result()
    eq(cs[0].get_children(root + "/double"), [], "no members left")


def case_queue(root):
    a, b = client(), client()
    qa, qb = a.Queue(root + "/queue"), b.Queue(root + "/queue")
    for item in (b"one", b"two", b"three"):
        qa.put(item)
    qa.put(b"urgent", priority=1)
    eq(len(qb), 4, "queue length")
    got = [qb.get() for _ in range(4)]
    eq(got, [b"urgent", b"one", b"two", b"three"], "queue order (priority first, then FIFO)")
    eq(qb.get(), None, "get from an empty queue")
    qa.put(b"x")
    qa.put(b"y")
    eq([qb.get(), qa.get()], [b"x", b"y"], "FIFO across clients")


def case_locking_queue(root):
    a, b = client(), client()
    qa, qb = a.LockingQueue(root + "/lq"), b.LockingQueue(root + "/lq")
    qa.put(b"job1")
    qa.put(b"job2")
    qa.put(b"prio", priority=0)
    eq(len(qa), 3, "length")
    eq(qb.get(timeout=WAIT), b"prio", "first job")
    check(qb.holds_lock(), "b holds the item it took")
    eq(qa.get(timeout=WAIT), b"job1", "a takes the next job, not b's")
    check(qb.consume(), "b consumes its job")
    check(qa.release(), "a gives its job back")
    eq(qb.get(timeout=WAIT), b"job1", "the released job is taken again")
    check(qb.consume(), "consume")
    eq(qa.get(timeout=WAIT), b"job2", "last job")
    check(qa.consume(), "consume")
    eq(len(qa), 0, "empty")
    eq(qa.get(timeout=0.3), None, "get on an empty queue times out")
    waiter = background(qb.get, WAIT)
    time.sleep(0.2)
    qa.put(b"late")
    eq(waiter.result(), b"late", "a blocked get sees a later put")
    check(qb.consume(), "consume")


def case_party(root):
    a, b = client(), client()
    pa, pb = a.Party(root + "/party", "alice"), b.Party(root + "/party", "bob")
    pa.join()
    pb.join()
    eq(len(pa), 2, "party size")
    eq(sorted(pa), ["alice", "bob"], "members")
    pb.leave()
    eq(list(pa), ["alice"], "members after bob left")
    sa = a.ShallowParty(root + "/shallow", "s1")
    sb = b.ShallowParty(root + "/shallow", "s2")
    sa.join()
    sb.join()
    eq(sorted(sa), ["s1", "s2"], "shallow party members")
    b.stop()  # ephemeral members leave with their session
    wait_until(lambda: list(sa) == ["s1"], "s2 gone with its session")


def case_data_watch(root):
    a, b = client(), client()
    seen = []
    changed = threading.Condition()

    @a.DataWatch(root + "/dw")
    def watch(data, stat, event):
        with changed:
            seen.append((data, stat.version if stat else None, event.type if event else None))
            changed.notify_all()

    def wait_len(n):
        with changed:
            check(changed.wait_for(lambda: len(seen) >= n, WAIT), "data watch call %d, got %r" % (n, seen))

    wait_len(1)
    eq(seen[0], (None, None, None), "first call for a missing node")
    b.create(root + "/dw", b"one")
    wait_len(2)
    eq(seen[1], (b"one", 0, EventType.CREATED), "created")
    b.set(root + "/dw", b"two")
    wait_len(3)
    eq(seen[2], (b"two", 1, EventType.CHANGED), "changed")
    b.delete(root + "/dw")
    wait_len(4)
    eq(seen[3], (None, None, EventType.DELETED), "deleted")


def case_children_watch(root):
    a, b = client(), client()
    a.ensure_path(root + "/cw")
    seen = []
    changed = threading.Condition()

    @a.ChildrenWatch(root + "/cw", send_event=True)
    def watch(children, event):
        with changed:
            seen.append((sorted(children), event.type if event else None))
            changed.notify_all()

    def wait_for(want):
        with changed:
            ok = changed.wait_for(lambda: seen and seen[-1][0] == want, WAIT)
            check(ok, "children %r, calls so far %r" % (want, seen))

    wait_for([])
    b.create(root + "/cw/x")
    wait_for(["x"])
    b.create(root + "/cw/y", ephemeral=True)
    wait_for(["x", "y"])
    b.stop()
    wait_for(["x"])
    check(all(ev in (None, EventType.CHILD) for _, ev in seen), "event types %r" % (seen,))


def case_transaction(root):
    a = client()
    a.create(root + "/t", b"0")
    tx = a.transaction()
    tx.create(root + "/t/new", b"n")
    tx.check(root + "/t", 0)
    tx.set_data(root + "/t", b"1", version=0)
    tx.create(root + "/t/seq-", sequence=True)
    results = tx.commit()
    eq(results[0], root + "/t/new", "created path")
    eq(results[1], True, "check result")
    eq(results[2].version, 1, "set_data result stat")
    eq(results[3], root + "/t/seq-0000000001", "sequential create in a transaction")
    tx = a.transaction()
    tx.delete(root + "/t/new")
    tx.check(root + "/t", 0)  # stale: the version is 1 now
    tx.set_data(root + "/t", b"2")
    results = tx.commit()
    eq([type(r) for r in results], [RolledBackError, BadVersionError, RuntimeInconsistency],
       "failed transaction results (ops after the failed one: RuntimeInconsistency)")
    check(a.exists(root + "/t/new") is not None, "nothing of the failed transaction applied")
    eq(a.get(root + "/t")[0], b"1", "data unchanged by the failed transaction")
    tx = a.transaction()
    tx.delete(root + "/t/new")
    tx.delete(root + "/t/new")
    results = tx.commit()
    eq([type(r) for r in results], [RolledBackError, NoNodeError], "second delete of the same node")


def case_tree_cache(root):
    from kazoo.recipe.cache import TreeCache, TreeEvent
    a, b = client(), client()
    b.ensure_path(root + "/tree/x")
    b.create(root + "/tree/x/leaf", b"l0")
    cache = TreeCache(a, root + "/tree")
    events = []
    lock = threading.Lock()

    def listener(ev):
        with lock:
            events.append((ev.event_type, ev.event_data.path if ev.event_data else None))

    cache.listen(listener)
    cache.start()
    try:
        initialized = lambda: any(t == TreeEvent.INITIALIZED for t, _ in list(events))
        wait_until(initialized, "TreeCache to initialize")
        eq(sorted(cache.get_children(root + "/tree/x") or []), ["leaf"], "cached children")
        eq(cache.get_data(root + "/tree/x/leaf").data, b"l0", "cached data")
        b.set(root + "/tree/x/leaf", b"l1")
        wait_until(lambda: cache.get_data(root + "/tree/x/leaf").data == b"l1", "cache to see the new data")
        b.create(root + "/tree/y/deep", b"d", makepath=True)
        wait_until(lambda: cache.get_data(root + "/tree/y/deep") is not None, "cache to see a new subtree")
        b.delete(root + "/tree/x", recursive=True)
        wait_until(lambda: cache.get_data(root + "/tree/x") is None, "cache to drop a deleted subtree")
        kinds = set(t for t, _ in list(events))
        for k in (TreeEvent.NODE_ADDED, TreeEvent.NODE_UPDATED, TreeEvent.NODE_REMOVED):
            check(k in kinds, "TreeCache event type %d seen (%r)" % (k, sorted(kinds)))
    finally:
        cache.close()


def case_set_partitioner(root):
    from kazoo.recipe.partitioner import PartitionState
    a, b = client(), client()
    items = ["p%d" % i for i in range(6)]
    pa = a.SetPartitioner(root + "/part", set=items, identifier="a", time_boundary=0.3)
    pb = b.SetPartitioner(root + "/part", set=items, identifier="b", time_boundary=0.3)

    def settle(p):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if p.release:
                p.release_set()
            elif p.allocating:
                p.wait_for_acquire(timeout=1)
            elif p.acquired:
                return
            elif p.failed:
                raise AssertionError("partitioner failed")
            time.sleep(0.05)
        raise AssertionError("partitioner did not settle (state %s)" % p.state)

    ha, hb = background(settle, pa), background(settle, pb)
    ha.result(20), hb.result(20)
    # Both may have settled before seeing each other; settle again until
    # the split is stable.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        settle(pa)
        settle(pb)
        if pa.acquired and pb.acquired and len(list(pa)) + len(list(pb)) == 6 and list(pa) and list(pb):
            break
        time.sleep(0.1)
    ga, gb = sorted(pa), sorted(pb)
    eq(sorted(ga + gb), items, "every item held exactly once (a=%r b=%r)" % (ga, gb))
    eq((len(ga), len(gb)), (3, 3), "an even split")
    pa.finish()
    pb.finish()
    eq((pa.state, pb.state), (PartitionState.FAILURE, PartitionState.FAILURE), "finished partitioners")


def case_lease(root):
    import datetime
    a, b = client(), client()
    la = a.NonBlockingLease(root + "/lease", datetime.timedelta(seconds=30), identifier="a")
    check(bool(la), "a gets the free lease")
    lb = b.NonBlockingLease(root + "/lease", datetime.timedelta(seconds=30), identifier="b")
    check(not lb, "b gets a lease a holds")
    again = a.NonBlockingLease(root + "/lease", datetime.timedelta(seconds=30), identifier="a")
    check(bool(again), "a renews its own lease")
    counted = a.MultiNonBlockingLease(2, root + "/multi", datetime.timedelta(seconds=30), identifier="a")
    check(bool(counted), "first of two leases")
    check(bool(b.MultiNonBlockingLease(2, root + "/multi", datetime.timedelta(seconds=30), identifier="b")), "second")
    c = client()
    check(not c.MultiNonBlockingLease(2, root + "/multi", datetime.timedelta(seconds=30), identifier="c"), "third of two")


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
    import signal
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


# --- runner ----------------------------------------------------------------


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cases = [(n[len("case_"):], f) for n, f in globals().items() if n.startswith("case_")]
    only = sys.argv[1:]
    passed = failed = 0
    admin = client()
    admin.add_auth("digest", os.environ.get("ZK_SUPER_AUTH", "super:superpw"))
    _clients.remove(admin)
    for name, fn in cases:
        if only and name not in only:
            continue
        root = "/kazoo-" + name
        admin.ensure_path(root)
        h = background(fn, root)
        try:
            h.result(CASE_TIMEOUT)
            print("PASS %s/%s" % (SUITE, name), flush=True)
            passed += 1
        except BaseException as e:
            why = str(e) or type(e).__name__
            print("FAIL %s/%s: %s" % (SUITE, name, why.replace("\n", " ")), flush=True)
            traceback.print_exception(e, file=sys.stderr)
            failed += 1
        stop_clients()
        try:
            # kazoo reconnects by itself (after a server restart, say).
            wait_until(lambda: admin.connected, "the admin client to reconnect", 20)
            admin.delete(root, recursive=True)
        except Exception as e:  # cleanup only; the next case has its own root
            print("cleanup of %s: %s" % (root, e), file=sys.stderr)
    try:
        admin.stop()
        admin.close()
    except Exception:
        pass
    print("%s: %d passed, %d failed" % (SUITE, passed, failed), flush=True)
    sys.stdout.flush()
    # A case that timed out may leave a thread blocked in kazoo: do not wait.
    os._exit(1 if failed else 0)


if __name__ == "__main__":
    main()
