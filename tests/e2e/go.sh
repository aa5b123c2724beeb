# Go targets, checked against Delve: the same binary and regexp under
# `dlv trace` and tinydbg must print the same lines, apart from the
# differences we chose (each one spelled out below, and in README.md):
#   - our return lines name the function (`>> goroutine(1): main.f => (1)`),
#     as current Delve does; Debian's Delve 1.20 prints `>> goroutine(1): => (1)`;
#   - one return per call: Delve also stops where the defers are about to
#     run, and prints a first return with the results as they were then.
# Heap and stack addresses are not compared (0xc000...): Delve's target
# starts with a different environment, so its stacks land elsewhere.
GOFIX=$FIX/go
command -v go >/dev/null || fail "go: not installed (scripts/install-deps.sh)"
command -v dlv >/dev/null || fail "dlv: not installed (scripts/install-deps.sh)"

# go_build DIR NAME: builds the Go module in DIR as Delve would debug it.
go_build() {
	local dir=$1 bin=$OUT/$2
	if [[ ! -x $bin ]] || [[ -n $(find "$dir" -newer "$bin" -name '*.go') ]]; then
		(cd "$dir" && go build -gcflags='all=-N -l' -o "$bin" .) >"$bin.log" 2>&1 ||
			{ echo "cannot build $dir: $(cat "$bin.log")" >&2; return 1; }
	fi
	echo "$bin"
}

# Our lines in Delve 1.20's spelling, addresses masked.
as_delve() {
	sed -e 's/^\(>> goroutine([0-9]*): \)[^ ]* => /\1=> /' \
	    -e 's/0xc000[0-9a-f]*/0xc000ADDR/g' \
	    -e 's/^Process [0-9]* has exited/Process PID has exited/' "$1"
}
mask() {
	sed -e 's/0xc000[0-9a-f]*/0xc000ADDR/g' \
	    -e 's/^Process [0-9]* has exited/Process PID has exited/' "$1"
}

# run_dlv NAME -- ARGS: Delve's trace output (stderr) in $OUT/NAME.dlv.
run_dlv() {
	local name=$1; shift
	[[ $1 == -- ]] && shift
	timeout -k 5 120 dlv trace "$@" >"$OUT/$name.dlv.out" 2>"$OUT/$name.dlv" </dev/null
}

# same_as_delve NAME [EXPECTED_DIFF]: our output (as_delve) against
# Delve's; with EXPECTED_DIFF, `diff ours delve` must print exactly that
# file (the documented differences), else nothing.
same_as_delve() {
	local name=$1 want=${2:-/dev/null}
	as_delve "$OUT/$name.err" >"$OUT/$name.ours"
	mask "$OUT/$name.dlv" >"$OUT/$name.theirs"
	diff "$OUT/$name.ours" "$OUT/$name.theirs" >"$OUT/$name.delta"
	if diff -u "$want" "$OUT/$name.delta" >"$OUT/$name.diff"; then
		pass "$name: as Delve prints it"
	else
		fail "$name: differs from Delve beyond $(basename "$want"):"
		head -30 "$OUT/$name.diff" >&2
	fi
}

flow=$(go_build "$GOFIX/flow" flow) || fail "go build flow"

# Recursion, value and pointer methods, a defer that doubles the named
# result, a panic recovered by a defer, errors and strings as results,
# an interface holding a pointer. seq.delve-diff holds what Delve prints
# beyond us: deferred's and recovers' first returns, before their defers
# ran ((6) where the caller gets (12)), the made-up address it shows for a
# pointer in an interface passed in registers (0xbeef...), and the empty
# results it prints for the method wrapper main.(*Rect).Area (Delve's bug).
re='^main\.(fact|deferred|deferred\.func1|recovers|recovers\.func1|parse|\(\*Counter\)\.Add|Counter\.Get|area|Rect\.Area|\(\*Rect\)\.Area|tick)$'
run_trace go-seq -- trace -e "$flow" "$re" -- seq
expect_rc go-seq 0
run_dlv go-seq -- --exec "$flow" "$re" -- seq
same_as_delve go-seq "$GOFIX/flow/seq.delve-diff"
grep -q '^>> goroutine(1): main.deferred => (12)$' "$OUT/go-seq.err" &&
	pass "go-seq: one return for deferred, after its defers" ||
	fail "go-seq: deferred's return: $(grep deferred "$OUT/go-seq.err")"
# Where Delve is wrong: the compiler's wrapper main.(*Rect).Area returns
# what main.Rect.Area returned, 30; Delve 1.20 prints "=> ()" for it.
grep -q '^>> goroutine(1): main.(\*Rect).Area => (30)$' "$OUT/go-seq.err" &&
	grep -q '^>> goroutine(1): => ()$' "$OUT/go-seq.dlv" &&
	pass "go-seq: a method wrapper's result, which Delve misses" ||
	fail "go-seq: the wrapper's return: $(grep -F '(*Rect)' "$OUT/go-seq.err")"

# Goroutines: 4 workers on every CPU, each calling work(id, i) n times.
# Every call is reported once, its return right after it on the same
# goroutine with id*100+i; goroutine ids differ from Delve's run (the
# runtime starts its own goroutines differently under each), so the
# comparison is per worker.
n=25
re='^main\.work$'
run_trace go-goroutines -- trace -e "$flow" "$re" -- go $n
expect_rc go-goroutines 0
run_dlv go-goroutines -- --exec "$flow" "$re" -- go $n
# by_worker FILE: each goroutine's lines, goroutine named by the worker id
# of its first call, workers in order.
by_worker() {
	awk '/^>+ goroutine\(/ {
		g = $2
		if (!(g in id) && match($0, /work\([0-9]+,/))
			id[g] = substr($0, RSTART + 5, RLENGTH - 6)
		line = $0; sub(/^>+ goroutine\([0-9]+\): /, "", line)
		sub(/^main\.work => /, "=> ", line)
		out[g] = out[g] line "\n"
	} END { for (g in out) printf "worker %s\n%s", id[g], out[g] }' "$1" |
		awk '/^worker / { w = $2; next } { print w ": " $0 }' | sort -s -n -k1,1
}
by_worker "$OUT/go-goroutines.err" >"$OUT/go-goroutines.ours"
by_worker "$OUT/go-goroutines.dlv" >"$OUT/go-goroutines.theirs"
if [[ $(wc -l <"$OUT/go-goroutines.ours") == $((8 * n)) ]] &&
	diff -u "$OUT/go-goroutines.theirs" "$OUT/go-goroutines.ours" >"$OUT/go-goroutines.diff"; then
	pass "go-goroutines: each goroutine's calls as Delve prints them"
else
	fail "go-goroutines: per-goroutine traces differ from Delve's:"
	head -20 "$OUT/go-goroutines.diff" >&2
fi

# The same, many more calls: nothing lost, duplicated or mismatched, and
# the program sees every CPU (GOMAXPROCS) while traced.
n=3000
run_trace go-many -- trace -e "$flow" "$re" -- go $n
expect_rc go-many 0
awk -v n=$n '
	/^> goroutine\(/ { g = $2; split(substr($0, index($0, "work(") + 5), a, /[,)] ?/)
		if (g in open) bad++; open[g] = a[1] * 100 + a[2]
		if (a[2] != next_i[g] + 0) bad++; next_i[g] = a[2] + 1; calls++; next }
	/^>> goroutine\(/ { g = $2; v = substr($0, index($0, "=> (") + 4) + 0
		if (!(g in open) || open[g] != v) bad++; delete open[g]; rets++ }
	END { for (g in open) bad++
		print (calls == 4 * n && rets == 4 * n && !bad) ? "ok" : "bad " calls " " rets " " bad }' \
	"$OUT/go-many.err" >"$OUT/go-many.check"
[[ $(cat "$OUT/go-many.check") == ok ]] && pass "go-many: every call and return, matched" ||
	fail "go-many: $(cat "$OUT/go-many.check")"
want_procs=$(nproc)
got_procs=$(tail -1 "$OUT/go-many.out" | awk '{print $NF}')
[[ $got_procs == "$want_procs" ]] && pass "go-many: GOMAXPROCS $got_procs" ||
	fail "go-many: the traced program sees GOMAXPROCS $got_procs, want $want_procs"

# Runtime functions, some on the system stack (g0): the target is not
# harmed, and they are named goroutine(0) when no goroutine runs.
re='^runtime\.(mallocgc|newstack|systemstack|mcall|gogo|schedule|park_m|gcStart)$'
run_trace go-runtime -- trace -e "$flow" "$re" -- go 300
expect_rc go-runtime 0
grep -q '^\[44850 74850 104850 134850\]' "$OUT/go-runtime.out" &&
	pass "go-runtime: the program ran right" || fail "go-runtime: output $(cat "$OUT/go-runtime.out")"
grep -q '^> goroutine(0): runtime\.' "$OUT/go-runtime.err" &&
	pass "go-runtime: scheduler events on goroutine(0)" ||
	fail "go-runtime: no goroutine(0) event"

# -p: attach to a running Go program, trace, Ctrl-C: it goes on untraced,
# its code as the file has it, and finishes with the right result.
cc -O2 -o "$OUT/textcmp" "$ROOT/tests/tools/textcmp.c" || fail "build textcmp"
"$flow" loop 2500 >"$OUT/go-attach.target" &
target=$!
sleep 0.3
timeout -k 5 30 "$TINYDBG" trace -p $target '^main\.tick$' >"$OUT/go-attach.out" 2>"$OUT/go-attach.err" &
tpid=$!
sleep 1
kill -INT $tpid
wait $tpid
RC=$?
expect_rc go-attach 130
grep -Eq '^> goroutine\(1\): main\.tick\([0-9]+\)$' "$OUT/go-attach.err" &&
	grep -Eq '^>> goroutine\(1\): main\.tick => \([0-9]+\)$' "$OUT/go-attach.err" &&
	pass "go-attach: traced" || fail "go-attach: no events: $(head -3 "$OUT/go-attach.err")"
tail -1 "$OUT/go-attach.err" | grep -q "^Process $target has been detached$" &&
	pass "go-attach closing line" || fail "go-attach closing line: $(tail -1 "$OUT/go-attach.err")"
if [[ -d /proc/$target ]] && grep -q '^TracerPid:[[:space:]]*0$' /proc/$target/status &&
	"$OUT/textcmp" $target >"$OUT/go-attach.cmp"; then
	pass "go-attach: target untraced, code restored"
else
	fail "go-attach: target gone, traced, or code differs: $(head -3 "$OUT/go-attach.cmp" 2>/dev/null)"
fi
wait $target
RC=$?
expect_rc go-attach-target 0
[[ $(cat "$OUT/go-attach.target") == 6247500 ]] && pass "go-attach: target result right" ||
	fail "go-attach: target printed $(cat "$OUT/go-attach.target")"

# --timestamp and --durations on goroutines: every line starts with the
# time of its hit, and every return ends with the time its call took,
# paired on its goroutine (goroutines move between threads).
run_trace go-times -- trace --timestamp --durations -e "$flow" '^main\.work$' -- go 50
expect_rc go-times 0
ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}) '
n_ent=$(grep -cE "${ts}> goroutine\\([0-9]+\\): main\\.work\\(" "$OUT/go-times.err")
n_ret=$(grep -cE "${ts}>> goroutine\\([0-9]+\\): main\\.work => \\([0-9]+\\) <[0-9.]+(ns|µs|ms|s)>$" "$OUT/go-times.err")
[[ $n_ent == 200 && $n_ret == 200 ]] && pass "go-times: 200 calls timed, each return with its duration" ||
	fail "go-times: $n_ent entries, $n_ret timed returns: $(head -3 "$OUT/go-times.err")"

# An optimised build (go build, no -N -l), as programs run in production:
# arguments from location lists, results from the register ABI, and
# unnamed results that Go lists in the out-of-line copy only. Delve 1.20
# prints "(unreadable empty OP stack)" for these results: we print them.
optbin=$OUT/flow-opt
if [[ ! -x $optbin ]] || [[ -n $(find "$GOFIX/flow" -newer "$optbin" -name '*.go') ]]; then
	(cd "$GOFIX/flow" && go build -o "$optbin" .) >"$optbin.log" 2>&1 || fail "go build flow (optimised): $(cat "$optbin.log")"
fi
re='^main\.(fact|parse|Rect\.Area)$'
run_trace go-opt -- trace -e "$optbin" "$re" -- seq
expect_rc go-opt 0
cat >"$OUT/go-opt.want" <<'WANT'
> goroutine(1): main.fact(4)
> goroutine(1): main.fact(3)
> goroutine(1): main.fact(2)
> goroutine(1): main.fact(1)
>> goroutine(1): main.fact => (1)
>> goroutine(1): main.fact => (2)
>> goroutine(1): main.fact => (6)
>> goroutine(1): main.fact => (24)
> goroutine(1): main.parse("12")
>> goroutine(1): main.parse => (12,error nil)
> goroutine(1): main.parse("x")
>> goroutine(1): main.parse => (0,error(*errors.errorString) 0xADDR)
> goroutine(1): main.Rect.Area(main.Rect {W: 3, H: 4})
>> goroutine(1): main.Rect.Area => (12)
> goroutine(1): main.Rect.Area(main.Rect {W: 5, H: 6})
>> goroutine(1): main.Rect.Area => (30)
WANT
grep -v '^Process' "$OUT/go-opt.err" | sed 's/0xc[0-9a-f]*/0xADDR/g' >"$OUT/go-opt.got"
diff -u "$OUT/go-opt.want" "$OUT/go-opt.got" >"$OUT/go-opt.diff" &&
	pass "go-opt: an optimised build's values and results" ||
	{ fail "go-opt:"; head -20 "$OUT/go-opt.diff" >&2; }
run_dlv go-opt -- --exec "$optbin" "$re" -- seq
grep -q '^>> goroutine(1): => ((unreadable empty OP stack))$' "$OUT/go-opt.dlv" &&
	pass "go-opt: results Delve 1.20 cannot read" ||
	fail "go-opt: Delve now reads these results: update this test and README: $(grep '^>>' "$OUT/go-opt.dlv" | head -2)"

# A cgo program, linked by the system's linker, whose C code has
# thread-local data: Go's TLS slot for g (runtime.tlsg) is not at
# fs_base-8 there. The goroutine of code that keeps g only in TLS
# (assembly: runtime.systemstack) is read where the linker put it; read at
# fs_base-8 every such event would say goroutine(0).
cgobin=$OUT/cgotls
if [[ ! -x $cgobin ]] || [[ -n $(find "$GOFIX/cgotls" -newer "$cgobin" -name '*.go') ]]; then
	(cd "$GOFIX/cgotls" && CGO_ENABLED=1 go build -gcflags='all=-N -l' -o "$cgobin" .) \
		>"$cgobin.log" 2>&1 || fail "go build cgotls: $(tail -3 "$cgobin.log")"
fi
run_trace go-cgo -- trace -e "$cgobin" '^runtime\.systemstack$|^main\.work$' --
expect_rc go-cgo 0
[[ $(grep -cE '^> goroutine\([1-9][0-9]*\): main\.work\(' "$OUT/go-cgo.err") == 12 ]] &&
	grep -qE '^> goroutine\([1-9][0-9]*\): runtime\.systemstack\(\)$' "$OUT/go-cgo.err" &&
	pass "go-cgo: goroutines named through the linker's TLS slot" ||
	fail "go-cgo: $(grep -c work "$OUT/go-cgo.err") work lines: $(head -3 "$OUT/go-cgo.err")"
