# Every C value kind, as argument and result, on every compiler variant: the
# output must be identical.
VALUES_RE='^(add|nothing|schar|uchar|chr|sshort|ushort|slong|ull|boolean|paint|halve|twice|ldbl|ptr|str|peek|greet|pt|mkpt|bigsum|mkbig|uf|arrsum|mkdl|ffsum|mkdd|nm|bf|mine|apply|many|manyd)$'
for v in $VARIANTS; do
	bin=$(build "$FIX/c/values.c" "$v") || { fail "build values $v"; continue; }
	run_trace "values-$v" -- trace --seq-ids -e "$bin" "$VALUES_RE"
	expect_same "values-$v" "$ROOT/tests/trace/values.expected"
	expect_rc "values-$v" 0
	grep -qx 'done 1' "$OUT/values-$v.out" && pass "values-$v stdout" || fail "values-$v: program output lost"
done
