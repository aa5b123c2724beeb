#!/usr/bin/env bash
# The eBPF engine (issue 9), side by side in one run: per traced call with
# its argument and result loaded, --ebpf against the ptrace engine and
# bpftrace printing the same values; on an entry the kernel emulates (gcc
# -O0: push %rbp) and on one it must single-step (gcc -O2: mov), and on a
# Go function; then four threads calling a traced function at once (every
# event printed, or the loss counted exactly). Prints figures and ratios;
# never fails for speed. Needs root (BPF).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
RUNS=${RUNS:-3}
N=${N:-200000}
cc -g -O0 -o "$OUT/target-O0" "$ROOT/bench/target.c" || exit 1
cc -g -O2 -o "$OUT/target-O2" "$ROOT/bench/target.c" || exit 1
cc -g -O2 -o "$OUT/threads" "$ROOT/bench/threads.c" -lpthread || exit 1

now() { date +%s%N; }
time_ns() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1; t1=$(now); echo $((t1 - t0)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
declare -A US
# measure NAME BIN N CMD...: µs per call of CMD (which ends with BIN's
# count): from two run lengths, N and 2N, so that the start-up (loading
# symbols; for eBPF the program and its ring too, ~0.1 s) cancels out,
# the untraced program's own time taken away. For reference, the N run's
# whole time over N as well (start-up included).
measure() {
	local name=$1 bin=$2 n=$3; shift 3
	local t1 t2 b1 b2
	t1=$(for _ in $(seq "$RUNS"); do time_ns "$@" "$n"; done | median)
	t2=$(for _ in $(seq "$RUNS"); do time_ns "$@" $((2 * n)); done | median)
	b1=$(for _ in $(seq "$RUNS"); do time_ns "$bin" "$n"; done | median)
	b2=$(for _ in $(seq "$RUNS"); do time_ns "$bin" $((2 * n)); done | median)
	US[$name]=$(awk -v a="$t1" -v b="$t2" -v c="$b1" -v d="$b2" -v n="$n" \
		'BEGIN { printf "%.3f", (b - a - (d - c)) / n / 1000 }')
	printf '%-34s %8d calls  %9.3f us/call  (%.3f with start-up)\n' "$name" "$n" "${US[$name]}" \
		"$(awk -v t="$t1" -v b="$b1" -v n="$n" 'BEGIN { printf "%.3f", (t - b) / n / 1000 }')"
}
bpftrace_run() { # BIN N
	bpftrace -q -e "uprobe:$1:f { printf(\"%d\n\", arg0); } uretprobe:$1:f { printf(\"%d\n\", retval); }" -c "$1 $2"
}
ratio() { # A B LABEL
	[[ -n ${US[$1]:-} && -n ${US[$2]:-} ]] || return
	awk -v a="${US[$1]}" -v b="${US[$2]}" -v l="$3" 'BEGIN { printf "%-44s = %.3f\n", l, a / b }'
}

echo "eBPF engine, $(nproc) CPUs, kernel $(uname -r)"
for o in O0 O2; do
	bin=$OUT/target-$o
	n=$N
	[[ $o == O2 ]] && n=$((N / 2))
	measure "ptrace -$o" "$bin" $((n / 4)) "$TINYDBG" trace -e "$bin" '^f$' --
	measure "ebpf -$o" "$bin" "$n" "$TINYDBG" trace --ebpf -e "$bin" '^f$' --
	if command -v bpftrace >/dev/null; then
		measure "bpftrace -$o (printf arg, retval)" "$bin" "$n" bpftrace_run "$bin"
	fi
done
echo
ratio "ebpf -O0" "ptrace -O0" "ebpf / ptrace, emulated entry (goal <= 0.1)"
ratio "ebpf -O0" "bpftrace -O0 (printf arg, retval)" "ebpf / bpftrace, emulated entry (goal <= 1)"
ratio "ebpf -O2" "ptrace -O2" "ebpf / ptrace, single-stepped entry (goal <= 1)"
ratio "ebpf -O2" "bpftrace -O2 (printf arg, retval)" "ebpf / bpftrace, single-stepped entry"

# Go: main.f of bench/go, built -N -l.
if command -v go >/dev/null; then
	gobin=$OUT/gotarget
	(cd "$ROOT/bench/go" && GOFLAGS='' GOPROXY=off go build -gcflags='all=-N -l' -o "$gobin" .) &&
	{
		measure "ptrace Go" "$gobin" $((N / 4)) "$TINYDBG" trace -e "$gobin" '^main\.f$' --
		measure "ebpf Go" "$gobin" "$N" "$TINYDBG" trace --ebpf -e "$gobin" '^main\.f$' --
		ratio "ebpf Go" "ptrace Go" "ebpf / ptrace, Go (goal <= 1)"
	}
fi

# Four threads, a million calls in all: every event printed or counted lost.
echo
calls=${THREAD_CALLS:-1000000}
per=$((calls / 4))
for ring in 8192 64; do
	t0=$(now)
	"$TINYDBG" trace --ebpf --ebpf-ring "$ring" -e "$OUT/threads" '^f$' -- "$per" 4 2>&1 >/dev/null |
		awk '/^> thread/ { e++ } /^>> thread/ { r++ } /^tinydbg: lost [0-9]+ events$/ { l += $3 }
		     END { printf "%d %d %d\n", e, r, l }' >"$OUT/threads.count"
	t1=$(now)
	read -r e r l <"$OUT/threads.count"
	printf '4 threads x %d calls, ring %5d KiB: %d entries + %d returns printed, %d lost: %d of %d events (%s), %.2f s\n' \
		"$per" "$ring" "$e" "$r" "$l" $((e + r + l)) $((2 * calls)) \
		"$( ((e + r + l == 2 * calls)) && echo exact || echo MISMATCH)" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')"
done

# What the first instruction costs a uprobe on this kernel (bpftrace,
# counting only): emulated (push, one-byte nop), optimised (a 5-byte nop,
# which -pg -mfentry -mnop-mcount leaves), single-stepped (endbr64, mov,
# sub). Two run lengths, so that start-up cancels out.
echo
cc -O2 -o "$OUT/insns" "$ROOT/bench/insns.c" || exit 1
if command -v bpftrace >/dev/null; then
	for f in push nop1 nop5 endbr mov sub; do
		a=$(time_ns bpftrace -q -e "uprobe:$OUT/insns:f_$f { @c = count(); }" -c "$OUT/insns $f $((N / 2))")
		b=$(time_ns bpftrace -q -e "uprobe:$OUT/insns:f_$f { @c = count(); }" -c "$OUT/insns $f $((N * 2))")
		awk -v a="$a" -v b="$b" -v n=$((N * 3 / 2)) -v f="$f" \
			'BEGIN { printf "uprobe on %-6s (bpftrace, counting)   %9.3f us/call\n", f, (b - a) / n / 1000 }'
	done
fi

# A thousand functions traced: attach and detach of their uprobes (entry
# and return each), the program calling each once.
many=$OUT/many1000
{
	for i in $(seq 0 999); do echo "__attribute__((noinline)) int f$i(int x) { return x + $i; }"; done
	echo "int main(void) { volatile int s = 0;"
	for i in $(seq 0 999); do echo "s += f$i(s);"; done
	echo "return 0; }"
} >"$many.c"
cc -g -O0 -o "$many" "$many.c" || exit 1
for eng in ptrace ebpf; do
	t=$(time_ns "$TINYDBG" trace --engine "$eng" --max-functions 2000 -e "$many" '^f[0-9]+$')
	b=$(time_ns "$many")
	awk -v t="$t" -v b="$b" -v e="$eng" \
		'BEGIN { printf "1000 functions, %-6s: set up, 1000 calls, detach: %.3f s\n", e, (t - b) / 1e9 }'
done
