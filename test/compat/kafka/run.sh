#!/usr/bin/env bash
# Kafka suite: the ZooKeeper usage of a Kafka broker and controller in
# ZooKeeper mode (broker registration and epochs, controller election and
# epoch-guarded writes as multis, sequential change notifications with child
# watches, broker session expiry, watches re-sent after a reconnect,
# pipelined async requests), written with the plain ZooKeeper 3.8 Java
# client from the Debian package, against $ZK_CONNECT. The Java sources in
# src/ are compiled into a scratch directory at each run; nothing built is
# kept.
#
#   ZK_CONNECT=127.0.0.1:2181 ./run.sh [case...]
#
# KAFKA_LOG=1 shows the client's log (slf4j-simple, INFO) on stderr.
set -uo pipefail

suite=kafka
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jars=/usr/share/java

for pkg in libzookeeper-java:zookeeper.jar libzookeeper-java:zookeeper-jute.jar libnetty-java:netty-resolver.jar libnetty-java:netty-codec.jar; do
	if [ ! -f "$jars/${pkg#*:}" ]; then
		echo "SKIP $suite: ${pkg%%:*} not installed"
		exit 0
	fi
done
if ! command -v javac >/dev/null 2>&1; then
	echo "SKIP $suite: default-jdk-headless not installed (no javac)"
	exit 0
fi
: "${ZK_CONNECT:?ZK_CONNECT must be host:port of the server under test}"

work=$(mktemp -d "${COMPAT_TMP:-${TMPDIR:-/tmp}}/kafka.XXXXXX")
trap 'rm -rf "$work"' EXIT

# zookeeper.jar's manifest names its dependencies (jute, slf4j-api, netty).
logjar=$jars/slf4j-nop.jar
[ "${KAFKA_LOG:-0}" = 1 ] && logjar=$jars/slf4j-simple.jar
# netty-resolver and netty-codec are missing from the manifests; the Netty
# client socket needs them.
cp="$jars/zookeeper.jar:$jars/zookeeper-jute.jar:$jars/netty-resolver.jar:$jars/netty-codec.jar:$logjar"

summary() { echo "$suite: $(grep -c '^PASS ' "$work/out") passed, $(grep -c '^FAIL ' "$work/out") failed"; }

touch "$work/out"
if ! javac -nowarn -Xlint:none -encoding UTF-8 -d "$work/classes" -cp "$cp" "$here"/src/*.java "$here"/../java/*.java >"$work/javac.log" 2>&1; then
	echo "FAIL $suite/compile: javac failed: $(head -c 600 "$work/javac.log" | tr '\n' ' ')" | tee -a "$work/out"
	summary
	exit 1
fi

# The Java side bounds each case and the whole run; timeout is the last
# resort against a hung JVM.
timeout -k 5 165 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true \
	-Dorg.slf4j.simpleLogger.logFile=System.err \
	-cp "$work/classes:$cp" KafkaSuite "$ZK_CONNECT" "$@" | tee -a "$work/out"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$work/out"; then
	echo "FAIL $suite/jvm: exited $rc without a FAIL line" | tee -a "$work/out"
fi
summary
[ "$rc" -eq 0 ] && ! grep -q '^FAIL ' "$work/out"
