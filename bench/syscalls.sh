#!/usr/bin/env bash
# --syscalls (issue 12), side by side in one run: a launched program making
# a million system calls none of which match (the seccomp filter lets them
# through: goal at most 5% slower), and one opening files, traced for
# openat by tinydbg and by `strace -f -e trace=openat` (goal: ratio below
# 1). tinydbg under ptrace (a seccomp filter, a stop per matched call) and
# under --ebpf (the raw syscall tracepoints, filtered in BPF: no stop).
# Prints figures; never fails for speed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
RUNS=${RUNS:-3}
N=${N:-1000000}
M=${M:-20000}
cc -O2 -o "$OUT/sysloop" "$ROOT/bench/sysloop.c" || exit 1
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ns() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $((t1 - t0)); }
run() { for _ in $(seq "$RUNS"); do ns "$@"; done | median; }

base=$(run "$OUT/sysloop" getppid "$N")
traced=$(run "$TINYDBG" trace --syscalls '^openat$' -e "$OUT/sysloop" -- getppid "$N")
ebpf=$(run "$TINYDBG" trace --ebpf --syscalls '^openat$' -e "$OUT/sysloop" -- getppid "$N")
awk -v b="$base" -v t="$traced" -v e="$ebpf" -v n="$N" 'BEGIN {
	printf "%d unmatched system calls: untraced %.3f s, --syscalls openat %.3f s: %+.1f%%, with --ebpf %.3f s: %+.1f%% (goal <= +5%%; tinydbg start-up included)\n",
		n, b / 1e9, t / 1e9, (t - b) * 100 / b, e / 1e9, (e - b) * 100 / b }'

base=$(run "$OUT/sysloop" open "$M")
td=$(run "$TINYDBG" trace --syscalls '^openat$' --trace-output /dev/null -e "$OUT/sysloop" -- open "$M")
te=$(run "$TINYDBG" trace --ebpf --syscalls '^openat$' --trace-output /dev/null -e "$OUT/sysloop" -- open "$M")
if command -v strace >/dev/null; then
	st=$(run strace -f -e trace=openat -o /dev/null "$OUT/sysloop" open "$M")
	awk -v b="$base" -v t="$td" -v e="$te" -v s="$st" -v n="$M" 'BEGIN {
		printf "%d openat traced: tinydbg %.2f us/call, tinydbg --ebpf %.2f us/call, strace -f -e trace=openat %.2f us/call: ratio %.3f, --ebpf %.3f (goal < 1)\n",
			n, (t - b) / n / 1e3, (e - b) / n / 1e3, (s - b) / n / 1e3, (t - b) / (s - b), (e - b) / (s - b) }'
fi
