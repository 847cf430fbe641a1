#!/bin/bash
# bench/callgrind.sh: instructions the ctrfs daemon executes per container lifecycle.
#
#   sudo bench/callgrind.sh [--count N] [--out DIR]
#
# Runs the daemon twice under `valgrind --tool=callgrind --trace-children=no`: once for 0 and
# once for N (default 100) lifecycles of /bin/true driven by bench/lifecycle.c (mkdir, write
# cmd, write ctl, read wait, rmdir). Each run starts from empty state and data dirs and ends
# with SIGTERM. (runN - run0) / N is the daemon's cost of one lifecycle, start-up and
# shutdown excluded. Writes DIR/callgrind.txt and DIR/callgrind-annotate.txt (the N run's
# functions by exclusive instructions). Same namespaces and cleanup as bench/lifecycle.sh.
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

COUNT=100
OUT=$BENCH_DIR/results
usage() { sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit "${1:-2}"; }
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--count) COUNT=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	*) usage ;;
	esac
done
case $COUNT in ""|0|*[!0-9]*) die "--count takes a number >= 1" ;; esac
for c in valgrind callgrind_annotate mountpoint cc timeout; do
	command -v "$c" > /dev/null || die "$c is missing"
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

bench_enter_ns "${args[@]}"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_build_helper

# total_ir FILE: the Ir total of one callgrind output file
total_ir() { sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$1" | head -1; }

# run N: daemon under callgrind, N lifecycles, SIGTERM; sets IR (the daemon's instructions) and
# PID (the daemon's pid). The children it forks get files of their own (cg.N.PID), but a child
# inherits its parent's counters at fork, so they are not added: they would count the daemon
# twice.
run() {
	local n=$1
	NOTZERO=0
	rm -rf --one-file-system "$T/state" "$T/data" "$T/cg.$n".*
	bench_start_daemon 180 valgrind --tool=callgrind --trace-children=no \
		--callgrind-out-file="$T/cg.$n.%p" --log-file="$T/valgrind.$n.log"
	PID=$DPID
	if [ "$n" -gt 0 ]; then
		note "$n lifecycles under callgrind"
		# valgrind 3.19 does not know pidfd_open (434): see docs/bench.md; such lifecycles are
		# counted, not fatal.
		LIFECYCLE_ANY_EXIT=1 timeout --foreground $((60 + n * 5)) "$T/lifecycle" "$M" "$PREFIX-cg" "$n" 2> "$T/lifecycle.err" ||
			{ cat "$T/lifecycle.err" >&2; tail -n 20 "$T/ctrfs.log" "$T/valgrind.$n.log" >&2; die "lifecycles under callgrind failed"; }
		NOTZERO=$(sed -n 's/^lifecycle: \([0-9]*\) of .*/\1/p' "$T/lifecycle.err")
	fi
	bench_stop_daemon
	[ -s "$T/cg.$n.$PID" ] || { tail -n 20 "$T/valgrind.$n.log" >&2; die "no callgrind output for the daemon (pid $PID)"; }
	IR=$(total_ir "$T/cg.$n.$PID")
}

run 0
ir0=$IR
run "$COUNT"
irn=$IR pidn=$PID
{
	echo "# ctrfs daemon under callgrind (valgrind $(valgrind --version | sed 's/valgrind-//')), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr)"
	echo "daemon, start + 0 lifecycles + SIGTERM:          $ir0 Ir"
	echo "daemon, start + $COUNT lifecycles + SIGTERM:        $irn Ir"
	echo "daemon, per lifecycle ((run$COUNT - run0) / $COUNT):   $(( (irn - ir0) / COUNT )) Ir"
	echo "lifecycles whose wait was not 0 (pidfd_open unknown to valgrind): ${NOTZERO:-0} of $COUNT"
} | tee "$OUT/callgrind.txt"
callgrind_annotate --inclusive=no --threshold=99 "$T/cg.$COUNT.$pidn" 2> /dev/null | head -60 > "$OUT/callgrind-annotate.txt" || true
note "wrote $OUT/callgrind.txt and $OUT/callgrind-annotate.txt"
