#!/usr/bin/env bash
# ensemble suite: kazoo (Debian python3-kazoo) against a 3-member ensemble of
# the target, made here from zoo.cfg + myid files on loopback ports: writes
# and watches across members, a client moving between members, leader
# SIGKILL, read-only mode and reconfig. The runner's standalone server is
# not used. `./run.sh leader_kill` runs some cases.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

py=/usr/bin/python3
if [ ! -x "$py" ] || ! "$py" -c 'import kazoo' 2>/dev/null; then
	echo "SKIP ensemble: python3-kazoo not installed"
	exit 0
fi
: "${COMPAT_TMP:?COMPAT_TMP must be a scratch directory}"
: "${COMPAT_LIB:?COMPAT_LIB must name lib.sh}"
# shellcheck source=../lib.sh
. "$COMPAT_LIB"

ens="$COMPAT_TMP/ensemble"
started=0
for try in 1 2 3; do
	rm -rf "$ens"
	# ZooKeeper 3.8 lets a client into a read-only server only with local
	# sessions on (its RO server cannot create global ones); zkraft reads
	# the keys and serves read-only clients either way.
	compat_ensemble_init "$ens" 3 readonlymode.enabled=true reconfigEnabled=true \
		localSessionsEnabled=true localSessionsUpgradingEnabled=true || continue
	for k in 1 2 3; do compat_server_launch "$ens/$k"; done
	ok=1
	for k in 1 2 3; do compat_server_wait "$ens/$k" || ok=0; done
	if [ $ok -eq 1 ]; then
		started=1
		break
	fi
	for k in 1 2 3; do compat_server_stop "$ens/$k"; done
done
if [ $started -eq 0 ]; then
	echo "FAIL ensemble/start: three members of $ZK_TARGET did not form an ensemble"
	exit 1
fi
# Members are stopped by the runner (it stops every server with a zoo.cfg
# under the scratch directory), also when this suite times out.
export ENSEMBLE_DIR="$ens"
out="$COMPAT_TMP/out"
: >"$out"
# kazoo's cases (suite.py), then Curator's (src/, compiled by java_suite).
# Each part prints its own summary; the suite's is the sum of both.
kazoo=() curator=()
for c in "$@"; do
	case $c in curator_*) curator+=("$c") ;; *) kazoo+=("$c") ;; esac
done
if [ $# -eq 0 ] || [ ${#kazoo[@]} -gt 0 ]; then
	timeout -k 5 100 "$py" -B -u suite.py "${kazoo[@]}" | grep -v '^ensemble: .* passed' | tee -a "$out"
fi
if [ $# -eq 0 ] || [ ${#curator[@]} -gt 0 ]; then
	# shellcheck source=../java/suite.sh
	. ../java/suite.sh
	# java_suite hands MAIN $ZK_CONNECT first: the ensemble's.
	(ZK_CONNECT=$(for k in 1 2 3; do compat_server_addr "$ens/$k"; done | paste -sd,) java_suite ensemble EnsembleCurator 0 \
		"libcurator-recipes-java:curator-recipes.jar libcurator-framework-java:curator-framework.jar libcurator-client-java:curator-client.jar libzookeeper-java:zookeeper.jar" \
		"${curator[@]}") | grep -v '^ensemble: .* passed' | tee -a "$out"
fi
if grep -q '^SKIP ' "$out" && [ "${CI:-false}" = true ]; then
	echo "FAIL ensemble/skipped: CI=true installs every package this suite needs" | tee -a "$out"
fi
pass=$(grep -c '^PASS ' "$out") fail=$(grep -c '^FAIL ' "$out")
echo "ensemble: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
