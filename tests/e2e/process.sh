# Signals reach the target; its exit status and death become ours.
for v in gcc:-O0:pie clang:-O2:nopie; do
	bin=$(build "$FIX/c/signals.c" "$v") || { fail "build signals $v"; continue; }
	run_trace "signals-$v" -- trace --seq-ids -e "$bin" '^(raiser|in_handler)$'
	expect_same "signals-$v" "$ROOT/tests/trace/signals.expected"
	grep -qx 'got 35' "$OUT/signals-$v.out" && pass "signals-$v delivered" || fail "signals-$v: program saw $(cat "$OUT/signals-$v.out")"
done

bin=$(build "$FIX/c/crash.c" gcc:-O0:pie)
run_trace exit-status -- trace --seq-ids -e "$bin" '^quit$' -- 7
expect_rc exit-status 7
printf '%s\n' '> thread(1): quit(7)' 'Process 1 has exited with status 7' >"$OUT/exit-status.want"
expect_same exit-status "$OUT/exit-status.want"

run_trace crash -- trace --seq-ids -e "$bin" '^boom$' -- crash
expect_rc crash 139
printf '%s\n' '> thread(1): boom(NULL)' 'Process 1 was killed by signal SIGSEGV' >"$OUT/crash.want"
expect_same crash "$OUT/crash.want"

# Program arguments and output pass through untouched.
run_trace args -- trace -e "$bin" '^quit$' -- 0
expect_rc args 0
