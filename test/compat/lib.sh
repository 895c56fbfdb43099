# shellcheck shell=bash
# Helpers of the compatibility harness, sourced by run.sh and by any suite
# that wants a server of its own (run.sh exports COMPAT_LIB with this file's
# path). A server lives in a directory: zoo.cfg, data/, server.log, pid and
# addr are all kept there, so the helpers work from subshells and need no
# global state.
#
#   compat_server_init DIR   write DIR/zoo.cfg for a free loopback port
#   compat_ensemble_init DIR N [LINE...]
#                            write DIR/1..DIR/N, the zoo.cfg and myid of an
#                            N-member ensemble on free loopback ports, each
#                            with the extra zoo.cfg LINEs
#   compat_server_start DIR  start the server of $ZK_TARGET on DIR/zoo.cfg and
#                            wait until it serves; prints nothing, fails with
#                            the log tail on stderr
#   compat_server_launch DIR start it without waiting (an ensemble member
#                            serves only once a quorum is up)
#   compat_server_wait DIR   wait until a launched server serves
#   compat_server_stop DIR   stop it by its PID (TERM, KILL after 10 s)
#   compat_server_kill DIR   SIGKILL it
#   compat_server_addr DIR   print 127.0.0.1:<port>
#   compat_server_mode DIR   print the Mode of its srvr (standalone, leader,
#                            follower, observer, read-only), or nothing
#   compat_4lw ADDR WORD     send a four-letter word, print the answer
#
# ZK_TARGET is zkraft (default) or zookeeper. zkraft runs $ZKRAFT_BIN;
# zookeeper runs Apache ZooKeeper 3.8 from the Debian package.

: "${ZK_TARGET:=zkraft}"

# Settings shared by both targets. The short tick lets tests ask for
# session timeouts down to one second; maxSessionTimeout is raised so that
# clients' usual requests (kazoo 10 s, zkCli and Curator up to 30 s after
# clamping) are granted as asked.
COMPAT_TICK_MS=500
COMPAT_MIN_SESSION_MS=1000
COMPAT_MAX_SESSION_MS=30000
COMPAT_CONTAINER_MS=200
# super:superpw, so suites can clean up whatever ACLs they set.
COMPAT_SUPER_AUTH="super:superpw"
COMPAT_SUPER_DIGEST="super:g9oN2HttPfn8MMWJZ2r45Np/LIA="

# The Debian package's server jar names its dependencies in its manifest;
# slf4j-simple gives the server a log we can show when it fails to start.
COMPAT_ZK_CLASSPATH="/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"

# compat_free_port prints a loopback port nothing listens on. Ports come
# from below the kernel's ephemeral range, where outgoing connections take
# their local ports (nothing listens there, yet binding fails), and are
# drawn at random to keep parallel runs apart. There is a window until the
# server binds the port: run.sh retries a start that fails.
compat_free_port() {
	local i p low=32768 span
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
	span=$((low - 10000))
	[ "$span" -gt 1000 ] || span=20000
	for i in $(seq 1 200); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % span))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "compat_free_port: no free port found" >&2
	return 1
}

compat_server_init() {
	local dir=$1 port
	port=$(compat_free_port) || return 1
	mkdir -p "$dir/data"
	cat >"$dir/zoo.cfg" <<EOF
tickTime=$COMPAT_TICK_MS
initLimit=10
syncLimit=5
minSessionTimeout=$COMPAT_MIN_SESSION_MS
maxSessionTimeout=$COMPAT_MAX_SESSION_MS
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
extendedTypesEnabled=true
enforceQuota=true
znode.container.checkIntervalMs=$COMPAT_CONTAINER_MS
DigestAuthenticationProvider.superDigest=$COMPAT_SUPER_DIGEST
EOF
	echo "127.0.0.1:$port" >"$dir/addr"
}

# compat_ensemble_init DIR N [LINE...]: member k lives in DIR/k, with its
# client address in its server.k line (as ZooKeeper writes it back into the
# dynamic config) as well as in clientPort.
compat_ensemble_init() {
	local dir=$1 n=$2 k q e c servers=""
	shift 2
	for k in $(seq 1 "$n"); do
		q=$(compat_free_port) && e=$(compat_free_port) && c=$(compat_free_port) || return 1
		servers+="server.$k=127.0.0.1:$q:$e:participant;127.0.0.1:$c"$'\n'
		mkdir -p "$dir/$k"
		echo "$c" >"$dir/$k/client-port"
	done
	for k in $(seq 1 "$n"); do
		compat_server_init "$dir/$k" || return 1
		c=$(cat "$dir/$k/client-port")
		sed -i "s/^clientPort=.*/clientPort=$c/" "$dir/$k/zoo.cfg"
		echo "127.0.0.1:$c" >"$dir/$k/addr"
		echo "$k" >"$dir/$k/data/myid"
		printf '%s' "$servers" >>"$dir/$k/zoo.cfg"
		[ $# -eq 0 ] || printf '%s\n' "$@" >>"$dir/$k/zoo.cfg"
	done
}

compat_server_addr() { cat "$1/addr"; }

compat_server_mode() {
	compat_4lw "$(compat_server_addr "$1")" srvr | sed -n 's/^Mode: //p'
}

compat_4lw() {
	local addr=$1 word=$2
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || exit 1
		printf "%s" "$2" >&3
		cat <&3' _ "$addr" "$word" 2>/dev/null
}

compat_server_start() {
	compat_server_launch "$1" && compat_server_wait "$1"
}

compat_server_launch() {
	local dir=$1 pid main=org.apache.zookeeper.server.ZooKeeperServerMain ro=false
	case "$ZK_TARGET" in
	zkraft)
		"$ZKRAFT_BIN" server --config "$dir/zoo.cfg" --log-level info \
			>>"$dir/server.log" 2>&1 &
		pid=$!
		;;
	zookeeper)
		if [ ! -f /usr/share/java/zookeeper.jar ]; then
			echo "compat_server_start: Apache ZooKeeper (Debian package zookeeper) is not installed" >&2
			return 1
		fi
		# An ensemble member needs the quorum main (zkServer.sh picks the
		# same way); read-only mode is a system property only.
		grep -q '^server\.' "$dir/zoo.cfg" "$dir"/zoo.cfg.dynamic* 2>/dev/null &&
			main=org.apache.zookeeper.server.quorum.QuorumPeerMain
		grep -q '^readonlymode.enabled=true' "$dir/zoo.cfg" && ro=true
		# Keys ZooKeeper reads only as system properties (the container
		# sweep) or that zoo.cfg sets only as "zookeeper.<key>" are given
		# here as well, so both targets run on the same settings.
		java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
			-Djava.net.preferIPv4Stack=true \
			-Dzookeeper.jmx.log4j.disable=true \
			-Dzookeeper.admin.enableServer=false \
			-Dzookeeper.4lw.commands.whitelist='*' \
			-Dzookeeper.extendedTypesEnabled=true \
			-Dzookeeper.enforceQuota=true \
			-Dzookeeper.DigestAuthenticationProvider.superDigest="$COMPAT_SUPER_DIGEST" \
			-Dznode.container.checkIntervalMs="$COMPAT_CONTAINER_MS" \
			-Dreadonlymode.enabled=$ro \
			-cp "$COMPAT_ZK_CLASSPATH" $main \
			"$dir/zoo.cfg" >>"$dir/server.log" 2>&1 &
		pid=$!
		;;
	*)
		echo "compat_server_start: ZK_TARGET=$ZK_TARGET: want zkraft or zookeeper" >&2
		return 1
		;;
	esac
	echo "$pid" >"$dir/pid"
}

compat_server_wait() {
	local dir=$1 pid addr i
	addr=$(compat_server_addr "$dir") || return 1
	pid=$(cat "$dir/pid") || return 1
	# ZooKeeper answers ruok before it takes sessions; srvr shows the mode
	# only once it serves, on both targets.
	for i in $(seq 1 600); do
		if compat_4lw "$addr" srvr | grep -Eq '^Mode: (standalone|leader|follower|observer)'; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "compat_server_start: $ZK_TARGET exited during startup; log tail:" >&2
			tail -n 30 "$dir/server.log" >&2
			rm -f "$dir/pid"
			return 1
		fi
		sleep 0.1
	done
	echo "compat_server_start: $ZK_TARGET did not serve on $addr within 60 s; log tail:" >&2
	tail -n 30 "$dir/server.log" >&2
	compat_server_stop "$dir"
	return 1
}

compat_server_kill() {
	[ -f "$1/pid" ] || return 0
	kill -KILL "$(cat "$1/pid")" 2>/dev/null
	rm -f "$1/pid"
	return 0
}

compat_server_stop() {
	local dir=$1 pid i
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	rm -f "$dir/pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
