#!/usr/bin/env bash
# compare.sh runs the same `zkraft bench` workloads against zkraft and Apache
# ZooKeeper on this machine, in the same run, and prints a Markdown table of
# the medians and the zkraft / ZooKeeper ratios.
#
# Usage: test/bench/compare.sh            (from the repository root)
#
# Environment (defaults in brackets):
#   TOPOLOGY   standalone | ensemble [standalone]. ensemble: 3 servers of each
#              kind on loopback, the connect string lists all three.
#   WORKLOADS  [create set get mixed]      CLIENTS   [1 8 32]
#   RUNS       runs per cell, median taken [3]
#   DURATION   measured time per run [10s] WARMUP    [2s] (Go durations;
#              a bare number is seconds)
#   PREWARM    before anything is measured, each workload runs this long at
#              the largest CLIENTS against both servers, unmeasured [10s];
#              0 skips it. ZooKeeper's JVM compiles its hot paths during
#              the first tens of seconds of load (set at 32 clients on 3
#              servers: 2-3k ops/s cold, 4-5.5k warm), which would otherwise
#              count against it in the first cells.
#   ZKRAFT     zkraft binary [built from this checkout into the temp dir]
#   ZK_CP      ZooKeeper class path [/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar]
#   ZK_HEAP    ZooKeeper -Xmx [1000m]
#   RESULTS    directory to keep every run's JSON in [a temp dir, removed]
#   REPORT_ONLY=1 with RESULTS: print the table of an earlier run, start nothing
#   PROFILE    directory: each zkraft server writes a Go CPU profile of its
#              whole run there (<server dir name>.pprof)
#   TMPDIR     where the temp dir goes, the servers' data directories with
#              it; TMPDIR=/dev/shm puts both systems on tmpfs, where fsync
#              costs nothing (an experiment, not the comparison)
# A quick run: RUNS=1 DURATION=3s WARMUP=1s test/bench/compare.sh
#
# Each (workload, clients, run) cell measures zkraft and ZooKeeper back to
# back, alternating which goes first, so drift in the machine's load spreads
# over both. Both servers fsync every commit (ZooKeeper's forceSync=yes
# default; zkraft always). Every process started here is stopped by PID and
# every temp dir removed on exit.
set -euo pipefail

TOPOLOGY=${TOPOLOGY:-standalone}
WORKLOADS=${WORKLOADS:-create set get mixed}
CLIENTS=${CLIENTS:-1 8 32}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ZKRAFT=${ZKRAFT:-}
ZK_CP=${ZK_CP:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar}
ZK_HEAP=${ZK_HEAP:-1000m}
PROFILE=${PROFILE:-}
if [[ -n $PROFILE ]]; then
	mkdir -p "$PROFILE" && PROFILE=$(cd "$PROFILE" && pwd)
fi
# A bare number of seconds (DURATION=5) means 5s.
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION=${DURATION}s
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP=${WARMUP}s
PREWARM=${PREWARM:-10s}
[[ $PREWARM =~ ^[0-9]+$ ]] && PREWARM=${PREWARM}s

WORK=$(mktemp -d -t zkraft-compare.XXXXXX)
RESULTS=${RESULTS:-$WORK/results}
mkdir -p "$RESULTS"
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			# Give it 10 s to stop cleanly, then make sure.
			for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "compare: $*" >&2; }

# free_ports N: N distinct loopback ports nobody listens on right now (all
# held open together, so none repeats).
free_ports() {
	python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# wait_ready PORT PID DIR: poll the srvr four-letter word until the server
# answers with its Mode (a member without a quorum answers without one), or
# fail when the process died or 120 s passed.
wait_ready() {
	local port=$1 pid=$2 dir=$3 out
	for _ in $(seq 1200); do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "server in $dir (pid $pid) exited during startup; its log:"
			cat "$dir/server.log" >&2 || true
			return 1
		fi
		if out=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && echo srvr >&3 && cat <&3) 2>/dev/null) &&
			[[ $out == *Mode:* ]]; then
			return 0
		fi
		sleep 0.1
	done
	log "server in $dir did not answer srvr with a Mode on port $port within 120 s"
	return 1
}

# write_cfg DIR PORT: a standalone zoo.cfg both servers read.
write_cfg() {
	local dir=$1 port=$2
	mkdir -p "$dir/data"
	cat >"$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr
CFG
}

# launch NAME DIR: starts server kind NAME (zkraft or zookeeper) on
# DIR/zoo.cfg, logging to DIR/server.log, and sets LAUNCHED to its PID.
launch() {
	local name=$1 dir=$2
	case $name in
	zkraft)
		"$ZKRAFT" server --config "$dir/zoo.cfg" --log-level warn \
			${PROFILE:+--cpu-profile "$PROFILE/$(basename "$dir").pprof"} >"$dir/server.log" 2>&1 &
		;;
	zookeeper)
		# ZooKeeperServerMain ignores server.N lines; an ensemble member
		# needs QuorumPeerMain (zkServer.sh picks the same way).
		local main=org.apache.zookeeper.server.ZooKeeperServerMain
		[[ $TOPOLOGY == ensemble ]] && main=org.apache.zookeeper.server.quorum.QuorumPeerMain
		java -Xmx"$ZK_HEAP" -cp "$ZK_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
			"$main" "$dir/zoo.cfg" >"$dir/server.log" 2>&1 &
		;;
	esac
	LAUNCHED=$!
	PIDS+=("$LAUNCHED")
}

# start_standalone NAME: one server of kind NAME; prints its connect string.
start_standalone() {
	local name=$1 dir="$WORK/$1" port
	port=$(free_ports 1)
	write_cfg "$dir" "$port"
	launch "$name" "$dir"
	wait_ready "$port" "$LAUNCHED" "$dir"
	echo "127.0.0.1:$port"
}

# start_ensemble NAME: three servers of kind NAME, each with the same
# server.1..3 lines (quorum and election ports on loopback) and its myid, as
# a ZooKeeper deployment has them; prints the connect string of all three.
# Clients pick one of the three at random, as with any ZooKeeper ensemble.
start_ensemble() {
	local name=$1 i dir members="" connect="" ports
	local -a pid
	read -r -a ports <<<"$(free_ports 9)"
	for i in 1 2 3; do
		members+="server.$i=127.0.0.1:${ports[3 * i - 3]}:${ports[3 * i - 2]};127.0.0.1:${ports[3 * i - 1]}"$'\n'
	done
	for i in 1 2 3; do
		dir="$WORK/$name-$i"
		write_cfg "$dir" "${ports[3 * i - 1]}"
		printf 'initLimit=10\nsyncLimit=5\n%s' "$members" >>"$dir/zoo.cfg"
		echo "$i" >"$dir/data/myid"
		launch "$name" "$dir"
		pid[i]=$LAUNCHED
		connect+="${connect:+,}127.0.0.1:${ports[3 * i - 1]}"
	done
	for i in 1 2 3; do
		wait_ready "${ports[3 * i - 1]}" "${pid[i]}" "$WORK/$name-$i"
	done
	echo "$connect"
}

start() {
	case $TOPOLOGY in
	standalone) start_standalone "$1" ;;
	ensemble) start_ensemble "$1" ;;
	*) log "TOPOLOGY=$TOPOLOGY: want standalone or ensemble"; return 2 ;;
	esac
}

# bench TARGET ADDR WORKLOAD CLIENTS RUN: one measured run, its JSON kept.
bench() {
	local target=$1 addr=$2 w=$3 c=$4 r=$5
	local out="$RESULTS/$target-$w-$c-$r.json"
	if ! "$ZKRAFT" bench --server "$addr" --workload "$w" --clients "$c" \
		--duration "$DURATION" --warmup "$WARMUP" --quiet --output json >"$out" 2>"$out.err"; then
		log "$target $w $c run $r failed:"
		cat "$out.err" >&2
		return 1
	fi
	log "$(printf '%-9s %-6s %2d clients run %d: %8.0f ops/s  p99 %7.3f ms  errors %d' "$target" "$w" "$c" "$r" \
		"$(jq .total.ops_per_sec "$out")" "$(jq .total.p99_ms "$out")" "$(jq .errors "$out")")"
}

# median TARGET WORKLOAD CLIENTS FIELD: the median of FIELD (a jq path) over
# the runs (the lower middle one for an even count).
median() {
	local target=$1 w=$2 c=$3 field=$4
	jq -s "map($field) | sort | .[(length - 1) / 2 | floor]" "$RESULTS/$target-$w-$c-"*.json
}
errors() {
	jq -s 'map(.errors) | add' "$RESULTS/$1-$2-$3-"*.json
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# start_servers starts both servers and sets ZKRAFT_ADDR and ZK_ADDR.
start_servers() {
	if [[ -z $ZKRAFT ]]; then
		# Its own binary: bin/zkraft may be rebuilt by someone else mid-run.
		ZKRAFT="$WORK/bin/zkraft"
		log "building $ZKRAFT"
		go build -ldflags "-X main.commit=$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- . || echo -dirty)" -o "$ZKRAFT" ./cmd/zkraft
	fi
	"$ZKRAFT" version | tr '\n' ' ' >"$RESULTS/zkraft-version"
	# Not $(start ...): a command substitution is a subshell, where PIDS+= would
	# be lost. start writes the connect string to a file instead.
	start zkraft >"$WORK/zkraft.addr"
	ZKRAFT_ADDR=$(cat "$WORK/zkraft.addr")
	start zookeeper >"$WORK/zookeeper.addr"
	ZK_ADDR=$(cat "$WORK/zookeeper.addr")
	local first=${ZK_ADDR%%,*}
	(exec 3<>"/dev/tcp/${first%:*}/${first##*:}" && echo srvr >&3 && head -1 <&3) >"$RESULTS/zookeeper-version" 2>/dev/null || true
	cut -d' ' -f1-3 /proc/loadavg >"$RESULTS/load-before"
	log "zkraft at $ZKRAFT_ADDR, ZooKeeper at $ZK_ADDR ($TOPOLOGY); $RUNS run(s) of $DURATION after $WARMUP warmup"
}

# prewarm runs every workload once at the largest client count against
# both servers, for PREWARM, and keeps nothing.
prewarm() {
	[[ $PREWARM == 0 || $PREWARM == 0s ]] && return 0
	local w c max=0 target addr
	for c in $CLIENTS; do ((c > max)) && max=$c; done
	log "prewarm: each workload for $PREWARM at $max clients, not measured"
	for w in $WORKLOADS; do
		for target in zkraft zookeeper; do
			addr=$ZKRAFT_ADDR
			[[ $target == zookeeper ]] && addr=$ZK_ADDR
			if ! "$ZKRAFT" bench --server "$addr" --workload "$w" --clients "$max" \
				--duration "$PREWARM" --warmup 0s --quiet --output json >/dev/null 2>"$WORK/prewarm.err"; then
				log "prewarm: $target $w failed:"
				cat "$WORK/prewarm.err" >&2
				return 1
			fi
		done
	done
}

# measure runs every cell against both servers.
measure() {
	local cell=0 w c r
	for w in $WORKLOADS; do
		for c in $CLIENTS; do
			for r in $(seq "$RUNS"); do
				if ((cell % 2 == 0)); then
					bench zkraft "$ZKRAFT_ADDR" "$w" "$c" "$r"
					bench zookeeper "$ZK_ADDR" "$w" "$c" "$r"
				else
					bench zookeeper "$ZK_ADDR" "$w" "$c" "$r"
					bench zkraft "$ZKRAFT_ADDR" "$w" "$c" "$r"
				fi
				cell=$((cell + 1))
			done
		done
	done
}

# report prints the Markdown table of the medians in RESULTS.
report() {
	local w c zo ko zp kp
	echo
	echo "Median of $RUNS run(s) of $DURATION (after $WARMUP warmup; every workload first ran $PREWARM unmeasured), $TOPOLOGY, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)."
	echo "zkraft: $(cat "$RESULTS/zkraft-version" 2>/dev/null || echo unknown); $(cat "$RESULTS/zookeeper-version" 2>/dev/null || echo "ZooKeeper version unknown")."
	echo "Load average (1/5/15 min) before: $(cat "$RESULTS/load-before" 2>/dev/null || echo unknown), after: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "ops/s ratio > 1 and p99 ratio < 1 favour zkraft."
	echo
	echo "| workload | clients | zkraft ops/s | ZooKeeper ops/s | ops/s ratio | zkraft p99 ms | ZooKeeper p99 ms | p99 ratio | errors zkraft / ZK |"
	echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
	for w in $WORKLOADS; do
		for c in $CLIENTS; do
			zo=$(median zkraft "$w" "$c" .total.ops_per_sec)
			ko=$(median zookeeper "$w" "$c" .total.ops_per_sec)
			zp=$(median zkraft "$w" "$c" .total.p99_ms)
			kp=$(median zookeeper "$w" "$c" .total.p99_ms)
			printf '| %s | %d | %.0f | %.0f | %s | %.2f | %.2f | %s | %d / %d |\n' "$w" "$c" "$zo" "$ko" \
				"$(ratio "$zo" "$ko")" "$zp" "$kp" "$(ratio "$zp" "$kp")" \
				"$(errors zkraft "$w" "$c")" "$(errors zookeeper "$w" "$c")"
		done
	done
}

command -v jq >/dev/null || { log "jq is needed to read the JSON results"; exit 2; }
if [[ -n ${REPORT_ONLY:-} ]]; then
	report
	exit 0
fi
start_servers
prewarm
measure
report
