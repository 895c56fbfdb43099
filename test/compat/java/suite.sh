# Shared body of the Java suites' run.sh (sourced, not run): checks the
# Debian packages, compiles the suite's src/ with the shared sources here
# into a scratch directory, runs MAIN against $ZK_CONNECT and prints the
# suite contract's summary (test/compat/README.md).
#
# java_suite SUITE MAIN LOG "PKG:JAR ..." [case...]
#   LOG=1 puts slf4j-simple (INFO on stderr) on the classpath, else slf4j-nop.
#   Each PKG:JAR is a Debian package and the jar of /usr/share/java it
#   ships; the jars form the classpath in that order.
java_suite() {
	local suite=$1 main=$2 log=$3 pkgs=$4
	shift 4
	local jars=/usr/share/java here shared cp="" pkg
	here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
	shared=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	for pkg in $pkgs; do
		if [ ! -f "$jars/${pkg#*:}" ]; then
			echo "SKIP $suite: ${pkg%%:*} not installed"
			return 0
		fi
		cp="$cp$jars/${pkg#*:}:"
	done
	if ! command -v javac >/dev/null 2>&1; then
		echo "SKIP $suite: default-jdk-headless not installed (no javac)"
		return 0
	fi
	: "${ZK_CONNECT:?ZK_CONNECT must be host:port of the server under test}"
	if [ "$log" = 1 ]; then cp="${cp}$jars/slf4j-simple.jar"; else cp="${cp}$jars/slf4j-nop.jar"; fi

	work=$(mktemp -d "${COMPAT_TMP:-${TMPDIR:-/tmp}}/$suite.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	touch "$work/out"
	summary() { echo "$suite: $(grep -c '^PASS ' "$work/out") passed, $(grep -c '^FAIL ' "$work/out") failed"; }

	if ! javac -nowarn -Xlint:none -encoding UTF-8 -d "$work/classes" -cp "$cp" "$here"/src/*.java "$shared"/*.java >"$work/javac.log" 2>&1; then
		echo "FAIL $suite/compile: javac failed: $(head -c 600 "$work/javac.log" | tr '\n' ' ')" | tee -a "$work/out"
		summary
		return 1
	fi
	# The Java side bounds each case and the whole run; timeout is the last
	# resort against a hung JVM.
	timeout -k 5 165 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true \
		-Dorg.slf4j.simpleLogger.logFile=System.err \
		-cp "$work/classes:$cp" "$main" "$ZK_CONNECT" "$@" | tee -a "$work/out"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$work/out"; then
		echo "FAIL $suite/jvm: exited $rc without a FAIL line" | tee -a "$work/out"
	fi
	summary
	[ "$rc" -eq 0 ] && ! grep -q '^FAIL ' "$work/out"
}
