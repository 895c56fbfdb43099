"""kazoo suite: kazoo's recipes, watches, transactions and session handling
against the server at $ZK_CONNECT. One case per function named case_* in
cases_basic, cases_recipes and cases_session, run in that order (each
module's in file order), each under its own root node and bounded in time.
Prints the suite contract's PASS/FAIL lines (see ../README.md).
"""

import logging
import os
import sys

import cases_basic
import cases_recipes
import cases_session
from harness import CASE_TIMEOUT, SUITE, open_clients, client, run_case, stop_clients, wait_until

MODULES = (cases_basic, cases_recipes, cases_session)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cases = [(n[len("case_"):], f) for m in MODULES for n, f in vars(m).items() if n.startswith("case_")]
    only = sys.argv[1:]
    passed = failed = 0
    admin = client()
    admin.add_auth("digest", os.environ.get("ZK_SUPER_AUTH", "super:superpw"))
    open_clients.remove(admin)
    for name, fn in cases:
        if only and name not in only:
            continue
        root = "/kazoo-" + name
        admin.ensure_path(root)
        if run_case(SUITE, name, fn, root, CASE_TIMEOUT):
            passed += 1
        else:
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
