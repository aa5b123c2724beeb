# Shared helpers for the end-to-end tests: build fixtures, run tinydbg, compare.
# Each test calls pass/fail; results go to $RESULTS (one line per check).

# Engines add notes on how they serve a trace (a slow path): off, so that
# every engine's output compares with ptrace's; ebpf.sh tests them.
export TINYDBG_ENGINE_NOTES=${TINYDBG_ENGINE_NOTES:-0}
# Colours on a terminal (the pty tests) would change every line there:
# off, but where terminal.sh tests them.
export NO_COLOR=1
TINYDBG=${TINYDBG:-$ROOT/${BUILD:-build}/tinydbg}
FIX=$ROOT/tests/fixtures
OUT=${OUT:-$ROOT/build/test-out}
mkdir -p "$OUT"

# Under the eBPF engine, results say so.
ENGINE_TAG=
[[ ${TINYDBG_ENGINE:-ptrace} != ptrace ]] && ENGINE_TAG="[$TINYDBG_ENGINE] "
pass() { echo "PASS $ENGINE_TAG$*" >>"$RESULTS"; }
fail() { echo "FAIL $ENGINE_TAG$*" >>"$RESULTS"; echo "FAIL: $ENGINE_TAG$*" >&2; }

# The compiler variants every value test runs on: compiler, optimisation,
# PIE or not, endbr64 or not.
VARIANTS="gcc:-O0:pie gcc:-O2:pie gcc:-O0:nopie gcc:-O2:nopie clang:-O0:pie clang:-O2:pie clang:-O0:nopie clang:-O2:nopie gcc:-O2:cet gcc:-O0:cet"

# build SRC VARIANT [extra flags...] → prints the binary's path
build() {
	local src=$1 variant=$2; shift 2
	local cc opt kind flags
	IFS=: read -r cc opt kind <<<"$variant"
	case $kind in
	pie) flags="-fPIE -pie" ;;
	nopie) flags="-fno-pie -no-pie" ;;
	cet) flags="-fPIE -pie -fcf-protection=full" ;;
	plain) flags="" ;;
	esac
	local base
	base=$(basename "$src")
	local bin="$OUT/${base%.*}-$cc$opt-$kind"
	if [[ $src == *.cpp ]]; then
		[[ $cc == gcc ]] && cc=g++ || cc=clang++
	fi
	if [[ ! -x $bin || $src -nt $bin ]]; then
		$cc -g $opt $flags -I"$FIX/c" "$@" -o "$bin" "$src" -lpthread >"$bin.log" 2>&1 ||
			{ echo "cannot build $src ($variant): $(cat "$bin.log")" >&2; return 1; }
	fi
	echo "$bin"
}

# run_trace NAME -- ARGS...: runs tinydbg with ARGS (timeout 60 s); leaves
# the output in $OUT/NAME.{err,out} and the exit code in $RC.
run_trace() {
	local name=$1; shift
	[[ $1 == -- ]] && shift
	timeout -k 5 60 "$TINYDBG" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	RC=$?
}

# expect_same NAME FILE: the stderr of the last run equals FILE.
expect_same() {
	local name=$1 want=$2
	if diff -u "$want" "$OUT/$name.err" >"$OUT/$name.diff"; then
		pass "$name"
	else
		fail "$name: output differs from $(basename "$want"):"
		head -30 "$OUT/$name.diff" >&2
	fi
}

expect_rc() {
	local name=$1 want=$2
	if [[ $RC == "$want" ]]; then pass "$name exit $want"; else fail "$name: exit $RC, want $want"; fi
}

# expect_err_line NAME REGEX: stderr is exactly one line matching REGEX.
expect_err_line() {
	local name=$1 re=$2
	local n
	n=$(wc -l <"$OUT/$name.err")
	if [[ $n == 1 ]] && grep -Eq "$re" "$OUT/$name.err"; then
		pass "$name message"
	else
		fail "$name: want one line matching /$re/, got:"
		head -5 "$OUT/$name.err" >&2
	fi
}

# no_stray NAME PATTERN: no process whose command line matches PATTERN.
no_stray() {
	local name=$1 pat=$2
	sleep 0.2
	if pgrep -f "$pat" >/dev/null; then
		fail "$name: a process matching '$pat' was left running"
		pkill -9 -f "$pat"
	else
		pass "$name leaves no process"
	fi
}

# attach_signal NAME CMD... -- TRACE-ARGS...: starts CMD (a fixture that
# makes its calls once it gets SIGUSR1; its stdout in $OUT/NAME.target),
# attaches `trace -p PID TRACE-ARGS` to it, sends SIGUSR1 once the tracer
# is in, and waits for tinydbg: its stderr in $OUT/NAME.err, its exit code
# in $RC. The target's pid is in $ATTACHED (it may still run).
attach_signal() {
	local name=$1 cmd=() tpid i
	shift
	while [[ $1 != -- ]]; do cmd+=("$1"); shift; done
	shift
	"${cmd[@]}" >"$OUT/$name.target" &
	ATTACHED=$!
	sleep 0.2
	timeout -k 5 60 "$TINYDBG" trace -p $ATTACHED "$@" >/dev/null 2>"$OUT/$name.err" &
	tpid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$ATTACHED/status 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.5
	kill -USR1 $ATTACHED
	wait $tpid
	RC=$?
}

# attach_then_signal NAME REGEXP CMD...: attach_signal with `--seq-ids
# REGEXP`; the target is killed after.
attach_then_signal() {
	local name=$1 re=$2; shift 2
	attach_signal "$name" "$@" -- --seq-ids "$re"
	kill -9 $ATTACHED 2>/dev/null
	wait $ATTACHED 2>/dev/null
}

# kill9_restored NAME TPID TARGET: kills tinydbg (TPID) outright and checks
# that the guardian it left puts TARGET's code back (tests/tools/textcmp,
# built as $OUT/textcmp) within 2 s.
kill9_restored() {
	local name=$1 tpid=$2 target=$3 i
	kill -9 $tpid
	wait $tpid 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		"$OUT/textcmp" $target >/dev/null 2>&1 && break
		sleep 0.05
	done
	"$OUT/textcmp" $target >"$OUT/$name.cmp" 2>&1 && pass "$name: code restored by the guardian" ||
		fail "$name: code differs: $(head -2 "$OUT/$name.cmp")"
}
