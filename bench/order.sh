#!/usr/bin/env bash
# The cost of keeping the program's output in order with the trace: per
# write of the program, with its stdout going where the trace goes (each
# write stops in a seccomp stop first) against stdout elsewhere (not held),
# and untraced. Two run lengths, so that start-up cancels out; medians of
# RUNS runs. Prints microseconds; never fails for speed.
#   lines: f() once, then N one-line writes (no event pending: a stop each)
#   calls: N times f() then one write (events pending: the write waits
#          for the frontend to print them, a round trip)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
cc -g -O2 -I"$ROOT/tests/fixtures/c" -o "$OUT/order" "$ROOT/tests/fixtures/c/order.c" -pthread || exit 1
BIN=$OUT/order
RUNS=${RUNS:-5}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# ms MODE WHERE N: the median wall time in ns of one run
ns() {
	local mode=$1 where=$2 n=$3 i t0 t1
	for i in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		case $where in
		same) "$TINYDBG" trace -e "$BIN" '^f$' -- $mode $n >"$OUT/order.log" 2>&1 ;;
		apart) "$TINYDBG" trace -e "$BIN" '^f$' -- $mode $n >"$OUT/order.out" 2>"$OUT/order.err" ;;
		bare) "$BIN" $mode $n >"$OUT/order.log" 2>&1 ;;
		esac
		t1=$(date +%s%N)
		echo $((t1 - t0))
	done | median
}
per() { # MODE WHERE N1 N2 UNITS: µs per unit between the two lengths
	local a b
	a=$(ns "$1" "$2" "$3")
	b=$(ns "$1" "$2" "$4")
	awk -v a="$a" -v b="$b" -v n=$(($4 - $3)) 'BEGIN { printf "%.1f", (b - a) / n / 1000 }'
}
echo "per write, no event pending (lines):"
for w in same apart bare; do echo "  $w: $(per lines $w 2000 20000) µs"; done
echo "per f() call (2 events) + 1 write (calls):"
for w in same apart bare; do echo "  $w: $(per calls $w 500 5000) µs"; done
