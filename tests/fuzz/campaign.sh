#!/bin/bash
#
# campaign.sh - runs every libFuzzer harness of a fuzz build for a while
# and prints what each did (docs/testing.md, "Fuzzing campaigns").
#
#   tests/fuzz/campaign.sh [-t seconds] [-r runs] [-j n] [-o dir] [-m]
#       [-R] build-fuzz [harness ...]
#
# Each harness runs until it has executed -r inputs or spent -t seconds,
# whichever comes first (defaults: 10 M and 600 s), -j at a time
# (default 2).  It starts from its seed corpus tests/fuzz/corpus/<name>/,
# which it only reads: what it finds goes to <dir>/<name>/corpus, its
# reproducers (crash-, leak-, timeout-, oom-) to <dir>/<name>/, its output
# to <dir>/<name>/log.  -m merges the new inputs into the seed corpus
# afterwards (libFuzzer -merge=1 -use_counters=0: only inputs that reach
# an edge the corpus does not, so it stays small).  -R only
# prints the table of an earlier run's <dir>.
#
# The table: executions, executions per second, coverage (libFuzzer's
# cov: edges and ft: features from its last status line), peak RSS and
# findings (reproducer files).  "stop" says why the run ended: runs or
# time (the limits), crash (a finding), killed (a signal), or running.
# Exit status: 0 when no harness found anything, 1 when one did, 2 on
# bad usage.  Shaped as a script, not a CMake target, so a long run can
# be started on a bare build directory, niced, and read while it runs.

set -u

runs=10000000
secs=600
jobs=2
out=fuzz-campaign
merge=0
report_only=0

usage() {
	echo "usage: $0 [-t seconds] [-r runs] [-j n] [-o dir] [-m] [-R]" \
	    "build-dir [harness ...]" >&2
	exit 2
}

while getopts "t:r:j:o:mR" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	r) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) out=$OPTARG ;;
	m) merge=1 ;;
	R) report_only=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
case "$secs$runs$jobs" in
*[!0-9]*) echo "$0: -t, -r and -j take whole numbers" >&2; exit 2 ;;
esac
[ "$jobs" -ge 1 ] || usage

build=$1
shift
src=$(cd "$(dirname "$0")" && pwd)
bindir=$build/tests

if [ $# -gt 0 ]; then
	harnesses="$*"
elif [ "$report_only" = 1 ]; then
	harnesses=$(cd "$out" 2>/dev/null && ls -d fuzz_* 2>/dev/null)
else
	harnesses=$(cd "$bindir" 2>/dev/null && ls fuzz_* 2>/dev/null)
fi
if [ -z "$harnesses" ]; then
	echo "$0: no harness in $bindir (a -DEXOGPU_FUZZ=ON build?)" >&2
	exit 2
fi

# One harness: runs it, then merges when asked.
run_one() {
	local name=$1 dir=$out/$1 bin=$bindir/$1 rc

	if [ ! -x "$bin" ] || ! grep -q LLVMFuzzerTestOneInput "$bin"; then
		echo "$name: $bin is not a libFuzzer binary" >"$dir/log"
		echo 2 >"$dir/rc"
		return
	fi
	mkdir -p "$dir/corpus"
	date +%s >"$dir/start"
	# -timeout: one input over 25 s is a finding (a hang), not a slow run.
	"$bin" -runs="$runs" -max_total_time="$secs" -timeout=25 \
	    -print_final_stats=1 -artifact_prefix="$dir/" \
	    "$dir/corpus" "$src/corpus/$name" >"$dir/log" 2>&1
	rc=$?
	date +%s >"$dir/end"
	echo "$rc" >"$dir/rc"
	if [ "$merge" = 1 ] && [ "$rc" = 0 ]; then
		"$bin" -merge=1 -use_counters=0 "$src/corpus/$name" \
		    "$dir/corpus" >"$dir/merge.log" 2>&1
	fi
}

# Value of a libFuzzer "stat::key: value" line; empty when missing.
stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# The last status line's "key: value" (cov, ft, exec/s, rss).
field() {
	grep -a -E '^#[0-9]+' "$2" | tail -n 1 |
	    sed -n "s|.* $1: \([0-9]*\).*|\1|p"
}

report() {
	local name dir log execs eps cov ft rss found rc stop total=0

	printf '%-22s %11s %8s %7s %8s %8s %8s %s\n' harness execs exec/s \
	    cov ft rss_mb findings stop
	for name in $harnesses; do
		dir=$out/$name
		log=$dir/log
		[ -f "$log" ] || continue
		execs=$(stat number_of_executed_units "$log")
		eps=$(stat average_exec_per_sec "$log")
		rss=$(stat peak_rss_mb "$log")
		[ -n "$execs" ] || execs=$(grep -a -E '^#[0-9]+' "$log" |
		    tail -n 1 | sed 's/^#\([0-9]*\).*/\1/')
		[ -n "$eps" ] || eps=$(field exec/s "$log")
		[ -n "$rss" ] || rss=$(field rss "$log")
		cov=$(field cov "$log")
		ft=$(field ft "$log")
		found=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' \
		    -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \
		    \) | wc -l)
		rc=$(cat "$dir/rc" 2>/dev/null)
		if [ -z "$rc" ]; then
			stop=running
		elif [ "$found" -gt 0 ] ||
		    { [ "$rc" != 0 ] && [ "$rc" -lt 128 ]; }; then
			stop=crash
		elif [ "$rc" != 0 ]; then
			stop=killed
		elif [ "${execs:-0}" -ge "$runs" ]; then
			stop=runs
		else
			stop=time
		fi
		[ "$stop" = crash ] && [ "$found" = 0 ] && found=1
		total=$((total + found))
		printf '%-22s %11s %8s %7s %8s %8s %8s %s\n' "$name" \
		    "${execs:--}" "${eps:--}" "${cov:--}" "${ft:--}" \
		    "${rss:--}" "$found" "$stop"
	done
	[ "$total" = 0 ]
}

main() {
	local name n

	if [ "$report_only" = 0 ]; then
		mkdir -p "$out" || exit 2
		for name in $harnesses; do
			rm -f "$out/$name/rc" "$out/$name/log"
			mkdir -p "$out/$name" || exit 2
		done
		n=0
		for name in $harnesses; do
			if [ "$n" -ge "$jobs" ]; then
				wait -n
				n=$((n - 1))
			fi
			echo "$(date -u +%H:%M:%S) $name" >&2
			run_one "$name" &
			n=$((n + 1))
		done
		wait
	fi
	report && return 0
	echo "findings: reproducers are in $out/<harness>/" >&2
	return 1
}

# One line, read whole before it runs: editing this file while a long
# campaign runs cannot change what the running shell executes.
main; exit $?
