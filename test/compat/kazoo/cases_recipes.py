"""kazoo cases: the coordination recipes (locks, semaphores, election,
counters, barriers, queues, parties, TreeCache, SetPartitioner, leases)."""

import datetime
import threading
import time

from kazoo.recipe.cache import TreeCache, TreeEvent
from kazoo.recipe.partitioner import PartitionState

from harness import WAIT, background, check, client, eq, times_out, wait_event, wait_until


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


def case_tree_cache(root):
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
