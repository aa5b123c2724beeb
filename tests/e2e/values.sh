# Every C value kind, as argument and result, on every compiler variant: the
# output must be identical.
VALUES_RE='^(add|nothing|schar|uchar|chr|sshort|ushort|slong|ull|boolean|paint|halve|twice|ldbl|ptr|str|peek|greet|pt|mkpt|bigsum|mkbig|uf|arrsum|mkdl|ffsum|mkdd|nm|bf|mkpair|mine|apply|many|manyd)$'
for v in $VARIANTS; do
	bin=$(build "$FIX/c/values.c" "$v") || { fail "build values $v"; continue; }
	run_trace "values-$v" -- trace --seq-ids -e "$bin" "$VALUES_RE"
	expect_same "values-$v" "$ROOT/tests/trace/values.expected"
	expect_rc "values-$v" 0
	grep -qx 'done 1' "$OUT/values-$v.out" && pass "values-$v stdout" || fail "values-$v: program output lost"
done

# An argument DWARF calls optimized out: clang -O2 gives the unused one no
# location; gcc -O2 still says it is in rdi at the entry, and it is.
bin=$(build "$FIX/c/optout.c" clang:-O2:pie) && {
	run_trace optout-clang -- trace --seq-ids -e "$bin" '^second$'
	printf '%s\n' '> thread(1): second(<optimized out>, 2)' '>> thread(1): second => (2)' 'Process 1 has exited with status 0' >"$OUT/optout-clang.want"
	expect_same optout-clang "$OUT/optout-clang.want"
}
bin=$(build "$FIX/c/optout.c" gcc:-O2:pie) && {
	run_trace optout-gcc -- trace --seq-ids -e "$bin" '^second$'
	printf '%s\n' '> thread(1): second(1, 2)' '>> thread(1): second => (2)' 'Process 1 has exited with status 0' >"$OUT/optout-gcc.want"
	expect_same optout-gcc "$OUT/optout-gcc.want"
}
