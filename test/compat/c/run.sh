#!/usr/bin/env bash
# C client suite: compat.c, built against the Debian C client
# (libzookeeper-mt-dev) at test time and run against $ZK_CONNECT.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v gcc >/dev/null 2>&1; then
	echo "SKIP c: gcc not installed"
	exit 0
fi
if [ ! -f /usr/include/zookeeper/zookeeper.h ]; then
	echo "SKIP c: libzookeeper-mt-dev not installed"
	exit 0
fi
: "${ZK_CONNECT:?ZK_CONNECT must be host:port of the server under test}"

out=$(mktemp -d "${COMPAT_TMP:-${TMPDIR:-/tmp}}/c.XXXXXX")
trap 'rm -rf "$out"' EXIT
if ! gcc -std=c11 -D_GNU_SOURCE -DTHREADED -O1 -g -Wall -Wextra -Werror -Wno-format-truncation -o "$out/compat" compat.c cases_core.c cases_more.c \
	-lzookeeper_mt -lpthread 2>"$out/gcc.log"; then
	echo "FAIL c/build: gcc failed: $(head -c 600 "$out/gcc.log" | tr '\n' ' ')"
	echo "c: 0 passed, 1 failed"
	exit 1
fi
exec timeout -k 5 120 "$out/compat" "$ZK_CONNECT" /c-compat
