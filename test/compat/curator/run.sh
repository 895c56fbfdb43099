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

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../java/suite.sh"
# The jars' manifests name their own dependencies (guava, slf4j-api,
# zookeeper, jute, netty), so the classpath lists only the tops.
java_suite curator CuratorSuite "${CURATOR_LOG:-0}" \
	"libcurator-recipes-java:curator-recipes.jar libcurator-framework-java:curator-framework.jar libcurator-client-java:curator-client.jar libzookeeper-java:zookeeper.jar" "$@"
