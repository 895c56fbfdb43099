#!/usr/bin/env bash
# Curator suite: Apache Curator 5.4 recipes (locks, leader election,
# counters, queues, caches, PersistentNode, transactions, a Dubbo-style
# service registry, the EnsembleTracker) on the Debian packages' jars,
# against $ZK_CONNECT. The Java sources in src/ are compiled into a scratch
# directory at each run; nothing built is kept.
#
#   ZK_CONNECT=127.0.0.1:2181 ./run.sh [case...]
#
# CURATOR_LOG=1 shows the clients' log (slf4j-simple, INFO) on stderr.
set -uo pipefail

suite=curator
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jars=/usr/share/java

for pkg in libcurator-recipes-java:curator-recipes.jar libcurator-framework-java:curator-framework.jar \
	libcurator-client-java:curator-client.jar libzookeeper-java:zookeeper.jar; do
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

work=$(mktemp -d "${COMPAT_TMP:-${TMPDIR:-/tmp}}/curator.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The jars' manifests name their own dependencies (guava, slf4j-api,
# zookeeper, jute, netty), so the classpath lists only the tops.
logjar=$jars/slf4j-nop.jar
[ "${CURATOR_LOG:-0}" = 1 ] && logjar=$jars/slf4j-simple.jar
cp="$jars/curator-recipes.jar:$jars/curator-framework.jar:$jars/curator-client.jar:$jars/zookeeper.jar:$logjar"

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
	-cp "$work/classes:$cp" CuratorSuite "$ZK_CONNECT" "$@" | tee -a "$work/out"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$work/out"; then
	echo "FAIL $suite/jvm: exited $rc without a FAIL line" | tee -a "$work/out"
fi
summary
[ "$rc" -eq 0 ] && ! grep -q '^FAIL ' "$work/out"
