# Stopping tinydbg: SIGINT/SIGTERM end a launched target with it; an attached
# one is left running, untraced, with its code as it was.
bin=$(build "$FIX/c/sleeper.c" gcc:-O2:pie)

# A signal to tinydbg alone ends the program it launched: SIGINT is passed
# on to it (it has no handler, and dies of it), SIGTERM kills it.
for sig in INT TERM; do
	want=SIGKILL
	[[ $sig == INT ]] && want=SIGINT
	"$TINYDBG" trace --seq-ids -e "$bin" '^tick$' -- 100000 >"$OUT/stop-$sig.out" 2>"$OUT/stop-$sig.err" &
	tpid=$!
	sleep 1
	kill -$sig $tpid
	wait $tpid
	RC=$?
	expect_rc "stop-launched-$sig" $((128 + $(kill -l $sig)))
	grep -q '^> thread(1): tick(0)$' "$OUT/stop-$sig.err" && pass "stop-launched-$sig traced" || fail "stop-launched-$sig: no event before the signal"
	tail -1 "$OUT/stop-$sig.err" | grep -q "^Process 1 was killed by signal $want\$" && pass "stop-launched-$sig closing line" || fail "stop-launched-$sig: closing line: $(tail -1 "$OUT/stop-$sig.err")"
	no_stray "stop-launched-$sig" "$bin 100000"
done

# Ctrl-C in a terminal: the whole process group gets SIGINT, the program
# too, which dies of it (it has no handler) as it would untraced.
setsid bash -c "exec '$TINYDBG' trace --seq-ids -e '$bin' '^tick\$' -- 100000" >"$OUT/stop-pgrp.out" 2>"$OUT/stop-pgrp.err" &
tpid=$!
sleep 1
kill -INT -- -$tpid
wait $tpid
RC=$?
expect_rc stop-pgrp 130
tail -1 "$OUT/stop-pgrp.err" | grep -Eq '^Process 1 was killed by signal SIG(INT|KILL)$' && pass "stop-pgrp closing line" || fail "stop-pgrp: closing line: $(tail -1 "$OUT/stop-pgrp.err")"
no_stray stop-pgrp "$bin 100000"

# Attach, trace a while, Ctrl-C: the target goes on and exits normally.
"$bin" 150 >/dev/null &
target=$!
sleep 0.2
timeout -k 5 60 "$TINYDBG" trace -p $target '^tick$' >"$OUT/stop-attach.out" 2>"$OUT/stop-attach.err" &
tpid=$!
sleep 0.5
kill -INT $tpid
wait $tpid
RC=$?
expect_rc stop-attach 130
grep -Eq "^> thread\\($target\\): tick\\([0-9]+\\)$" "$OUT/stop-attach.err" && pass "stop-attach traced" || fail "stop-attach: no events: $(head -3 "$OUT/stop-attach.err")"
tail -1 "$OUT/stop-attach.err" | grep -q "^Process $target has been detached$" && pass "stop-attach closing line" || fail "stop-attach closing line: $(tail -1 "$OUT/stop-attach.err")"
if [[ -d /proc/$target ]] && grep -q '^TracerPid:[[:space:]]*0$' /proc/$target/status; then
	pass "stop-attach target untraced"
else
	fail "stop-attach: target gone or still traced"
fi
wait $target
RC=$?
expect_rc stop-attach-target 0

# SIGHUP (the terminal went away) detaches from an attached process too.
"$bin" 150 >/dev/null &
target=$!
sleep 0.2
"$TINYDBG" trace -p $target '^tick$' >/dev/null 2>"$OUT/stop-hup.err" &
tpid=$!
sleep 0.5
kill -HUP $tpid
wait $tpid
RC=$?
expect_rc stop-hup 129
tail -1 "$OUT/stop-hup.err" | grep -q "^Process $target has been detached$" && pass "stop-hup closing line" || fail "stop-hup closing line: $(tail -1 "$OUT/stop-hup.err")"
grep -q '^TracerPid:[[:space:]]*0$' /proc/$target/status 2>/dev/null && pass "stop-hup target untraced" || fail "stop-hup: target gone or traced"
wait $target
RC=$?
expect_rc stop-hup-target 0

# tinydbg killed outright (SIGKILL): the program it launched ends with it.
"$TINYDBG" trace -e "$bin" '^tick$' -- 100001 >/dev/null 2>&1 &
tpid=$!
sleep 1
pgrep -f "$bin 100001" >/dev/null && pass "stop-kill9 target ran" || fail "stop-kill9: target never ran"
kill -9 $tpid
wait $tpid 2>/dev/null
no_stray stop-kill9 "$bin 100001"
