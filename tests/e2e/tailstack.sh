# Tracing a function that tail-calls changes nothing the program or an
# unwinder reads (issue 14): an exception thrown through the tail call is
# caught, backtrace() counts the same frames, --stack shows no frame of ours.

# (b) f tail-calls a thrower; g's caller catches. Three throws, then a
# normal return: reported once, with the callee's result.
exc_want() {
	case $1 in
	f) printf '%s\n' '> thread(1): f(3)' '> thread(1): f(2)' '> thread(1): f(1)' '> thread(1): f(0)' \
		'>> thread(1): f => (41)' ;;
	ft) printf '%s\n' '> thread(1): f(3)' '> thread(1): thrower(4)' '> thread(1): f(2)' '> thread(1): thrower(3)' \
		'> thread(1): f(1)' '> thread(1): thrower(2)' '> thread(1): f(0)' '> thread(1): thrower(1)' \
		'>> thread(1): thrower => (41)' '>> thread(1): f => (41)' ;;
	all) printf '%s\n' '> thread(1): g(3)' '> thread(1): f(3)' '> thread(1): thrower(4)' \
		'> thread(1): g(2)' '> thread(1): f(2)' '> thread(1): thrower(3)' \
		'> thread(1): g(1)' '> thread(1): f(1)' '> thread(1): thrower(2)' \
		'> thread(1): g(0)' '> thread(1): f(0)' '> thread(1): thrower(1)' \
		'>> thread(1): thrower => (41)' '>> thread(1): f => (41)' '>> thread(1): g => (42)' ;;
	esac
	echo 'Process 1 has exited with status 0'
}
for v in $VARIANTS; do
	bin=$(build "$FIX/c/tailexc.cpp" "$v") || { fail "build tailexc $v"; continue; }
	plain=$("$bin" 2>&1); prc=$?
	for k in f ft all; do
		case $k in f) re='^f$' ;; ft) re='^(f|thrower)$' ;; all) re='^(f|g|thrower)$' ;; esac
		run_trace "tailexc-$k-$v" -- trace --seq-ids -e "$bin" "$re"
		exc_want $k >"$OUT/tailexc-$k-$v.want"
		expect_same "tailexc-$k-$v" "$OUT/tailexc-$k-$v.want"
		if [[ $RC == "$prc" && $(cat "$OUT/tailexc-$k-$v.out") == "$plain" && $plain == 'r=42 caught=9' ]]; then
			pass "tailexc-$k-$v same as untraced"
		else
			fail "tailexc-$k-$v: exit $RC, stdout '$(head -c 200 "$OUT/tailexc-$k-$v.out")'; untraced: exit $prc, '$plain'"
		fi
	done
done

# (c) backtrace() in a tail-called function: the frame count of the
# untraced run. (d) --stack at inner's entry: inner, then outer's caller
# (outer's frame is gone: it jumped), then top; at outer's return (caught
# at caller's return address): caller, top, main. Never a frame in our
# pages (it used to show as "0x00007ffff7fb2000 in ?").
stack_names() { # FILE → "N name" per frame, events separated by "--"
	awk '/^>/ { print "--" } /^\t\t[0-9]+  0x/ { print $1, $4 }' "$1"
}
for v in $VARIANTS; do
	bin=$(build "$FIX/c/tailbt.c" "$v") || { fail "build tailbt $v"; continue; }
	plain=$("$bin" 2>&1)
	run_trace "tailbt-$v" -- trace --seq-ids -e "$bin" '^(caller|outer|inner)$'
	if [[ $RC == 0 && $(cat "$OUT/tailbt-$v.out") == "$plain" ]]; then
		pass "tailbt-$v backtrace() as untraced ($(head -1 <<<"$plain"))"
	else
		fail "tailbt-$v: exit $RC, stdout '$(head -c 200 "$OUT/tailbt-$v.out")'; untraced: '$plain'"
	fi
	run_trace "tailstk-$v" -- trace --seq-ids --stack 2 -e "$bin" '^(outer|inner)$'
	stack_names "$OUT/tailstk-$v.err" >"$OUT/tailstk-$v.names"
	case $v in
	*-O0*) printf '%s\n' -- '0 outer' '1 caller' '2 top' -- '0 inner' '1 outer' '2 caller' \
		-- '0 inner' '1 outer' '2 caller' -- '0 outer' '1 caller' '2 top' ;;
	*) printf '%s\n' -- '0 outer' '1 caller' '2 top' -- '0 inner' '1 caller' '2 top' \
		-- '0 inner' '1 caller' '2 top' -- '0 caller' '1 top' '2 main' ;;
	esac >"$OUT/tailstk-$v.wantnames"
	if diff -u "$OUT/tailstk-$v.wantnames" "$OUT/tailstk-$v.names" >"$OUT/tailstk-$v.diff"; then
		pass "tailstk-$v"
	else
		fail "tailstk-$v: stack frames differ:"; head -20 "$OUT/tailstk-$v.diff" >&2
	fi
done

# Chains of tail calls: innermost return first, each reported once, through
# a function we do not trace too (f -> g -> h with g untraced), and mutual
# recursion by tail calls.
nest_want() {
	case $1 in
	fgh) printf '%s\n' '> thread(1): f(1)' '> thread(1): g(2)' '> thread(1): h(3)' \
		'>> thread(1): h => (9)' '>> thread(1): g => (9)' '>> thread(1): f => (9)' \
		'> thread(1): f(2)' '> thread(1): g(3)' '> thread(1): h(4)' \
		'>> thread(1): h => (12)' '>> thread(1): g => (12)' '>> thread(1): f => (12)' ;;
	fh) printf '%s\n' '> thread(1): f(1)' '> thread(1): h(3)' '>> thread(1): h => (9)' '>> thread(1): f => (9)' \
		'> thread(1): f(2)' '> thread(1): h(4)' '>> thread(1): h => (12)' '>> thread(1): f => (12)' ;;
	eo) printf '%s\n' '> thread(1): is_even(3)' '> thread(1): is_odd(2)' '> thread(1): is_even(1)' \
		'> thread(1): is_odd(0)' '>> thread(1): is_odd => (0)' '>> thread(1): is_even => (0)' \
		'>> thread(1): is_odd => (0)' '>> thread(1): is_even => (0)' ;;
	esac
	echo 'Process 1 has exited with status 0'
}
for v in $VARIANTS; do
	bin=$(build "$FIX/c/tailnest.c" "$v") || { fail "build tailnest $v"; continue; }
	for k in fgh fh eo; do
		case $k in fgh) re='^(f|g|h)$' ;; fh) re='^(f|h)$' ;; eo) re='^(is_even|is_odd)$' ;; esac
		run_trace "tailnest-$k-$v" -- trace --seq-ids -e "$bin" "$re"
		nest_want $k >"$OUT/tailnest-$k-$v.want"
		expect_same "tailnest-$k-$v" "$OUT/tailnest-$k-$v.want"
	done
done
