"""Helpers of the kazoo suite (and the ensemble suite's kazoo cases):
clients that the runner stops after each case, assertions, bounded waits,
background calls, running one case."""

import os
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout

SUITE = "kazoo"
CONNECT = os.environ["ZK_CONNECT"]
CASE_TIMEOUT = 30.0  # seconds per case
WAIT = 10.0  # seconds for any one expected event

open_clients = []


def client(hosts=None, **kw):
    """A started client on the server under test, stopped after the case."""
    kw.setdefault("timeout", 10.0)
    c = KazooClient(hosts=hosts or CONNECT, **kw)
    c.start(timeout=WAIT)
    open_clients.append(c)
    return c


def stop_clients():
    while open_clients:
        c = open_clients.pop()
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


def run_case(suite, name, fn, root, within):
    """Runs fn(root) bounded by within seconds, prints its PASS or FAIL
    line (the traceback to stderr) and reports whether it passed."""
    h = background(fn, root)
    try:
        h.result(within)
        print("PASS %s/%s" % (suite, name), flush=True)
        return True
    except BaseException as e:
        why = str(e) or type(e).__name__
        print("FAIL %s/%s: %s" % (suite, name, why.replace("\n", " ")), flush=True)
        traceback.print_exception(e, file=sys.stderr)
        return False
