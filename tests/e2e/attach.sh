# Attaching to a live process must never harm it: Ctrl-C, again and again,
# leaves its code as the file has it, untraced, in the state it was in.
cc -O2 -o "$OUT/textcmp" "$ROOT/tests/tools/textcmp.c" || fail "build textcmp"
abin=$(build "$FIX/c/threads.c" gcc:-O2:pie)

# A 4-thread target in a tight traced loop (rounds: effectively forever).
"$abin" 100000 >/dev/null &
target=$!
sleep 0.3
bad=0 traced=0
for i in $(seq 1 20); do
	timeout -k 5 30 "$TINYDBG" trace -p $target '^work$' >"$OUT/attach-loop.out" 2>"$OUT/attach-loop.err" &
	tpid=$!
	sleep 0.$((RANDOM % 3 + 1))
	kill -INT $tpid
	wait $tpid
	rc=$?
	if [[ $rc != 130 ]]; then
		fail "attach-loop run $i: exit $rc: $(tail -2 "$OUT/attach-loop.err")"
		bad=1
		break
	fi
	if ! [[ -d /proc/$target ]]; then
		fail "attach-loop run $i: the target died"
		bad=1
		break
	fi
	if ! grep -q '^TracerPid:[[:space:]]*0$' /proc/$target/status; then
		fail "attach-loop run $i: still traced"
		bad=1
		break
	fi
	if ! "$OUT/textcmp" $target >"$OUT/attach-loop.cmp"; then
		fail "attach-loop run $i: code differs from the file: $(head -3 "$OUT/attach-loop.cmp")"
		bad=1
		break
	fi
	# A Ctrl-C may come before the first hit (that is part of the test).
	grep -Eq '^> thread\([0-9]+\): work\([0-9]+, [0-9]+\)$' "$OUT/attach-loop.err" && traced=$((traced + 1))
done
[[ $bad == 0 ]] && pass "attach-loop: 20 attach/Ctrl-C rounds leave the target unharmed"
[[ $bad == 0 && $traced -ge 10 ]] && pass "attach-loop: events in $traced of 20 rounds" || fail "attach-loop: events in only $traced rounds"
# It still runs, and runs right: its threads keep counting.
s1=$(awk '{print $14 + $15}' /proc/$target/stat 2>/dev/null)
sleep 0.3
s2=$(awk '{print $14 + $15}' /proc/$target/stat 2>/dev/null)
[[ -n $s1 && -n $s2 && $s2 -gt $s1 ]] && pass "attach-loop target keeps running" || fail "attach-loop: target not running ($s1 → $s2)"
kill -9 $target 2>/dev/null
wait $target 2>/dev/null

# A stopped process stays stopped.
sbin=$(build "$FIX/c/sleeper.c" gcc:-O0:pie)
"$sbin" 200 >/dev/null &
target=$!
sleep 0.2
kill -STOP $target
sleep 0.1
timeout -k 5 30 "$TINYDBG" trace -p $target '^tick$' >/dev/null 2>"$OUT/attach-stopped.err" &
tpid=$!
sleep 0.5
kill -INT $tpid
wait $tpid
RC=$?
expect_rc attach-stopped 130
state=$(awk '{print $3}' /proc/$target/stat)
[[ $state == T ]] && pass "attach-stopped stays stopped" || fail "attach-stopped: state $state, want T"
"$OUT/textcmp" $target >/dev/null && pass "attach-stopped code intact" || fail "attach-stopped: code differs"
kill -CONT $target
wait $target
RC=$?
expect_rc attach-stopped-target 0

# tinydbg killed outright (SIGKILL: nothing of it runs): the process it
# attached to is not killed with it, and a guardian it left puts the code
# back (main's entry and its returns, which the loop never reaches).
"$sbin" 150 >/dev/null &
target=$!
sleep 0.2
"$TINYDBG" trace -p $target '^main$' >/dev/null 2>"$OUT/attach-kill9.err" &
tpid=$!
for _ in $(seq 100); do grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$target/status 2>/dev/null && break; sleep 0.05; done
sleep 0.3
kill9_restored attach-kill9 $tpid $target
wait $target
RC=$?
expect_rc attach-kill9-target 0

# Already traced by another tracer: the message names it.
"$sbin" 300 >/dev/null &
target=$!
sleep 0.2
timeout -k 5 30 "$TINYDBG" trace -p $target '^tick$' >/dev/null 2>/dev/null &
first=$!
sleep 0.5
# The tracer is tinydbg, the child of timeout.
tracer=$(pgrep -P $first | head -1)
run_trace attach-twice -- trace -p $target '^tick$'
expect_rc attach-twice 6
expect_err_line attach-twice "already traced by ${tracer:-none} \\(tinydbg\\)"
kill -INT $first
wait $first
kill -9 $target 2>/dev/null
wait $target 2>/dev/null

# Permission denied, with a hint: an unprivileged user and a root process.
if command -v setpriv >/dev/null; then
	"$sbin" 300 >/dev/null &
	target=$!
	pdir=$(mktemp -d)
	chmod 755 "$pdir"
	cp "$TINYDBG" "$pdir/tinydbg"
	chmod 755 "$pdir/tinydbg"
	(cd / && timeout -k 5 30 setpriv --reuid=65534 --regid=65534 --clear-groups "$pdir/tinydbg" trace -p $target '^tick$') >"$OUT/attach-perm.out" 2>"$OUT/attach-perm.err"
	RC=$?
	expect_rc attach-perm 6
	expect_err_line attach-perm "$target.*(Operation not permitted|Permission denied).*(root|ptrace_scope)"
	rm -rf "$pdir"
	kill -9 $target 2>/dev/null
	wait $target 2>/dev/null
fi

# Threads created after the attach are traced too.
"$abin" 100000 >/dev/null &
target=$!
sleep 0.1
timeout -k 5 30 "$TINYDBG" trace --seq-ids -p $target '^work$' >/dev/null 2>"$OUT/attach-new.err" &
tpid=$!
sleep 1.5
kill -INT $tpid
wait $tpid
n=$(grep -Eo '^> thread\([0-9]+\)' "$OUT/attach-new.err" | sort -u | wc -l)
[[ $n -gt 4 ]] && pass "attach-new: threads born after the attach are traced ($n threads)" || fail "attach-new: only $n threads seen"
kill -9 $target 2>/dev/null
wait $target 2>/dev/null
