# The trace and the launched program's own output, sent to one file, pipe
# or terminal, come out in the order they happened: every write of the
# program to its stdout or stderr waits until the events before it are
# printed. Each case runs many times: a race shows as a run that differs.

# ordered NAME WANT RUNS -- ARGS: runs tinydbg ARGS RUNS times with stdout
# and stderr (ours and the program's) going to one file; passes when every
# run's file equals WANT.
ordered() {
	local name=$1 want=$2 runs=$3 bad=0; shift 4
	for ((i = 0; i < runs; i++)); do
		timeout -k 5 60 "$TINYDBG" "$@" >"$OUT/$name.err" 2>&1 </dev/null
		RC=$?
		if ! cmp -s "$want" "$OUT/$name.err"; then
			bad=$((bad + 1))
			cp "$OUT/$name.err" "$OUT/$name.bad"
		fi
	done
	if ((bad == 0)); then
		pass "$name ($runs runs)"
	else
		fail "$name: $bad of $runs runs out of order, e.g.:"
		diff -u "$want" "$OUT/$name.bad" | head -20 >&2
	fi
}

order_want() {
	local n=$1 i
	for ((i = 0; i < n; i++)); do
		printf '> thread(1): f(%d)\n>> thread(1): f => (%d)\nafter f(%d)\nafter f(%d) on stderr\n' $i $((2 * i)) $i $i
	done
	echo 'Process 1 has exited with status 0'
}

for v in gcc:-O0:pie clang:-O2:nopie; do
	bin=$(build "$FIX/c/order.c" "$v") || { fail "build order $v"; continue; }
	order_want 5 >"$OUT/order-$v.want"
	ordered "order-file-$v" "$OUT/order-$v.want" 20 -- trace --seq-ids -e "$bin" '^f$' -- 5
	expect_rc "order-file-$v" 0
done

bin=$(build "$FIX/c/order.c" gcc:-O2:pie)
order_want 5 >"$OUT/order.want"
# Through a pipe (tinydbg ... 2>&1 | less).
bad=0
for ((i = 0; i < 10; i++)); do
	timeout -k 5 60 "$TINYDBG" trace --seq-ids -e "$bin" '^f$' -- 5 2>&1 </dev/null | cat >"$OUT/order-pipe.err"
	cmp -s "$OUT/order.want" "$OUT/order-pipe.err" || bad=$((bad + 1))
done
((bad == 0)) && pass "order-pipe (10 runs)" || fail "order-pipe: $bad of 10 runs out of order"

# Threads: each write comes after the return of the call before it on
# its thread (f(i) returns 2i), whatever the interleaving of threads.
bad=0
for ((r = 0; r < 5; r++)); do
	timeout -k 5 60 "$TINYDBG" trace --seq-ids -e "$bin" '^f$' -- threads 20 >"$OUT/order-threads.err" 2>&1 </dev/null
	RC=$?
	awk '/^>> thread\([0-9]+\): f => \(/ { v = $NF; gsub(/[()]/, "", v); ret[v / 2] = 1 }
	     /^after f\(/ { i = $2; gsub(/[f()]/, "", i); if (!(i in ret)) { print "early: " $0; bad = 1 } n++ }
	     END { if (n != 80) { print "lines: " n; bad = 1 } exit bad }' "$OUT/order-threads.err" >"$OUT/order-threads.why" ||
		{ bad=$((bad + 1)); cp "$OUT/order-threads.err" "$OUT/order-threads.bad"; }
done
((bad == 0)) && pass "order-threads (5 runs)" || fail "order-threads: $bad of 5 runs out of order: $(head -3 "$OUT/order-threads.why")"
expect_rc order-threads 0

# The processes the program starts (a fork child, the program it execs)
# write in order too, and their writes work (the seccomp filter they
# inherit needs a tracer).
printf '%s\n' '> thread(1): f(0)' '>> thread(1): f => (0)' 'child before exec' \
	'child after exec' '> thread(1): f(1)' '>> thread(1): f => (2)' 'parent done' \
	'Process 1 has exited with status 0' >"$OUT/order-fork.want"
ordered order-fork "$OUT/order-fork.want" 10 -- trace --seq-ids -e "$bin" '^f$' -- fork
expect_rc order-fork 0

# Output elsewhere is not held: stdout to its own file, the trace alone.
run_trace order-split -- trace --seq-ids -e "$bin" '^f$' -- 2
grep -c '^after f([01])$' "$OUT/order-split.out" | grep -qx 2 && pass "order-split stdout" || fail "order-split: stdout $(cat "$OUT/order-split.out")"
printf '%s\n' '> thread(1): f(0)' '>> thread(1): f => (0)' 'after f(0) on stderr' \
	'> thread(1): f(1)' '>> thread(1): f => (2)' 'after f(1) on stderr' \
	'Process 1 has exited with status 0' >"$OUT/order-split.want"
expect_same order-split "$OUT/order-split.want"

# Go: the runtime writes a panic with raw syscalls; its message comes
# after the 45 calls that preceded it.
if command -v go >/dev/null; then
	gobin=$OUT/gopanic
	if [[ ! -x $gobin || $FIX/go/panic/main.go -nt $gobin ]]; then
		(cd "$FIX/go/panic" && go build -gcflags='all=-N -l' -o "$gobin" .) >"$gobin.log" 2>&1 || fail "build go panic: $(cat "$gobin.log")"
	fi
	{
		for ((i = 0; i < 45; i++)); do
			printf '> goroutine(1): main.step(%d)\n>> goroutine(1): main.step => (%d)\n' $i $((i + 1))
		done
		echo 'panic: after 45 calls'
		echo
		echo 'goroutine 1 [running]:'
	} >"$OUT/order-go.want"
	bad=0
	for ((i = 0; i < 10; i++)); do
		timeout -k 5 60 "$TINYDBG" trace --seq-ids -e "$gobin" '^main\.step$' >"$OUT/order-go.err" 2>&1 </dev/null
		RC=$?
		head -93 "$OUT/order-go.err" | cmp -s - "$OUT/order-go.want" || { bad=$((bad + 1)); cp "$OUT/order-go.err" "$OUT/order-go.bad"; }
	done
	((bad == 0)) && pass "order-go panic after its calls (10 runs)" || fail "order-go: $bad of 10 runs out of order (see $OUT/order-go.bad)"
	expect_rc order-go 2
	tail -1 "$OUT/order-go.err" | grep -qx 'Process 1 has exited with status 2' && pass "order-go closing line" || fail "order-go closing line: $(tail -1 "$OUT/order-go.err")"
else
	fail "go: not installed (scripts/install-deps.sh)"
fi
