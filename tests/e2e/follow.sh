# --follow-calls N: the matched functions and what they call, N levels
# deep; each line carries its depth below the innermost matched call of
# its thread or goroutine (tests/e2e/depth.sh: on the real call path) (Delve 1.20 has no --follow-calls: the format is
# current Delve's, "> goroutine(1):frame(2) main.f(1)" indented by depth-1).
for v in gcc:-O0:pie gcc:-O2:pie clang:-O2:pie; do
	bin=$(build "$FIX/c/follow.c" "$v") || { fail "follow: build $v"; continue; }

	# Recursion: each call the regexp matches is at frame 1 (depths count
	# from the innermost matched call, so that every frame(N) is within
	# --follow-calls N), and leaf, which rec calls, below it.
	run_trace "follow-rec-$v" -- trace --seq-ids -e "$bin" '^rec$' --follow-calls 2
	expect_rc "follow-rec-$v" 0
	cat >"$OUT/follow-rec.want" <<'WANT'
> thread(1):frame(1) rec(3)
> thread(1):frame(1) rec(2)
> thread(1):frame(1) rec(1)
> thread(1):frame(1) rec(0)
 > thread(1):frame(2) leaf(0)
 >> thread(1):frame(2) leaf => (1)
>> thread(1):frame(1) rec => (1)
>> thread(1):frame(1) rec => (2)
>> thread(1):frame(1) rec => (3)
>> thread(1):frame(1) rec => (4)
Process 1 has exited with status 0
WANT
	expect_same "follow-rec-$v" "$OUT/follow-rec.want"

	# Mutual recursion, and a regexp that is no plain name: every call it
	# matches is a frame 1, whatever matched call it runs under.
	run_trace "follow-mutual-$v" -- trace --seq-ids -e "$bin" '^(even|odd)$' --follow-calls 1
	expect_rc "follow-mutual-$v" 0
	cat >"$OUT/follow-mutual.want" <<'WANT'
> thread(1):frame(1) even(3)
> thread(1):frame(1) odd(2)
> thread(1):frame(1) even(1)
> thread(1):frame(1) odd(0)
>> thread(1):frame(1) odd => (0)
>> thread(1):frame(1) even => (0)
>> thread(1):frame(1) odd => (0)
>> thread(1):frame(1) even => (0)
Process 1 has exited with status 0
WANT
	expect_same "follow-mutual-$v" "$OUT/follow-mutual.want"
	# From even alone, odd is one level down, and even under it two.
	run_trace "follow-mutual2-$v" -- trace --seq-ids -e "$bin" '^even$' --follow-calls 2
	expect_rc "follow-mutual2-$v" 0
	cat >"$OUT/follow-mutual2.want" <<'WANT'
> thread(1):frame(1) even(3)
 > thread(1):frame(2) odd(2)
> thread(1):frame(1) even(1)
 > thread(1):frame(2) odd(0)
 >> thread(1):frame(2) odd => (0)
>> thread(1):frame(1) even => (0)
 >> thread(1):frame(2) odd => (0)
>> thread(1):frame(1) even => (0)
Process 1 has exited with status 0
WANT
	expect_same "follow-mutual2-$v" "$OUT/follow-mutual2.want"

	# A call through a pointer: inc is found when twice calls it, and
	# leaf under it (3 levels); with 2 levels leaf is not followed.
	run_trace "follow-ptr-$v" -- trace --seq-ids -e "$bin" '^twice$' --follow-calls 3
	expect_rc "follow-ptr-$v" 0
	cat >"$OUT/follow-ptr.want" <<'WANT'
> thread(1):frame(1) twice(inc, 1)
 > thread(1):frame(2) inc(1)
  > thread(1):frame(3) leaf(1)
  >> thread(1):frame(3) leaf => (2)
 >> thread(1):frame(2) inc => (2)
 > thread(1):frame(2) inc(2)
  > thread(1):frame(3) leaf(2)
  >> thread(1):frame(3) leaf => (3)
 >> thread(1):frame(2) inc => (3)
>> thread(1):frame(1) twice => (3)
Process 1 has exited with status 0
WANT
	expect_same "follow-ptr-$v" "$OUT/follow-ptr.want"
	run_trace "follow-ptr2-$v" -- trace --seq-ids -e "$bin" '^twice$' --follow-calls 2
	[[ $(grep -c 'leaf' "$OUT/follow-ptr2-$v.err") == 0 && $(grep -c '^ > thread(1):frame(2) inc(' "$OUT/follow-ptr2-$v.err") == 2 ]] &&
		pass "follow-ptr2-$v: two levels stop at inc" || fail "follow-ptr2-$v: $(head -5 "$OUT/follow-ptr2-$v.err")"

	# Through the PLT into libc: strtol is traced under withlib.
	run_trace "follow-plt-$v" -- trace --seq-ids -e "$bin" '^withlib$' --follow-calls 2
	expect_rc "follow-plt-$v" 0
	grep -q '^ > thread(1):frame(2) strtol(' "$OUT/follow-plt-$v.err" &&
		grep -q '^ >> thread(1):frame(2) strtol => ' "$OUT/follow-plt-$v.err" &&
		pass "follow-plt-$v: strtol in libc, under withlib" ||
		fail "follow-plt-$v: $(head -4 "$OUT/follow-plt-$v.err")"
done

# Go: an interface's method found when it runs (and the compiler's pointer
# wrapper on the way), under the matched main.area.
if command -v go >/dev/null; then
	gbin=$OUT/flow
	if [[ ! -x $gbin ]] || [[ -n $(find "$FIX/go/flow" -newer "$gbin" -name '*.go') ]]; then
		(cd "$FIX/go/flow" && go build -gcflags='all=-N -l' -o "$gbin" .) >"$OUT/flow.log" 2>&1 ||
			fail "follow: go build flow: $(cat "$OUT/flow.log")"
	fi
	run_trace follow-go -- trace -e "$gbin" '^main\.area$' --follow-calls 3 -- seq
	expect_rc follow-go 0
	grep -v '^Process' "$OUT/follow-go.err" | sed 's/0xc[0-9a-f]*/ADDR/g' >"$OUT/follow-go.got"
	cat >"$OUT/follow-go.want" <<'WANT'
> goroutine(1):frame(1) main.area(main.Shape(*main.Rect) ADDR)
 > goroutine(1):frame(2) main.(*Rect).Area((*main.Rect)(ADDR))
  > goroutine(1):frame(3) main.Rect.Area(main.Rect {W: 3, H: 4})
  >> goroutine(1):frame(3) main.Rect.Area => (12)
 >> goroutine(1):frame(2) main.(*Rect).Area => (12)
>> goroutine(1):frame(1) main.area => (12)
> goroutine(1):frame(1) main.area(main.Shape(main.Rect) {W: 5, H: 6})
 > goroutine(1):frame(2) main.(*Rect).Area((*main.Rect)(ADDR))
  > goroutine(1):frame(3) main.Rect.Area(main.Rect {W: 5, H: 6})
  >> goroutine(1):frame(3) main.Rect.Area => (30)
 >> goroutine(1):frame(2) main.(*Rect).Area => (30)
>> goroutine(1):frame(1) main.area => (30)
WANT
	diff -u "$OUT/follow-go.want" "$OUT/follow-go.got" >"$OUT/follow-go.diff" &&
		pass "follow-go: interface calls followed" ||
		{ fail "follow-go:"; head -20 "$OUT/follow-go.diff" >&2; }
else
	fail "follow-go: go is needed (scripts/install-deps.sh)"
fi

for bad in -1 x 101; do
	run_trace "follow-bad$bad" -- trace -e /bin/true '^main$' --follow-calls "$bad"
	expect_rc "follow-bad$bad" 2
	expect_err_line "follow-bad$bad" '^tinydbg: invalid --follow-calls'
done

# Go: a closure found when it runs, and what it calls.
if [[ -x ${gbin:-} ]]; then
	run_trace follow-go-closure -- trace -e "$gbin" '^main\.apply$' --follow-calls 3 -- seq
	grep -v '^Process' "$OUT/follow-go-closure.err" >"$OUT/follow-go-closure.got"
	cat >"$OUT/follow-go-closure.want" <<'WANT'
> goroutine(1):frame(1) main.apply(main.main.func1, 4)
 > goroutine(1):frame(2) main.main.func1(4)
  > goroutine(1):frame(3) main.tick(4)
  >> goroutine(1):frame(3) main.tick => (8)
 >> goroutine(1):frame(2) main.main.func1 => (18)
>> goroutine(1):frame(1) main.apply => (18)
WANT
	diff -u "$OUT/follow-go-closure.want" "$OUT/follow-go-closure.got" >"$OUT/follow-go-closure.diff" &&
		pass "follow-go-closure: a closure followed" ||
		{ fail "follow-go-closure:"; head -20 "$OUT/follow-go-closure.diff" >&2; }
fi

# Attached: the depth works on a process we did not start (C and Go).
sbin=$(build "$FIX/c/sleeper.c" gcc:-O2:pie)
"$sbin" 300 >/dev/null &
target=$!
sleep 0.2
timeout -k 5 30 "$TINYDBG" trace -p $target '^main$|^tick$' --follow-calls 2 >/dev/null 2>"$OUT/follow-attach.err" &
tpid=$!
sleep 0.6
kill -INT $tpid
wait $tpid
RC=$?
expect_rc follow-attach 130
# main is active but entered before the attach: tick runs under no
# matched call we saw begin, so depths count from tick itself.
grep -Eq '^> thread\([0-9]+\):frame\(1\) tick\([0-9]+\)$' "$OUT/follow-attach.err" &&
	pass "follow-attach: depth on an attached process" ||
	fail "follow-attach: $(head -3 "$OUT/follow-attach.err")"
kill $target 2>/dev/null
wait $target 2>/dev/null

if [[ -x ${gbin:-} ]]; then
	"$gbin" loop 2000 >/dev/null &
	target=$!
	sleep 0.3
	timeout -k 5 30 "$TINYDBG" trace -p $target '^main\.tick$' --follow-calls 2 -s 2 >/dev/null 2>"$OUT/follow-go-attach.err" &
	tpid=$!
	sleep 0.8
	kill -INT $tpid
	wait $tpid
	RC=$?
	expect_rc follow-go-attach 130
	grep -Eq '^> goroutine\(1\):frame\(1\) main\.tick\([0-9]+\)$' "$OUT/follow-go-attach.err" &&
		grep -q $'^\t\t1  0x[0-9a-f]* in main.main$' "$OUT/follow-go-attach.err" &&
		pass "follow-go-attach: depth and stack on an attached Go process" ||
		fail "follow-go-attach: $(head -8 "$OUT/follow-go-attach.err")"
	wait $target
	RC=$?
	expect_rc follow-go-attach-target 0
fi
