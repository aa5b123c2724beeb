# A switch's jump table is no way out of its function (issue 14): tracing an
# interpreter loop costs what any traced call costs, not a stop per case.
for v in $VARIANTS; do
	bin=$(build "$FIX/c/interp.c" "$v") || { fail "build interp $v"; continue; }
	run_trace "interp-$v" -- trace --seq-ids -e "$bin" '^(run|helper)$'
	expect_same "interp-$v" "$ROOT/tests/trace/interp.expected"
	# 2,000,000 cases taken: a stop per case costs seconds (at least 4 µs
	# each, 20-80 µs on this kind of machine); without them the traced
	# run is the untraced one plus the tracer's start (well under 1 s).
	t0=$(date +%s%N)
	run_trace "interp-time-$v" -- trace -e "$bin" '^run$' -- 2000000
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [[ $RC == 0 && $ms -lt 3000 ]] && grep -q '^>> thread([0-9]*): run => ' "$OUT/interp-time-$v.err"; then
		pass "interp-time-$v (${ms} ms)"
	else
		fail "interp-time-$v: ${ms} ms, exit $RC (a stop per case taken?)"
	fi
done
