#!/usr/bin/env bash
# Per-call overhead of tracing one small function (entry + return, argument
# and result loaded), side by side in one run: tinydbg, ltrace -x, uftrace,
# bpftrace. Prints microseconds per call and ratios. Never fails for speed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
cc -g -O2 -o "$OUT/target" "$ROOT/bench/target.c" || exit 1
BIN=$OUT/target

now() { date +%s%N; }
# time_ns N CMD...: wall time of CMD in ns
time_ns() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	echo $((t1 - t0))
}
base_per_call() { # N → ns of the untraced run per call (tiny)
	local n=$1 t
	t=$(time_ns "$BIN" "$n")
	echo "$t"
}

declare -A US
RUNS=${RUNS:-3}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
measure() { # NAME N CMD... (CMD gets the target's N as its last word)
	local name=$1 n=$2; shift 2
	local t b i
	if ! command -v "$1" >/dev/null && [[ ! -x $1 ]]; then
		echo "$name: not installed (WITH_BENCH=1 bash scripts/install-deps.sh)"
		return
	fi
	# The median of RUNS runs: the machine is shared and noisy.
	t=$(for i in $(seq "$RUNS"); do time_ns "$@" "$n"; done | median)
	b=$(for i in $(seq "$RUNS"); do base_per_call "$n"; done | median)
	US[$name]=$(awk -v t="$t" -v b="$b" -v n="$n" 'BEGIN { printf "%.2f", (t - b) / n / 1000 }')
	printf '%-22s %8d calls  %8.2f us/call  (median of %d runs)\n' "$name" "$n" "${US[$name]}" "$RUNS"
}

N=${N:-200000}
echo "per-call overhead, target $BIN (gcc -O2), $(nproc) CPUs"
measure tinydbg "$N" "$TINYDBG" trace -e "$BIN" '^f$' --
measure "ltrace -x" $((N / 10)) ltrace -x 'f' "$BIN"
measure "ltrace -x (pinned)" $((N / 10)) taskset -c 0 ltrace -x 'f' "$BIN"
measure uftrace "$N" uftrace record -d "$OUT/uftrace.data" -P '^f$' -A '^f$@arg1' -R '^f$@retval' "$BIN"
bpftrace_run() { # N
	command -v bpftrace >/dev/null || return 1
	bpftrace -q -e "uprobe:$BIN:f { printf(\"%d\n\", arg0); } uretprobe:$BIN:f { printf(\"%d\n\", retval); }" -c "$BIN $1"
}
if command -v bpftrace >/dev/null; then
	measure bpftrace "$N" bpftrace_run
else
	echo "bpftrace: not installed"
fi
# The flags of issue 5 on the same target: --stack 10 (goal: at most twice
# the plain cost) and --follow-calls.
measure "tinydbg --stack 10" "$N" "$TINYDBG" trace -e "$BIN" '^f$' -s 10 --
measure "tinydbg --follow-calls 2" "$N" "$TINYDBG" trace -e "$BIN" '^f$' --follow-calls 2 --
echo
t=${US[tinydbg]:-}
if [[ -n $t && -n ${US[tinydbg --stack 10]:-} ]]; then
	awk -v a="${US[tinydbg --stack 10]}" -v b="$t" 'BEGIN { printf "tinydbg --stack 10 / tinydbg = %.2f  (goal <= 2)\n", a / b }'
fi
if [[ -n $t ]]; then
	for k in "ltrace -x" "ltrace -x (pinned)" uftrace bpftrace; do
		[[ -n ${US[$k]:-} ]] || continue
		awk -v a="$t" -v b="${US[$k]}" -v k="$k" 'BEGIN { printf "tinydbg / %-20s = %.3f  (%s is %.1fx the cost of tinydbg)\n", k, a / b, k, b / a }'
	done
fi

# The Go targets (issue 4): tinydbg beside dlv trace. GO_BENCH=0 skips them.
[[ ${GO_BENCH:-1} == 0 ]] || bash "$ROOT/bench/go.sh"
[[ ${EBPF_BENCH:-1} == 0 ]] || bash "$ROOT/bench/ebpf.sh"
