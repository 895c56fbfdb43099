"""kazoo cases: plain operations, chroot, ACLs, watch recipes, transactions."""

import threading

from kazoo.exceptions import (
    BadVersionError,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)
from kazoo.protocol.states import EventType
from kazoo.security import make_digest_acl

from harness import CONNECT, WAIT, check, client, eq, wait_event


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
