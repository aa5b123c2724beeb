# Stripped executables (issue 11 item 3): no symbol table and no DWARF of
# their own is fine while a library has what the regexp asks for; only
# when nothing at all matches is it exit 3.
if [[ -x /bin/true ]]; then
	run_trace stripped-true -- trace --seq-ids -e /bin/true '^exit$'
	expect_rc stripped-true 0
	if grep -qx '> thread(1): exit(0)' "$OUT/stripped-true.err" &&
		[[ $(tail -1 "$OUT/stripped-true.err") == 'Process 1 has exited with status 0' ]]; then
		pass "stripped-true: libc's exit traced"
	else
		fail "stripped-true: $(head -4 "$OUT/stripped-true.err")"
	fi
fi
# A fixture stripped here: its libc calls, typed by the prototypes.
sbin=$OUT/ebpf-stripped
src=$(build "$FIX/c/ebpf.c" gcc:-O2:pie) && strip -o "$sbin" "$src" || fail "stripped: strip"
run_trace stripped-own -- trace --seq-ids -e "$sbin" '^strdup$'
expect_rc stripped-own 0
n=$(grep -Ec '^> thread\(1\): strdup\("hello, world"\)$' "$OUT/stripped-own.err")
r=$(grep -Ec '^>> thread\(1\): strdup => \("hello, world"\)$' "$OUT/stripped-own.err")
[[ $n == 3 && $r == 3 ]] && pass "stripped-own: 3 strdup calls with their values" ||
	fail "stripped-own: $n entries, $r returns: $(head -4 "$OUT/stripped-own.err")"
# Nothing anywhere: exit 3, one line.
run_trace stripped-none -- trace -e "$sbin" '^no_such_function$'
expect_rc stripped-none 3
grep -q "^tinydbg: no function matches '\\^no_such_function\\$'" "$OUT/stripped-none.err" &&
	pass "stripped-none message" || fail "stripped-none: $(cat "$OUT/stripped-none.err")"
