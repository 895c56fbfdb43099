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

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../java/suite.sh"
# zookeeper.jar's manifest names its dependencies (jute, slf4j-api, netty);
# netty-resolver and netty-codec are missing from it, and the Netty client
# socket needs them.
java_suite kafka KafkaSuite "${KAFKA_LOG:-0}" \
	"libzookeeper-java:zookeeper.jar libzookeeper-java:zookeeper-jute.jar libnetty-java:netty-resolver.jar libnetty-java:netty-codec.jar" "$@"
