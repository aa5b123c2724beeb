# Tail calls at -O2 neither lose a return nor name it wrong.
for v in $VARIANTS; do
	bin=$(build "$FIX/c/tailcall.c" "$v") || { fail "build tailcall $v"; continue; }
	run_trace "tailcall-$v" -- trace --seq-ids -e "$bin" '^(leaf|other|mid|pick|top)$'
	expect_same "tailcall-$v" "$ROOT/tests/trace/tailcall.expected"
done
# Only the outer function traced: its return comes when the callee returns.
bin=$(build "$FIX/c/tailcall.c" gcc:-O2:pie)
run_trace tailcall-mid-only -- trace --seq-ids -e "$bin" '^mid$'
printf '%s\n' '> thread(1): mid(1)' '>> thread(1): mid => (4)' 'Process 1 has exited with status 0' >"$OUT/tailcall-mid-only.want"
expect_same tailcall-mid-only "$OUT/tailcall-mid-only.want"
