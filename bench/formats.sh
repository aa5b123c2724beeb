#!/usr/bin/env bash
# --format json and chrome against text (issue 12): the cost per event of a trace
# written to a file, on a function with two arguments and a result, in one
# run. Goal: json at most 20% more per event than text. Prints figures;
# never fails for speed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
N=${N:-100000}
RUNS=${RUNS:-3}
cc -g -O2 -o "$OUT/timed" "$ROOT/bench/timed.c" || exit 1
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
declare -A US
# inproc: the target costs next to nothing per call, so its figures are
# the printing's own cost; its ring (KiB) holds the whole run, none lost.
for engine in ptrace ebpf inproc; do
	ring=()
	[[ $engine == inproc ]] && ring=(--ebpf-ring 131072)
	for fmt in text json chrome; do
		n=$N
		[[ $engine == ptrace ]] && n=$((N / 5))
		t=$(for _ in $(seq "$RUNS"); do
			t0=$(date +%s%N)
			"$TINYDBG" trace --engine "$engine" "${ring[@]}" --format "$fmt" --trace-output "$OUT/fmt.$fmt" -e "$OUT/timed" '^f$' -- "$n" >/dev/null 2>&1
			t1=$(date +%s%N)
			echo $((t1 - t0))
		done | median)
		US[$engine-$fmt]=$(awk -v t="$t" -v n="$n" 'BEGIN { printf "%.3f", t / (2 * n) / 1000 }')
		printf '%-8s %-5s %8d events  %8.3f us/event  %10d bytes/event\n' "$engine" "$fmt" $((2 * n)) \
			"${US[$engine-$fmt]}" $(($(stat -c %s "$OUT/fmt.$fmt") / (2 * n)))
	done
	for fmt in json chrome; do
		awk -v a="${US[$engine-$fmt]}" -v b="${US[$engine-text]}" -v e="$engine" -v f="$fmt" \
			'BEGIN { printf "%-8s %s / text = %.3f (goal <= 1.2)\n", e, f, a / b }'
	done
done
