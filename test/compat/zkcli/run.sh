#!/usr/bin/env bash
# zkCli suite: scripted zkCli.sh sessions (Apache ZooKeeper 3.8's shell)
# covering every command of the shell. Each case is cases/<name>.zk:
#
#   <zkCli command>       fed to zkCli on stdin ($ZK_CONNECT is replaced)
#   #> text               text must appear in the case's output (fixed string)
#   #!> line              no output line may be exactly this
#   # ...                 a comment
#   @session              end this zkCli session (EOF) and start a new one
#   @pause SECONDS        wait before feeding the next command
#   @args CMD ARGS...     run `zkCli.sh -server $ZK_CONNECT CMD ARGS...` on its
#                         own and print `exit=<status>`
#   @chroot PATH CMD...   as @args, connected with the chroot suffix PATH
#   @gone PATH            poll (stat, up to 15 s) until PATH does not exist,
#                         print `gone PATH` or `still there PATH`
#
# Besides its #> lines, a case's output, normalised (zxids, times, session
# ids, ports, log noise and the asynchronously printed watch events taken
# out), must equal expected/<name>.golden, recorded from Apache ZooKeeper 3.8:
#
#   ZKRAFT_TARGET=zookeeper ZKCLI_RECORD=1 ../run.sh zkcli
#
# (or, with a server of your own, ZK_CONNECT=... ./run.sh --record [case...]).
#
# so the suite shows that zkraft prints exactly what ZooKeeper prints.
set -uo pipefail

suite=zkcli
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
zkcli=/usr/share/zookeeper/bin/zkCli.sh
record="${ZKCLI_RECORD:-0}"
if [ "${1:-}" = --record ]; then
	record=1
	shift
fi
# Remaining arguments name cases to run (e.g. 04-watches); default all.
only=("$@")

if [ ! -x "$zkcli" ]; then
	echo "SKIP $suite: zookeeper not installed ($zkcli missing)"
	exit 0
fi
: "${ZK_CONNECT:?ZK_CONNECT must be host:port of the server under test}"

work=$(mktemp -d "${COMPAT_TMP:-${TMPDIR:-/tmp}}/zkcli.XXXXXX")
trap 'rm -rf "$work"' EXIT

# zkCli's log4j setup in /etc/zookeeper/conf writes to a file; keep it in
# our scratch dir rather than /var/log.
export ZOO_LOG_DIR="$work"
export CLIENT_JVMFLAGS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Dzookeeper.log.dir=$work"

# zkcli_session FEEDER: run one zkCli session reading commands from the
# feeder's stdout, bounded by 60 s.
zkcli_session() {
	timeout -k 5 60 "$zkcli" -server "$ZK_CONNECT" 2>&1
}

# run_case FILE OUT: execute the case's directives, writing all output to OUT.
run_case() {
	local file=$1 out=$2 feed="$work/feed" line n=1
	: >"$out"
	: >"$feed"
	flush_session() {
		if [ -s "$feed" ]; then
			echo "=== session $n" >>"$out"
			bash "$feed" | zkcli_session >>"$out"
			n=$((n + 1))
		fi
		: >"$feed"
	}
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//\$ZK_CONNECT/$ZK_CONNECT}
		case "$line" in
		'#'* | '') ;;
		@session) flush_session ;;
		'@pause '*) echo "sleep ${line#@pause }" >>"$feed" ;;
		'@args '*)
			flush_session
			echo "=== args ${line#@args }" >>"$out"
			# shellcheck disable=SC2086 # word splitting is the point
			timeout -k 5 60 "$zkcli" -server "$ZK_CONNECT" ${line#@args } >>"$out" 2>&1 </dev/null
			echo "exit=$?" >>"$out"
			;;
		'@chroot '*)
			flush_session
			local rest=${line#@chroot } chroot
			chroot=${rest%% *}
			echo "=== chroot $rest" >>"$out"
			# shellcheck disable=SC2086 # word splitting is the point
			timeout -k 5 60 "$zkcli" -server "$ZK_CONNECT$chroot" ${rest#* } >>"$out" 2>&1 </dev/null
			echo "exit=$?" >>"$out"
			;;
		'@gone '*)
			flush_session
			local path=${line#@gone } deadline=$((SECONDS + 15)) gone=0
			while [ $SECONDS -lt $deadline ]; do
				# Not piped into grep -q: zkCli killed by SIGPIPE would
				# fail the pipeline.
				if timeout 30 "$zkcli" -server "$ZK_CONNECT" stat "$path" </dev/null >"$work/gone" 2>&1
					grep -qx "Node does not exist: $path" "$work/gone"; then
					gone=1
					break
				fi
				sleep 0.3
			done
			if [ $gone -eq 1 ]; then echo "gone $path" >>"$out"; else echo "still there $path" >>"$out"; fi
			;;
		@*)
			echo "unknown directive: $line" >>"$out"
			;;
		*) printf 'echo %q\n' "$line" >>"$feed" ;;
		esac
	done <"$file"
	flush_session
}

# normalise: what may differ between runs and servers goes. Watch events are
# printed by zkCli's event thread and interleave with command output in no
# fixed order, so they are checked by #> lines only (on the output as
# printed). Lists are sorted: the order of getChildren and getEphemerals is
# unspecified (a hash set in ZooKeeper).
normalise() {
	# zkCli prints lists (ls, getEphemerals) in pieces, and an event
	# printed meanwhile can split one over several lines: once the event
	# lines are gone, a line opening "[" runs until the line closing "]".
	grep -v -e '^SLF4J:' -e '^$' -e '^WATCHER::$' -e '^WatchedEvent ' |
		awk '
		open { line = line $0; if ($0 ~ /\]$/) { print line; open = 0 } next }
		/^\[/ && !/\]$/ { line = $0; open = 1; next }
		{ print }
		END { if (open) print line }' |
		sed -E \
			-e 's/^Connecting to .*/Connecting to SERVER/' \
			-e 's/^(cZxid|mZxid|pZxid) = 0x[0-9a-f]+$/\1 = ZXID/' \
			-e 's/^(ctime|mtime) = .*/\1 = TIME/' \
			-e 's/^ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*$/ephemeralOwner = SESSION/' \
			-e "s/${ZK_CONNECT//./\\.}/SERVER/g" |
		awk '
			/^\[.*\]$/ {
				s = substr($0, 2, length($0) - 2); n = split(s, a, ", ")
				for (i = 2; i <= n; i++) { v = a[i]; j = i - 1; while (j > 0 && a[j] > v) { a[j+1] = a[j]; j-- } a[j+1] = v }
				out = "["; for (i = 1; i <= n; i++) out = out (i > 1 ? ", " : "") a[i]; print out "]"; next
			}
			{ print }'
}

pass=0 fail=0
for file in "$here"/cases/*.zk; do
	name=$(basename "$file" .zk)
	if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then
		continue
	fi
	out="$work/$name.out"
	run_case "$file" "$out"
	why=()
	# #> lines are looked for in the output as printed and as normalised
	# (where lists are sorted).
	normalise <"$out" >"$out.norm"
	while IFS= read -r want; do
		grep -qF -- "$want" "$out" "$out.norm" || why+=("missing \"$want\"")
	done < <(sed -n 's/^#> //p' "$file")
	while IFS= read -r bad; do
		grep -qxF -- "$bad" "$out" && why+=("unexpected \"$bad\"")
	done < <(sed -n 's/^#!> //p' "$file")
	golden="$here/expected/$name.golden"
	if [ "$record" = 1 ]; then
		cp "$out.norm" "$golden"
	elif [ ! -f "$golden" ]; then
		why+=("no expected/$name.golden")
	elif ! diff -u "$golden" "$out.norm" >"$work/$name.diff"; then
		why+=("output differs from ZooKeeper's (expected/$name.golden): $(grep '^[-+][^-+]' "$work/$name.diff" | head -n 6 | tr '\n' '|')")
	fi
	if [ ${#why[@]} -eq 0 ]; then
		echo "PASS $suite/$name"
		pass=$((pass + 1))
	else
		echo "FAIL $suite/$name: $(printf '%s; ' "${why[@]}")"
		fail=$((fail + 1))
		{
			echo "--- output of $name:"
			cat "$out"
			[ -f "$work/$name.diff" ] && cat "$work/$name.diff"
		} >&2
	fi
done
echo "$suite: $pass passed, $fail failed"
[ $fail -eq 0 ]
