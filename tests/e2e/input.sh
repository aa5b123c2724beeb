# Bad input: one clear line on stderr, its own exit code, no stray process.
bin=$(build "$FIX/c/sleeper.c" gcc:-O0:pie)

run_trace missing -- trace -e "$OUT/no-such-file" 'tick'
expect_rc missing 4
expect_err_line missing 'no-such-file.*(No such file|not found)'

cp "$bin" "$OUT/not-exec" && chmod -x "$OUT/not-exec"
run_trace not-exec -- trace -e "$OUT/not-exec" 'tick'
expect_rc not-exec 4
expect_err_line not-exec 'not-exec.*(Permission denied|not executable)'

printf '#!/bin/sh\necho hi\n' >"$OUT/script.sh" && chmod +x "$OUT/script.sh"
run_trace not-elf -- trace -e "$OUT/script.sh" 'tick'
expect_rc not-elf 4
expect_err_line not-elf 'script.sh.*not an ELF'

head -c 100 "$bin" >"$OUT/truncated" && chmod +x "$OUT/truncated"
run_trace truncated -- trace -e "$OUT/truncated" 'tick'
expect_rc truncated 4
expect_err_line truncated 'truncated'

run_trace no-regexp -- trace -e "$bin"
expect_rc no-regexp 2
expect_err_line no-regexp 'regexp'

run_trace no-target -- trace 'tick'
expect_rc no-target 2
expect_err_line no-target '-e BIN or -p PID'

run_trace bad-flag -- trace --bogus -e "$bin" tick
expect_rc bad-flag 2
expect_err_line bad-flag 'unknown flag: --bogus'

run_trace bad-regexp -- trace -e "$bin" 'tick(' -- 1000
expect_rc bad-regexp 2
expect_err_line bad-regexp "invalid regexp 'tick\\('"
no_stray bad-regexp "$bin 1000"

run_trace no-match -- trace -e "$bin" '^nothing_like_this$' -- 1000
expect_rc no-match 3
expect_err_line no-match "no function matches '\\^nothing_like_this\\$'"
no_stray no-match "$bin 1000"

for p in 0 abc 123x -5; do
	run_trace "bad-pid-$p" -- trace -p "$p" tick
	expect_rc "bad-pid-$p" 2
	expect_err_line "bad-pid-$p" "invalid pid"
done
run_trace gone-pid -- trace -p 4000000 tick
expect_rc gone-pid 5
expect_err_line gone-pid "4000000"

run_trace help -- help trace
expect_rc help 0
grep -q '^Trace program execution.' "$OUT/help.out" && grep -q -- '--exec' "$OUT/help.out" && pass "help text" || fail "help text"

# RE2-style patterns work, and the match is unanchored.
vbin=$(build "$FIX/c/values.c" gcc:-O0:pie)
for re in '^add$' 'ad{1}' '(?i)^ADD$' '^(add|nothing)$' 'a\w\w$'; do
	run_trace "re-$re" -- trace --seq-ids -e "$vbin" "$re"
	grep -q '^> thread(1): add(1, 2)$' "$OUT/re-$re.err" && pass "regexp $re" || fail "regexp $re matched nothing"
done

# A binary without DWARF: names from the symbol table, arguments ?, one warning.
nd=$(build "$FIX/c/sleeper.c" gcc:-O0:plain -g0)
run_trace nodwarf -- trace --seq-ids -e "$nd" '^tick$' -- 2
expect_rc nodwarf 0
printf '%s\n' 'tinydbg: warning: '"$nd"' has no DWARF debug info: arguments and results are shown as ?' \
	'> thread(1): tick(?)' '>> thread(1): tick => (?)' '> thread(1): tick(?)' '>> thread(1): tick => (?)' \
	'Process 1 has exited with status 0' >"$OUT/nodwarf.want"
expect_same nodwarf "$OUT/nodwarf.want"

# C++: qualified, demangled names.
for v in gcc:-O0:pie clang:-O2:pie; do
	cbin=$(build "$FIX/c/cpp.cpp" "$v") || { fail "build cpp $v"; continue; }
	run_trace "cpp-$v" -- trace --seq-ids -e "$cbin" '^ns::'
	printf '%s\n' '> thread(1): ns::Klass::method(0x'"*"', 5)' >/dev/null
	grep -Eq '^> thread\(1\): ns::Klass::method\(0x[0-9a-f]+, 5\)$' "$OUT/cpp-$v.err" &&
	grep -q '^>> thread(1): ns::Klass::method => (15)$' "$OUT/cpp-$v.err" &&
	grep -q '^> thread(1): ns::Klass::helper(2)$' "$OUT/cpp-$v.err" &&
	grep -q '^> thread(1): ns::free_fn(9, 4)$' "$OUT/cpp-$v.err" &&
	grep -q '^>> thread(1): ns::free_fn => (5)$' "$OUT/cpp-$v.err" && pass "cpp-$v" || { fail "cpp-$v"; cat "$OUT/cpp-$v.err" >&2; }
done

# --max-functions: the cap is the flag's; over it, one line and exit 2.
nbin=$(build "$FIX/c/nap.c" gcc:-O0:pie)
run_trace cap-low -- trace -e "$nbin" '^(nap|quick)$' --max-functions 1
expect_rc cap-low 2
expect_err_line cap-low "matches 2 functions, more than the 1 allowed; .*--max-functions 2$"
run_trace cap-ok -- trace --seq-ids -e "$nbin" '^(nap|quick)$' --max-functions 2
expect_rc cap-ok 0
grep -q '^>> thread(1): quick => (2)$' "$OUT/cap-ok.err" && pass "cap-ok traced" || fail "cap-ok: $(head -3 "$OUT/cap-ok.err")"
for bad in 0 -3 x; do
	run_trace "cap-bad-$bad" -- trace -e "$nbin" quick --max-functions "$bad"
	expect_rc "cap-bad-$bad" 2
	expect_err_line "cap-bad-$bad" 'invalid --max-functions'
done

# The other usage errors: one line, exit 2.
run_trace no-arg -- trace quick -e
expect_rc no-arg 2
expect_err_line no-arg 'flag needs an argument: -e'
run_trace both -- trace -e "$nbin" -p 1 quick
expect_rc both 2
expect_err_line both '-e and -p cannot be used together'
run_trace pid-args -- trace -p 1 quick -- x
expect_rc pid-args 2
expect_err_line pid-args 'arguments after -- are for a program to launch'
run_trace two-regexps -- trace -e "$nbin" quick nap
expect_rc two-regexps 2
expect_err_line two-regexps 'takes one regexp'
run_trace trace-help -- trace --help
expect_rc trace-help 0
grep -q -- '--max-functions' "$OUT/trace-help.out" && grep -q -- '--durations' "$OUT/trace-help.out" && pass "trace --help" || fail "trace --help"
run_trace unknown-cmd -- frobnicate
expect_rc unknown-cmd 2
expect_err_line unknown-cmd 'unknown command "frobnicate"'
