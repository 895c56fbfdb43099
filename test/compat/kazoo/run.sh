#!/usr/bin/env bash
# kazoo suite: kazoo (Debian python3-kazoo) recipes, watches, transactions,
# session expiry and a server restart. `./run.sh lock queue` runs some cases.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Debian's python3 and its packages, whatever python3 comes first in PATH.
py=/usr/bin/python3
if [ ! -x "$py" ] || ! "$py" -c 'import kazoo' 2>/dev/null; then
	echo "SKIP kazoo: python3-kazoo not installed"
	exit 0
fi
: "${ZK_CONNECT:?ZK_CONNECT must be host:port of the server under test}"
# Every case bounds itself (30 s); this bounds the whole suite.
exec timeout -k 5 170 "$py" -B -u suite.py "$@"
