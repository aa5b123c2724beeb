#!/usr/bin/env bash
# Go targets (issue 4, Performance), side by side in one run: tinydbg and
# dlv trace (and bpftrace, uftrace where they can).
#  1. per-call overhead of tracing main.f in bench/go (built -N -l);
#  2. startup to the first event and peak memory on a large Go binary, the
#     go command itself built -N -l from $(go env GOROOT)/src/cmd/go.
# Prints figures and ratios (goals: per call <= 0.01 of Delve; startup and
# peak memory <= 0.5 of Delve). Never fails for speed. bench/run.sh calls it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
RUNS=${RUNS:-3}
N=${GO_N:-200000}           # calls for tinydbg and bpftrace
DLV_N=${DLV_N:-$((N / 200))} # dlv trace costs milliseconds a call
((DLV_N > 0)) || DLV_N=1

if ! command -v go >/dev/null; then
	echo "go benchmarks: go not installed (apt-get install golang-go); skipped"
	exit 0
fi
HAVE_DLV=1
command -v dlv >/dev/null || { HAVE_DLV=0; echo "dlv: not installed (apt-get install delve)"; }
cc -O2 -o "$OUT/firstline" "$ROOT/bench/firstline.c" || exit 1
BIN=$OUT/gotarget
# No network: the module has no dependencies, and nothing may be fetched.
(cd "$ROOT/bench/go" && GOFLAGS='' GOPROXY=off go build -gcflags='all=-N -l' -o "$BIN" .) || exit 1

now() { date +%s%N; }
time_ns() { # CMD...: wall time of CMD in ns, its output dropped
	local t0 t1
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	echo $((t1 - t0))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
med_ns() { # CMD...: median wall time of RUNS runs
	for _ in $(seq "$RUNS"); do time_ns "$@"; done | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

declare -A US US0
# measure NAME N CMD...: CMD gets N as its last word. us/call = (traced -
# untraced) / N; "excl. startup" also takes off the tracer's run with N=0.
measure() {
	local name=$1 n=$2; shift 2
	local t t0 b b0 rc
	"$@" 1 >/dev/null 2>"$OUT/go-$name.err"
	rc=$?
	if ((rc != 0)); then
		echo "$name: fails (exit $rc): $* 1"
		sed 's/^/    /' "$OUT/go-$name.err" | head -5
		return
	fi
	t=$(med_ns "$@" "$n")
	b=$(med_ns "$BIN" "$n")
	t0=$(med_ns "$@" 0)
	b0=$(med_ns "$BIN" 0)
	US[$name]=$(awk -v t="$t" -v b="$b" -v n="$n" 'BEGIN { printf "%.2f", (t - b) / n / 1000 }')
	US0[$name]=$(awk -v t="$t" -v b="$b" -v t0="$t0" -v b0="$b0" -v n="$n" \
		'BEGIN { printf "%.2f", ((t - b) - (t0 - b0)) / n / 1000 }')
	printf '%-22s %8d calls  %9.2f us/call  %9.2f excl. startup  (median of %d runs)\n' \
		"$name" "$n" "${US[$name]}" "${US0[$name]}" "$RUNS"
}

echo
echo "Go: per-call overhead, target $BIN (go build -gcflags='all=-N -l'), $(nproc) CPUs"
measure tinydbg "$N" "$TINYDBG" trace -e "$BIN" '^main\.f$' --
if ((HAVE_DLV)); then
	measure "dlv trace" "$DLV_N" dlv trace --exec "$BIN" '^main\.f$' --
fi
bpftrace_run() { # N: entry only (a uretprobe breaks Go's moving stacks); the
	# argument is in RAX under Go's register ABI
	bpftrace -q -e "uprobe:$BIN:main.f { printf(\"%d\n\", reg(\"ax\")); }" -c "$BIN $1"
}
if command -v bpftrace >/dev/null; then
	measure "bpftrace (entry only)" "$N" bpftrace_run
else
	echo "bpftrace: not installed"
fi
if command -v uftrace >/dev/null; then
	# It traces only dynamically linked binaries, and gc links statically.
	measure uftrace "$N" uftrace record -d "$OUT/uftrace-go.data" -P '^main\.f$' "$BIN"
else
	echo "uftrace: not installed"
fi
t=${US[tinydbg]:-}
if [[ -n $t ]]; then
	for k in "dlv trace" "bpftrace (entry only)" uftrace; do
		[[ -n ${US[$k]:-} ]] || continue
		printf 'tinydbg / %-22s = %s  (excl. startup %s)' "$k" "$(ratio "$t" "${US[$k]}")" \
			"$(ratio "${US0[tinydbg]}" "${US0[$k]}")"
		[[ $k == "dlv trace" ]] && printf '  goal <= 0.01'
		echo
	done
fi

# --- 2. Startup to the first event, and peak memory, on the go command.
GOROOT=$(go env GOROOT)
GOCMD=$OUT/gocmd
if [[ ! -x $GOCMD || ! $GOCMD -nt $GOROOT || ! $GOCMD -nt $GOROOT/bin/go ]]; then
	echo
	echo "building $GOCMD from $GOROOT/src/cmd/go (once; cached)"
	GOFLAGS='' GOPROXY=off go build -gcflags='all=-N -l' -o "$GOCMD.tmp" "$GOROOT/src/cmd/go" &&
		mv "$GOCMD.tmp" "$GOCMD" || exit 1
fi
echo
echo "Go: startup to the first event (main.main) and peak RSS, target $GOCMD version ($(($(stat -c %s "$GOCMD") / 1048576)) MiB)"
# firstline prints: first-event ms, total ms, own VmHWM KB, wait4 ru_maxrss KB, exit code
declare -A FIRST TOTAL HWM MAXRSS FAILED
# one NAME CMD...: one run; appends its figures to NAME's lists
one() {
	local name=$1 first total hwm maxrss rc; shift
	[[ -z ${FAILED[$name]:-} ]] || return
	read -r first total hwm maxrss rc < <("$OUT/firstline" "$@")
	if [[ $rc != 0 || $first == -1* ]]; then
		FAILED[$name]=1
		echo "$name: fails (exit $rc, first event ${first} ms): $*"
		"$@" 2>&1 >/dev/null | sed 's/^/    /' | head -5
		return
	fi
	FIRST[$name]+="$first " TOTAL[$name]+="$total " HWM[$name]+="$hwm " MAXRSS[$name]+="$maxrss "
}
med() { tr ' ' '\n' | grep . | median; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
read -r _ base _ basehwm _ < <("$OUT/firstline" "$GOCMD" version)
printf '%-10s                      total %7.1f ms  peak RSS %7.1f MiB (the target alone, untraced)\n' \
	untraced "$base" "$(mib "$basehwm")"
SRUNS=${STARTUP_RUNS:-$((RUNS < 5 ? 5 : RUNS))}
# Interleaved, so a busy moment of the machine weighs on both alike.
for _ in $(seq "$SRUNS"); do
	one tinydbg "$TINYDBG" trace -e "$GOCMD" '^main\.main$' -- version
	((HAVE_DLV)) && one dlv dlv trace --exec "$GOCMD" '^main\.main$' -- version
done
for name in tinydbg dlv; do
	[[ -n ${FIRST[$name]:-} && -z ${FAILED[$name]:-} ]] || { unset "FIRST[$name]"; continue; }
	FIRST[$name]=$(med <<<"${FIRST[$name]}") TOTAL[$name]=$(med <<<"${TOTAL[$name]}")
	HWM[$name]=$(med <<<"${HWM[$name]}") MAXRSS[$name]=$(med <<<"${MAXRSS[$name]}")
	printf '%-10s first event %7.1f ms  total %7.1f ms  peak RSS %7.1f MiB (own VmHWM; wait4 maxrss %s MiB)  (median of %d)\n' \
		"$name" "${FIRST[$name]}" "${TOTAL[$name]}" "$(mib "${HWM[$name]}")" "$(mib "${MAXRSS[$name]}")" "$SRUNS"
done
if [[ -n ${FIRST[tinydbg]:-} && -n ${FIRST[dlv]:-} ]]; then
	echo "tinydbg / dlv: first event $(ratio "${FIRST[tinydbg]}" "${FIRST[dlv]}")," \
		"total $(ratio "${TOTAL[tinydbg]}" "${TOTAL[dlv]}")," \
		"peak RSS $(ratio "${HWM[tinydbg]}" "${HWM[dlv]}")  (goal <= 0.5 for first event and peak RSS)"
fi

# --- 3. --follow-calls 3 on the go command (issue 5: set up well under a
# second): the time to the first event includes listing the callees of
# main.main three levels deep and placing their tracepoints.
for _ in $(seq "$SRUNS"); do
	one "tinydbg --follow-calls 3" "$TINYDBG" trace -e "$GOCMD" '^main\.main$' --follow-calls 3 -- version
done
name="tinydbg --follow-calls 3"
if [[ -n ${FIRST[$name]:-} && -z ${FAILED[$name]:-} ]]; then
	printf '%-26s first event %7.1f ms  (median of %d; goal well under 1000 ms)\n' \
		"$name" "$(med <<<"${FIRST[$name]}")" "$SRUNS"
fi
exit 0
