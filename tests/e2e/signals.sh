# --signals (issue 12, item 2): each signal as strace shows it, with the
# handler that runs it, in order with the calls; delivered as untraced.
sg_src=$FIX/c/sigs.c
sg_mask() { sed -E 's/si_pid=[0-9]+/si_pid=PID/' "$1"; }
sg_want='> thread(1): work(1)
>> thread(1): work => (2)
--- thread(1): SIGUSR1 {si_code=SI_TKILL, si_pid=PID, si_uid=UID} handler on_usr1 ---
> thread(1): work(10)
>> thread(1): work => (11)
--- thread(1): SIGUSR1 {si_code=SI_USER, si_pid=PID, si_uid=UID} handler on_usr1 ---
> thread(1): work(10)
>> thread(1): work => (11)
--- thread(1): SIGUSR2 {si_code=SI_TKILL, si_pid=PID, si_uid=UID} ---
--- thread(1): SIGSEGV {si_code=SEGV_MAPERR, si_addr=0x10} handler on_segv ---
> thread(1): work(2)
>> thread(1): work => (3)
Process 1 has exited with status 0'
sg_want=${sg_want//UID/$(id -u)}

for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$sg_src" "$v") || { fail "build sigs $v"; continue; }
	run_trace "sig-$v" -- trace --seq-ids --signals -e "$bin" '^work$'
	expect_rc "sig-$v" 0
	if [[ $(sg_mask "$OUT/sig-$v.err") == "$sg_want" ]]; then
		pass "sig-$v: signals, handlers, calls in order"
	else
		fail "sig-$v: got:"; cat "$OUT/sig-$v.err" >&2
	fi
done

# Signals only, no function regexp: the same signal lines.
bin=$(build "$sg_src" gcc:-O0:pie)
run_trace sig-only -- trace --seq-ids --signals -e "$bin"
expect_rc sig-only 0
[[ $(grep -c '^--- thread(1): SIG' "$OUT/sig-only.err") == 4 ]] && pass "sig-only: 4 signals" ||
	{ fail "sig-only: got:"; cat "$OUT/sig-only.err" >&2; }

# Without the flag: no signal lines, the same program.
run_trace sig-off -- trace --seq-ids -e "$bin" '^work$'
expect_rc sig-off 0
! grep -q '^---' "$OUT/sig-off.err" && pass "sig-off: no signal lines" ||
	fail "sig-off: $(grep '^---' "$OUT/sig-off.err")"
