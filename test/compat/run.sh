#!/usr/bin/env bash
# Runs the real-client compatibility suites (test/compat/*/run.sh), each
# against a fresh server of its own: zkraft by default, Apache ZooKeeper 3.8
# with ZKRAFT_TARGET=zookeeper. See README.md for the suite contract.
#
#   test/compat/run.sh [suite...]     e.g. test/compat/run.sh zkcli kazoo
#
# Environment: ZKRAFT_TARGET (zkraft|zookeeper), ZKRAFT_BIN (a zkraft binary
# to use instead of building bin/zkraft), COMPAT_SUITE_TIMEOUT (seconds per
# suite, default 180), COMPAT_JOBS (suites run at once, default 2),
# CI (true: a skipped suite counts as failed).
set -uo pipefail
set +m # no job control: setsid below must not fork, suite.pid is the session id

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export COMPAT_LIB="$here/lib.sh"
# shellcheck source=lib.sh
. "$COMPAT_LIB"

export ZK_TARGET="${ZKRAFT_TARGET:-zkraft}"
suite_timeout="${COMPAT_SUITE_TIMEOUT:-180}"
jobs="${COMPAT_JOBS:-2}"
ci="${CI:-false}"

case "$ZK_TARGET" in
zkraft)
	if [ -z "${ZKRAFT_BIN:-}" ]; then
		# make keeps the version ldflags; go build's cache makes this cheap
		# when nothing changed.
		make -s -C "$root" build || {
			echo "compat: building bin/zkraft failed"
			exit 1
		}
		ZKRAFT_BIN="$root/bin/zkraft"
	fi
	if [ ! -x "$ZKRAFT_BIN" ]; then
		echo "compat: ZKRAFT_BIN=$ZKRAFT_BIN is not an executable"
		exit 1
	fi
	ZKRAFT_BIN=$(cd "$(dirname "$ZKRAFT_BIN")" && pwd)/$(basename "$ZKRAFT_BIN")
	export ZKRAFT_BIN
	;;
zookeeper) ;;
*)
	echo "compat: ZKRAFT_TARGET=$ZK_TARGET: want zkraft or zookeeper"
	exit 2
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zkraft-compat.XXXXXX")
# stop_session SID: stops every process of a suite's session (its run.sh
# and all it started, also under timeouts of their own, which take process
# groups of their own), by PID.
stop_session() {
	local sig pids
	for sig in TERM KILL; do
		pids=$(ps -o pid= -s "$1" 2>/dev/null)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086 # one PID per word
		kill -"$sig" $pids 2>/dev/null
		[ $sig = TERM ] && sleep 1
	done
}

cleanup() {
	local d
	# Stop the suites still running (an interrupt) and then every server.
	for d in "$tmp"/*/; do
		[ -f "$d/suite.pid" ] && stop_session "$(cat "$d/suite.pid")"
	done
	# Every server directory holds a zoo.cfg, the suites' own ones too.
	find "$tmp" -name zoo.cfg 2>/dev/null | while read -r f; do
		compat_server_stop "$(dirname "$f")"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Suites: every directory beside this script with a run.sh, or the ones
# named on the command line.
suites=()
if [ $# -gt 0 ]; then
	for s in "$@"; do
		if [ ! -f "$here/$s/run.sh" ]; then
			echo "compat: no suite $s ($here/$s/run.sh)"
			exit 2
		fi
		suites+=("$s")
	done
else
	for f in "$here"/*/run.sh; do
		[ -f "$f" ] && suites+=("$(basename "$(dirname "$f")")")
	done
fi
if [ ${#suites[@]} -eq 0 ]; then
	echo "compat: no suites found under $here"
	exit 1
fi

echo "compat: target $ZK_TARGET, suites: ${suites[*]}"

# run_suite NAME: gives the suite a fresh server and a scratch directory,
# runs it bounded by the suite timeout and leaves its output, exit status
# and duration in $tmp/NAME/.
run_suite() {
	local name=$1 d="$tmp/$1" start rc
	mkdir -p "$d/scratch"
	start=$(date +%s)
	# A new port on each try: another process may take the free port
	# before the server binds it.
	local try started=0
	for try in 1 2 3; do
		rm -rf "$d/server"
		if compat_server_init "$d/server" 2>"$d/stderr" &&
			compat_server_start "$d/server" 2>>"$d/stderr"; then
			started=1
			break
		fi
	done
	if [ $started -eq 0 ]; then
		echo "FAIL $name/server: could not start $ZK_TARGET: $(tr '\n' ' ' <"$d/stderr" | cut -c1-400)" >"$d/out"
		echo 0 >"$d/secs"
		echo 1 >"$d/rc.tmp" && mv "$d/rc.tmp" "$d/rc" # last, whole: the main loop waits for rc
		return
	fi
	# The suite runs in a session of its own (setsid), whose id is the PID
	# recorded in suite.pid: whatever of it outlives run.sh or its timeout
	# (JVMs, python, C programs) is found by that id and stopped.
	(
		cd "$here/$name" &&
			ZK_CONNECT=$(compat_server_addr "$d/server") \
				ZK_SERVER_DIR="$d/server" \
				ZK_SUPER_AUTH="$COMPAT_SUPER_AUTH" \
				COMPAT_TMP="$d/scratch" \
				exec setsid timeout -k 10 "$suite_timeout" bash ./run.sh
	) >"$d/out" 2>>"$d/stderr" &
	echo $! >"$d/suite.pid"
	wait $!
	rc=$?
	stop_session "$(cat "$d/suite.pid")"
	rm -f "$d/suite.pid"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "FAIL $name/timeout: still running after ${suite_timeout}s, stopped" >>"$d/out"
	fi
	compat_server_stop "$d/server"
	echo $(($(date +%s) - start)) >"$d/secs"
	echo $rc >"$d/rc.tmp" && mv "$d/rc.tmp" "$d/rc" # last, whole: the main loop waits for rc
}

# Suites run COMPAT_JOBS at a time; each one's output is printed whole when
# it ends, so lines of different suites do not interleave.
total_pass=0 total_fail=0 skipped=()
report() {
	local name=$1 d="$tmp/$1" rc pass fail skip
	rc=$(cat "$d/rc")
	cat "$d/out"
	pass=$(grep -c '^PASS ' "$d/out")
	fail=$(grep -c '^FAIL ' "$d/out")
	skip=$(grep -c '^SKIP ' "$d/out")
	if [ "$skip" -gt 0 ] && [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
		if [ "$ci" = true ]; then
			echo "FAIL $name/skipped: CI=true installs every package a suite needs"
			fail=1
		else
			skipped+=("$name")
		fi
	elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "FAIL $name/exit: run.sh exited $rc without a FAIL line"
		fail=1
	elif [ "$rc" -eq 0 ] && [ "$fail" -gt 0 ]; then
		echo "FAIL $name/exit: run.sh printed FAIL lines but exited 0"
		fail=$((fail + 1))
	fi
	if [ "$fail" -gt 0 ] && [ -s "$d/stderr" ]; then
		echo "--- $name: last lines of stderr"
		tail -n 40 "$d/stderr"
		echo "--- $name: last lines of the $ZK_TARGET log"
		tail -n 20 "$d/server/server.log" 2>/dev/null
		echo "---"
	fi
	echo "($name took $(cat "$d/secs")s)"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
}

started=$(date +%s)
running=()
next=0
reported=0
while [ $reported -lt ${#suites[@]} ]; do
	while [ $next -lt ${#suites[@]} ] && [ ${#running[@]} -lt "$jobs" ]; do
		run_suite "${suites[$next]}" &
		running+=("$!")
		next=$((next + 1))
	done
	# Report finished suites in their listed order.
	while [ $reported -lt $next ] && [ -f "$tmp/${suites[$reported]}/rc" ]; do
		report "${suites[$reported]}"
		reported=$((reported + 1))
	done
	still=()
	for p in "${running[@]}"; do
		kill -0 "$p" 2>/dev/null && still+=("$p")
	done
	running=("${still[@]+"${still[@]}"}")
	[ $reported -lt ${#suites[@]} ] && sleep 0.2
done
wait

line="compat: $total_pass passed, $total_fail failed"
if [ ${#skipped[@]} -gt 0 ]; then
	line="$line (skipped: ${skipped[*]})"
fi
echo "$line [$ZK_TARGET, $(($(date +%s) - started))s]"
[ "$total_fail" -eq 0 ]
