# Ctrl-C and SIGINT with a launched program that handles SIGINT itself
# (an interactive shell, sqlite3's): the program's own handling runs, and
# tinydbg kills only what does not end by itself.
cc -O2 -o "$OUT/ptydrive" "$ROOT/tests/tools/ptydrive.c" || fail "build ptydrive"
bin=$(build "$FIX/c/sigint.c" gcc:-O2:pie) || fail "build sigint"
note='tinydbg: Ctrl-C went to the program too, which goes on: tracing until it ends (Ctrl-C again to kill it)'

# drive NAME STEP... -- ARGS: tinydbg ARGS on a terminal of its own, typed
# into by STEPs (tests/tools/ptydrive.c); what the terminal showed in
# $OUT/NAME.err, without the terminal's echo of Ctrl-C ("^C", anywhere in
# a line), the exit code in $RC.
drive() {
	local name=$1; shift
	timeout -k 5 60 "$OUT/ptydrive" "$@" >"$OUT/$name.raw" 2>"$OUT/$name.drive" </dev/null
	RC=$?
	sed 's/\^C//g' "$OUT/$name.raw" >"$OUT/$name.err"
}

# Ctrl-C in the terminal reaches the program too: its handler says
# "caught" and exits 3, which becomes tinydbg's status.
drive tty-exit wait='tick(3)' send=^C -- "$TINYDBG" trace --seq-ids -e "$bin" '^tick$' -- exit
expect_rc tty-exit 3
grep -qx 'caught' "$OUT/tty-exit.err" && pass "tty-exit handler ran" || fail "tty-exit: no \"caught\": $(tail -3 "$OUT/tty-exit.err")"
tail -1 "$OUT/tty-exit.err" | grep -qx 'Process 1 has exited with status 3' && pass "tty-exit closing line" || fail "tty-exit closing line: $(tail -1 "$OUT/tty-exit.err")"
no_stray tty-exit "$bin exit"

# A program that handles Ctrl-C and goes on (a shell): so does the trace,
# with one note; the end of its input ends it, with its status.
drive tty-shell wait=ready 'send=a\n' 'wait=got a\n' send=^C wait="$note" 'send=b\n' 'wait=got b\n' send=^D -- \
	"$TINYDBG" trace --seq-ids -e "$bin" '^line$' -- shell
expect_rc tty-shell 0
printf '%s\n' ready a '> thread(1): line(0)' '>> thread(1): line => (0)' 'got a' caught "$note" \
	b '> thread(1): line(1)' '>> thread(1): line => (1)' 'got b' bye 'Process 1 has exited with status 0' >"$OUT/tty-shell.want"
# The handler's "caught" and our note (250 ms after the Ctrl-C) race only
# on a machine too loaded to run the handler in that time.
sed -e '/^caught$/{N;s/^\(caught\)\n\(.*\)$/\2\n\1/}' "$OUT/tty-shell.want" >"$OUT/tty-shell.want2"
if cmp -s "$OUT/tty-shell.want" "$OUT/tty-shell.err" || cmp -s "$OUT/tty-shell.want2" "$OUT/tty-shell.err"; then
	pass "tty-shell output"
else
	fail "tty-shell output:"
	diff -u "$OUT/tty-shell.want" "$OUT/tty-shell.err" | head -20 >&2
fi
[[ $(grep -c 'tinydbg: Ctrl-C' "$OUT/tty-shell.err") == 1 ]] && pass "tty-shell one note" || fail "tty-shell: note count"
no_stray tty-shell "$bin shell"

# A second Ctrl-C ends it as before: killed, our status 130.
drive tty-twice wait=ready send=^C wait="$note" send=^C -- "$TINYDBG" trace --seq-ids -e "$bin" '^line$' -- shell
expect_rc tty-twice 130
tail -1 "$OUT/tty-twice.err" | grep -qx 'Process 1 was killed by signal SIGKILL' && pass "tty-twice closing line" || fail "tty-twice closing line: $(tail -1 "$OUT/tty-twice.err")"
no_stray tty-twice "$bin shell"

# SIGINT to tinydbg alone, no terminal: passed on to the program, whose
# handler runs and ends it.
"$TINYDBG" trace --seq-ids -e "$bin" '^tick$' -- exit >"$OUT/kill-int.out" 2>"$OUT/kill-int.err" </dev/null &
tpid=$!
for ((i = 0; i < 100; i++)); do grep -q 'tick(3)' "$OUT/kill-int.err" 2>/dev/null && break; sleep 0.1; done
kill -INT $tpid
wait $tpid
RC=$?
expect_rc kill-int 3
grep -qx caught "$OUT/kill-int.out" && pass "kill-int handler ran" || fail "kill-int: stdout $(cat "$OUT/kill-int.out")"
tail -1 "$OUT/kill-int.err" | grep -qx 'Process 1 has exited with status 3' && pass "kill-int closing line" || fail "kill-int closing line: $(tail -1 "$OUT/kill-int.err")"
no_stray kill-int "$bin exit"

# ...and one that goes on is killed after the grace period (2 s).
rm -f "$OUT/kill-grace.fifo"
mkfifo "$OUT/kill-grace.fifo"
exec 7<>"$OUT/kill-grace.fifo"
t0=$(date +%s%N)
"$TINYDBG" trace --seq-ids -e "$bin" '^line$' -- shell >"$OUT/kill-grace.out" 2>"$OUT/kill-grace.err" <&7 &
tpid=$!
for ((i = 0; i < 100; i++)); do grep -q ready "$OUT/kill-grace.out" 2>/dev/null && break; sleep 0.1; done
echo x >&7
for ((i = 0; i < 100; i++)); do grep -q 'got x' "$OUT/kill-grace.out" 2>/dev/null && break; sleep 0.1; done
kill -INT $tpid
wait $tpid
RC=$?
t1=$(date +%s%N)
exec 7>&-
expect_rc kill-grace 130
grep -qx caught "$OUT/kill-grace.out" && pass "kill-grace handler ran" || fail "kill-grace: stdout $(cat "$OUT/kill-grace.out")"
printf '%s\n' '> thread(1): line(0)' '>> thread(1): line => (0)' \
	'tinydbg: SIGINT passed on to the program; it is killed if it has not ended in 2 s (SIGINT again to kill it now)' \
	'Process 1 was killed by signal SIGKILL' >"$OUT/kill-grace.want"
expect_same kill-grace "$OUT/kill-grace.want"
(((t1 - t0) / 1000000 >= 2000)) && pass "kill-grace waited" || fail "kill-grace: killed after $(((t1 - t0) / 1000000)) ms"
no_stray kill-grace "$bin shell"
