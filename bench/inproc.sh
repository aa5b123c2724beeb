#!/usr/bin/env bash
# The in-process engine (issue 13), side by side in one run: what tracing
# f(x, y) with both arguments and the result costs the traced program per
# call, measured by the program itself around its loop (bench/timed.c), for
# tinydbg's three engines and for uftrace on the same function built with
# -pg (uftrace cannot trace an unmodified binary); launched, and attached
# with inproc; the same on a Go function (bench/gotimed). Then two threads
# calling at full speed (every event printed or the loss counted exactly),
# and a thousand functions patched and restored on an attached process. Prints figures; never fails for speed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
N=${N:-200000}
RUNS=${RUNS:-3}
cc -g -O2 -o "$OUT/timed" "$ROOT/bench/timed.c" || exit 1
cc -g -O2 -pg -o "$OUT/timed-pg" "$ROOT/bench/timed.c" || exit 1
cc -g -O2 -o "$OUT/threads" "$ROOT/bench/threads.c" -lpthread || exit 1

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# From the program's stdout: its loop's wall time, or (CPU=1) its own CPU
# time, which leaves out the time it waited for a CPU the tracer held.
loop_ns() { awk -v k="$([[ ${CPU:-0} == 1 ]] && echo cpu_ns || echo loop_ns)" '$1 == k { print $2 }'; }
declare -A US
# measure NAME N CMD...: µs per call over the untraced loop (CMD's stdout
# carries loop_ns)
base=$(for _ in $(seq "$RUNS"); do "$OUT/timed" "$N" | loop_ns; done | median)
measure() {
	local name=$1 n=$2; shift 2
	local t b
	t=$(for _ in $(seq "$RUNS"); do "$@" 2>/dev/null | loop_ns; done | median)
	b=$(awk -v b="$base" -v n="$n" -v N="$N" 'BEGIN { print b * n / N }')
	US[$name]=$(awk -v t="$t" -v b="$b" -v n="$n" 'BEGIN { printf "%.3f", (t - b) / n / 1000 }')
	printf '%-40s %8d calls  %9.3f us/call\n' "$name" "$n" "${US[$name]}"
}
ratio() { # A B LABEL
	[[ -n ${US[$1]:-} && -n ${US[$2]:-} ]] || return
	awk -v a="${US[$1]}" -v b="${US[$2]}" -v l="$3" 'BEGIN { printf "%-52s = %.3f\n", l, a / b }'
}
# The ring holds every event of the run (2 per call, under 320 bytes each).
ring=$(( (N * 2 * 320 / 1024 + 1024) ))
p=1; while ((p < ring)); do p=$((p * 2)); done; ring=$p

echo "($([[ ${CPU:-0} == 1 ]] && echo "the traced loop's own CPU time" || echo "the traced loop's wall time"))"
echo "in-process engine, $(nproc) CPUs, kernel $(uname -r), untraced loop $(awk -v b="$base" -v n="$N" 'BEGIN { printf "%.4f", b / n / 1000 }') us/call"
measure "tinydbg inproc, launched" "$N" "$TINYDBG" trace --engine inproc --ebpf-ring "$ring" -e "$OUT/timed" '^f$' -- "$N"
measure "tinydbg ebpf, launched" "$N" "$TINYDBG" trace --ebpf --ebpf-ring "$ring" -e "$OUT/timed" '^f$' -- "$N"
measure "tinydbg ptrace, launched" $((N / 20)) "$TINYDBG" trace -e "$OUT/timed" '^f$' -- $((N / 20))
if command -v uftrace >/dev/null; then
	measure "uftrace record -pg (arg1, arg2, retval)" "$N" \
		uftrace record -d "$OUT/uftrace.data" -A 'f@arg1,arg2' -R f@retval "$OUT/timed-pg" "$N"
fi
# Attached: the program sleeps a second, we attach, its loop runs traced.
attached() {
	local out=$OUT/timed-attached.out
	"$OUT/timed" "$N" wait >"$out" &
	local pid=$!
	sleep 0.2
	"$TINYDBG" trace --engine inproc --ebpf-ring "$ring" -p $pid '^f$' >/dev/null 2>&1 &
	local tp=$!
	wait $pid
	wait $tp
	cat "$out"
}
measure "tinydbg inproc, attached" "$N" attached
echo
ratio "tinydbg inproc, launched" "uftrace record -pg (arg1, arg2, retval)" "inproc / uftrace (goal <= 1)"
ratio "tinydbg inproc, launched" "tinydbg ebpf, launched" "inproc / ebpf"
ratio "tinydbg inproc, launched" "tinydbg ptrace, launched" "inproc / ptrace"
awk -v a="${US[tinydbg inproc, launched]:-0}" 'BEGIN { printf "%-52s = %.3f us (goal <= 0.3)\n", "inproc per call", a }'

# Go: main.f(x, y) of bench/gotimed (built as shipped, not -N -l), the
# same measure against its own untraced loop, under the three engines.
if command -v go >/dev/null; then
	gob=$OUT/gotimed
	if (cd "$ROOT/bench/gotimed" && GOFLAGS='' GOPROXY=off go build -o "$gob" .); then
		cbase=$base
		base=$(for _ in $(seq "$RUNS"); do "$gob" "$N" | loop_ns; done | median)
		echo
		echo "Go, untraced loop $(awk -v b="$base" -v n="$N" 'BEGIN { printf "%.4f", b / n / 1000 }') us/call"
		measure "tinydbg inproc, Go" "$N" "$TINYDBG" trace --engine inproc --ebpf-ring "$ring" -e "$gob" '^main\.f$' -- "$N"
		measure "tinydbg ebpf, Go" "$N" "$TINYDBG" trace --ebpf --ebpf-ring "$ring" -e "$gob" '^main\.f$' -- "$N"
		measure "tinydbg ptrace, Go" $((N / 20)) "$TINYDBG" trace -e "$gob" '^main\.f$' -- $((N / 20))
		ratio "tinydbg inproc, Go" "tinydbg ebpf, Go" "inproc / ebpf, Go"
		ratio "tinydbg inproc, Go" "tinydbg ptrace, Go" "inproc / ptrace, Go"
		ratio "tinydbg inproc, Go" "uftrace record -pg (arg1, arg2, retval)" "inproc Go / uftrace C (goal <= 1)"
		base=$cbase
	fi
fi
# Two threads at full speed: every event printed, or the loss counted.
echo
per=${THREAD_CALLS:-1000000}
t0=$(date +%s%N)
"$TINYDBG" trace --engine inproc -e "$OUT/threads" '^f$' -- "$per" 2 2>&1 >/dev/null |
	awk '/^> thread/ { e++ } /^>> thread/ { r++ } /^tinydbg: lost [0-9]+ events$/ { l += $3 }
	     END { printf "%d %d %d\n", e, r, l }' >"$OUT/threads.count"
t1=$(date +%s%N)
read -r e r l <"$OUT/threads.count"
printf '2 threads x %d calls, default ring: %d entries + %d returns printed, %d lost: %d of %d events (%s), %.2f s\n' \
	"$per" "$e" "$r" "$l" $((e + r + l)) $((4 * per)) \
	"$( ((e + r + l == 4 * per)) && echo exact || echo MISMATCH)" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')"

# A thousand functions on an attached process: attach, patch, Ctrl-C,
# restore, detach.
many=$OUT/many1000w
{
	for i in $(seq 0 999); do echo "__attribute__((noinline)) int f$i(int x) { return x * 3 + $i; }"; done
	echo "#include <unistd.h>"
	echo "int main(void) { volatile int s = 0; for (;;) { usleep(1000);"
	for i in $(seq 0 999); do echo "s += f$i(s);"; done
	echo "} }"
} >"$many.c"
cc -g -O2 -o "$many" "$many.c" || exit 1
"$many" &
mp=$!
sleep 0.2
t0=$(date +%s%N)
"$TINYDBG" trace --engine inproc --max-functions 2000 -p $mp '^f[0-9]+$' >/dev/null 2>"$OUT/many.err" &
tp=$!
# Until the first event: attached and patched.
for _ in $(seq 200); do grep -q '^>' "$OUT/many.err" && break; sleep 0.01; done
t1=$(date +%s%N)
kill -INT $tp
wait $tp
t2=$(date +%s%N)
kill $mp
wait $mp 2>/dev/null
awk -v a="$t0" -v b="$t1" -v c="$t2" \
	'BEGIN { printf "1000 functions, attached: attach + patch %.3f s, restore + detach %.3f s\n", (b - a) / 1e9, (c - b) / 1e9 }'
